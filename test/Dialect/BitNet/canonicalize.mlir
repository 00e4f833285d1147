// RUN: bitnet-opt %s -canonicalize -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// quantize_weights on a constant folds to bitnet.constant + arith.constant.
//===----------------------------------------------------------------------===//

// Ternary (absmean): mean|W| = (0.5 + 1.5 + 0 + 2.5) / 4 = 1.125;
// W / gamma = [0.444, -1.333, 0, 2.222] -> round, clamp -> [0, -1, 0, 1].
// CHECK-LABEL: func.func @quantize_weights_ternary
// CHECK-NOT: = bitnet.quantize_weights
// CHECK-DAG: %[[T:.*]] = bitnet.constant dense<{{\[}}[0, -1], [0, 1]]> : tensor<2x2xi2>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.125000e+00 : f32
// CHECK: return %[[T]], %[[G]] : tensor<2x2xi2>, f32
func.func @quantize_weights_ternary() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}

// -----

// Binary (sign around the mean): alpha = mean(W) = 1.5 / 4 = 0.375;
// +1 where W > alpha: [0.5, -1.5, 0.0, 2.5] -> [1, -1, -1, 1];
// gamma = mean|W| = 1.125.
// CHECK-LABEL: func.func @quantize_weights_binary
// CHECK-NOT: = bitnet.quantize_weights
// CHECK-DAG: %[[T:.*]] = bitnet.constant dense<{{\[}}[1, -1], [-1, 1]]> : tensor<2x2xi2>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.125000e+00 : f32
// CHECK: return %[[T]], %[[G]]
func.func @quantize_weights_binary() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
  %t, %gamma = bitnet.quantize_weights binary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}

// -----

// Rounding is half to even: mean|W| = 1, W / gamma = [0.5, -1.5, 1.5, 0.5]
// -> [0, -2, 2, 0] -> clamp -> [0, -1, 1, 0]. f16 input.
// CHECK-LABEL: func.func @quantize_weights_half_even_f16
// CHECK-DAG: %[[T:.*]] = bitnet.constant dense<{{\[}}[0, -1], [1, 0]]> : tensor<2x2xi2>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: return %[[T]], %[[G]]
func.func @quantize_weights_half_even_f16() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<[[0.5, -1.5], [1.5, 0.5]]> : tensor<2x2xf16>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf16> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}

// -----

// All zeros: gamma is floored at 1e-5 and every weight is 0. bf16 input.
// CHECK-LABEL: func.func @quantize_weights_zero_bf16
// CHECK-DAG: %[[T:.*]] = bitnet.constant dense<0> : tensor<2x2xi2>
// CHECK-DAG: %[[G:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: return %[[T]], %[[G]]
func.func @quantize_weights_zero_bf16() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<0.0> : tensor<2x2xbf16>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xbf16> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}

// -----

// Binary with every W equal to alpha: W > alpha is false, so all -1.
// CHECK-LABEL: func.func @quantize_weights_binary_equal_mean
// CHECK-DAG: %[[T:.*]] = bitnet.constant dense<-1> : tensor<2x2xi2>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: return %[[T]], %[[G]]
func.func @quantize_weights_binary_equal_mean() -> (tensor<2x2xi2>, f32) {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %t, %gamma = bitnet.quantize_weights binary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}

// -----

// Not folded: the weights are not a constant.
// CHECK-LABEL: func.func @quantize_weights_argument
// CHECK-SAME: (%[[W:.*]]: tensor<2x2xf32>)
// CHECK: %[[T:.*]], %[[G:.*]] = bitnet.quantize_weights ternary %[[W]]
// CHECK: return %[[T]], %[[G]]
func.func @quantize_weights_argument(%w: tensor<2x2xf32>) -> (tensor<2x2xi2>, f32) {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return %t, %gamma : tensor<2x2xi2>, f32
}

// -----

// Not folded: the result shape is dynamic.
// CHECK-LABEL: func.func @quantize_weights_dynamic_result
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<2x2xf32>
// CHECK: %[[T:.*]], %{{.*}} = bitnet.quantize_weights ternary %[[W]] : tensor<2x2xf32> -> tensor<?x2xi2>
// CHECK: return %[[T]]
func.func @quantize_weights_dynamic_result() -> tensor<?x2xi2> {
  %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<?x2xi2>
  return %t : tensor<?x2xi2>
}

// -----

// An unused quantize_weights is dead (Pure).
// CHECK-LABEL: func.func @quantize_weights_dead
// CHECK-NEXT: return
func.func @quantize_weights_dead(%w: tensor<2x2xf32>) {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return
}

