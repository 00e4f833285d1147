func.func @constant_dedup() -> (tensor<2x2xi2>, tensor<2x2xi2>) {
  %a = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  %b = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  return %a, %b : tensor<2x2xi2>, tensor<2x2xi2>
}
