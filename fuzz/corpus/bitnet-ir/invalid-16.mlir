func.func @constant_minus_two() {
  %w = bitnet.constant dense<[[1, 0], [-1, -2]]> : tensor<2x2xi2>
  return
}
