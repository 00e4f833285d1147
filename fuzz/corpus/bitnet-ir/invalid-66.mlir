func.func @rope_width(%x: tensor<1x96xf32>, %p: i32) {
  %y = bitnet.rope %x, %p {head_dim = 64 : i64, theta = 1.0e+04 : f32} : tensor<1x96xf32>
  return
}
