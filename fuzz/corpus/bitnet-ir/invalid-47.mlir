func.func @bitlinear_binary_constant_zero(%q: tensor<1x2xi8>, %s: tensor<1xf32>, %g: f32) {
  %w = bitnet.constant dense<[[1, -1], [0, 1]]> : tensor<2x2xi2>
  %y = bitnet.bitlinear binary %q, %s, %w, %g : tensor<1x2xi8>, tensor<1xf32>, tensor<2x2xi2> -> tensor<1x2xf32>
  return
}
