func.func @bitlinear_unpacked_i8(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<8xi8>, %g: f32) {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<8xi8> -> tensor<1x2xf32>
  return
}
