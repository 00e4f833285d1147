func.func @bitlinear_input_features(%q: tensor<1x64xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi2>, %g: f32) {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x64xi8>, tensor<1xf32>, tensor<32x128xi2> -> tensor<1x32xf32>
  return
}
