func.func @constant_offset2_code3_resource() {
  %p = bitnet.constant dense_resource<code3> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}

{-#
  dialect_resources: {
    builtin: {
      code3: "0x04000000A4FF"
    }
  }
#-}
