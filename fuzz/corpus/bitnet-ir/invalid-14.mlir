func.func @encoding_size(%p: tensor<3xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)
