func.func @sparse_constant() {
  %w = bitnet.constant sparse<[[0, 0]], [-2]> : tensor<2x2xi2>
  return
}
