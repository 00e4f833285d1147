func.func @quantize_weights_binary_equal_mean() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %t, %gamma = bitnet.quantize_weights binary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}
