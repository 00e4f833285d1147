func.func @float_linear_tokens(%x: tensor<2x128xf32>, %w: tensor<32x128xf32>) {
  %y = bitnet.float_linear %x, %w : tensor<2x128xf32>, tensor<32x128xf32> -> tensor<1x32xf32>
  return
}
