func.func @kv_append_rank(%c: tensor<4x4xf32>, %k: tensor<1x4xf32>, %p: i32) {
  %c1 = bitnet.kv_append %c, %k, %p {layer = 0 : i64} : tensor<4x4xf32>, tensor<1x4xf32>
  return
}
