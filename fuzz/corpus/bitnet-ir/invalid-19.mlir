func.func @constant_dynamic() {
  %w = bitnet.constant dense_resource<unknown_blob> : tensor<?x2xi2>
  return
}
