func.func @rms_norm_quantize_sums(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<3xi32>
  return
}
