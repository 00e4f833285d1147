func.func @huge_layout(%p: tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [9223372036854775807, 4], tile = [2, 4]>>) {
  return
}
