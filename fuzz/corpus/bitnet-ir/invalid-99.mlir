func.func @call_kernel_strided(%a: memref<4xf32, strided<[?]>>) -> i32 {
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32]} : (memref<4xf32, strided<[?]>>) -> i32
  return %s : i32
}
