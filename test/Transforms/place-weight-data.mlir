// RUN: bitnet-opt %s --bitnet-place-weight-data=symbol=m_weight_data -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not bitnet-opt %s --bitnet-place-weight-data -split-input-file 2>&1 | FileCheck %s --check-prefix=NONE

// Checkpoint weights and dense constants of at least 1024 bytes move into one
// external array, each at an offset aligned to 64 (or to its own, larger,
// alignment);
// their uses become the array plus the offset; small constants stay.
// CHECK: module attributes {bitnet.weight_data = {bytes = 4096 : i64, symbol = "m_weight_data", tensors = {{\[\[}}0, #bitnet.weights<"w"> : tensor<2048xi8>], [2048, dense<7> : tensor<1024xi8>], [3072, dense<1> : tensor<256xi32>]]}}
// CHECK: llvm.mlir.global external constant @m_weight_data() {addr_space = 0 : i32, alignment = 4096 : i64} : !llvm.array<4096 x i8>
// CHECK-NOT: @checkpoint
// CHECK-NOT: @big
// CHECK: llvm.mlir.global private constant @small(dense<3> : tensor<16xi8>)
// CHECK-LABEL: llvm.func @uses
// CHECK: %[[A:.*]] = llvm.mlir.addressof @m_weight_data : !llvm.ptr
// CHECK: %[[B:.*]] = llvm.mlir.addressof @m_weight_data : !llvm.ptr
// CHECK: %[[OFF:.*]] = llvm.mlir.constant(2048 : i64) : i64
// CHECK: %[[BIG:.*]] = llvm.getelementptr %[[B]][%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[C:.*]] = llvm.mlir.addressof @m_weight_data : !llvm.ptr
// CHECK: %[[OFF2:.*]] = llvm.mlir.constant(3072 : i64) : i64
// CHECK: %[[ALIGNED:.*]] = llvm.getelementptr %[[C]][%[[OFF2]]]
// CHECK: %[[S:.*]] = llvm.mlir.addressof @small : !llvm.ptr
// CHECK: llvm.insertvalue %[[A]], %{{.*}}[0]
// CHECK: llvm.insertvalue %[[BIG]], %{{.*}}[1]
// CHECK: llvm.insertvalue %[[ALIGNED]], %{{.*}}[2]
// CHECK: llvm.insertvalue %[[S]], %{{.*}}[3]
// NONE: error: holds checkpoint weights (#bitnet.weights) that only bitnet-compile writes out; this pipeline cannot lower them
llvm.mlir.global private constant @checkpoint(#bitnet.weights<"w"> : tensor<2048xi8>) {alignment = 64 : i64} : !llvm.array<2048 x i8>
llvm.mlir.global private constant @big(dense<7> : tensor<1024xi8>) {alignment = 64 : i64} : !llvm.array<1024 x i8>
llvm.mlir.global private constant @aligned(dense<1> : tensor<256xi32>) {alignment = 1024 : i64} : !llvm.array<256 x i32>
llvm.mlir.global private constant @small(dense<3> : tensor<16xi8>) {alignment = 64 : i64} : !llvm.array<16 x i8>
llvm.func @uses() -> !llvm.struct<(ptr, ptr, ptr, ptr)> {
  %a = llvm.mlir.addressof @checkpoint : !llvm.ptr
  %b = llvm.mlir.addressof @big : !llvm.ptr
  %c = llvm.mlir.addressof @aligned : !llvm.ptr
  %s = llvm.mlir.addressof @small : !llvm.ptr
  %u = llvm.mlir.undef : !llvm.struct<(ptr, ptr, ptr, ptr)>
  %u0 = llvm.insertvalue %a, %u[0] : !llvm.struct<(ptr, ptr, ptr, ptr)>
  %u1 = llvm.insertvalue %b, %u0[1] : !llvm.struct<(ptr, ptr, ptr, ptr)>
  %u2 = llvm.insertvalue %c, %u1[2] : !llvm.struct<(ptr, ptr, ptr, ptr)>
  %u3 = llvm.insertvalue %s, %u2[3] : !llvm.struct<(ptr, ptr, ptr, ptr)>
  llvm.return %u3 : !llvm.struct<(ptr, ptr, ptr, ptr)>
}

// -----

// A global whose type does not hold its checkpoint value is refused.
// expected-error @+1 {{is '!llvm.array<16 x i8>' but its #bitnet.weights value has 2048 bytes}}
llvm.mlir.global private constant @mismatch(#bitnet.weights<"w"> : tensor<2048xi8>) : !llvm.array<16 x i8>

// -----

// A dense constant that asks for more than the array's page alignment stays
// an LLVM constant.
// CHECK-LABEL: llvm.mlir.global private constant @overaligned_dense
// CHECK-SAME: alignment = 8192
llvm.mlir.global private constant @overaligned_dense(dense<1> : tensor<2048xi8>) {alignment = 8192 : i64} : !llvm.array<2048 x i8>

// -----

// Checkpoint weights that do are refused.
// expected-error @+1 {{asks for alignment 8192; the weight data is 4096-byte aligned}}
llvm.mlir.global private constant @overaligned(#bitnet.weights<"w"> : tensor<2048xi8>) {alignment = 8192 : i64} : !llvm.array<2048 x i8>
