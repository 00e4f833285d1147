func.func @encoding_size_padded(%p: tensor<6xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>)
