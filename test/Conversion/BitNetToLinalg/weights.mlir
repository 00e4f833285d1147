// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s
// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s --check-prefix=NOBITNET

// No bitnet op, attribute or encoding survives the conversion.
// NOBITNET-NOT: bitnet.

//===----------------------------------------------------------------------===//
// bitnet.constant
//===----------------------------------------------------------------------===//

// Logical i2 weights become i8 with the same signed values (-1 stays -1).
// CHECK-LABEL: func.func @constant_dense
// CHECK-SAME: () -> tensor<2x2xi8>
// CHECK: %[[C:.*]] = arith.constant dense<{{\[}}[1, 0], [-1, 1]]> : tensor<2x2xi8>
// CHECK: return %[[C]] : tensor<2x2xi8>
func.func @constant_dense() -> tensor<2x2xi2> {
  %w = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  return %w : tensor<2x2xi2>
}

// -----

// CHECK-LABEL: func.func @constant_splat
// CHECK: arith.constant dense<-1> : tensor<3x4xi8>
func.func @constant_splat() -> tensor<3x4xi2> {
  %w = bitnet.constant dense<-1> : tensor<3x4xi2>
  return %w : tensor<3x4xi2>
}

// -----

// A dense_resource already holds one byte per element: only the type changes.
// CHECK-LABEL: func.func @constant_dense_resource
// CHECK: %[[C:.*]] = arith.constant dense_resource<logical_2x2> : tensor<2x2xi8>
// CHECK: return %[[C]] : tensor<2x2xi8>
// CHECK: logical_2x2: "0x0400000001FFFF00"
func.func @constant_dense_resource() -> tensor<2x2xi2> {
  %w = bitnet.constant dense_resource<logical_2x2> : tensor<2x2xi2>
  return %w : tensor<2x2xi2>
}

{-#
  dialect_resources: {
    builtin: {
      logical_2x2: "0x0400000001FFFF00"
    }
  }
#-}

// -----

// Packed constants keep their bytes and lose the #bitnet.packed encoding.
// CHECK-LABEL: func.func @constant_packed
// CHECK-SAME: () -> tensor<2xi8>
// CHECK: %[[C:.*]] = arith.constant dense<[-92, 1]> : tensor<2xi8>
// CHECK: return %[[C]] : tensor<2xi8>
func.func @constant_packed() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

// -----

// CHECK-LABEL: func.func @constant_packed_bits1
// CHECK: arith.constant dense<-115> : tensor<1xi8>
func.func @constant_packed_bits1() -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>> {
  %p = bitnet.constant dense<-115> : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
}

// -----

// CHECK-LABEL: func.func @constant_packed_resource
// CHECK: arith.constant dense_resource<packed_2x4> : tensor<2xi8>
func.func @constant_packed_resource() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %p = bitnet.constant dense_resource<packed_2x4> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

{-#
  dialect_resources: {
    builtin: {
      packed_2x4: "0x04000000A401"
    }
  }
#-}

//===----------------------------------------------------------------------===//
// bitnet.quantize_weights
//===----------------------------------------------------------------------===//

// -----

// Ternary: gamma = max(mean|W|, 1e-5) with the sum in f64 over both
// (reduction) dimensions, then T = clamp(roundeven(W / gamma), -1, 1) as i8.
// CHECK-LABEL: func.func @quantize_weights_ternary
// CHECK-SAME: (%[[W:.*]]: tensor<?x64xf32>) -> (tensor<?x64xi8>, f32)
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "reduction"]
// CHECK-SAME: ins(%[[W]] : tensor<?x64xf32>) outs(%{{.*}} : tensor<f64>)
// CHECK: math.absf
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.addf %{{.*}}, %{{.*}} : f64
// CHECK: %[[S:.*]] = tensor.extract %[[SUM]][] : tensor<f64>
// CHECK: %[[MEAN:.*]] = arith.divf %[[S]], %{{.*}} : f64
// CHECK: %[[MEAN32:.*]] = arith.truncf %[[MEAN]] : f64 to f32
// CHECK: %[[GAMMA:.*]] = arith.maximumf %[[MEAN32]], %[[EPS]] : f32
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[W]] : tensor<?x64xf32>) outs(%{{.*}} : tensor<?x64xi8>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i8):
// CHECK: %[[D:.*]] = arith.divf %[[IN]], %[[GAMMA]] : f32
// CHECK: %[[R:.*]] = math.roundeven %[[D]] : f32
// CHECK: %[[LO:.*]] = arith.maximumf %[[R]], %{{.*}} : f32
// CHECK: %[[HI:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK: %[[I8:.*]] = arith.fptosi %[[HI]] : f32 to i8
// CHECK: linalg.yield %[[I8]] : i8
// CHECK: return %[[T]], %[[GAMMA]] : tensor<?x64xi8>, f32
func.func @quantize_weights_ternary(%w: tensor<?x64xf32>) -> (tensor<?x64xi2>, f32) {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<?x64xf32> -> tensor<?x64xi2>
  return %t, %gamma : tensor<?x64xi2>, f32
}

