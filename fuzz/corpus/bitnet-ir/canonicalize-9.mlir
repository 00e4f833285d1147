func.func @pack_offset2_strided() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>> {
  %t = bitnet.constant dense<[[-1, 0, 1, -1, 0, 1, 1, 0]]> : tensor<1x8xi2>
  %p = bitnet.pack ternary %t : tensor<1x8xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
}
