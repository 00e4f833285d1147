func.func @encoding_2d(%p: tensor<1x2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)
