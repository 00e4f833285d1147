func.func @attention_groups(%q: tensor<1x96xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 3 : i64, num_kv_heads = 2 : i64} : tensor<1x96xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}
