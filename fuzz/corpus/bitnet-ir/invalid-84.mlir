func.func @glu_types(%g: tensor<1x4xf32>, %u: tensor<2x4xf32>) {
  %y = "bitnet.glu"(%g, %u) <{activation = 0 : i32}> : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x4xf32>
  return
}
