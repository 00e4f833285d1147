func.func @pack_base3_padding() -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>> {
  %t = bitnet.constant dense<[[1, -1, 0]]> : tensor<1x3xi2>
  %p = bitnet.pack ternary %t : tensor<1x3xi2> -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>>
  return %p : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>>
}
