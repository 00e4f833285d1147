func.func @float_linear_reduction(%x: tensor<1x64xf32>, %w: tensor<32x128xf16>) {
  %y = bitnet.float_linear %x, %w : tensor<1x64xf32>, tensor<32x128xf16> -> tensor<1x32xf32>
  return
}
