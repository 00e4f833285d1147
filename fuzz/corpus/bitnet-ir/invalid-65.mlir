func.func @rope_zero_theta(%x: tensor<1x64xf32>, %p: i32) {
  %y = bitnet.rope %x, %p {head_dim = 32 : i64, theta = 0.0 : f32} : tensor<1x64xf32>
  return
}
