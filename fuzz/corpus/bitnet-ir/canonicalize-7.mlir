func.func @quantize_weights_dead(%w: tensor<2x2xf32>) {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return
}
