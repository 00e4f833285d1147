// RUN: bitnet-opt %s | bitnet-opt | FileCheck %s
// RUN: bitnet-opt %s --mlir-print-op-generic | bitnet-opt | FileCheck %s

// Round trip of every bitnet op, in the custom form and through the generic
// form.

//===----------------------------------------------------------------------===//
// bitnet.constant
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @constant_dense
func.func @constant_dense() -> tensor<2x2xi2> {
  // CHECK: %[[W:.*]] = bitnet.constant dense<{{\[}}[1, 0], [-1, 1]]> : tensor<2x2xi2>
  // CHECK: return %[[W]] : tensor<2x2xi2>
  %w = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  return %w : tensor<2x2xi2>
}

// Checkpoint weights stay in the checkpoint; the IR names them and what is
// derived from them.
// CHECK-LABEL: func.func @constant_checkpoint
func.func @constant_checkpoint() -> (tensor<4x128xi2>, tensor<128xi8, #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>>, tensor<8x4xi8>, tensor<8xf32>) {
  // CHECK: bitnet.constant #bitnet.weights<concat(#bitnet.weights<"blk.0.attn_q.weight"> : tensor<2x128xi2>, #bitnet.weights<"blk.0.attn_k.weight"> : tensor<2x128xi2>)> : tensor<4x128xi2>
  %w = bitnet.constant #bitnet.weights<concat(#bitnet.weights<"blk.0.attn_q.weight"> : tensor<2x128xi2>, #bitnet.weights<"blk.0.attn_k.weight"> : tensor<2x128xi2>)> : tensor<4x128xi2>
  // CHECK: bitnet.constant #bitnet.weights<pack(#bitnet.weights<"w"> : tensor<4x128xi2>), #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>> : tensor<128xi8, #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>>
  %p = bitnet.constant #bitnet.weights<pack(#bitnet.weights<"w"> : tensor<4x128xi2>), #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>> : tensor<128xi8, #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>>
  // CHECK: arith.constant #bitnet.weights<int8_rows(#bitnet.weights<"token_embd.weight"> : tensor<8x4xf16>)> : tensor<8x4xi8>
  %c = arith.constant #bitnet.weights<int8_rows(#bitnet.weights<"token_embd.weight"> : tensor<8x4xf16>)> : tensor<8x4xi8>
  // CHECK: arith.constant #bitnet.weights<row_scales(#bitnet.weights<"token_embd.weight"> : tensor<8x4xf16>)> : tensor<8xf32>
  %s = arith.constant #bitnet.weights<row_scales(#bitnet.weights<"token_embd.weight"> : tensor<8x4xf16>)> : tensor<8xf32>
  return %w, %p, %c, %s : tensor<4x128xi2>, tensor<128xi8, #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>>, tensor<8x4xi8>, tensor<8xf32>
}

// CHECK-LABEL: func.func @constant_splat
func.func @constant_splat() -> tensor<3x4xi2> {
  // CHECK: bitnet.constant dense<-1> : tensor<3x4xi2>
  %w = bitnet.constant dense<-1> : tensor<3x4xi2>
  return %w : tensor<3x4xi2>
}

// dense_resource stores one byte per element (the sign-extended value).
// CHECK-LABEL: func.func @constant_dense_resource
func.func @constant_dense_resource() -> tensor<2x2xi2> {
  // CHECK: %[[W:.*]] = bitnet.constant dense_resource<ternary_2x2> : tensor<2x2xi2>
  // CHECK: return %[[W]]
  %w = bitnet.constant dense_resource<ternary_2x2> : tensor<2x2xi2>
  return %w : tensor<2x2xi2>
}

// offset2, row [-1, 0, 1, 1] -> codes 0,1,2,2 -> 0b10100100 = 0xA4 = -92;
// row [0, -1, -1, -1] -> codes 1,0,0,0 -> 0x01.
// CHECK-LABEL: func.func @constant_packed_offset2
func.func @constant_packed_offset2() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  // CHECK: %[[P:.*]] = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  // CHECK: return %[[P]]
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

// offset2 holding binary weights: row [-1, 1, 1, -1] -> codes 0,2,2,0 = 0x28.
// CHECK-LABEL: func.func @constant_packed_offset2_binary
func.func @constant_packed_offset2_binary() -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>> {
  // CHECK: bitnet.constant dense<40> : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  %p = bitnet.constant dense<40> : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
}

