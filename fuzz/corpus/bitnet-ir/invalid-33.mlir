func.func @pack_shape_mismatch(%t: tensor<4x8xi2>) {
  %p = bitnet.pack ternary %t : tensor<4x8xi2> -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [1, 8]>>
  return
}
