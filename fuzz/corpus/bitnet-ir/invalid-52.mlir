func.func @float_linear_outputs(%x: tensor<1x128xf32>, %w: tensor<32x128xbf16>) {
  %y = bitnet.float_linear %x, %w : tensor<1x128xf32>, tensor<32x128xbf16> -> tensor<1x16xf32>
  return
}
