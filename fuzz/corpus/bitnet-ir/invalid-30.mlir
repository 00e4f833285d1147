func.func @quantize_weights_i8_result(%w: tensor<2x2xf32>) {
  %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi8>
  return
}
