func.func @quantize_activations_features(%x: tensor<?x8xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<?x8xf32> -> tensor<?x4xi8>, tensor<?xf32>
  return
}
