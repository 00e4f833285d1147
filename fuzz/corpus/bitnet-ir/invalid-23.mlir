func.func @constant_base3_invalid() {
  %p = bitnet.constant dense<1> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return
}
