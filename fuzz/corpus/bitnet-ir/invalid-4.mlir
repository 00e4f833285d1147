func.func @packed_offset2_tile(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, 12], tile = [1, 6]>>)
