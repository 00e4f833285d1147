func.func @packed_unknown_kind(%p: tensor<2xi8, #bitnet.packed<offset2, quaternary, shape = [2, 4], tile = [1, 4]>>)