// base3, [1, 0, -1, 0, 1] -> v = 2*81 + 1*27 + 0*9 + 1*3 + 2 = 194,
// ceil(194 * 256 / 243) = 205 = -51 as i8.
// CHECK-LABEL: func.func @constant_packed_base3
func.func @constant_packed_base3() -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>> {
  // CHECK: bitnet.constant dense<-51> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  %p = bitnet.constant dense<-51> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return %p : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
}

// bits1, [1, -1, 1, 1, -1, -1, -1, 1] -> 0b10001101 = 0x8D = -115 as i8.
// CHECK-LABEL: func.func @constant_packed_bits1
func.func @constant_packed_bits1() -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>> {
  // CHECK: bitnet.constant dense<-115> : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
  %p = bitnet.constant dense<-115> : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
}

// A packed constant stored as a dense_resource (one byte per byte).
// CHECK-LABEL: func.func @constant_packed_resource
func.func @constant_packed_resource() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  // CHECK: bitnet.constant dense_resource<packed_2x4> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  %p = bitnet.constant dense_resource<packed_2x4> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

//===----------------------------------------------------------------------===//
// bitnet.quantize_weights
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @quantize_weights_ternary
// CHECK-SAME: (%[[W:.*]]: tensor<64x128xf32>)
func.func @quantize_weights_ternary(%w: tensor<64x128xf32>) -> (tensor<64x128xi2>, f32) {
  // CHECK: %[[T:.*]], %[[G:.*]] = bitnet.quantize_weights ternary %[[W]] : tensor<64x128xf32> -> tensor<64x128xi2>
  // CHECK: return %[[T]], %[[G]] : tensor<64x128xi2>, f32
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<64x128xf32> -> tensor<64x128xi2>
  return %t, %gamma : tensor<64x128xi2>, f32
}

// CHECK-LABEL: func.func @quantize_weights_binary
// CHECK-SAME: (%[[W:.*]]: tensor<8x16xf16>)
func.func @quantize_weights_binary(%w: tensor<8x16xf16>) -> (tensor<8x16xi2>, f32) {
  // CHECK: %[[T:.*]], %[[G:.*]] = bitnet.quantize_weights binary %[[W]] : tensor<8x16xf16> -> tensor<8x16xi2>
  // CHECK: return %[[T]], %[[G]]
  %t, %gamma = bitnet.quantize_weights binary %w : tensor<8x16xf16> -> tensor<8x16xi2>
  return %t, %gamma : tensor<8x16xi2>, f32
}

// CHECK-LABEL: func.func @quantize_weights_dynamic
func.func @quantize_weights_dynamic(%w: tensor<?x64xbf16>) -> tensor<?x64xi2> {
  // CHECK: bitnet.quantize_weights ternary %{{.*}} : tensor<?x64xbf16> -> tensor<?x64xi2>
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<?x64xbf16> -> tensor<?x64xi2>
  return %t : tensor<?x64xi2>
}

//===----------------------------------------------------------------------===//
// bitnet.pack
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @pack_offset2
// CHECK-SAME: (%[[T:.*]]: tensor<64x128xi2>)
func.func @pack_offset2(%t: tensor<64x128xi2>) -> tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> {
  // CHECK: %[[P:.*]] = bitnet.pack ternary %[[T]] : tensor<64x128xi2> -> tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
  // CHECK: return %[[P]]
  %p = bitnet.pack ternary %t : tensor<64x128xi2> -> tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
  return %p : tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
}

// CHECK-LABEL: func.func @pack_offset2_binary
func.func @pack_offset2_binary(%t: tensor<4x8xi2>) -> tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>> {
  // CHECK: bitnet.pack binary %{{.*}} : tensor<4x8xi2> -> tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>>
  %p = bitnet.pack binary %t : tensor<4x8xi2> -> tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>>
  return %p : tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>>
}

// N = 3, K = 7 padded to whole [2, 5] tiles: 4 rows x 2 bytes.
// CHECK-LABEL: func.func @pack_base3
func.func @pack_base3(%t: tensor<3x7xi2>) -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>> {
  // CHECK: bitnet.pack ternary %{{.*}} : tensor<3x7xi2> -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
  %p = bitnet.pack ternary %t : tensor<3x7xi2> -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
  return %p : tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
}

