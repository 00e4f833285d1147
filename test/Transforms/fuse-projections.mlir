// RUN: bitnet-opt %s --bitnet-fuse-projections -split-input-file | FileCheck %s

// q/k/v on one input: stacked weights, one scale per segment, slices.
// CHECK-LABEL: func.func @qkv
// CHECK-DAG: %[[W:.*]] = bitnet.constant dense<{{\[\[}}1, 0, -1, 1], [0, 1, 1, -1], [-1, -1, 0, 0], [1, 1, 1, 1]]> : tensor<4x4xi2>
// CHECK-DAG: %[[G:.*]] = tensor.from_elements %{{.*}}, %{{.*}}, %{{.*}} : tensor<3xf32>
// CHECK: %[[Y:.*]] = bitnet.bitlinear_fused ternary %{{.*}}, %{{.*}}, %[[W]], %[[G]] {segments = array<i64: 2, 1, 1>} : tensor<2x4xi8>, tensor<2xf32>, tensor<4x4xi2>, tensor<3xf32> -> tensor<2x4xf32>
// CHECK: %[[Q:.*]] = tensor.extract_slice %[[Y]][0, 0] [2, 2] [1, 1]
// CHECK: %[[K:.*]] = tensor.extract_slice %[[Y]][0, 2] [2, 1] [1, 1]
// CHECK: %[[V:.*]] = tensor.extract_slice %[[Y]][0, 3] [2, 1] [1, 1]
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @qkv(%a: tensor<2x4xi8>, %s: tensor<2xf32>) -> (tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>) {
  %wq = bitnet.constant dense<[[1, 0, -1, 1], [0, 1, 1, -1]]> : tensor<2x4xi2>
  %gq = arith.constant 0.5 : f32
  %q = bitnet.bitlinear ternary %a, %s, %wq, %gq : tensor<2x4xi8>, tensor<2xf32>, tensor<2x4xi2> -> tensor<2x2xf32>
  %wk = bitnet.constant dense<[[-1, -1, 0, 0]]> : tensor<1x4xi2>
  %gk = arith.constant 0.25 : f32
  %k = bitnet.bitlinear ternary %a, %s, %wk, %gk : tensor<2x4xi8>, tensor<2xf32>, tensor<1x4xi2> -> tensor<2x1xf32>
  %wv = bitnet.constant dense<[[1, 1, 1, 1]]> : tensor<1x4xi2>
  %gv = arith.constant 2.0 : f32
  %v = bitnet.bitlinear ternary %a, %s, %wv, %gv : tensor<2x4xi8>, tensor<2xf32>, tensor<1x4xi2> -> tensor<2x1xf32>
  return %q, %k, %v : tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>
}

// -----

// Different inputs (everything else equal, nothing in between): nothing
// fused.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: bitnet.bitlinear_fused
// CHECK: return
func.func @different_inputs(%a: tensor<1x4xi8>, %b: tensor<1x4xi8>, %s: tensor<1xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %w = bitnet.constant dense<[[1, 0, -1, 1]]> : tensor<1x4xi2>
  %g = arith.constant 0.5 : f32
  %x = bitnet.bitlinear ternary %a, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  %y = bitnet.bitlinear ternary %b, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  return %x, %y : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// The same input, but the first result is used before the second
// projection: nothing fused.
// CHECK-LABEL: func.func @used_early
// CHECK-NOT: bitnet.bitlinear_fused
// CHECK: return
func.func @used_early(%a: tensor<1x4xi8>, %s: tensor<1xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %w = bitnet.constant dense<[[1, 0, -1, 1]]> : tensor<1x4xi2>
  %g = arith.constant 0.5 : f32
  %x = bitnet.bitlinear ternary %a, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  %early = bitnet.add %x, %x : tensor<1x1xf32>
  %z = bitnet.bitlinear ternary %a, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<1x4xi2> -> tensor<1x1xf32>
  return %early, %z : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// Checkpoint weights are stacked when the output is written: the constant
// names the concatenation (a member already in the IR joins as it is).
// CHECK-LABEL: func.func @qkv_checkpoint
// CHECK: %[[W:.*]] = bitnet.constant #bitnet.weights<concat(#bitnet.weights<"q"> : tensor<2x4xi2>, #bitnet.weights<"k"> : tensor<1x4xi2>, dense<1> : tensor<1x4xi2>)> : tensor<4x4xi2>
// CHECK: bitnet.bitlinear_fused ternary %{{.*}}, %{{.*}}, %[[W]], %{{.*}} {segments = array<i64: 2, 1, 1>}
func.func @qkv_checkpoint(%a: tensor<2x4xi8>, %s: tensor<2xf32>) -> (tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>) {
  %wq = bitnet.constant #bitnet.weights<"q"> : tensor<2x4xi2>
  %gq = arith.constant 0.5 : f32
  %q = bitnet.bitlinear ternary %a, %s, %wq, %gq : tensor<2x4xi8>, tensor<2xf32>, tensor<2x4xi2> -> tensor<2x2xf32>
  %wk = bitnet.constant #bitnet.weights<"k"> : tensor<1x4xi2>
  %gk = arith.constant 0.25 : f32
  %k = bitnet.bitlinear ternary %a, %s, %wk, %gk : tensor<2x4xi8>, tensor<2xf32>, tensor<1x4xi2> -> tensor<2x1xf32>
  %wv = bitnet.constant dense<[[1, 1, 1, 1]]> : tensor<1x4xi2>
  %gv = arith.constant 2.0 : f32
  %v = bitnet.bitlinear ternary %a, %s, %wv, %gv : tensor<2x4xi8>, tensor<2xf32>, tensor<1x4xi2> -> tensor<2x1xf32>
  return %q, %k, %v : tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>
}
