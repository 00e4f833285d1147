// RUN: bitnet-opt %s --convert-bitnet-to-llvm -split-input-file | FileCheck %s

// Each memref becomes a halide_buffer_t on the stack: dimensions reversed
// (extent 37 then 5, strides 1 then 37), type {code, bits, lanes}; scalars
// pass by value; the kernel is declared once.
// CHECK: llvm.func @k(!llvm.ptr, f32, !llvm.ptr) -> i32
// CHECK-LABEL: func.func @one
// CHECK: %[[DIMS:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(i32, i32, i32, i32)>
// CHECK: %[[C37:.*]] = llvm.mlir.constant(37 : i32) : i32
// CHECK: %[[C5:.*]] = llvm.mlir.constant(5 : i32) : i32
// CHECK: %[[BUF:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(i64, ptr, ptr, i64, struct<(i8, i8, i16)>, i32, ptr, ptr)>
// CHECK: llvm.store %{{.*}}, %[[BUF]]
// CHECK: %[[S:.*]] = llvm.call @k(%[[BUF]], %{{.*}}, %{{.*}}) : (!llvm.ptr, f32, !llvm.ptr) -> i32
// CHECK: return %[[S]]
func.func @one(%a: memref<5x37xi8>, %g: f32, %y: memref<5x37xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a, %g, %y) {arg_types = [ui8, f32, f32]}
      : (memref<5x37xi8>, f32, memref<5x37xf32>) -> i32
  return %s : i32
}
func.func @again(%a: memref<5x37xi8>, %g: f32, %y: memref<5x37xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a, %g, %y) {arg_types = [ui8, f32, f32]}
      : (memref<5x37xi8>, f32, memref<5x37xf32>) -> i32
  return %s : i32
}

// -----

// A strided slice (one layer of a cache): the host pointer moves by the
// offset, strides come from the layout.
// CHECK-LABEL: func.func @slice
// CHECK: %[[HOST:.*]] = llvm.getelementptr %{{.*}}[16] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: llvm.mlir.constant(8 : i32) : i32
// CHECK: llvm.call @k2
func.func @slice(%a: memref<2x8xf32, strided<[8, 1], offset: 16>>) -> i32 {
  %s = bitnet.call_kernel @k2(%a) {arg_types = [f32]} : (memref<2x8xf32, strided<[8, 1], offset: 16>>) -> i32
  return %s : i32
}

// -----

// Kernels for a GPU target: buffers are marked host-dirty, copied back to the
// host and released from the device after the call; statuses are or-ed.
// CHECK-LABEL: func.func @device
// CHECK: llvm.call @k3(%[[BUF:.*]]) : (!llvm.ptr) -> i32
// CHECK: llvm.call @halide_copy_to_host(%{{.*}}, %[[BUF]])
// CHECK: llvm.call @halide_device_free(%{{.*}}, %[[BUF]])
// CHECK: llvm.or
func.func @device(%a: memref<4xf32>) -> i32 {
  %s = bitnet.call_kernel @k3(%a) {arg_types = [f32], device} : (memref<4xf32>) -> i32
  return %s : i32
}
