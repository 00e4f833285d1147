func.func @packed_zero_tile_rows(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, 4], tile = [0, 4]>>)
