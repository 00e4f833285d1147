func.func @attention_dynamic_width(%q: tensor<1x?xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x?xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}
