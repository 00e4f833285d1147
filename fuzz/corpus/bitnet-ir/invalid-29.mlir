func.func @quantize_weights_f64(%w: tensor<2x2xf64>) {
  %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf64> -> tensor<2x2xi2>
  return
}
