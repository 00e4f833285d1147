func.func @pack_offset2_tiles() -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>> {
  %t = bitnet.constant dense<[[1, 1, 1, 1, -1, -1, -1, -1], [0, 0, 0, 0, 1, 0, -1, 1]]> : tensor<2x8xi2>
  %p = bitnet.pack ternary %t : tensor<2x8xi2> -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
  return %p : tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
}
