func.func @pack_offset2_padding() -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>> {
  %t = bitnet.constant dense<[[1, -1, 0]]> : tensor<1x3xi2>
  %p = bitnet.pack ternary %t : tensor<1x3xi2> -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
}
