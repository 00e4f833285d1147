func.func @quantize_activations_tokens(%x: tensor<2x8xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<2x8xf32> -> tensor<1x8xi8>, tensor<2xf32>
  return
}
