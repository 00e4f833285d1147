func.func @quantize_weights_half_even_f16() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<[[0.5, -1.5], [1.5, 0.5]]> : tensor<2x2xf16>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf16> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}
