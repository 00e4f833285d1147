func.func @packed_resource_wrong_size() {
  %p = bitnet.constant dense_resource<packed_blob> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      packed_blob: "0x04000000FFFFFF"
    }
  }
#-}