// CHECK-LABEL: func.func @pack_bits1
func.func @pack_bits1(%t: tensor<16x64xi2>) -> tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>> {
  // CHECK: bitnet.pack binary %{{.*}} : tensor<16x64xi2> -> tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>>
  %p = bitnet.pack binary %t : tensor<16x64xi2> -> tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>>
  return %p : tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>>
}

// A dynamic row count is compatible with the layout's shape.
// CHECK-LABEL: func.func @pack_dynamic
func.func @pack_dynamic(%t: tensor<?x8xi2>) -> tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>> {
  // CHECK: bitnet.pack ternary %{{.*}} : tensor<?x8xi2> -> tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>>
  %p = bitnet.pack ternary %t : tensor<?x8xi2> -> tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>>
  return %p : tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>>
}

//===----------------------------------------------------------------------===//
// bitnet.quantize_activations
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @quantize_activations
// CHECK-SAME: (%[[X:.*]]: tensor<1x128xf32>)
func.func @quantize_activations(%x: tensor<1x128xf32>) -> (tensor<1x128xi8>, tensor<1xf32>) {
  // CHECK: %[[Q:.*]], %[[S:.*]] = bitnet.quantize_activations %[[X]] : tensor<1x128xf32> -> tensor<1x128xi8>, tensor<1xf32>
  // CHECK: return %[[Q]], %[[S]]
  %q, %s = bitnet.quantize_activations %x : tensor<1x128xf32> -> tensor<1x128xi8>, tensor<1xf32>
  return %q, %s : tensor<1x128xi8>, tensor<1xf32>
}

