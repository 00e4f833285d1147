// RUN: bitnet-opt %s --bitnet-keep-on-device="kernel-prefix=demo" -split-input-file -verify-diagnostics | FileCheck %s

// A GPU glue: the copies out of a device kernel's result (a fused
// projection's split) and into the cache argument (a KV append at a dynamic
// row) become copy kernels, named after their spec's hash and listed in the
// module's kernels; a rank-1 view gets a unit row dimension. Host code that
// reads a device-kept allocation is preceded by device_to_host, host code
// that writes one is followed by host_written; every new status is or-ed
// into the result.
// CHECK: module attributes {bitnet.kernels = {demo_copy_[[C4:[0-9a-f]+]] = #bitnet.kernel<kind = copy, target = cuda, name = demo_copy_[[C4]], m = 1, n = 4,
// CHECK-SAME: k1 = #bitnet.kernel<kind = add
// CHECK-LABEL: func.func @glue
// CHECK: %[[K:.*]] = bitnet.call_kernel @k1
// CHECK: %[[SPLIT:.*]] = memref.subview %[[FUSED:.*]][0, 4] [1, 4] [1, 1]
// CHECK: %[[Q:.*]] = memref.alloc() : memref<1x4xf32>
// CHECK: %[[C1:.*]] = bitnet.call_kernel @demo_copy_[[C4]](%[[SPLIT]], %[[Q]]) {arg_types = [f32, f32], bitnet.kernel_spec = #bitnet.kernel<kind = copy, {{.*}}>, device}
// CHECK: %[[ROW:.*]] = memref.subview %arg1[%arg2, 0] [1, 4] [1, 1]
// CHECK: %[[ROW2:.*]] = memref.expand_shape %[[ROW]] {{\[\[}}0, 1]] output_shape [1, 4]
// CHECK: %[[C2:.*]] = bitnet.call_kernel @demo_copy_[[C4]](%{{.*}}, %[[ROW2]])
// CHECK-NOT: memref.copy
// CHECK: %[[H1:.*]] = bitnet.device_to_host %[[FUSED]] : memref<1x8xf32>
// CHECK: %[[H2:.*]] = bitnet.device_to_host %arg3 : memref<1x8xf32>
// CHECK: linalg.generic
// CHECK-NOT: bitnet.host_written %[[FUSED]]
// CHECK: bitnet.host_written %arg3
// CHECK: %[[U:.*]] = bitnet.call_kernel @k1
// CHECK: %[[S0:.*]] = arith.ori %[[K]], %[[U]]
// CHECK: %[[S1:.*]] = arith.ori %[[S0]], %[[C1]]
// CHECK: %[[S2:.*]] = arith.ori %[[S1]], %[[C2]]
// CHECK: %[[S3:.*]] = arith.ori %[[S2]], %[[H1]]
// CHECK: %[[S4:.*]] = arith.ori %[[S3]], %[[H2]]
// CHECK: return %[[S4]]
#id = affine_map<(d0, d1) -> (d0, d1)>
module attributes {bitnet.kernels = {k1 = #bitnet.kernel<kind = add, target = cuda, name = "k1", m = 1, n = 8>}} {
  func.func @glue(%x: memref<1x8xf32>, %cache: memref<4x4xf32>, %pos: index, %out: memref<1x8xf32>) -> i32 {
    %fused = memref.alloc() : memref<1x8xf32>
    %k = bitnet.call_kernel @k1(%x, %x, %fused) {arg_types = [f32, f32, f32], device,
        bitnet.kernel_spec = #bitnet.kernel<kind = add, target = cuda, name = "k1", m = 1, n = 8>}
        : (memref<1x8xf32>, memref<1x8xf32>, memref<1x8xf32>) -> i32
    %split = memref.subview %fused[0, 4] [1, 4] [1, 1] : memref<1x8xf32> to memref<1x4xf32, strided<[8, 1], offset: 4>>
    %q = memref.alloc() : memref<1x4xf32>
    memref.copy %split, %q : memref<1x4xf32, strided<[8, 1], offset: 4>> to memref<1x4xf32>
    %row = memref.subview %cache[%pos, 0] [1, 4] [1, 1] : memref<4x4xf32> to memref<4xf32, strided<[1], offset: ?>>
    %q1 = memref.collapse_shape %q [[0, 1]] : memref<1x4xf32> into memref<4xf32>
    memref.copy %q1, %row : memref<4xf32> to memref<4xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%fused : memref<1x8xf32>) outs(%out : memref<1x8xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    %u = bitnet.call_kernel @k1(%out, %out, %x) {arg_types = [f32, f32, f32], device,
        bitnet.kernel_spec = #bitnet.kernel<kind = add, target = cuda, name = "k1", m = 1, n = 8>}
        : (memref<1x8xf32>, memref<1x8xf32>, memref<1x8xf32>) -> i32
    memref.dealloc %fused : memref<1x8xf32>
    memref.dealloc %q : memref<1x4xf32>
    %s = arith.ori %k, %u : i32
    return %s : i32
  }
}

// -----

// Copies that only pass one kernel's data to another go: the reader of the
// two splits reads the fused result in place (the second split's copy in
// between only reads it), and the kernel whose result only went to the
// cache row writes the row (its view moved up before it).
// CHECK-LABEL: func.func @elide
// CHECK: %[[FUSED:.*]] = memref.alloc() : memref<1x8xf32>
// CHECK: bitnet.call_kernel @k1
// CHECK: %[[GATE:.*]] = memref.subview %[[FUSED]][0, 0] [1, 4] [1, 1]
// CHECK: %[[UP:.*]] = memref.subview %[[FUSED]][0, 4] [1, 4] [1, 1]
// CHECK: %[[ROW:.*]] = memref.subview %arg1[%arg2, 0] [1, 4] [1, 1]
// CHECK-NEXT: bitnet.call_kernel @k2(%[[GATE]], %[[UP]], %[[ROW]])
// CHECK-NOT: memref.copy
// CHECK-NOT: demo_copy
// CHECK: memref.dealloc %[[FUSED]]
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @elide(%x: memref<1x8xf32>, %cache: memref<4x4xf32>, %pos: index) -> i32 {
  %fused = memref.alloc() : memref<1x8xf32>
  %k = bitnet.call_kernel @k1(%x, %x, %fused) {arg_types = [f32, f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = add, target = cuda, name = "k1", m = 1, n = 8>}
      : (memref<1x8xf32>, memref<1x8xf32>, memref<1x8xf32>) -> i32
  %gv = memref.subview %fused[0, 0] [1, 4] [1, 1] : memref<1x8xf32> to memref<1x4xf32, strided<[8, 1]>>
  %g = memref.alloc() : memref<1x4xf32>
  memref.copy %gv, %g : memref<1x4xf32, strided<[8, 1]>> to memref<1x4xf32>
  %uv = memref.subview %fused[0, 4] [1, 4] [1, 1] : memref<1x8xf32> to memref<1x4xf32, strided<[8, 1], offset: 4>>
  %q = memref.alloc() : memref<1x4xf32>
  memref.copy %uv, %q : memref<1x4xf32, strided<[8, 1], offset: 4>> to memref<1x4xf32>
  %r = memref.alloc() : memref<1x4xf32>
  %u = bitnet.call_kernel @k2(%g, %q, %r) {arg_types = [f32, f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = glu, target = cuda, name = "k2", m = 1, n = 4>}
      : (memref<1x4xf32>, memref<1x4xf32>, memref<1x4xf32>) -> i32
  %row = memref.subview %cache[%pos, 0] [1, 4] [1, 1] : memref<4x4xf32> to memref<1x4xf32, strided<[4, 1], offset: ?>>
  memref.copy %r, %row : memref<1x4xf32> to memref<1x4xf32, strided<[4, 1], offset: ?>>
  memref.dealloc %fused : memref<1x8xf32>
  memref.dealloc %g : memref<1x4xf32>
  memref.dealloc %q : memref<1x4xf32>
  memref.dealloc %r : memref<1x4xf32>
  %s = arith.ori %k, %u : i32
  return %s : i32
}

// -----

// A copy whose source a kernel overwrites before the copy's reader runs
// stays (as a copy kernel): reading in place would see the new data.
// CHECK-LABEL: func.func @source_overwritten
// CHECK: %[[Q:.*]] = memref.alloc() : memref<1x4xf32>
// CHECK: bitnet.call_kernel @demo_copy_{{.*}}(%{{.*}}, %[[Q]])
// CHECK: bitnet.call_kernel @k1
// CHECK: bitnet.call_kernel @k3(%[[Q]],
func.func @source_overwritten(%x: memref<1x8xf32>, %y: memref<1x4xf32>) -> i32 {
  %fused = memref.alloc() : memref<1x8xf32>
  %k = bitnet.call_kernel @k1(%x, %x, %fused) {arg_types = [f32, f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = add, target = cuda, name = "k1", m = 1, n = 8>}
      : (memref<1x8xf32>, memref<1x8xf32>, memref<1x8xf32>) -> i32
  %split = memref.subview %fused[0, 4] [1, 4] [1, 1] : memref<1x8xf32> to memref<1x4xf32, strided<[8, 1], offset: 4>>
  %q = memref.alloc() : memref<1x4xf32>
  memref.copy %split, %q : memref<1x4xf32, strided<[8, 1], offset: 4>> to memref<1x4xf32>
  %k2 = bitnet.call_kernel @k1(%x, %x, %fused) {arg_types = [f32, f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = add, target = cuda, name = "k1", m = 1, n = 8>}
      : (memref<1x8xf32>, memref<1x8xf32>, memref<1x8xf32>) -> i32
  %u = bitnet.call_kernel @k3(%q, %y) {arg_types = [f32, f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k3", m = 1, n = 4>}
      : (memref<1x4xf32>, memref<1x4xf32>) -> i32
  memref.dealloc %fused : memref<1x8xf32>
  memref.dealloc %q : memref<1x4xf32>
  %s = arith.ori %k, %u : i32
  %t = arith.ori %s, %k2 : i32
  return %t : i32
}

// -----

// Copies the copy kernel cannot do (int8 codes here) stay on the host,
// bracketed like any host access; CPU glue is left as it is.
// CHECK-LABEL: func.func @codes
// CHECK: %[[H1:.*]] = bitnet.device_to_host %[[SRC:.*]] : memref<4xi8>
// CHECK: %[[H2:.*]] = bitnet.device_to_host %[[DST:.*]] : memref<4xi8>
// CHECK: memref.copy %[[SRC]], %[[DST]]
// CHECK-NEXT: bitnet.host_written %[[DST]]
// CHECK-LABEL: func.func @cpu
// CHECK-NOT: bitnet.device_to_host
// CHECK: memref.copy
func.func @codes(%a: memref<4xi8>, %b: memref<4xi8>) -> i32 {
  %s = bitnet.call_kernel @k2(%a, %b) {arg_types = [si8, si8], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = opencl, name = "k2", m = 1, n = 4>}
      : (memref<4xi8>, memref<4xi8>) -> i32
  memref.copy %a, %b : memref<4xi8> to memref<4xi8>
  return %s : i32
}
func.func @cpu(%a: memref<4xf32>, %b: memref<4xf32>) -> i32 {
  %s = bitnet.call_kernel @k3(%a, %b) {arg_types = [f32, f32],
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = "x86-64-avx2", name = "k3", m = 1, n = 4>}
      : (memref<4xf32>, memref<4xf32>) -> i32
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  return %s : i32
}

// -----

// expected-error @+1 {{device calls in a function without one i32 status result}}
func.func @no_status(%a: memref<4xf32>) {
  %s = bitnet.call_kernel @k4(%a) {arg_types = [f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k4", m = 1, n = 4>}
      : (memref<4xf32>) -> i32
  return
}

// -----

// expected-error @+1 {{device calls in a function of several blocks}}
func.func @blocks(%a: memref<4xf32>, %c: i1) -> i32 {
  %s = bitnet.call_kernel @k5(%a) {arg_types = [f32], device,
      bitnet.kernel_spec = #bitnet.kernel<kind = copy, target = cuda, name = "k5", m = 1, n = 4>}
      : (memref<4xf32>) -> i32
  cf.br ^next
^next:
  return %s : i32
}
