func.func @constant_i8_without_layout() {
  %c = bitnet.constant dense<[1, 2]> : tensor<2xi8>
  return
}
