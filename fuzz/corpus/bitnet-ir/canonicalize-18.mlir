func.func @quantize_then_pack() -> (tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>, f32) {
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.1, 1.0]]> : tensor<1x5xf32>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<1x5xf32> -> tensor<1x5xi2>
  %p = bitnet.pack ternary %t : tensor<1x5xi2> -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return %p, %gamma : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>, f32
}
