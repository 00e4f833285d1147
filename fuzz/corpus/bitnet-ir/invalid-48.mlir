func.func @bitlinear_packed_kind_mismatch(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) {
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  %y = bitnet.bitlinear binary %q, %s, %p, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return
}
