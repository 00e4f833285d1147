// RUN: bitnet-opt %s --bitnet-fuse-rope -split-input-file | FileCheck %s

// An attention layer: the query's and the key's RoPE become one op that
// also returns the values, which the value append then reads; the key
// append reads the rotated keys from it.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[Q:.*]]: tensor<2x64xf32>, %[[K:.*]]: tensor<2x32xf32>, %[[V:.*]]: tensor<2x32xf32>, %[[KC:.*]]: tensor<2x64x32xf32>, %[[VC:.*]]: tensor<2x64x32xf32>, %[[POS:.*]]: i32)
// CHECK-NOT: bitnet.rope %
// CHECK: %[[QR:.*]], %[[KR:.*]], %[[VR:.*]] = bitnet.rope_qkv %[[Q]], %[[K]], %[[V]], %[[POS]] {head_dim = 16 : i64, theta = 5.000000e+05 : f32} : tensor<2x64xf32>, tensor<2x32xf32>
// CHECK-NOT: bitnet.rope %
// CHECK: %[[KC1:.*]] = bitnet.kv_append %[[KC]], %[[KR]], %[[POS]] {layer = 1 : i64}
// CHECK: %[[VC1:.*]] = bitnet.kv_append %[[VC]], %[[VR]], %[[POS]] {layer = 1 : i64}
// CHECK: bitnet.attention %[[QR]], %[[KC1]], %[[VC1]], %[[POS]]
func.func @layer(%q: tensor<2x64xf32>, %k: tensor<2x32xf32>, %v: tensor<2x32xf32>,
                 %kc: tensor<2x64x32xf32>, %vc: tensor<2x64x32xf32>, %pos: i32)
    -> (tensor<2x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>) {
  %qr = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<2x64xf32>
  %kr = bitnet.rope %k, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<2x32xf32>
  %kc1 = bitnet.kv_append %kc, %kr, %pos {layer = 1 : i64} : tensor<2x64x32xf32>, tensor<2x32xf32>
  %vc1 = bitnet.kv_append %vc, %v, %pos {layer = 1 : i64} : tensor<2x64x32xf32>, tensor<2x32xf32>
  %y = bitnet.attention %qr, %kc1, %vc1, %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<2x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
  return %y, %kc1, %vc1 : tensor<2x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
}

// -----

// The RoPEs differ in theta: nothing joined.
// CHECK-LABEL: func.func @different_theta
// CHECK-NOT: bitnet.rope_qkv
// CHECK: return
func.func @different_theta(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x32xf32>,
                           %kc: tensor<2x64x32xf32>, %vc: tensor<2x64x32xf32>, %pos: i32) -> tensor<1x64xf32> {
  %qr = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x64xf32>
  %kr = bitnet.rope %k, %pos {head_dim = 16 : i64, theta = 1.0e+04 : f32} : tensor<1x32xf32>
  %kc1 = bitnet.kv_append %kc, %kr, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %vc1 = bitnet.kv_append %vc, %v, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %y = bitnet.attention %qr, %kc1, %vc1, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<1x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
  return %y : tensor<1x64xf32>
}

// -----

// The values are appended at another position than the attention's:
// nothing joined.
// CHECK-LABEL: func.func @other_position
// CHECK-NOT: bitnet.rope_qkv
// CHECK: return
func.func @other_position(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x32xf32>,
                          %kc: tensor<2x64x32xf32>, %vc: tensor<2x64x32xf32>, %pos: i32,
                          %pos2: i32) -> tensor<1x64xf32> {
  %qr = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x64xf32>
  %kr = bitnet.rope %k, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x32xf32>
  %kc1 = bitnet.kv_append %kc, %kr, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %vc1 = bitnet.kv_append %vc, %v, %pos2 {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %y = bitnet.attention %qr, %kc1, %vc1, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<1x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
  return %y : tensor<1x64xf32>
}

// -----

// The rotated keys are read by another op too: nothing joined.
// CHECK-LABEL: func.func @keys_used_elsewhere
// CHECK-NOT: bitnet.rope_qkv
// CHECK: return
func.func @keys_used_elsewhere(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x32xf32>,
                               %kc: tensor<2x64x32xf32>, %vc: tensor<2x64x32xf32>, %pos: i32)
    -> (tensor<1x64xf32>, tensor<1x32xf32>) {
  %qr = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x64xf32>
  %kr = bitnet.rope %k, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x32xf32>
  %kc1 = bitnet.kv_append %kc, %kr, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %vc1 = bitnet.kv_append %vc, %v, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %y = bitnet.attention %qr, %kc1, %vc1, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<1x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
  return %y, %kr : tensor<1x64xf32>, tensor<1x32xf32>
}

// -----

// The values are computed after the query's RoPE, where the joined op
// would go: nothing joined.
// CHECK-LABEL: func.func @values_late
// CHECK-NOT: bitnet.rope_qkv
// CHECK: return
func.func @values_late(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v0: tensor<1x32xf32>,
                       %kc: tensor<2x64x32xf32>, %vc: tensor<2x64x32xf32>, %pos: i32) -> tensor<1x64xf32> {
  %qr = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x64xf32>
  %v = bitnet.add %v0, %v0 : tensor<1x32xf32>
  %kr = bitnet.rope %k, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x32xf32>
  %kc1 = bitnet.kv_append %kc, %kr, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %vc1 = bitnet.kv_append %vc, %v, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
  %y = bitnet.attention %qr, %kc1, %vc1, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<1x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
  return %y : tensor<1x64xf32>
}
