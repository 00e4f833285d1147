// RUN: bitnet-opt %s --bitnet-split-logits -split-input-file -verify-diagnostics | FileCheck %s

// Two entry points: each returns its hidden states and names its head; the
// 1-token entry's head is the one-row head. The tied table stays in the body
// (the embedding gathers from it) and is cloned into the heads.
// CHECK-LABEL: func.func @m_m1(
// CHECK-SAME: -> (tensor<1x4xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) attributes {bitnet.logits = @m_m1_logits}
// CHECK: %[[E:.*]] = bitnet.embedding
// CHECK-NOT: bitnet.rms_norm
// CHECK-NOT: bitnet.float_linear
// CHECK: return %[[E]], %{{.*}}, %{{.*}} :
// CHECK-LABEL: func.func @m_m2(
// CHECK-SAME: -> (tensor<2x4xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) attributes {bitnet.logits = @m_m2_logits}
// CHECK-LABEL: func.func @m_m1_logits(
// CHECK-SAME: %[[H:.*]]: tensor<1x4xf32>) -> tensor<1x6xf32> attributes {bitnet.last_logits}
// CHECK: %[[W:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = bitnet.rms_norm %[[H]], %[[W]] {epsilon = 9.99999997E-7 : f32} : tensor<1x4xf32>, tensor<4xf32>
// CHECK: %[[T:.*]] = arith.constant dense<5.000000e-01> : tensor<6x4xf16>
// CHECK: %[[L:.*]] = bitnet.float_linear %[[N]], %[[T]] : tensor<1x4xf32>, tensor<6x4xf16> -> tensor<1x6xf32>
// CHECK: return %[[L]] : tensor<1x6xf32>
// CHECK-LABEL: func.func @m_m2_logits(
// CHECK-SAME: %[[H2:.*]]: tensor<2x4xf32>) -> tensor<2x6xf32> {
// CHECK: bitnet.rms_norm %[[H2]]
// CHECK-NOT: func.func @m_m2_last_logits
func.func @m_m1(%tok: tensor<1xi32>, %pos: i32, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>)
    -> (tensor<1x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
  %t = arith.constant dense<0.5> : tensor<6x4xf16>
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = bitnet.embedding %t, %tok : tensor<6x4xf16>, tensor<1xi32> -> tensor<1x4xf32>
  %n = bitnet.rms_norm %e, %w {epsilon = 1.0e-6 : f32} : tensor<1x4xf32>, tensor<4xf32>
  %l = bitnet.float_linear %n, %t : tensor<1x4xf32>, tensor<6x4xf16> -> tensor<1x6xf32>
  return %l, %k, %v : tensor<1x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
}
func.func @m_m2(%tok: tensor<2xi32>, %pos: i32, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>)
    -> (tensor<2x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
  %t = arith.constant dense<0.5> : tensor<6x4xf16>
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = bitnet.embedding %t, %tok : tensor<6x4xf16>, tensor<2xi32> -> tensor<2x4xf32>
  %n = bitnet.rms_norm %e, %w {epsilon = 1.0e-6 : f32} : tensor<2x4xf32>, tensor<4xf32>
  %l = bitnet.float_linear %n, %t : tensor<2x4xf32>, tensor<6x4xf16> -> tensor<2x6xf32>
  return %l, %k, %v : tensor<2x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
}

// -----

// Without a 1-token entry a one-row head is built from the first entry's
// head, with one-row activation types; the untied head's table leaves the
// body.
// CHECK-LABEL: func.func @m_m3(
// CHECK-SAME: attributes {bitnet.logits = @m_m3_logits}
// CHECK-NOT: tensor<6x4xf16>
// CHECK: return
// CHECK-LABEL: func.func @m_m3_logits(
// CHECK-SAME: tensor<3x4xf32>) -> tensor<3x6xf32> {
// CHECK-LABEL: func.func @m_m3_last_logits(
// CHECK-SAME: %[[H:.*]]: tensor<1x4xf32>) -> tensor<1x6xf32> attributes {bitnet.last_logits}
// CHECK: %[[N:.*]] = bitnet.rms_norm %[[H]], %{{.*}} : tensor<1x4xf32>, tensor<4xf32>
// CHECK: bitnet.float_linear %[[N]], %{{.*}} : tensor<1x4xf32>, tensor<6x4xf16> -> tensor<1x6xf32>
func.func @m_m3(%x: tensor<3x4xf32>, %pos: i32, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>)
    -> (tensor<3x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
  %t = arith.constant dense<0.25> : tensor<6x4xf16>
  %w = arith.constant dense<1.0> : tensor<4xf32>
  %n = bitnet.rms_norm %x, %w : tensor<3x4xf32>, tensor<4xf32>
  %l = bitnet.float_linear %n, %t : tensor<3x4xf32>, tensor<6x4xf16> -> tensor<3x6xf32>
  return %l, %k, %v : tensor<3x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
}

// -----

// Logits computed without a final norm cannot be cut.
// expected-error @below {{'func.func' op cannot be split where its logits start: the LM head's input comes from 'bitnet.add', not from the final bitnet.rms_norm}}
func.func @no_norm(%x: tensor<1x4xf32>, %pos: i32, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>)
    -> (tensor<1x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
  %t = arith.constant dense<0.25> : tensor<6x4xf16>
  %s = bitnet.add %x, %x : tensor<1x4xf32>
  %l = bitnet.float_linear %s, %t : tensor<1x4xf32>, tensor<6x4xf16> -> tensor<1x6xf32>
  return %l, %k, %v : tensor<1x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
}

// -----

// Logits that are not a head's output.
// expected-error @below {{cannot be split where its logits start: its logits are not computed by bitnet.float_linear or bitnet.int8_linear}}
func.func @not_a_head(%x: tensor<1x6xf32>, %pos: i32, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>)
    -> (tensor<1x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
  return %x, %k, %v : tensor<1x6xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>
}

// -----

// A function of another signature is left alone.
// CHECK-LABEL: func.func @helper(
// CHECK-NOT: bitnet.logits
// CHECK: bitnet.float_linear
func.func @helper(%x: tensor<1x4xf32>) -> tensor<1x6xf32> {
  %t = arith.constant dense<0.25> : tensor<6x4xf16>
  %l = bitnet.float_linear %x, %t : tensor<1x4xf32>, tensor<6x4xf16> -> tensor<1x6xf32>
  return %l : tensor<1x6xf32>
}

// -----

// The attributes are verified.
// expected-error @below {{'bitnet.logits' names @missing, which is not a function}}
func.func @bad_ref(%x: tensor<1x4xf32>) -> tensor<1x4xf32> attributes {bitnet.logits = @missing} {
  return %x : tensor<1x4xf32>
}

// -----

// expected-error @below {{unknown bitnet attribute 'bitnet.logit'}}
func.func @misspelt(%x: tensor<1x4xf32>) -> tensor<1x4xf32> attributes {bitnet.logit = @misspelt} {
  return %x : tensor<1x4xf32>
}
