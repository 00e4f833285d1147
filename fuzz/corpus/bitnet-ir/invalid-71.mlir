func.func @kv_append_context(%c: tensor<2x64x64xf32>, %k: tensor<80x64xf32>, %p: i32) {
  %c1 = bitnet.kv_append %c, %k, %p {layer = 0 : i64} : tensor<2x64x64xf32>, tensor<80x64xf32>
  return
}
