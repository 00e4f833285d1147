func.func @float_linear_i8_weights(%x: tensor<1x4xf32>, %w: tensor<2x4xi8>) {
  %y = bitnet.float_linear %x, %w : tensor<1x4xf32>, tensor<2x4xi8> -> tensor<1x2xf32>
  return
}
