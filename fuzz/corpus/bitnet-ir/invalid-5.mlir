func.func @packed_base3_tile(%p: tensor<1xi8, #bitnet.packed<base3, ternary, shape = [4, 4], tile = [1, 4]>>)
