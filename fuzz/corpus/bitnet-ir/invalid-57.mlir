func.func @int8_linear_row_scales(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi8>, %ws: tensor<16xf32>) {
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<1x128xi8>, tensor<1xf32>, tensor<32x128xi8>, tensor<16xf32> -> tensor<1x32xf32>
  return
}
