func.func @quantize_activations_scales(%x: tensor<2x8xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<3xf32>
  return
}
