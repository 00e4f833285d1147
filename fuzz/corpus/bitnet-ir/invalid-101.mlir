func.func @rms_norm_quantize_weight(%x: tensor<2x64xf32>, %w: tensor<32xf32>) {
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<32xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}
