func.func @constant_offset2_binary_zero() {
  %p = bitnet.constant dense<36> : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return
}
