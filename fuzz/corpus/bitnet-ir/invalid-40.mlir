func.func @quantize_activations_rank(%x: tensor<1x2x2xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<1x2x2xf32> -> tensor<1x2xi8>, tensor<1xf32>
  return
}
