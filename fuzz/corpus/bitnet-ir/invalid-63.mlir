func.func @rms_norm_weight_rank(%x: tensor<1x4xf32>, %w: tensor<1x4xf32>) {
  %y = bitnet.rms_norm %x, %w : tensor<1x4xf32>, tensor<1x4xf32>
  return
}