//===----------------------------------------------------------------------===//
// pack on a constant folds to a packed bitnet.constant.
//===----------------------------------------------------------------------===//

// -----

// offset2, tile [1, 4]: row [-1, 0, 1, 1] -> codes 0,1,2,2 at bits 0,2,4,6
// -> 0b10100100 = 0xA4 = -92; row [0, -1, -1, -1] -> codes 1,0,0,0 -> 1.
// CHECK-LABEL: func.func @pack_offset2
// CHECK-NOT: = bitnet.pack
// CHECK: %[[P:.*]] = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
// CHECK: return %[[P]]
func.func @pack_offset2() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %t = bitnet.constant dense<[[-1, 0, 1, 1], [0, -1, -1, -1]]> : tensor<2x4xi2>
  %p = bitnet.pack ternary %t : tensor<2x4xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

// -----

// offset2 strides within a tile row: with tileK = 8 (2 bytes a row), byte j
// holds columns j, j+2, j+4, j+6. Codes [0,1,2,0,1,2,2,1]:
// byte 0 = cols 0,2,4,6 = codes 0,2,1,2 = 0b10011000 = 152 = -104;
// byte 1 = cols 1,3,5,7 = codes 1,0,2,1 = 0b01100001 = 97.
// CHECK-LABEL: func.func @pack_offset2_strided
// CHECK: bitnet.constant dense<[-104, 97]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
func.func @pack_offset2_strided() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>> {
  %t = bitnet.constant dense<[[-1, 0, 1, -1, 0, 1, 1, 0]]> : tensor<1x8xi2>
  %p = bitnet.pack ternary %t : tensor<1x8xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [1, 8], tile = [1, 8]>>
}

// -----

// offset2 padding: [1, -1, 0] + padding code 1 -> codes 2,0,1,1 = 0b01010010 = 82.
// CHECK-LABEL: func.func @pack_offset2_padding
// CHECK: bitnet.constant dense<82> : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
func.func @pack_offset2_padding() -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>> {
  %t = bitnet.constant dense<[[1, -1, 0]]> : tensor<1x3xi2>
  %p = bitnet.pack ternary %t : tensor<1x3xi2> -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
}

// -----

// Tiles are row-tile major, then column tile, rows inside a tile:
// tile (0,0) = rows [1,1,1,1], [0,0,0,0] -> 0xAA = -86, 0x55 = 85;
// tile (0,1) = rows [-1,-1,-1,-1], [1,0,-1,1] -> 0, codes 2,1,0,2 = 134 = -122.
// CHECK-LABEL: func.func @pack_offset2_tiles
// CHECK: bitnet.constant dense<[-86, 85, 0, -122]> : tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
func.func @pack_offset2_tiles() -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>> {
  %t = bitnet.constant dense<[[1, 1, 1, 1, -1, -1, -1, -1], [0, 0, 0, 0, 1, 0, -1, 1]]> : tensor<2x8xi2>
  %p = bitnet.pack ternary %t : tensor<2x8xi2> -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
  return %p : tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [2, 4]>>
}

// -----

// offset2 holding binary weights: [-1, 1, 1, -1] -> codes 0,2,2,0 = 40.
// CHECK-LABEL: func.func @pack_offset2_binary
// CHECK: bitnet.constant dense<40> : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
func.func @pack_offset2_binary() -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>> {
  %t = bitnet.constant dense<[[-1, 1, 1, -1]]> : tensor<1x4xi2>
  %p = bitnet.pack binary %t : tensor<1x4xi2> -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
}

// -----

// base3: [1, 0, -1, 0, 1] -> trits 2,1,0,1,2 -> v = 162 + 27 + 0 + 3 + 2 = 194,
// ceil(194 * 256 / 243) = 205 = -51 as i8.
// CHECK-LABEL: func.func @pack_base3
// CHECK: bitnet.constant dense<-51> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
func.func @pack_base3() -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>> {
  %t = bitnet.constant dense<[[1, 0, -1, 0, 1]]> : tensor<1x5xi2>
  %p = bitnet.pack ternary %t : tensor<1x5xi2> -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return %p : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
}

// -----

// base3 padding (trit 1): [1, -1, 0] -> trits 2,0,1,1,1 -> v = 162 + 9 + 3 + 1
// = 175, ceil(175 * 256 / 243) = 185 = -71.
// CHECK-LABEL: func.func @pack_base3_padding
// CHECK: bitnet.constant dense<-71> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>>
func.func @pack_base3_padding() -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>> {
  %t = bitnet.constant dense<[[1, -1, 0]]> : tensor<1x3xi2>
  %p = bitnet.pack ternary %t : tensor<1x3xi2> -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>>
  return %p : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 3], tile = [1, 5]>>
}

