func.func @call_kernel_unknown_type(%a: memref<4xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a) {arg_types = [f64]} : (memref<4xf32>) -> i32
  return %s : i32
}
