func.func @packed_bits1_ternary(%p: tensor<1xi8, #bitnet.packed<bits1, ternary, shape = [1, 8], tile = [1, 8]>>)