// CHECK-LABEL: func.func @quantize_activations_dynamic
func.func @quantize_activations_dynamic(%x: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>) {
  // CHECK: bitnet.quantize_activations %{{.*}} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>
  %q, %s = bitnet.quantize_activations %x : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>
  return %q, %s : tensor<?x64xi8>, tensor<?xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.bitlinear
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @bitlinear_ternary
// CHECK-SAME: (%[[Q:.*]]: tensor<1x128xi8>, %[[S:.*]]: tensor<1xf32>, %[[W:.*]]: tensor<64x128xi2>, %[[G:.*]]: f32)
func.func @bitlinear_ternary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %gamma: f32) -> tensor<1x64xf32> {
  // CHECK: %[[Y:.*]] = bitnet.bitlinear ternary %[[Q]], %[[S]], %[[W]], %[[G]] : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  // CHECK: return %[[Y]]
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// CHECK-LABEL: func.func @bitlinear_binary
func.func @bitlinear_binary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %gamma: f32) -> tensor<1x64xf32> {
  // CHECK: bitnet.bitlinear binary %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  %y = bitnet.bitlinear binary %q, %s, %w, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// Binary bitlinear on a constant holding only -1 and +1.
// CHECK-LABEL: func.func @bitlinear_binary_constant
func.func @bitlinear_binary_constant(%q: tensor<1x2xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  // CHECK: %[[W:.*]] = bitnet.constant dense<{{\[}}[1, -1], [-1, -1]]> : tensor<2x2xi2>
  // CHECK: bitnet.bitlinear binary %{{.*}}, %{{.*}}, %[[W]], %{{.*}}
  %w = bitnet.constant dense<[[1, -1], [-1, -1]]> : tensor<2x2xi2>
  %y = bitnet.bitlinear binary %q, %s, %w, %gamma : tensor<1x2xi8>, tensor<1xf32>, tensor<2x2xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// CHECK-LABEL: func.func @bitlinear_packed_ternary
// CHECK-SAME: %[[P:[^:]*]]: tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
func.func @bitlinear_packed_ternary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %p: tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>, %gamma: f32) -> tensor<1x64xf32> {
  // CHECK: bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %[[P]], %{{.*}} : tensor<1x128xi8>, tensor<1xf32>, tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> -> tensor<1x64xf32>
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// CHECK-LABEL: func.func @bitlinear_packed_base3
func.func @bitlinear_packed_base3(%q: tensor<2x10xi8>, %s: tensor<2xf32>, %p: tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>>, %gamma: f32) -> tensor<2x2xf32> {
  // CHECK: bitnet.bitlinear ternary {{.*}} : tensor<2x10xi8>, tensor<2xf32>, tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>> -> tensor<2x2xf32>
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<2x10xi8>, tensor<2xf32>, tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @bitlinear_packed_binary
func.func @bitlinear_packed_binary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %p: tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>>, %gamma: f32) -> tensor<1x64xf32> {
  // CHECK: bitnet.bitlinear binary {{.*}} : tensor<1x128xi8>, tensor<1xf32>, tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>> -> tensor<1x64xf32>
  %y = bitnet.bitlinear binary %q, %s, %p, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// Packed constant weights consumed directly.
// CHECK-LABEL: func.func @bitlinear_packed_constant
func.func @bitlinear_packed_constant(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  // CHECK: %[[P:.*]] = bitnet.constant dense<[-92, 1]>
  // CHECK: bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %[[P]], %{{.*}}
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// CHECK-LABEL: func.func @bitlinear_dynamic
func.func @bitlinear_dynamic(%q: tensor<?x64xi8>, %s: tensor<?xf32>, %w: tensor<32x64xi2>, %gamma: f32) -> tensor<?x32xf32> {
  // CHECK: bitnet.bitlinear ternary {{.*}} : tensor<?x64xi8>, tensor<?xf32>, tensor<32x64xi2> -> tensor<?x32xf32>
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<?x64xi8>, tensor<?xf32>, tensor<32x64xi2> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.int8_linear
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @int8_linear
func.func @int8_linear(%q: tensor<2x128xi8>, %s: tensor<2xf32>, %w: tensor<256x128xi8>, %ws: tensor<256xf32>) -> tensor<2x256xf32> {
  // CHECK: bitnet.int8_linear %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x128xi8>, tensor<2xf32>, tensor<256x128xi8>, tensor<256xf32> -> tensor<2x256xf32>
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<2x128xi8>, tensor<2xf32>, tensor<256x128xi8>, tensor<256xf32> -> tensor<2x256xf32>
  return %y : tensor<2x256xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.float_linear
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @float_linear_f16
// CHECK-SAME: (%[[X:.*]]: tensor<1x128xf32>, %[[E:.*]]: tensor<256x128xf16>)
func.func @float_linear_f16(%x: tensor<1x128xf32>, %emb: tensor<256x128xf16>) -> tensor<1x256xf32> {
  // CHECK: %[[Y:.*]] = bitnet.float_linear %[[X]], %[[E]] : tensor<1x128xf32>, tensor<256x128xf16> -> tensor<1x256xf32>
  // CHECK: return %[[Y]]
  %y = bitnet.float_linear %x, %emb : tensor<1x128xf32>, tensor<256x128xf16> -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}

// CHECK-LABEL: func.func @float_linear_bf16
func.func @float_linear_bf16(%x: tensor<1x128xf32>, %w: tensor<64x128xbf16>) -> tensor<1x64xf32> {
  // CHECK: bitnet.float_linear %{{.*}}, %{{.*}} : tensor<1x128xf32>, tensor<64x128xbf16> -> tensor<1x64xf32>
  %y = bitnet.float_linear %x, %w : tensor<1x128xf32>, tensor<64x128xbf16> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// CHECK-LABEL: func.func @float_linear_f32
func.func @float_linear_f32(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x32xf32> {
  // CHECK: bitnet.float_linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %y = bitnet.float_linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.rms_norm
//===----------------------------------------------------------------------===//

// The default epsilon (1e-5) is elided.
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<1x128xf32>, %[[W:.*]]: tensor<128xf32>)
func.func @rms_norm(%x: tensor<1x128xf32>, %w: tensor<128xf32>) -> (tensor<1x128xf32>, tensor<1x128xf32>) {
  // CHECK: %[[A:.*]] = bitnet.rms_norm %[[X]], %[[W]] : tensor<1x128xf32>, tensor<128xf32>
  // CHECK: %[[B:.*]] = bitnet.rms_norm %[[X]], %[[W]] : tensor<1x128xf32>, tensor<128xf32>
  // CHECK: return %[[A]], %[[B]]
  %a = bitnet.rms_norm %x, %w : tensor<1x128xf32>, tensor<128xf32>
  %b = bitnet.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x128xf32>, tensor<128xf32>
  return %a, %b : tensor<1x128xf32>, tensor<1x128xf32>
}

// CHECK-LABEL: func.func @rms_norm_epsilon
func.func @rms_norm_epsilon(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  // CHECK: bitnet.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : tensor<?x64xf32>, tensor<64xf32>
  %y = bitnet.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xf32>
  return %y : tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.rope
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[Q:.*]]: tensor<1x128xf32>, %[[POS:.*]]: i32)
func.func @rope(%q: tensor<1x128xf32>, %pos: i32) -> tensor<1x128xf32> {
  // CHECK: %[[R:.*]] = bitnet.rope %[[Q]], %[[POS]] {head_dim = 32 : i64, theta = 5.000000e+05 : f32} : tensor<1x128xf32>
  // CHECK: return %[[R]]
  %r = bitnet.rope %q, %pos {head_dim = 32 : i64, theta = 5.0e+05 : f32} : tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}

// CHECK-LABEL: func.func @rope_dynamic
func.func @rope_dynamic(%q: tensor<?x64xf32>, %pos: i32) -> tensor<?x64xf32> {
  // CHECK: bitnet.rope %{{.*}}, %{{.*}} {head_dim = 16 : i64, theta = 1.000000e+04 : f32} : tensor<?x64xf32>
  %r = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 1.0e+04 : f32} : tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.rope_qkv
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rope_qkv
// CHECK-SAME: (%[[Q:.*]]: tensor<2x128xf32>, %[[K:.*]]: tensor<2x64xf32>, %[[V:.*]]: tensor<2x64xf32>, %[[POS:.*]]: i32)
func.func @rope_qkv(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %pos: i32)
    -> (tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>) {
  // CHECK: %[[QR:.*]], %[[KR:.*]], %[[VR:.*]] = bitnet.rope_qkv %[[Q]], %[[K]], %[[V]], %[[POS]] {head_dim = 32 : i64, theta = 5.000000e+05 : f32} : tensor<2x128xf32>, tensor<2x64xf32>
  // CHECK: return %[[QR]], %[[KR]], %[[VR]]
  %qr, %kr, %vr = bitnet.rope_qkv %q, %k, %v, %pos {head_dim = 32 : i64, theta = 5.0e+05 : f32}
      : tensor<2x128xf32>, tensor<2x64xf32>
  return %qr, %kr, %vr : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.kv_append
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @kv_append
// CHECK-SAME: (%[[C:.*]]: tensor<2x64x64xf32>, %[[K:.*]]: tensor<1x64xf32>, %[[POS:.*]]: i32)
func.func @kv_append(%c0: tensor<2x64x64xf32>, %k: tensor<1x64xf32>, %pos: i32) -> tensor<2x64x64xf32> {
  // CHECK: %[[C1:.*]] = bitnet.kv_append %[[C]], %[[K]], %[[POS]] {layer = 1 : i64} : tensor<2x64x64xf32>, tensor<1x64xf32>
  // CHECK: return %[[C1]]
  %c1 = bitnet.kv_append %c0, %k, %pos {layer = 1 : i64} : tensor<2x64x64xf32>, tensor<1x64xf32>
  return %c1 : tensor<2x64x64xf32>
}

// CHECK-LABEL: func.func @kv_append_dynamic
func.func @kv_append_dynamic(%c0: tensor<2x64x64xf32>, %k: tensor<?x64xf32>, %pos: i32) -> tensor<2x64x64xf32> {
  // CHECK: bitnet.kv_append %{{.*}}, %{{.*}}, %{{.*}} {layer = 0 : i64} : tensor<2x64x64xf32>, tensor<?x64xf32>
  %c1 = bitnet.kv_append %c0, %k, %pos {layer = 0 : i64} : tensor<2x64x64xf32>, tensor<?x64xf32>
  return %c1 : tensor<2x64x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.attention
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<1x128xf32>, %[[KC:.*]]: tensor<2x64x64xf32>, %[[VC:.*]]: tensor<2x64x64xf32>, %[[POS:.*]]: i32)
func.func @attention(%q: tensor<1x128xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %pos: i32) -> tensor<1x128xf32> {
  // CHECK: %[[O:.*]] = bitnet.attention %[[Q]], %[[KC]], %[[VC]], %[[POS]] {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  // CHECK: return %[[O]]
  %o = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return %o : tensor<1x128xf32>
}

// CHECK-LABEL: func.func @attention_dynamic
func.func @attention_dynamic(%q: tensor<?x64xf32>, %kc: tensor<1x16x64xf32>, %vc: tensor<1x16x64xf32>, %pos: i32) -> tensor<?x64xf32> {
  // CHECK: bitnet.attention {{.*}} {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64} : tensor<?x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  %o = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64} : tensor<?x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  return %o : tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.glu, bitnet.embedding, bitnet.add
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @glu
// CHECK-SAME: (%[[G:.*]]: tensor<1x384xf32>, %[[U:.*]]: tensor<1x384xf32>)
func.func @glu(%gate: tensor<1x384xf32>, %up: tensor<1x384xf32>) -> (tensor<1x384xf32>, tensor<1x384xf32>) {
  // CHECK: %[[R:.*]] = bitnet.glu relu2 %[[G]], %[[U]] : tensor<1x384xf32>
  // CHECK: %[[S:.*]] = bitnet.glu silu %[[G]], %[[U]] : tensor<1x384xf32>
  // CHECK: return %[[R]], %[[S]]
  %r = bitnet.glu relu2 %gate, %up : tensor<1x384xf32>
  %s = bitnet.glu silu %gate, %up : tensor<1x384xf32>
  return %r, %s : tensor<1x384xf32>, tensor<1x384xf32>
}

// CHECK-LABEL: func.func @glu_dynamic
func.func @glu_dynamic(%gate: tensor<?x64xf32>, %up: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // CHECK: bitnet.glu silu %{{.*}}, %{{.*}} : tensor<?x64xf32>
  %s = bitnet.glu silu %gate, %up : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:.*]]: tensor<256x128xf16>, %[[IDS:.*]]: tensor<1xi32>)
func.func @embedding(%table: tensor<256x128xf16>, %tokens: tensor<1xi32>) -> tensor<1x128xf32> {
  // CHECK: %[[X:.*]] = bitnet.embedding %[[T]], %[[IDS]] : tensor<256x128xf16>, tensor<1xi32> -> tensor<1x128xf32>
  // CHECK: return %[[X]]
  %x = bitnet.embedding %table, %tokens : tensor<256x128xf16>, tensor<1xi32> -> tensor<1x128xf32>
  return %x : tensor<1x128xf32>
}

// CHECK-LABEL: func.func @embedding_dynamic
func.func @embedding_dynamic(%table: tensor<256x64xbf16>, %tokens: tensor<?xi32>) -> tensor<?x64xf32> {
  // CHECK: bitnet.embedding %{{.*}}, %{{.*}} : tensor<256x64xbf16>, tensor<?xi32> -> tensor<?x64xf32>
  %x = bitnet.embedding %table, %tokens : tensor<256x64xbf16>, tensor<?xi32> -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:.*]]: tensor<1x128xf32>, %[[B:.*]]: tensor<1x128xf32>)
func.func @add(%a: tensor<1x128xf32>, %b: tensor<1x128xf32>) -> tensor<1x128xf32> {
  // CHECK: %[[S:.*]] = bitnet.add %[[A]], %[[B]] : tensor<1x128xf32>
  // CHECK: return %[[S]]
  %s = bitnet.add %a, %b : tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

// CHECK-LABEL: func.func @add_dynamic
func.func @add_dynamic(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // CHECK: bitnet.add %{{.*}}, %{{.*}} : tensor<?x64xf32>
  %s = bitnet.add %a, %b : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}


// CHECK-LABEL: func.func @rms_norm_quantize
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = bitnet.rms_norm_quantize %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
func.func @rms_norm_quantize(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>) {
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
  return %q, %s, %sum : tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
}

// CHECK-LABEL: func.func @glu_rms_norm_quantize
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = bitnet.glu_rms_norm_quantize silu %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
func.func @glu_rms_norm_quantize(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>) {
  %q, %s, %sum = bitnet.glu_rms_norm_quantize silu %g, %u, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
  return %q, %s, %sum : tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
}

// CHECK-LABEL: func.func @add_rms_norm_quantize
// CHECK: %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} = bitnet.add_rms_norm_quantize %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
func.func @add_rms_norm_quantize(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>) {
  %x, %q, %s, %sum = bitnet.add_rms_norm_quantize %a, %b, %w {epsilon = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
  return %x, %q, %s, %sum : tensor<?x64xf32>, tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
}

// CHECK-LABEL: func.func @bitlinear_fused
// CHECK: bitnet.bitlinear_fused ternary %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {segments = array<i64: 2, 1>} : tensor<?x4xi8>, tensor<?xf32>, tensor<3x4xi2>, tensor<2xf32> -> tensor<?x3xf32>
func.func @bitlinear_fused(%q: tensor<?x4xi8>, %s: tensor<?xf32>, %w: tensor<3x4xi2>, %g: tensor<2xf32>) -> tensor<?x3xf32> {
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 2, 1>} : tensor<?x4xi8>, tensor<?xf32>, tensor<3x4xi2>, tensor<2xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
// CHECK-LABEL: func.func @call_kernel
// CHECK: %{{.*}} = bitnet.call_kernel @k(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {arg_types = [si8, f32, ui16, f32]} : (memref<2x8xi8>, f32, memref<4x8xf16>, memref<2x4xf32>) -> i32
func.func @call_kernel(%a: memref<2x8xi8>, %g: f32, %t: memref<4x8xf16>, %y: memref<2x4xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a, %g, %t, %y) {arg_types = [si8, f32, ui16, f32]}
      : (memref<2x8xi8>, f32, memref<4x8xf16>, memref<2x4xf32>) -> i32
  return %s : i32
}

// A kernel spec in any key order and spelling prints in canonical order,
// every key given, the defaults filled in.
// CHECK-LABEL: func.func @call_kernel_spec
// CHECK: bitnet.call_kernel @add_k(%{{.*}}, %{{.*}}, %{{.*}}) {arg_types = [f32, f32, f32], bitnet.kernel_spec = #bitnet.kernel<kind = add, target = "x86-64-avx2", name = add_k, m = 2, n = 8, k = 0, vocab = 0, heads = 0, kv_heads = 0, head_dim = 0, context = 0, theta = 500000, eps = "9.99999975e-06", activation = relu2, weight_kind = ternary, format = offset2, tile = "1x4", rows_per_task = 0>}
func.func @call_kernel_spec(%a: memref<2x8xf32>, %b: memref<2x8xf32>, %y: memref<2x8xf32>) -> i32 {
  %s = bitnet.call_kernel @add_k(%a, %b, %y) {arg_types = [f32, f32, f32],
      bitnet.kernel_spec = #bitnet.kernel<n = 8, m = 2, name = "add_k", kind = add, target = "x86-64-avx2">}
      : (memref<2x8xf32>, memref<2x8xf32>, memref<2x8xf32>) -> i32
  return %s : i32
}

// A device call's view at a dynamic offset; the host side of a GPU glue.
// CHECK-LABEL: func.func @device_glue
// CHECK: bitnet.call_kernel @copy_k(%{{.*}}, %{{.*}}) {arg_types = [f32, f32], device} : (memref<1x8xf32>, memref<1x8xf32, strided<[8, 1], offset: ?>>) -> i32
// CHECK: %{{.*}} = bitnet.device_to_host %{{.*}} : memref<4x8xf32>
// CHECK: bitnet.host_written %{{.*}} : memref<4x8xf32>
func.func @device_glue(%x: memref<1x8xf32>, %cache: memref<4x8xf32>, %row: index) -> i32 {
  %v = memref.subview %cache[%row, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
  %s = bitnet.call_kernel @copy_k(%x, %v) {arg_types = [f32, f32], device}
      : (memref<1x8xf32>, memref<1x8xf32, strided<[8, 1], offset: ?>>) -> i32
  %h = bitnet.device_to_host %cache : memref<4x8xf32>
  bitnet.host_written %cache : memref<4x8xf32>
  %r = arith.ori %s, %h : i32
  return %r : i32
}


// The resources survive the round trip. The first 4 bytes of a blob are its
// alignment (little-endian u32); then one byte per element.
// CHECK: {-#
// CHECK: dialect_resources: {
// CHECK: builtin: {
// CHECK-DAG: ternary_2x2: "0x0400000001FFFF00"
// CHECK-DAG: packed_2x4: "0x04000000A401"

{-#
  dialect_resources: {
    builtin: {
      ternary_2x2: "0x0400000001FFFF00",
      packed_2x4: "0x04000000A401"
    }
  }
#-}
