func.func @pack_binary_constant_zero() {
  %t = bitnet.constant dense<[[1, 0, -1, 1]]> : tensor<1x4xi2>
  %p = bitnet.pack binary %t : tensor<1x4xi2> -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return
}
