func.func @quantize_weights_zero_bf16() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<0.0> : tensor<2x2xbf16>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xbf16> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}
