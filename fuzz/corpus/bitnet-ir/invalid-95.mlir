func.func @call_kernel_arity(%a: memref<4xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32, f32]} : (memref<4xf32>) -> i32
  return %s : i32
}
