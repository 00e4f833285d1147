func.func @constant_resource_value() {
  %w = bitnet.constant dense_resource<bad_value> : tensor<2x2xi2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      bad_value: "0x0400000001050000"
    }
  }
#-}
