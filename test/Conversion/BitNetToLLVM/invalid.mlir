// RUN: bitnet-opt %s --convert-bitnet-to-llvm -split-input-file -verify-diagnostics

// A device call must say which GPU API its kernel runs on.
func.func @no_spec(%a: memref<4xf32>) -> i32 {
  // expected-error @+1 {{device call without a GPU bitnet.kernel_spec}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32], device} : (memref<4xf32>) -> i32
  return %s : i32
}

// -----

// The device copy covers a whole allocation of static size.
// expected-error @+1 {{a GPU kernel's buffer is not a static, contiguous argument or memref.alloc}}
func.func @dynamic_allocation(%n: index) -> i32 {
  %t = memref.alloc(%n) : memref<?xf32>
  %v = memref.subview %t[0] [4] [1] : memref<?xf32> to memref<4xf32, strided<[1]>>
  %s = bitnet.call_kernel @k(%v) {arg_types = [f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k", m = 1, n = 4>}
      : (memref<4xf32, strided<[1]>>) -> i32
  memref.dealloc %t : memref<?xf32>
  return %s : i32
}

// -----

// The arguments' device copies go back before the one return.
// expected-error @+1 {{GPU kernels in a function without exactly one return}}
func.func @two_returns(%a: memref<4xf32>, %c: i1) -> i32 {
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k", m = 1, n = 4>}
      : (memref<4xf32>) -> i32
  cf.cond_br %c, ^a, ^b
^a:
  return %s : i32
^b:
  return %s : i32
}
