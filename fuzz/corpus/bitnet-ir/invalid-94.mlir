func.func @huge_tile(%p: tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [131072, 4]>>) {
  return
}
