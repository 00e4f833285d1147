func.func @packed_missing_tile(%p: tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4]>>)
