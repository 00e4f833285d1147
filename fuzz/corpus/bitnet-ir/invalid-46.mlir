func.func @bitlinear_scales(%q: tensor<2x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %g: f32) {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<2x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<2x64xf32>
  return
}
