func.func @quantize_weights_unknown_kind(%w: tensor<2x2xf32>) {
  %t, %g = bitnet.quantize_weights trinary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return
}
