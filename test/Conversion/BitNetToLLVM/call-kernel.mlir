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

// Kernels for a GPU target: every allocation the kernels use gets one device
// copy for the call, a halide_buffer_t from bitnet_rt2_device_root (an
// argument's, flagged 1, opens the function; a memref.alloc's follows it);
// each kernel buffer is a view of it, pointed into the device copy before
// the call (with the spec's GPU API) and given back after it. The
// allocation's copy is released before its dealloc, an argument's goes back
// to the caller before the return; host access goes through
// bitnet_rt2_device_to_host and bitnet_rt2_host_written. Every status is
// or-ed into the result.
// CHECK-LABEL: func.func @device
// CHECK: %[[A_BYTES:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK: %[[IS_ARG:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: %[[A:.*]] = llvm.call @bitnet_rt2_device_root(%{{.*}}, %{{.*}}, %{{.*}}, %[[A_BYTES]], %[[IS_ARG]])
// CHECK: memref.alloc() : memref<2x4xf32>
// CHECK: %[[T_BYTES:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK: %[[NOT_ARG:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: %[[T:.*]] = llvm.call @bitnet_rt2_device_root(%{{.*}}, %{{.*}}, %{{.*}}, %[[T_BYTES]], %[[NOT_ARG]])
// CHECK: %[[API:.*]] = llvm.call @halide_cuda_device_interface()
// CHECK: llvm.call @bitnet_rt2_device_view(%[[A]], %[[VA:.*]], %[[API]])
// CHECK: llvm.getelementptr %{{.*}}[4] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK: llvm.call @bitnet_rt2_device_view(%[[T]], %[[VT:.*]], %[[API]])
// CHECK: llvm.call @k3(%[[VA]], %[[VT]])
// CHECK: llvm.call @bitnet_rt2_device_view_done(%[[A]], %[[VA]])
// CHECK: llvm.call @bitnet_rt2_device_view_done(%[[T]], %[[VT]])
// CHECK: llvm.call @bitnet_rt2_device_to_host(%[[T]])
// CHECK: llvm.call @bitnet_rt2_host_written(%[[T]])
// CHECK: llvm.call @bitnet_rt2_device_release(%[[T]])
// CHECK-NEXT: memref.dealloc
// CHECK: llvm.call @bitnet_rt2_device_leave(%[[A]])
// CHECK: return
func.func @device(%a: memref<4xf32>) -> i32 {
  %t = memref.alloc() : memref<2x4xf32>
  %v = memref.subview %t[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
  %s = bitnet.call_kernel @k3(%a, %v) {arg_types = [f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k3", m = 1, n = 4>}
      : (memref<4xf32>, memref<4xf32, strided<[1], offset: 4>>) -> i32
  %h = bitnet.device_to_host %t : memref<2x4xf32>
  bitnet.host_written %t : memref<2x4xf32>
  memref.dealloc %t : memref<2x4xf32>
  %r = arith.ori %s, %h : i32
  return %r : i32
}

// -----

// An argument only ever written whole by copy kernels (an out-parameter)
// is described as a result (2): its device copy does not start from the
// caller's data, which the glue never reads.
// CHECK-LABEL: func.func @result
// CHECK: %[[IS_ARG:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: llvm.call @bitnet_rt2_device_root(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[IS_ARG]])
// CHECK: %[[IS_RESULT:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK-NEXT: llvm.call @bitnet_rt2_device_root(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[IS_RESULT]])
func.func @result(%a: memref<1x4xf32>, %out: memref<1x4xf32>) -> i32 {
  %s = bitnet.call_kernel @k8(%a, %out) {arg_types = [f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k8", m = 1, n = 4>}
      : (memref<1x4xf32>, memref<1x4xf32>) -> i32
  return %s : i32
}

// -----

// A view at a dynamic offset (a KV-cache row): the host pointer moves by the
// offset the view's descriptor holds; OpenCL kernels get OpenCL's API.
// CHECK-LABEL: func.func @dynamic_offset
// CHECK: llvm.call @halide_opencl_device_interface()
// CHECK: %[[OFF:.*]] = llvm.extractvalue %{{.*}}[2]
// CHECK: llvm.getelementptr %{{.*}}[%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
func.func @dynamic_offset(%cache: memref<8x4xf32>, %row: index) -> i32 {
  %v = memref.subview %cache[%row, 0] [1, 4] [1, 1] : memref<8x4xf32> to memref<1x4xf32, strided<[4, 1], offset: ?>>
  %s = bitnet.call_kernel @k7(%v) {arg_types = [f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = opencl, name = "k7", m = 1, n = 4>}
      : (memref<1x4xf32, strided<[4, 1], offset: ?>>) -> i32
  return %s : i32
}

// -----

// A GPU kernel's constants (weights) stay on the device: one global
// halide_buffer_t per constant view, initialized host-dirty (flags = 1) so
// that Halide copies the data at the first call; each call stores the host
// pointer, type, rank and dimensions and leaves device and flags alone; it
// is no view of a glue allocation. Two calls on the same weights share the global; a
// different view of the same constant has its own. CPU kernels' constants
// are plain stack buffers.
// CHECK: llvm.mlir.global internal @__bitnet_device_w_o4_4() {addr_space = 0 : i32, alignment = 8 : i64}
// CHECK: llvm.mlir.global internal @__bitnet_device_w_o4_4_dims()
// CHECK: llvm.mlir.global internal @__bitnet_device_w_o0_8() {addr_space = 0 : i32, alignment = 8 : i64}
// CHECK-NEXT: llvm.mlir.zero
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[INIT:.*]] = llvm.insertvalue %[[ONE]], %{{.*}}[3]
// CHECK-NEXT: llvm.return %[[INIT]]
// CHECK: llvm.mlir.global internal @__bitnet_device_w_o0_8_dims()
// CHECK-NOT: llvm.mlir.global
// CHECK-LABEL: func.func @resident
// CHECK: %[[B:.*]] = llvm.mlir.addressof @__bitnet_device_w_o0_8 : !llvm.ptr
// CHECK: %[[HOSTFIELD:.*]] = llvm.getelementptr %[[B]][0, 2]
// CHECK: llvm.store %{{.*}}, %[[HOSTFIELD]]
// CHECK-NOT: bitnet_rt2_device_view(%{{.*}}, %[[B]]
// CHECK: llvm.call @k4(%[[B]], %[[Y:.*]]) : (!llvm.ptr, !llvm.ptr) -> i32
// CHECK-NOT: bitnet_rt2_device_view_done(%{{.*}}, %[[B]])
// CHECK: llvm.mlir.addressof @__bitnet_device_w_o0_8 : !llvm.ptr
// CHECK: llvm.call @k4
// CHECK: llvm.mlir.addressof @__bitnet_device_w_o4_4 : !llvm.ptr
// CHECK: llvm.call @k5
// CHECK-LABEL: func.func @cpu
// CHECK-NOT: __bitnet_device
// CHECK: llvm.call @k6
// A constant has no device copy to bring back or make stale.
// CHECK-LABEL: func.func @constant_host_access
// CHECK-NOT: bitnet_rt2
// CHECK: %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NOT: bitnet_rt2
// CHECK: return %[[ZERO]]
memref.global "private" constant @w : memref<8xi8> = dense<[1, 2, 3, 4, 5, 6, 7, 8]>
func.func @resident(%y: memref<8xf32>, %z: memref<4xf32>) -> i32 {
  %w = memref.get_global @w : memref<8xi8>
  %s = bitnet.call_kernel @k4(%w, %y) {arg_types = [si8, f32], device, bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k4", m = 1, n = 8>} : (memref<8xi8>, memref<8xf32>) -> i32
  %t = bitnet.call_kernel @k4(%w, %y) {arg_types = [si8, f32], device, bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k4", m = 1, n = 8>} : (memref<8xi8>, memref<8xf32>) -> i32
  %v = memref.subview %w[4] [4] [1] : memref<8xi8> to memref<4xi8, strided<[1], offset: 4>>
  %u = bitnet.call_kernel @k5(%v, %z) {arg_types = [si8, f32], device, bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k5", m = 1, n = 4>} : (memref<4xi8, strided<[1], offset: 4>>, memref<4xf32>) -> i32
  %r = arith.ori %s, %t : i32
  %q = arith.ori %r, %u : i32
  return %q : i32
}
func.func @cpu(%y: memref<8xf32>) -> i32 {
  %w = memref.get_global @w : memref<8xi8>
  %s = bitnet.call_kernel @k6(%w, %y) {arg_types = [si8, f32]} : (memref<8xi8>, memref<8xf32>) -> i32
  return %s : i32
}
func.func @constant_host_access() -> i32 {
  %w = memref.get_global @w : memref<8xi8>
  %h = bitnet.device_to_host %w : memref<8xi8>
  bitnet.host_written %w : memref<8xi8>
  return %h : i32
}
