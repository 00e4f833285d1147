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

// -----

// A residual add feeding the norm joins it: the fused op returns the sum,
// which the next residual add (after the norm) reads.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[A:.*]]: tensor<2x64xf32>, %[[B:.*]]: tensor<2x64xf32>, %[[C:.*]]: tensor<2x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK: %[[X:.*]], %[[Q:.*]], %[[S:.*]], %{{.*}} = bitnet.add_rms_norm_quantize %[[A]], %[[B]], %[[W]] {epsilon = 9.99999997E-7 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
// CHECK-NOT: bitnet.rms_norm
// CHECK: %[[Y:.*]] = bitnet.add %[[X]], %[[C]]
// CHECK: return %[[Q]], %[[S]], %[[Y]]
func.func @residual(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %c: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2xf32>, tensor<2x64xf32>) {
  %x = bitnet.add %a, %b : tensor<2x64xf32>
  %n = bitnet.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<2x64xf32>, tensor<64xf32>
  %q, %s = bitnet.quantize_activations %n : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  %y = bitnet.add %x, %c : tensor<2x64xf32>
  return %q, %s, %y : tensor<2x64xi8>, tensor<2xf32>, tensor<2x64xf32>
}

// -----

// The sum is read before the norm: the fused op, in the norm's place, could
// not define it there, so the add stays (the norm and quantizer still fuse).
// CHECK-LABEL: func.func @sum_used_first
// CHECK: %[[X:.*]] = bitnet.add
// CHECK: bitnet.add %[[X]]
// CHECK: bitnet.rms_norm_quantize %[[X]]
// CHECK-NOT: bitnet.add_rms_norm_quantize
func.func @sum_used_first(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2x64xf32>) {
  %x = bitnet.add %a, %b : tensor<2x64xf32>
  %y = bitnet.add %x, %x : tensor<2x64xf32>
  %n = bitnet.rms_norm %x, %w : tensor<2x64xf32>, tensor<64xf32>
  %q, %s = bitnet.quantize_activations %n : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q, %y : tensor<2x64xi8>, tensor<2x64xf32>
}

// -----

// A norm without a quantizer (the final norm before a float LM head) keeps
// its add.
// CHECK-LABEL: func.func @final_norm
// CHECK: bitnet.add
// CHECK: bitnet.rms_norm
func.func @final_norm(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %w: tensor<64xf32>) -> tensor<2x64xf32> {
  %x = bitnet.add %a, %b : tensor<2x64xf32>
  %n = bitnet.rms_norm %x, %w : tensor<2x64xf32>, tensor<64xf32>
  return %n : tensor<2x64xf32>
}

// -----

// A GLU read only by the norm joins it (its activation and the norm's
// epsilon kept).
// CHECK-LABEL: func.func @glu
// CHECK-SAME: (%[[G:.*]]: tensor<2x64xf32>, %[[U:.*]]: tensor<2x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK: %[[Q:.*]], %[[S:.*]], %{{.*}} = bitnet.glu_rms_norm_quantize silu %[[G]], %[[U]], %[[W]] {epsilon = 9.99999997E-7 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
// CHECK-NOT: bitnet.glu
// CHECK: return %[[Q]], %[[S]]
func.func @glu(%g: tensor<2x64xf32>, %u: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2xf32>) {
  %m = bitnet.glu silu %g, %u : tensor<2x64xf32>
  %n = bitnet.rms_norm %m, %w {epsilon = 1.0e-06 : f32} : tensor<2x64xf32>, tensor<64xf32>
  %q, %s = bitnet.quantize_activations %n : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q, %s : tensor<2x64xi8>, tensor<2xf32>
}

// -----

// A GLU with another user stays (it is stored anyway).
// CHECK-LABEL: func.func @glu_shared
// CHECK: %[[M:.*]] = bitnet.glu relu2
// CHECK: bitnet.rms_norm_quantize %[[M]]
// CHECK: return {{.*}}, %[[M]]
func.func @glu_shared(%g: tensor<2x64xf32>, %u: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2x64xf32>) {
  %m = bitnet.glu relu2 %g, %u : tensor<2x64xf32>
  %n = bitnet.rms_norm %m, %w : tensor<2x64xf32>, tensor<64xf32>
  %q, %s = bitnet.quantize_activations %n : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q, %m : tensor<2x64xi8>, tensor<2x64xf32>
}
