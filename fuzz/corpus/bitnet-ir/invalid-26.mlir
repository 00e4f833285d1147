func.func @constant_wrong_rank() {
  %w = bitnet.constant dense<[1, 0]> : tensor<2xi2>
  return
}
