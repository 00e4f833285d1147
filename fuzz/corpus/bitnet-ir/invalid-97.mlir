func.func @call_kernel_type_mismatch(%a: memref<4xi8>) -> i32 {
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32]} : (memref<4xi8>) -> i32
  return %s : i32
}
