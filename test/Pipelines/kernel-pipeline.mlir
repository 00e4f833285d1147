// The kernel pipeline ends in LLVM-dialect glue that builds halide_buffer_t
// descriptors and calls one kernel per compute op; the public function gains
// an i32 status result, caches are updated in place, logits are an
// out-parameter; the kernel list survives as a module attribute.
// RUN: bitnet-opt %s --bitnet-kernel-pipeline="target=x86-64-avx2 kernel-prefix=demo" | FileCheck %s
// Upstream mlir-translate reads the module's #bitnet.kernel list as opaque
// (bitnet-compile translates in-process with the dialect registered).
// RUN: bitnet-opt %s --bitnet-kernel-pipeline="target=x86-64-avx2 kernel-prefix=demo" | mlir-translate --allow-unregistered-dialect --mlir-to-llvmir | FileCheck %s --check-prefix=IR
// RUN: not bitnet-opt %s --bitnet-kernel-pipeline=target=sparc 2>&1 | FileCheck %s --check-prefix=BAD
// With runtime-allocator (what bitnet-compile asks for) the glue's buffers
// come from the model API's per-state reuse, not from malloc and free.
// RUN: bitnet-opt %s --bitnet-kernel-pipeline="target=x86-64-avx2 kernel-prefix=demo runtime-allocator=1" | FileCheck %s --check-prefix=ALLOC
// RUN: bitnet-opt %s --bitnet-kernel-pipeline="target=x86-64-avx2 kernel-prefix=demo" | FileCheck %s --check-prefix=MALLOC
// For a GPU target the glue keeps its buffers on the device: one device copy
// per argument and allocation, views of them for each kernel, the
// out-parameter written by the add kernel itself (no copy into it), and
// nothing copied to the host but the arguments handed back at the end.
// RUN: bitnet-opt %s --bitnet-kernel-pipeline="target=cuda-sm90 kernel-prefix=demo" | FileCheck %s --check-prefix=GPU --implicit-check-not=halide_copy_to_host --implicit-check-not=memcpy --implicit-check-not=demo_copy
// GPU-LABEL: llvm.func @step
// GPU-COUNT-3: llvm.call @bitnet_rt2_device_root
// GPU: llvm.call @malloc
// GPU: llvm.call @bitnet_rt2_device_root
// GPU: llvm.call @demo_glu_
// GPU: llvm.call @demo_add_
// GPU: llvm.call @bitnet_rt2_device_release
// GPU: llvm.call @free
// GPU-COUNT-3: llvm.call @bitnet_rt2_device_leave
// ALLOC-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// ALLOC-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// ALLOC-NOT: llvm.func @malloc
// MALLOC-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// MALLOC-DAG: llvm.func @free(!llvm.ptr)
// CHECK: module attributes {bitnet.kernels = {demo_add_{{[0-9a-f]+}} = #bitnet.kernel<kind = add
// CHECK-DAG: llvm.func @demo_add_{{[0-9a-f]+}}(!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @demo_glu_{{[0-9a-f]+}}(!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK: llvm.func @step(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK-NOT: bitnet.
// IR: define i32 @step(ptr %0, ptr %1, ptr %2)
// IR: call i32 @demo_glu_
// IR: call i32 @demo_add_
// BAD: error: unknown target 'sparc'
func.func @step(%x: tensor<1x16xf32>, %u: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %g = bitnet.glu silu %x, %u : tensor<1x16xf32>
  %y = bitnet.add %g, %x : tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
