func.func @quantize_weights_dynamic_result() -> tensor<?x2xi2> {
  %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<?x2xi2>
  return %t : tensor<?x2xi2>
}
