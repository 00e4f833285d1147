func.func @pack_without_layout(%t: tensor<2x4xi2>) {
  %p = bitnet.pack ternary %t : tensor<2x4xi2> -> tensor<2xi8>
  return
}
