func.func @pack_base3() -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>> {
  %t = bitnet.constant dense<[[1, 0, -1, 0, 1]]> : tensor<1x5xi2>
  %p = bitnet.pack ternary %t : tensor<1x5xi2> -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return %p : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
}
