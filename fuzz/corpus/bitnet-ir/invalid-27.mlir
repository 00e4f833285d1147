func.func @quantize_weights_rows(%w: tensor<4x8xf32>) {
  %t, %g = bitnet.quantize_weights ternary %w : tensor<4x8xf32> -> tensor<3x8xi2>
  return
}
