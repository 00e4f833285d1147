func.func @packed_negative_tile_cols(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, 4], tile = [1, -4]>>)
