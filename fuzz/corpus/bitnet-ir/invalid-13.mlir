func.func @encoding_i32(%p: tensor<2xi32, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)