// -----

// bits1: [1, -1, 1, 1, -1, -1, -1, 1] -> bits 0,2,3,7 = 0x8D = -115.
// CHECK-LABEL: func.func @pack_bits1
// CHECK: bitnet.constant dense<-115> : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
func.func @pack_bits1() -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>> {
  %t = bitnet.constant dense<[[1, -1, 1, 1, -1, -1, -1, 1]]> : tensor<1x8xi2>
  %p = bitnet.pack binary %t : tensor<1x8xi2> -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
}

// -----

// bits1 strided with padding bit 0: tileK = 16 (2 bytes a row), byte j holds
// columns j, j+2, ..., j+14; byte 0 = cols 0,2,4,6 = +,+,-,- = 0b0011 = 3;
// byte 1 = cols 1,3,5,7 = -,+,-,+ = 0b1010 = 10.
// CHECK-LABEL: func.func @pack_bits1_padding
// CHECK: bitnet.constant dense<[3, 10]> : tensor<2xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 16]>>
func.func @pack_bits1_padding() -> tensor<2xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 16]>> {
  %t = bitnet.constant dense<[[1, -1, 1, 1, -1, -1, -1, 1]]> : tensor<1x8xi2>
  %p = bitnet.pack binary %t : tensor<1x8xi2> -> tensor<2xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 16]>>
  return %p : tensor<2xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 16]>>
}

// -----

// A dense_resource input (one byte per element) folds too:
// [-1, 0, 1, 1] -> -92.
// CHECK-LABEL: func.func @pack_dense_resource
// CHECK-NOT: = bitnet.pack
// CHECK: bitnet.constant dense<-92> : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>>
func.func @pack_dense_resource() -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>> {
  %t = bitnet.constant dense_resource<logical_1x4> : tensor<1x4xi2>
  %p = bitnet.pack ternary %t : tensor<1x4xi2> -> tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>>
}

{-#
  dialect_resources: {
    builtin: {
      logical_1x4: "0x04000000FF000101"
    }
  }
#-}

// -----

// quantize_weights then pack: both fold, down to one packed byte.
// mean|W| = 3.1 / 5 = 0.62; W / gamma = [1.61, 0, -1.61, 0.16, 1.61]
// -> [1, 0, -1, 0, 1] -> base3 byte -51.
// CHECK-LABEL: func.func @quantize_then_pack
// CHECK-NOT: = bitnet.quantize_weights
// CHECK-NOT: = bitnet.pack
// CHECK-DAG: %[[G:.*]] = arith.constant 6.200000e-01 : f32
// CHECK-DAG: %[[P:.*]] = bitnet.constant dense<-51> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
// CHECK: return %[[P]], %[[G]]
func.func @quantize_then_pack() -> (tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>, f32) {
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.1, 1.0]]> : tensor<1x5xf32>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<1x5xf32> -> tensor<1x5xi2>
  %p = bitnet.pack ternary %t : tensor<1x5xi2> -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return %p, %gamma : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>, f32
}

// -----

// Not folded: the logical weights are an argument.
// CHECK-LABEL: func.func @pack_argument
// CHECK-SAME: (%[[T:.*]]: tensor<2x4xi2>)
// CHECK: %[[P:.*]] = bitnet.pack ternary %[[T]]
// CHECK: return %[[P]]
func.func @pack_argument(%t: tensor<2x4xi2>) -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %p = bitnet.pack ternary %t : tensor<2x4xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

//===----------------------------------------------------------------------===//
// bitnet.constant
//===----------------------------------------------------------------------===//

// -----

// Identical constants are deduplicated.
// CHECK-LABEL: func.func @constant_dedup
// CHECK: %[[W:.*]] = bitnet.constant dense<{{\[}}[1, 0], [-1, 1]]> : tensor<2x2xi2>
// CHECK-NOT: bitnet.constant
// CHECK: return %[[W]], %[[W]]
func.func @constant_dedup() -> (tensor<2x2xi2>, tensor<2x2xi2>) {
  %a = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  %b = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  return %a, %b : tensor<2x2xi2>, tensor<2x2xi2>
}

// -----

// Ops on constants that have no folder stay.
// CHECK-LABEL: func.func @bitlinear_not_folded
// CHECK: %[[W:.*]] = bitnet.constant
// CHECK: %[[Y:.*]] = bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %[[W]], %{{.*}}
// CHECK: return %[[Y]]
func.func @bitlinear_not_folded(%q: tensor<1x2xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x2xi8>, tensor<1xf32>, tensor<2x2xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
