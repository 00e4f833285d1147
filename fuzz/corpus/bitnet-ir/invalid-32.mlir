func.func @pack_kind_mismatch(%t: tensor<2x4xi2>) {
  %p = bitnet.pack binary %t : tensor<2x4xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}
