func.func @pack_dense_resource() -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>> {
  %t = bitnet.constant dense_resource<logical_1x4> : tensor<1x4xi2>
  %p = bitnet.pack ternary %t : tensor<1x4xi2> -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>>
}

{-#
  dialect_resources: {
    builtin: {
      logical_1x4: "0x04000000FF000101"
    }
  }
#-}
