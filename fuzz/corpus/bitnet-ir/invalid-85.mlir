func.func @embedding_tokens(%t: tensor<256x128xf16>, %ids: tensor<2xi32>) {
  %x = bitnet.embedding %t, %ids : tensor<256x128xf16>, tensor<2xi32> -> tensor<1x128xf32>
  return
}
