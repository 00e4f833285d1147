func.func @rms_norm_zero_epsilon(%x: tensor<1x4xf32>, %w: tensor<4xf32>) {
  %y = bitnet.rms_norm %x, %w {epsilon = 0.0 : f32} : tensor<1x4xf32>, tensor<4xf32>
  return
}
