func.func @call_kernel_dynamic(%a: memref<?xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32]} : (memref<?xf32>) -> i32
  return %s : i32
}
