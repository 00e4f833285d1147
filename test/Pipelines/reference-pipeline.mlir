// RUN: bitnet-opt %s --bitnet-reference-pipeline | FileCheck %s
// RUN: bitnet-opt %s --bitnet-reference-pipeline | FileCheck %s --check-prefix=CLEAN
// RUN: bitnet-opt %s --bitnet-reference-pipeline=bare-ptr-abi=false | FileCheck %s --check-prefix=DESC
// RUN: bitnet-opt %s --bitnet-reference-pipeline=bare-ptr-abi=false | FileCheck %s --check-prefix=CLEAN
// RUN: bitnet-opt %s --bitnet-reference-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR
// RUN: not bitnet-opt %s --bitnet-reference-pipeline=no-such-option=1 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not bitnet-opt %s --bitnet-reference-pipeline=bare-ptr-abi=maybe 2>&1 | FileCheck %s --check-prefix=BADVAL

// One decoder step of a tiny model: embedding, RMSNorm, BitLinear on packed
// constant weights, RoPE, KV cache append, attention, GLU, residual add and
// the f16 LM head. The updated KV caches alias the cache arguments, so the
// pipeline drops those results; the logits become a trailing out-parameter.

// With either ABI no tensor, memref, linalg, func or bitnet construct is left.
// CLEAN-NOT: bitnet.
// CLEAN-NOT: linalg.
// CLEAN-NOT: tensor.
// CLEAN-NOT: memref
// CLEAN-NOT: func.func
// CLEAN-NOT: func.return
// CLEAN-NOT: unrealized_conversion_cast

// The packed weights are a global of raw bytes.
// CHECK: llvm.mlir.global private constant @{{.*}}(dense<[-92, 1, 85, 40, -86, 85, 0, 1, 5, 5, 5, 5, 17, 17, 17, 17]> : tensor<16xi8>)

// Bare pointers for every buffer: tokens, pos, embedding table, norm weight,
// key cache, value cache, then the logits out-parameter; no result.
// CHECK-LABEL: llvm.func @step
// CHECK-SAME: (%[[TOKENS:.*]]: !llvm.ptr, %[[POS:.*]]: i32, %[[EMB:.*]]: !llvm.ptr, %[[NORM:.*]]: !llvm.ptr, %[[KC:.*]]: !llvm.ptr, %[[VC:.*]]: !llvm.ptr, %[[LOGITS:.*]]: !llvm.ptr)
// CHECK-NOT: -> 
// CHECK-SAME: {
// The new key and value rows are written into the caches in place.
// CHECK-DAG: llvm.getelementptr %[[KC]][%{{.*}}]
// CHECK-DAG: llvm.getelementptr %[[VC]][%{{.*}}]
// CHECK: %[[LOGITS]]
// CHECK-NOT: llvm.return %
// CHECK: llvm.return{{$}}
// CHECK-NEXT: }

// Without the bare pointer ABI each buffer is an expanded memref descriptor
// (allocated pointer, aligned pointer, offset, sizes, strides).
// DESC-LABEL: llvm.func @step
// DESC-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i32,
// DESC-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64,
// DESC-NOT: -> 
// DESC-SAME: {
// DESC: llvm.return{{$}}

// LLVMIR-LABEL: define void @step(ptr %0, i32 %1, ptr %2, ptr %3, ptr %4, ptr %5, ptr %6)
// LLVMIR: ret void

// BADOPT: no such option no-such-option

// BADVAL: 'maybe' is invalid value for boolean argument

func.func @step(%tokens: tensor<1xi32>, %pos: i32, %emb: tensor<16x8xf16>, %norm: tensor<8xf32>,
                %kc: tensor<1x4x8xf32>, %vc: tensor<1x4x8xf32>)
    -> (tensor<1x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  %x = bitnet.embedding %emb, %tokens : tensor<16x8xf16>, tensor<1xi32> -> tensor<1x8xf32>
  %h = bitnet.rms_norm %x, %norm : tensor<1x8xf32>, tensor<8xf32>
  %q, %s = bitnet.quantize_activations %h : tensor<1x8xf32> -> tensor<1x8xi8>, tensor<1xf32>
  %w = bitnet.constant dense<[-92, 1, 85, 40, -86, 85, 0, 1, 5, 5, 5, 5, 17, 17, 17, 17]> : tensor<16xi8, #bitnet.packed<offset2, ternary, shape = [8, 8], tile = [1, 8]>>
  %gamma = arith.constant 0.5 : f32
  %k = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x8xi8>, tensor<1xf32>, tensor<16xi8, #bitnet.packed<offset2, ternary, shape = [8, 8], tile = [1, 8]>> -> tensor<1x8xf32>
  %kr = bitnet.rope %k, %pos {head_dim = 4 : i64, theta = 1.0e+04 : f32} : tensor<1x8xf32>
  %kc1 = bitnet.kv_append %kc, %kr, %pos {layer = 0 : i64} : tensor<1x4x8xf32>, tensor<1x8xf32>
  %vc1 = bitnet.kv_append %vc, %h, %pos {layer = 0 : i64} : tensor<1x4x8xf32>, tensor<1x8xf32>
  %a = bitnet.attention %kr, %kc1, %vc1, %pos {layer = 0 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64} : tensor<1x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  %g = bitnet.glu silu %a, %h : tensor<1x8xf32>
  %r = bitnet.add %x, %g : tensor<1x8xf32>
  %logits = bitnet.float_linear %r, %emb : tensor<1x8xf32>, tensor<16x8xf16> -> tensor<1x16xf32>
  return %logits, %kc1, %vc1 : tensor<1x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
}
