func.func @packed_unknown_format(%p: tensor<2xi8, #bitnet.packed<offset3, ternary, shape = [2, 4], tile = [1, 4]>>)
