func.func @constant_offset2_code3_padding() {
  %p = bitnet.constant dense<-43> : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
  return
}
