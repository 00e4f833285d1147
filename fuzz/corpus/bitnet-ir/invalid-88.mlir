func.func @add_types(%a: tensor<1x4xf32>, %b: tensor<2x4xf32>) {
  %y = "bitnet.add"(%a, %b) : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x4xf32>
  return
}
