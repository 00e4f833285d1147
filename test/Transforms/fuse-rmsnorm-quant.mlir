// RUN: bitnet-opt %s --bitnet-fuse-rmsnorm-quant -split-input-file | FileCheck %s

// The fused op keeps the norm's epsilon (not the default 1e-5).
// CHECK-LABEL: func.func @fuse
// CHECK-SAME: (%[[X:.*]]: tensor<2x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK: %[[Q:.*]], %[[S:.*]], %{{.*}} = bitnet.rms_norm_quantize %[[X]], %[[W]] {epsilon = 9.99999997E-7 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
// CHECK-NOT: bitnet.rms_norm %
// CHECK-NOT: bitnet.quantize_activations
// CHECK: return %[[Q]], %[[S]]
func.func @fuse(%x: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2xf32>) {
  %a = bitnet.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<2x64xf32>, tensor<64xf32>
  %q, %s = bitnet.quantize_activations %a : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q, %s : tensor<2x64xi8>, tensor<2xf32>
}

// -----

// The normalised values are used elsewhere too: nothing is fused.
// CHECK-LABEL: func.func @shared
// CHECK: bitnet.rms_norm
// CHECK: bitnet.quantize_activations
// CHECK-NOT: bitnet.rms_norm_quantize
func.func @shared(%x: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2x64xf32>) {
  %a = bitnet.rms_norm %x, %w : tensor<2x64xf32>, tensor<64xf32>
  %q, %s = bitnet.quantize_activations %a : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q, %a : tensor<2x64xi8>, tensor<2x64xf32>
}

// -----

// A quantizer of something else stays.
// CHECK-LABEL: func.func @plain
// CHECK: bitnet.quantize_activations
func.func @plain(%x: tensor<2x64xf32>) -> tensor<2x64xi8> {
  %q, %s = bitnet.quantize_activations %x : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q : tensor<2x64xi8>
}
