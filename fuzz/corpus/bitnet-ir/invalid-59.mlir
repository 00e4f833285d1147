func.func @int8_linear_f16_weights(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<2x4xf16>, %ws: tensor<2xf32>) {
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xf16>, tensor<2xf32> -> tensor<1x2xf32>
  return
}
