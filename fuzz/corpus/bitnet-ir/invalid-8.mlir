func.func @packed_base3_binary(%p: tensor<1xi8, #bitnet.packed<base3, binary, shape = [1, 5], tile = [1, 5]>>)
