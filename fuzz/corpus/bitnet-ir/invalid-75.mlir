func.func @attention_cache_types(%q: tensor<1x128xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x32x64xf32>, %p: i32) {
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x32x64xf32>
  return
}
