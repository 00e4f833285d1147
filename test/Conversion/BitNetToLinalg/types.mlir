// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s
// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s --check-prefix=NOBITNET

// No #bitnet.packed encoding and no i2 tensor survives.
// NOBITNET-NOT: bitnet.
// NOBITNET-NOT: xi2>

// Logical i2 tensors become i8 tensors in signatures and returns.
// CHECK-LABEL: func.func @logical_arguments
// CHECK-SAME: (%[[A:.*]]: tensor<2x2xi8>, %[[B:.*]]: tensor<?x?xi8>) -> (tensor<2x2xi8>, tensor<?x?xi8>)
// CHECK: return %[[A]], %[[B]] : tensor<2x2xi8>, tensor<?x?xi8>
func.func @logical_arguments(%a: tensor<2x2xi2>, %b: tensor<?x?xi2>) -> (tensor<2x2xi2>, tensor<?x?xi2>) {
  return %a, %b : tensor<2x2xi2>, tensor<?x?xi2>
}

// -----

// Packed tensors keep their i8 bytes and lose the encoding.
// CHECK-LABEL: func.func @packed_arguments
// CHECK-SAME: (%[[P:.*]]: tensor<2xi8>, %[[Q:.*]]: tensor<1024xi8>) -> (tensor<2xi8>, tensor<1024xi8>)
// CHECK: return %[[P]], %[[Q]] : tensor<2xi8>, tensor<1024xi8>
func.func @packed_arguments(%p: tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, %q: tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>>) -> (tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>>) {
  return %p, %q : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>>
}

// -----

// Other types are left alone.
// CHECK-LABEL: func.func @other_types
// CHECK-SAME: (%{{.*}}: tensor<2x2xf32>, %{{.*}}: tensor<4xi8>, %{{.*}}: f32, %{{.*}}: i32) -> tensor<2x2xf32>
func.func @other_types(%a: tensor<2x2xf32>, %b: tensor<4xi8>, %c: f32, %d: i32) -> tensor<2x2xf32> {
  return %a : tensor<2x2xf32>
}

// -----

// Declarations and calls are converted too.
// CHECK-LABEL: func.func private @external
// CHECK-SAME: (tensor<2x4xi8>) -> tensor<2xi8>
func.func private @external(tensor<2x4xi2>) -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>

// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[W:.*]]: tensor<2x4xi8>) -> tensor<2xi8>
// CHECK: %[[R:.*]] = call @external(%[[W]]) : (tensor<2x4xi8>) -> tensor<2xi8>
// CHECK: return %[[R]] : tensor<2xi8>
func.func @caller(%w: tensor<2x4xi2>) -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %r = func.call @external(%w) : (tensor<2x4xi2>) -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %r : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

// -----

// A converted argument flows into the lowered ops with its new type.
// CHECK-LABEL: func.func @argument_into_bitlinear
// CHECK-SAME: %[[P:[^:]*]]: tensor<2xi8>,
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<2x4xi8>)
// CHECK: tensor.extract %[[P]][%{{.*}}] : tensor<2xi8>
// CHECK-NOT: unrealized_conversion_cast
func.func @argument_into_bitlinear(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %p: tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, %gamma: f32) -> tensor<1x2xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Results of lowered ops that were i2 / packed are i8 at the return.
// CHECK-LABEL: func.func @results
// CHECK-SAME: (%[[W:.*]]: tensor<2x4xf32>) -> (tensor<2x4xi8>, tensor<2xi8>, f32)
// CHECK: %[[T:.*]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<2x4xi8>)
// CHECK: %[[P:.*]] = linalg.generic {{.*}}outs(%{{.*}} : tensor<2xi8>)
// CHECK: return %[[T]], %[[P]], %{{.*}} : tensor<2x4xi8>, tensor<2xi8>, f32
// CHECK-NOT: unrealized_conversion_cast
func.func @results(%w: tensor<2x4xf32>) -> (tensor<2x4xi2>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, f32) {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x4xf32> -> tensor<2x4xi2>
  %p = bitnet.pack ternary %t : tensor<2x4xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %t, %p, %gamma : tensor<2x4xi2>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, f32
}

// -----

// Ops of other dialects on i2 tensors are rebuilt with i8 types.
// CHECK-LABEL: func.func @foreign_op_on_i2
// CHECK-SAME: (%[[W:.*]]: tensor<2x2xi8>) -> tensor<?x2xi8>
// CHECK: %[[C:.*]] = tensor.cast %[[W]] : tensor<2x2xi8> to tensor<?x2xi8>
// CHECK: return %[[C]]
func.func @foreign_op_on_i2(%w: tensor<2x2xi2>) -> tensor<?x2xi2> {
  %c = tensor.cast %w : tensor<2x2xi2> to tensor<?x2xi2>
  return %c : tensor<?x2xi2>
}
