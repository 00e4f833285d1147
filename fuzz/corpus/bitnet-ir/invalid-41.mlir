func.func @quantize_activations_i32(%x: tensor<1x8xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<1x8xf32> -> tensor<1x8xi32>, tensor<1xf32>
  return
}
