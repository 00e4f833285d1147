func.func @pack_offset2_binary() -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>> {
  %t = bitnet.constant dense<[[-1, 1, 1, -1]]> : tensor<1x4xi2>
  %p = bitnet.pack binary %t : tensor<1x4xi2> -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
}
