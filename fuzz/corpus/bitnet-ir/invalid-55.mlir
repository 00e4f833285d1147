func.func @float_linear_f16_input(%x: tensor<1x4xf16>, %w: tensor<2x4xf16>) {
  %y = bitnet.float_linear %x, %w : tensor<1x4xf16>, tensor<2x4xf16> -> tensor<1x2xf32>
  return
}
