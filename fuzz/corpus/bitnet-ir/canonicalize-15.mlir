func.func @pack_bits1() -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>> {
  %t = bitnet.constant dense<[[1, -1, 1, 1, -1, -1, -1, 1]]> : tensor<1x8xi2>
  %p = bitnet.pack binary %t : tensor<1x8xi2> -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
}
