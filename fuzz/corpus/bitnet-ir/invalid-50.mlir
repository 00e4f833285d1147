func.func @bitlinear_f16_scale(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<2x4xi2>, %g: f16) {
  %y = "bitnet.bitlinear"(%q, %s, %w, %g) <{kind = 1 : i32}> : (tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2>, f16) -> tensor<1x2xf32>
  return
}
