// RUN: bitnet-opt %s --bitnet-ternarize-weights -split-input-file -verify-diagnostics | FileCheck %s

// Values by hand: mean|W| = (0.5 + 1.5 + 0 + 2.5) / 4 = 1.125; W / 1.125 =
// [0.44, -1.33, 0, 2.22] -> [0, -1, 0, 1].
// CHECK-LABEL: func.func @ternary
// CHECK-DAG: %[[T:.*]] = bitnet.constant dense<{{\[\[}}0, -1], [0, 1]]> : tensor<2x2xi2>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.125000e+00 : f32
// CHECK-NOT: bitnet.quantize_weights
// CHECK: return %[[T]], %[[G]]
func.func @ternary() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
  %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %g : tensor<2x2xi2>, f32
}

// -----

// Binary: alpha = mean(W) = 0.375; +1 where W > alpha; gamma = mean|W|.
// CHECK-LABEL: func.func @binary
// CHECK-DAG: bitnet.constant dense<{{\[\[}}1, -1], [-1, 1]]> : tensor<2x2xi2>
// CHECK-DAG: arith.constant 1.125000e+00 : f32
func.func @binary() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
  %t, %g = bitnet.quantize_weights binary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %g : tensor<2x2xi2>, f32
}

// -----

func.func @runtime_weights(%w: tensor<2x2xf32>) -> (tensor<2x2xi2>, f32) {
  // expected-error @+1 {{weights are not a compile-time constant; a compiled model quantizes nothing at run time}}
  %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %g : tensor<2x2xi2>, f32
}