// -----

// Binary: alpha = mean(W) (second f64 reduction, no absf), T = W > alpha ? 1 : -1.
// f16 weights are extended to f32 first.
// CHECK-LABEL: func.func @quantize_weights_binary
// CHECK-SAME: (%[[W:.*]]: tensor<4x8xf16>)
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: math.absf
// CHECK: %[[GAMMA:.*]] = arith.maximumf
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK-NOT: math.absf
// CHECK: linalg.yield
// CHECK: %[[ALPHA:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[T:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: i8):
// CHECK: %[[X:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[ALPHA]] : f32
// CHECK-DAG: %[[M1:.*]] = arith.constant -1 : i8
// CHECK-DAG: %[[P1:.*]] = arith.constant 1 : i8
// CHECK: %[[SEL:.*]] = arith.select %[[GT]], %[[P1]], %[[M1]] : i8
// CHECK: linalg.yield %[[SEL]] : i8
// CHECK: return %[[T]], %[[GAMMA]] : tensor<4x8xi8>, f32
func.func @quantize_weights_binary(%w: tensor<4x8xf16>) -> (tensor<4x8xi2>, f32) {
  %t, %gamma = bitnet.quantize_weights binary %w : tensor<4x8xf16> -> tensor<4x8xi2>
  return %t, %gamma : tensor<4x8xi2>, f32
}

//===----------------------------------------------------------------------===//
// bitnet.pack
//===----------------------------------------------------------------------===//

// -----

// offset2: one parallel loop over the bytes; four codes (w + 1) shifted by
// 0, 2, 4, 6 and or-ed, truncated to i8.
// CHECK-LABEL: func.func @pack_offset2
// CHECK-SAME: (%[[T:.*]]: tensor<2x8xi8>) -> tensor<4xi8>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xi8>
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: outs(%[[E]] : tensor<4xi8>)
// CHECK: linalg.index 0 : index
// CHECK: tensor.extract %[[T]][%{{.*}}, %{{.*}}] : tensor<2x8xi8>
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK-COUNT-3: tensor.extract %[[T]]
// CHECK: %[[B:.*]] = arith.trunci %{{.*}} : i32 to i8
// CHECK: linalg.yield %[[B]] : i8
// CHECK: return %[[P]] : tensor<4xi8>
func.func @pack_offset2(%t: tensor<2x8xi2>) -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>> {
  %p = bitnet.pack ternary %t : tensor<2x8xi2> -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
  return %p : tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
}

// -----

// base3: five codes accumulated as acc * 3 + code, then ceil(v * 256 / 243).
// CHECK-LABEL: func.func @pack_base3
// CHECK-SAME: (%[[T:.*]]: tensor<3x7xi8>) -> tensor<8xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-COUNT-5: tensor.extract %[[T]]
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : i32
// CHECK-DAG: %[[C242:.*]] = arith.constant 242 : i32
// CHECK-DAG: %[[C243:.*]] = arith.constant 243 : i32
// CHECK: %[[V256:.*]] = arith.muli %{{.*}}, %[[C256]] : i32
// CHECK: %[[V:.*]] = arith.addi %[[V256]], %[[C242]] : i32
// CHECK: %[[Q:.*]] = arith.divui %[[V]], %[[C243]] : i32
// CHECK: arith.trunci %[[Q]] : i32 to i8
func.func @pack_base3(%t: tensor<3x7xi2>) -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>> {
  %p = bitnet.pack ternary %t : tensor<3x7xi2> -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
  return %p : tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
}

// -----

// bits1: eight bits (w + 1) >> 1, shifted by their slot.
// CHECK-LABEL: func.func @pack_bits1
// CHECK-SAME: (%[[T:.*]]: tensor<4x16xi8>) -> tensor<8xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-COUNT-8: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i8
func.func @pack_bits1(%t: tensor<4x16xi2>) -> tensor<8xi8, #bitnet.packed<bits1, binary, shape = [4, 16], tile = [4, 16]>> {
  %p = bitnet.pack binary %t : tensor<4x16xi2> -> tensor<8xi8, #bitnet.packed<bits1, binary, shape = [4, 16], tile = [4, 16]>>
  return %p : tensor<8xi8, #bitnet.packed<bits1, binary, shape = [4, 16], tile = [4, 16]>>
}

// -----

// quantize_weights feeding pack: both lower, the i8 values flow straight in.
// CHECK-LABEL: func.func @quantize_then_pack
// CHECK: %[[T:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: math.roundeven
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK: tensor.extract %[[T]]
func.func @quantize_then_pack(%w: tensor<1x8xf32>) -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>> {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<1x8xf32> -> tensor<1x8xi2>
  %p = bitnet.pack ternary %t : tensor<1x8xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
}
