func.func @int8_linear_input_scales(%q: tensor<2x128xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi8>, %ws: tensor<32xf32>) {
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<2x128xi8>, tensor<1xf32>, tensor<32x128xi8>, tensor<32xf32> -> tensor<2x32xf32>
  return
}
