func.func @constant_resource_size() {
  %w = bitnet.constant dense_resource<short_blob> : tensor<2x2xi2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      short_blob: "0x0400000001FF00"
    }
  }
#-}
