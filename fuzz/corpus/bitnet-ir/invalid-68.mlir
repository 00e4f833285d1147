func.func @rope_i64_position(%x: tensor<1x4xf32>, %p: i64) {
  %y = "bitnet.rope"(%x, %p) <{head_dim = 2 : i64, theta = 1.0 : f32}> : (tensor<1x4xf32>, i64) -> tensor<1x4xf32>
  return
}
