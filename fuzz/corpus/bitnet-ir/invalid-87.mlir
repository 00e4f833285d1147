func.func @embedding_i64_tokens(%t: tensor<8x4xf16>, %ids: tensor<1xi64>) {
  %x = bitnet.embedding %t, %ids : tensor<8x4xf16>, tensor<1xi64> -> tensor<1x4xf32>
  return
}
