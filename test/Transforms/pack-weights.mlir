// RUN: bitnet-opt %s --bitnet-pack-weights -split-input-file -verify-diagnostics | FileCheck %s

// Row [-1, 0, 1, 1] in offset2 tile [1, 4]: codes 0, 1, 2, 2 -> 0b10100100
// = 0xA4 = -92; row [1, 1, 1, 1] -> 0xAA = -86.
// CHECK-LABEL: func.func @pack
// CHECK: %[[P:.*]] = bitnet.constant dense<[-92, -86]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
// CHECK: bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %[[P]], %{{.*}} :
// CHECK-NOT: bitnet.layout
func.func @pack(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Without a chosen layout nothing changes.
// CHECK-LABEL: func.func @no_layout
// CHECK: bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2>
func.func @no_layout(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @runtime_weights(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<2x4xi2>, %g: f32) -> tensor<1x2xf32> {
  // expected-error @+1 {{weights are not a compile-time constant; nothing is packed at run time}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Checkpoint weights are packed when the output is written: the constant
// names the packing.
// CHECK-LABEL: func.func @pack_checkpoint
// CHECK: %[[P:.*]] = bitnet.constant #bitnet.weights<pack(#bitnet.weights<"w"> : tensor<2x4xi2>), #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
// CHECK: bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %[[P]], %{{.*}} :
func.func @pack_checkpoint(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant #bitnet.weights<"w"> : tensor<2x4xi2>
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
