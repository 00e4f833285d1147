func.func @pack_offset2() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %t = bitnet.constant dense<[[-1, 0, 1, 1], [0, -1, -1, -1]]> : tensor<2x4xi2>
  %p = bitnet.pack ternary %t : tensor<2x4xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}
