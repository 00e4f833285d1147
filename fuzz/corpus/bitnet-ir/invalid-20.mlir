func.func @constant_offset2_code3() {
  %p = bitnet.constant dense<[-92, -1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}
