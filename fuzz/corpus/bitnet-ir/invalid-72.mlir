func.func @kv_append_negative_layer(%c: tensor<2x4x4xf32>, %k: tensor<1x4xf32>, %p: i32) {
  %c1 = bitnet.kv_append %c, %k, %p {layer = -1 : i64} : tensor<2x4x4xf32>, tensor<1x4xf32>
  return
}
