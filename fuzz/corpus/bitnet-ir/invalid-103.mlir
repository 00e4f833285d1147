func.func @fused_scales(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<3x4xi2>, %g: tensor<3xf32>) {
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 2, 1>} : tensor<1x4xi8>, tensor<1xf32>, tensor<3x4xi2>, tensor<3xf32> -> tensor<1x3xf32>
  return
}
