func.func @bitlinear_not_folded(%q: tensor<1x2xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x2xi8>, tensor<1xf32>, tensor<2x2xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
