func.func @attention_query_width(%q: tensor<1x100xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64} : tensor<1x100xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}
