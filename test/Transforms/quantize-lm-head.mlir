// RUN: bitnet-opt %s --bitnet-quantize-lm-head -split-input-file -verify-diagnostics | FileCheck %s

// Rows by hand (absmax, s = 127 / max|w|, codes = round_half_even(w * s),
// scale = 1 / s):
//   [1, -2, 0.5]       s = 63.5  -> [64 (63.5 rounds to even), -127, 32 (31.75)]
//   [0, 0, 0]          s = 127 / 1e-5 -> [0, 0, 0], scale 7.874e-08
//   [0.25, 0.5, -0.125] s = 254  -> [64, 127, -32]
// The returned float_linear (the head) is rewritten; the embedding keeps the
// f16 table; a float_linear that is not returned is left alone.
// CHECK-LABEL: func.func @tied_head
// CHECK-DAG: %[[TABLE:.*]] = arith.constant dense<{{.*}}> : tensor<3x3xf16>
// CHECK-DAG: %[[CODES:.*]] = arith.constant dense<{{\[\[}}64, -127, 32], [0, 0, 0], [64, 127, -32]]> : tensor<3x3xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense<[0.0157480314, 7.87401575E-8, 0.00393700786]> : tensor<3xf32>
// CHECK-DAG: %[[EMB:.*]] = bitnet.embedding %[[TABLE]]
// CHECK-DAG: %[[INNER:.*]] = bitnet.float_linear %{{.*}}, %[[TABLE]]
// CHECK: %[[Q:.*]], %[[S:.*]] = bitnet.quantize_activations %[[SUM:.*]] :
// CHECK: %[[LOGITS:.*]] = bitnet.int8_linear %[[Q]], %[[S]], %[[CODES]], %[[SCALES]] : tensor<2x3xi8>, tensor<2xf32>, tensor<3x3xi8>, tensor<3xf32> -> tensor<2x3xf32>
// CHECK: return %[[LOGITS]], %[[EMB]]
func.func @tied_head(%x: tensor<2x3xf32>, %tok: tensor<2xi32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<[[1.0, -2.0, 0.5], [0.0, 0.0, 0.0], [0.25, 0.5, -0.125]]> : tensor<3x3xf16>
  %e = bitnet.embedding %w, %tok : tensor<3x3xf16>, tensor<2xi32> -> tensor<2x3xf32>
  %inner = bitnet.float_linear %x, %w : tensor<2x3xf32>, tensor<3x3xf16> -> tensor<2x3xf32>
  %sum = bitnet.add %inner, %e : tensor<2x3xf32>
  %h = bitnet.float_linear %sum, %w : tensor<2x3xf32>, tensor<3x3xf16> -> tensor<2x3xf32>
  return %h, %e : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A splat head: every row [0.5, 0.5] -> codes 127, scale 0.5 / 127.
// CHECK-LABEL: func.func @splat_head
// CHECK-DAG: arith.constant dense<127> : tensor<4x2xi8>
// CHECK-DAG: arith.constant dense<0.00393700786> : tensor<4xf32>
// CHECK: bitnet.int8_linear
func.func @splat_head(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x2xf16>
  %h = bitnet.float_linear %x, %w : tensor<1x2xf32>, tensor<4x2xf16> -> tensor<1x4xf32>
  return %h : tensor<1x4xf32>
}

// -----

func.func @f32_head(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x2xf32>
  // expected-error @+1 {{is the LM head but its weights ('tensor<4x2xf32>') are not an f16 constant}}
  %h = bitnet.float_linear %x, %w : tensor<1x2xf32>, tensor<4x2xf32> -> tensor<1x4xf32>
  return %h : tensor<1x4xf32>
}

// -----

func.func @runtime_head(%x: tensor<1x2xf32>, %w: tensor<4x2xf16>) -> tensor<1x4xf32> {
  // expected-error @+1 {{are not an f16 constant; an int8 head is quantized from f16 weights at compile time}}
  %h = bitnet.float_linear %x, %w : tensor<1x2xf32>, tensor<4x2xf16> -> tensor<1x4xf32>
  return %h : tensor<1x4xf32>
}

// -----

// A checkpoint's table stays in the checkpoint: the codes and scales are
// quantized from it when the output is written.
// CHECK-LABEL: func.func @checkpoint_head
// CHECK-DAG: %[[CODES:.*]] = arith.constant #bitnet.weights<int8_rows(#bitnet.weights<"token_embd.weight"> : tensor<4x2xf16>)> : tensor<4x2xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant #bitnet.weights<row_scales(#bitnet.weights<"token_embd.weight"> : tensor<4x2xf16>)> : tensor<4xf32>
// CHECK: bitnet.int8_linear %{{.*}}, %{{.*}}, %[[CODES]], %[[SCALES]]
func.func @checkpoint_head(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %w = arith.constant #bitnet.weights<"token_embd.weight"> : tensor<4x2xf16>
  %h = bitnet.float_linear %x, %w : tensor<1x2xf32>, tensor<4x2xf16> -> tensor<1x4xf32>
  return %h : tensor<1x4xf32>
}
