func.func @packed_zero_rows(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [0, 4], tile = [1, 4]>>)
