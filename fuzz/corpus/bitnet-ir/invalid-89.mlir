func.func @add_rank(%a: tensor<4xf32>) {
  %y = bitnet.add %a, %a : tensor<4xf32>
  return
}
