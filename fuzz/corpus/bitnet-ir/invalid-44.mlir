func.func @bitlinear_packed_features(%q: tensor<1x64xi8>, %s: tensor<1xf32>, %p: tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>, %g: f32) {
  %y = bitnet.bitlinear ternary %q, %s, %p, %g : tensor<1x64xi8>, tensor<1xf32>, tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> -> tensor<1x64xf32>
  return
}
