func.func @rms_norm_weight_size(%x: tensor<1x128xf32>, %w: tensor<64xf32>) {
  %y = bitnet.rms_norm %x, %w : tensor<1x128xf32>, tensor<64xf32>
  return
}
