func.func @rope_zero_head_dim(%x: tensor<1x4xf32>, %p: i32) {
  %y = bitnet.rope %x, %p {head_dim = 0 : i64, theta = 1.0 : f32} : tensor<1x4xf32>
  return
}
