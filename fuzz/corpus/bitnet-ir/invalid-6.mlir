func.func @packed_bits1_tile(%p: tensor<1xi8, #bitnet.packed<bits1, binary, shape = [4, 4], tile = [1, 4]>>)
