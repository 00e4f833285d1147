func.func @embedding_width(%t: tensor<256x128xf16>, %ids: tensor<1xi32>) {
  %x = bitnet.embedding %t, %ids : tensor<256x128xf16>, tensor<1xi32> -> tensor<1x64xf32>
  return
}
