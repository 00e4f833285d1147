func.func @glu_f16(%x: tensor<1x4xf16>) {
  %y = bitnet.glu silu %x, %x : tensor<1x4xf16>
  return
}
