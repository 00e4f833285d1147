func.func @rope_odd_head_dim(%x: tensor<1x14xf32>, %p: i32) {
  %y = bitnet.rope %x, %p {head_dim = 7 : i64, theta = 1.0e+04 : f32} : tensor<1x14xf32>
  return
}
