// RUN: bitnet-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// #bitnet.packed: PackedLayoutAttr::verify
//===----------------------------------------------------------------------===//

// expected-error @+1 {{packed layout shape must be positive, got [0, 4]}}
func.func @packed_zero_rows(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [0, 4], tile = [1, 4]>>)

// -----

// expected-error @+1 {{packed layout shape must be positive, got [4, -8]}}
func.func @packed_negative_cols(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, -8], tile = [1, 4]>>)

// -----

// expected-error @+1 {{invalid packed layout: tileN must be positive, got 0}}
func.func @packed_zero_tile_rows(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, 4], tile = [0, 4]>>)

// -----

// expected-error @+1 {{invalid packed layout: tileK must be positive, got -4}}
func.func @packed_negative_tile_cols(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, 4], tile = [1, -4]>>)

// -----

// expected-error @+1 {{invalid packed layout: tileK of offset2 must be a multiple of 4, got 6}}
func.func @packed_offset2_tile(%p: tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [4, 12], tile = [1, 6]>>)

// -----

// expected-error @+1 {{invalid packed layout: tileK of base3 must be a multiple of 5, got 4}}
func.func @packed_base3_tile(%p: tensor<1xi8, #bitnet.packed<base3, ternary, shape = [4, 4], tile = [1, 4]>>)

// -----

// expected-error @+1 {{invalid packed layout: tileK of bits1 must be a multiple of 8, got 4}}
func.func @packed_bits1_tile(%p: tensor<1xi8, #bitnet.packed<bits1, binary, shape = [4, 4], tile = [1, 4]>>)

// -----

// expected-error @+1 {{invalid packed layout: bits1 holds binary weights only, not ternary}}
func.func @packed_bits1_ternary(%p: tensor<1xi8, #bitnet.packed<bits1, ternary, shape = [1, 8], tile = [1, 8]>>)

// -----

// expected-error @+1 {{invalid packed layout: base3 holds ternary weights only, not binary}}
func.func @packed_base3_binary(%p: tensor<1xi8, #bitnet.packed<base3, binary, shape = [1, 5], tile = [1, 5]>>)

// -----

// Unknown format keyword.
// expected-error @+2 {{expected ::mlir::bitnet::PackFormat to be one of: offset2, base3, bits1}}
// expected-error @+1 {{failed to parse BitNet_PackedLayoutAttr parameter 'format'}}
func.func @packed_unknown_format(%p: tensor<2xi8, #bitnet.packed<offset3, ternary, shape = [2, 4], tile = [1, 4]>>)

// -----

// Unknown kind keyword.
// expected-error @+2 {{expected ::mlir::bitnet::WeightKind to be one of: binary, ternary}}
// expected-error @+1 {{failed to parse BitNet_PackedLayoutAttr parameter 'kind'}}
func.func @packed_unknown_kind(%p: tensor<2xi8, #bitnet.packed<offset2, quaternary, shape = [2, 4], tile = [1, 4]>>)

// -----

// expected-error @+1 {{expected ','}}
func.func @packed_missing_tile(%p: tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4]>>)

//===----------------------------------------------------------------------===//
// #bitnet.packed: verifyEncoding
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{#bitnet.packed must encode a 1-D i8 tensor}}
func.func @encoding_2d(%p: tensor<1x2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)

// -----

// expected-error @+1 {{#bitnet.packed must encode a 1-D i8 tensor}}
func.func @encoding_i32(%p: tensor<2xi32, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)

// -----

// expected-error @+1 {{#bitnet.packed layout needs 2 bytes but the tensor has 3}}
func.func @encoding_size(%p: tensor<3xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)

// -----

// Padding counts: [3, 7] in [2, 5] tiles is 4 rows of 2 bytes.
// expected-error @+1 {{#bitnet.packed layout needs 8 bytes but the tensor has 6}}
func.func @encoding_size_padded(%p: tensor<6xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>)

//===----------------------------------------------------------------------===//
// bitnet.constant
//===----------------------------------------------------------------------===//

// -----

func.func @constant_minus_two() {
  // expected-error @+1 {{'bitnet.constant' op weights must be -1, 0 or +1: element 3 is -2}}
  %w = bitnet.constant dense<[[1, 0], [-1, -2]]> : tensor<2x2xi2>
  return
}

// -----

func.func @constant_resource_value() {
  // expected-error @+1 {{'bitnet.constant' op weights must be -1, 0 or +1: element 1 is 5}}
  %w = bitnet.constant dense_resource<bad_value> : tensor<2x2xi2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      bad_value: "0x0400000001050000"
    }
  }
#-}

// -----

func.func @constant_resource_size() {
  // expected-error @+1 {{'bitnet.constant' op dense_resource holds 3 bytes, expected one per element (4)}}
  %w = bitnet.constant dense_resource<short_blob> : tensor<2x2xi2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      short_blob: "0x0400000001FF00"
    }
  }
#-}

// -----

func.func @constant_dynamic() {
  // expected-error @+1 {{'bitnet.constant' op weights must have a static shape}}
  %w = bitnet.constant dense_resource<unknown_blob> : tensor<?x2xi2>
  return
}

// -----

// 0xFF holds offset2 code 3 in every slot.
func.func @constant_offset2_code3() {
  // expected-error @+1 {{'bitnet.constant' op packed bytes hold an invalid offset2 code}}
  %p = bitnet.constant dense<[-92, -1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}

// -----

// Codes 1, 1, 1 then code 3 in the padding column: 0b11010101 = -43.
func.func @constant_offset2_code3_padding() {
  // expected-error @+1 {{'bitnet.constant' op packed bytes hold an invalid offset2 code}}
  %p = bitnet.constant dense<-43> : tensor<1xi8, #bitnet.packed<offset2, ternary, shape = [1, 3], tile = [1, 4]>>
  return
}

// -----

func.func @constant_offset2_code3_resource() {
  // expected-error @+1 {{'bitnet.constant' op packed bytes hold an invalid offset2 code}}
  %p = bitnet.constant dense_resource<code3> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}

{-#
  dialect_resources: {
    builtin: {
      code3: "0x04000000A4FF"
    }
  }
#-}

// -----

// Byte 1 is one of the 13 bytes that are not ceil(v * 256 / 243) of any v.
func.func @constant_base3_invalid() {
  // expected-error @+1 {{'bitnet.constant' op packed bytes hold an invalid base3 code}}
  %p = bitnet.constant dense<1> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return
}

// -----

// Codes 0, 1, 2, 0: weight 1 is 0, not binary.
func.func @constant_offset2_binary_zero() {
  // expected-error @+1 {{'bitnet.constant' op packed weights are not binary: element 1 is 0}}
  %p = bitnet.constant dense<36> : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return
}

// -----

func.func @constant_i8_without_layout() {
  // expected-error @+1 {{'bitnet.constant' op result #0 must be logical i2 weights or packed i8 weights, but got 'tensor<2xi8>'}}
  %c = bitnet.constant dense<[1, 2]> : tensor<2xi8>
  return
}

// -----

func.func @constant_wrong_rank() {
  // expected-error @+1 {{'bitnet.constant' op result #0 must be logical i2 weights or packed i8 weights, but got 'tensor<2xi2>'}}
  %w = bitnet.constant dense<[1, 0]> : tensor<2xi2>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.quantize_weights
//===----------------------------------------------------------------------===//

// -----

func.func @quantize_weights_rows(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{'bitnet.quantize_weights' op row count mismatch: 4 vs 3}}
  %t, %g = bitnet.quantize_weights ternary %w : tensor<4x8xf32> -> tensor<3x8xi2>
  return
}

// -----

func.func @quantize_weights_cols(%w: tensor<?x8xf32>) {
  // expected-error @+1 {{'bitnet.quantize_weights' op column count mismatch: 8 vs 16}}
  %t, %g = bitnet.quantize_weights binary %w : tensor<?x8xf32> -> tensor<?x16xi2>
  return
}

// -----

func.func @quantize_weights_f64(%w: tensor<2x2xf64>) {
  // expected-error @+1 {{'bitnet.quantize_weights' op operand #0 must be 2D tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<2x2xf64>'}}
  %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf64> -> tensor<2x2xi2>
  return
}

// -----

func.func @quantize_weights_i8_result(%w: tensor<2x2xf32>) {
  // expected-error @+1 {{'bitnet.quantize_weights' op result #0 must be 2D tensor of 2-bit signless integer values, but got 'tensor<2x2xi8>'}}
  %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi8>
  return
}

// -----

func.func @quantize_weights_unknown_kind(%w: tensor<2x2xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [binary, ternary]}}
  %t, %g = bitnet.quantize_weights trinary %w : tensor<2x2xf32> -> tensor<2x2xi2>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.pack
//===----------------------------------------------------------------------===//

// -----

func.func @pack_kind_mismatch(%t: tensor<2x4xi2>) {
  // expected-error @+1 {{'bitnet.pack' op packs binary weights into a layout for ternary}}
  %p = bitnet.pack binary %t : tensor<2x4xi2> -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}

// -----

func.func @pack_shape_mismatch(%t: tensor<4x8xi2>) {
  // expected-error @+1 {{'bitnet.pack' op weights are 4x8 but the layout is for 2x8}}
  %p = bitnet.pack ternary %t : tensor<4x8xi2> -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [1, 8]>>
  return
}

// -----

func.func @pack_shape_mismatch_dynamic(%t: tensor<?x4xi2>) {
  // expected-error @+1 {{'bitnet.pack' op weights are ?x4 but the layout is for 2x8}}
  %p = bitnet.pack ternary %t : tensor<?x4xi2> -> tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 8], tile = [1, 8]>>
  return
}

// -----

func.func @pack_binary_constant_zero() {
  %t = bitnet.constant dense<[[1, 0, -1, 1]]> : tensor<1x4xi2>
  // expected-error @+1 {{'bitnet.pack' op constant weights are not binary: element 1 is 0}}
  %p = bitnet.pack binary %t : tensor<1x4xi2> -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return
}

// -----

func.func @pack_without_layout(%t: tensor<2x4xi2>) {
  // expected-error @+1 {{'bitnet.pack' op result #0 must be 1-D i8 tensor with a #bitnet.packed encoding, but got 'tensor<2xi8>'}}
  %p = bitnet.pack ternary %t : tensor<2x4xi2> -> tensor<2xi8>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.quantize_activations
//===----------------------------------------------------------------------===//

// -----

func.func @quantize_activations_tokens(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.quantize_activations' op token count mismatch: 2 vs 1}}
  %q, %s = bitnet.quantize_activations %x : tensor<2x8xf32> -> tensor<1x8xi8>, tensor<2xf32>
  return
}

// -----

func.func @quantize_activations_features(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'bitnet.quantize_activations' op feature count mismatch: 8 vs 4}}
  %q, %s = bitnet.quantize_activations %x : tensor<?x8xf32> -> tensor<?x4xi8>, tensor<?xf32>
  return
}

// -----

func.func @quantize_activations_scales(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'bitnet.quantize_activations' op scale count mismatch: 2 vs 3}}
  %q, %s = bitnet.quantize_activations %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<3xf32>
  return
}

// -----

func.func @quantize_activations_rank(%x: tensor<1x2x2xf32>) {
  // expected-error @+1 {{'bitnet.quantize_activations' op operand #0 must be 2D tensor of 32-bit float values, but got 'tensor<1x2x2xf32>'}}
  %q, %s = bitnet.quantize_activations %x : tensor<1x2x2xf32> -> tensor<1x2xi8>, tensor<1xf32>
  return
}

// -----

func.func @quantize_activations_i32(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{'bitnet.quantize_activations' op result #0 must be 2D tensor of 8-bit signless integer values, but got 'tensor<1x8xi32>'}}
  %q, %s = bitnet.quantize_activations %x : tensor<1x8xf32> -> tensor<1x8xi32>, tensor<1xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.bitlinear
//===----------------------------------------------------------------------===//

// -----

func.func @bitlinear_input_features(%q: tensor<1x64xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi2>, %g: f32) {
  // expected-error @+1 {{'bitnet.bitlinear' op input has 64 features but the weights take 128}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x64xi8>, tensor<1xf32>, tensor<32x128xi2> -> tensor<1x32xf32>
  return
}

// -----

func.func @bitlinear_result_features(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %g: f32) {
  // expected-error @+1 {{'bitnet.bitlinear' op result has 32 features but the weights produce 64}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x32xf32>
  return
}

// -----

// The packed layout's shape [64, 128] gives N and K.
func.func @bitlinear_packed_features(%q: tensor<1x64xi8>, %s: tensor<1xf32>, %p: tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>, %g: f32) {
  // expected-error @+1 {{'bitnet.bitlinear' op input has 64 features but the weights take 128}}
  %y = bitnet.bitlinear ternary %q, %s, %p, %g : tensor<1x64xi8>, tensor<1xf32>, tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> -> tensor<1x64xf32>
  return
}

// -----

func.func @bitlinear_tokens(%q: tensor<2x128xi8>, %s: tensor<2xf32>, %w: tensor<64x128xi2>, %g: f32) {
  // expected-error @+1 {{'bitnet.bitlinear' op token count mismatch: 2 vs 1}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<2x128xi8>, tensor<2xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  return
}

// -----

func.func @bitlinear_scales(%q: tensor<2x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %g: f32) {
  // expected-error @+1 {{'bitnet.bitlinear' op scale count mismatch: 2 vs 1}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<2x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<2x64xf32>
  return
}

// -----

func.func @bitlinear_binary_constant_zero(%q: tensor<1x2xi8>, %s: tensor<1xf32>, %g: f32) {
  %w = bitnet.constant dense<[[1, -1], [0, 1]]> : tensor<2x2xi2>
  // expected-error @+1 {{'bitnet.bitlinear' op constant weights are not binary: element 2 is 0}}
  %y = bitnet.bitlinear binary %q, %s, %w, %g : tensor<1x2xi8>, tensor<1xf32>, tensor<2x2xi2> -> tensor<1x2xf32>
  return
}

// -----

func.func @bitlinear_packed_kind_mismatch(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) {
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  // expected-error @+1 {{'bitnet.bitlinear' op weight kind binary does not match the packed layout's kind ternary}}
  %y = bitnet.bitlinear binary %q, %s, %p, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return
}

// -----

func.func @bitlinear_unpacked_i8(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<8xi8>, %g: f32) {
  // expected-error @+1 {{'bitnet.bitlinear' op operand #2 must be logical i2 weights or packed i8 weights, but got 'tensor<8xi8>'}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<8xi8> -> tensor<1x2xf32>
  return
}

// -----

func.func @bitlinear_f16_scale(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<2x4xi2>, %g: f16) {
  // expected-error @+1 {{'bitnet.bitlinear' op operand #3 must be 32-bit float, but got 'f16'}}
  %y = "bitnet.bitlinear"(%q, %s, %w, %g) <{kind = 1 : i32}> : (tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2>, f16) -> tensor<1x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.float_linear
//===----------------------------------------------------------------------===//

// -----

func.func @float_linear_reduction(%x: tensor<1x64xf32>, %w: tensor<32x128xf16>) {
  // expected-error @+1 {{'bitnet.float_linear' op reduction size mismatch: 64 vs 128}}
  %y = bitnet.float_linear %x, %w : tensor<1x64xf32>, tensor<32x128xf16> -> tensor<1x32xf32>
  return
}

// -----

func.func @float_linear_outputs(%x: tensor<1x128xf32>, %w: tensor<32x128xbf16>) {
  // expected-error @+1 {{'bitnet.float_linear' op output features mismatch: 32 vs 16}}
  %y = bitnet.float_linear %x, %w : tensor<1x128xf32>, tensor<32x128xbf16> -> tensor<1x16xf32>
  return
}

// -----

func.func @float_linear_tokens(%x: tensor<2x128xf32>, %w: tensor<32x128xf32>) {
  // expected-error @+1 {{'bitnet.float_linear' op token count mismatch: 2 vs 1}}
  %y = bitnet.float_linear %x, %w : tensor<2x128xf32>, tensor<32x128xf32> -> tensor<1x32xf32>
  return
}

// -----

func.func @float_linear_i8_weights(%x: tensor<1x4xf32>, %w: tensor<2x4xi8>) {
  // expected-error @+1 {{'bitnet.float_linear' op operand #1 must be 2D tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<2x4xi8>'}}
  %y = bitnet.float_linear %x, %w : tensor<1x4xf32>, tensor<2x4xi8> -> tensor<1x2xf32>
  return
}

// -----

func.func @float_linear_f16_input(%x: tensor<1x4xf16>, %w: tensor<2x4xf16>) {
  // expected-error @+1 {{'bitnet.float_linear' op operand #0 must be 2D tensor of 32-bit float values, but got 'tensor<1x4xf16>'}}
  %y = bitnet.float_linear %x, %w : tensor<1x4xf16>, tensor<2x4xf16> -> tensor<1x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.int8_linear
//===----------------------------------------------------------------------===//

// -----

func.func @int8_linear_reduction(%q: tensor<1x64xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi8>, %ws: tensor<32xf32>) {
  // expected-error @+1 {{'bitnet.int8_linear' op reduction size mismatch: 64 vs 128}}
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<1x64xi8>, tensor<1xf32>, tensor<32x128xi8>, tensor<32xf32> -> tensor<1x32xf32>
  return
}

// -----

func.func @int8_linear_row_scales(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi8>, %ws: tensor<16xf32>) {
  // expected-error @+1 {{'bitnet.int8_linear' op weight scale count mismatch: 32 vs 16}}
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<1x128xi8>, tensor<1xf32>, tensor<32x128xi8>, tensor<16xf32> -> tensor<1x32xf32>
  return
}

// -----

func.func @int8_linear_input_scales(%q: tensor<2x128xi8>, %s: tensor<1xf32>, %w: tensor<32x128xi8>, %ws: tensor<32xf32>) {
  // expected-error @+1 {{'bitnet.int8_linear' op input scale count mismatch: 2 vs 1}}
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<2x128xi8>, tensor<1xf32>, tensor<32x128xi8>, tensor<32xf32> -> tensor<2x32xf32>
  return
}

// -----

func.func @int8_linear_f16_weights(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<2x4xf16>, %ws: tensor<2xf32>) {
  // expected-error @+1 {{'bitnet.int8_linear' op operand #2 must be 2D tensor of 8-bit signless integer values, but got 'tensor<2x4xf16>'}}
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xf16>, tensor<2xf32> -> tensor<1x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.rms_norm
//===----------------------------------------------------------------------===//

// -----

func.func @rms_norm_weight_size(%x: tensor<1x128xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm' op norm weight size mismatch: 128 vs 64}}
  %y = bitnet.rms_norm %x, %w : tensor<1x128xf32>, tensor<64xf32>
  return
}

// -----

func.func @rms_norm_zero_epsilon(%x: tensor<1x4xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm' op epsilon must be positive}}
  %y = bitnet.rms_norm %x, %w {epsilon = 0.0 : f32} : tensor<1x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<1x4xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm' op epsilon must be positive}}
  %y = bitnet.rms_norm %x, %w {epsilon = -1.0e-05 : f32} : tensor<1x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @rms_norm_weight_rank(%x: tensor<1x4xf32>, %w: tensor<1x4xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm' op operand #1 must be 1D tensor of 32-bit float values, but got 'tensor<1x4xf32>'}}
  %y = bitnet.rms_norm %x, %w : tensor<1x4xf32>, tensor<1x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.rope
//===----------------------------------------------------------------------===//

// -----

func.func @rope_odd_head_dim(%x: tensor<1x14xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope' op head_dim must be even, got 7}}
  %y = bitnet.rope %x, %p {head_dim = 7 : i64, theta = 1.0e+04 : f32} : tensor<1x14xf32>
  return
}

// -----

func.func @rope_zero_theta(%x: tensor<1x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope' op theta must be positive}}
  %y = bitnet.rope %x, %p {head_dim = 32 : i64, theta = 0.0 : f32} : tensor<1x64xf32>
  return
}

// -----

func.func @rope_width(%x: tensor<1x96xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope' op feature count 96 is not a multiple of head_dim 64}}
  %y = bitnet.rope %x, %p {head_dim = 64 : i64, theta = 1.0e+04 : f32} : tensor<1x96xf32>
  return
}

// -----

func.func @rope_zero_head_dim(%x: tensor<1x4xf32>, %p: i32) {
  // expected-error @+1 {{attribute 'head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = bitnet.rope %x, %p {head_dim = 0 : i64, theta = 1.0 : f32} : tensor<1x4xf32>
  return
}

// -----

func.func @rope_qkv_token_counts(%q: tensor<2x64xf32>, %k: tensor<1x32xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope_qkv' op token count mismatch: 2 vs 1}}
  %qr, %kr, %vr = bitnet.rope_qkv %q, %k, %k, %p {head_dim = 32 : i64, theta = 1.0e+04 : f32} : tensor<2x64xf32>, tensor<1x32xf32>
  return
}

// -----

func.func @rope_qkv_key_width(%q: tensor<1x64xf32>, %k: tensor<1x48xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope_qkv' op feature count 48 is not a multiple of head_dim 32}}
  %qr, %kr, %vr = bitnet.rope_qkv %q, %k, %k, %p {head_dim = 32 : i64, theta = 1.0e+04 : f32} : tensor<1x64xf32>, tensor<1x48xf32>
  return
}

// -----

func.func @rope_qkv_odd_head_dim(%q: tensor<1x14xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope_qkv' op head_dim must be even, got 7}}
  %qr, %kr, %vr = bitnet.rope_qkv %q, %q, %q, %p {head_dim = 7 : i64, theta = 1.0e+04 : f32} : tensor<1x14xf32>, tensor<1x14xf32>
  return
}

// -----

func.func @rope_qkv_values_shape(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.rope_qkv' op failed to verify that all of {key, value, key_rotated, value_rows} have same type}}
  %qr, %kr, %vr = "bitnet.rope_qkv"(%q, %k, %v, %p) {head_dim = 32 : i64, theta = 1.0e+04 : f32} : (tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x64xf32>, i32) -> (tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x64xf32>)
  return
}

// -----

func.func @rope_i64_position(%x: tensor<1x4xf32>, %p: i64) {
  // expected-error @+1 {{'bitnet.rope' op operand #1 must be i32 token position, but got 'i64'}}
  %y = "bitnet.rope"(%x, %p) <{head_dim = 2 : i64, theta = 1.0 : f32}> : (tensor<1x4xf32>, i64) -> tensor<1x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.kv_append
//===----------------------------------------------------------------------===//

// -----

func.func @kv_append_layer(%c: tensor<2x64x64xf32>, %k: tensor<1x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.kv_append' op layer 2 is out of range for a 2-layer cache}}
  %c1 = bitnet.kv_append %c, %k, %p {layer = 2 : i64} : tensor<2x64x64xf32>, tensor<1x64xf32>
  return
}

// -----

func.func @kv_append_width(%c: tensor<2x64x64xf32>, %k: tensor<1x32xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.kv_append' op kv width mismatch: 64 vs 32}}
  %c1 = bitnet.kv_append %c, %k, %p {layer = 0 : i64} : tensor<2x64x64xf32>, tensor<1x32xf32>
  return
}

// -----

func.func @kv_append_context(%c: tensor<2x64x64xf32>, %k: tensor<80x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.kv_append' op 80 new rows do not fit a context of 64}}
  %c1 = bitnet.kv_append %c, %k, %p {layer = 0 : i64} : tensor<2x64x64xf32>, tensor<80x64xf32>
  return
}

// -----

func.func @kv_append_negative_layer(%c: tensor<2x4x4xf32>, %k: tensor<1x4xf32>, %p: i32) {
  // expected-error @+1 {{attribute 'layer' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %c1 = bitnet.kv_append %c, %k, %p {layer = -1 : i64} : tensor<2x4x4xf32>, tensor<1x4xf32>
  return
}

// -----

func.func @kv_append_rank(%c: tensor<4x4xf32>, %k: tensor<1x4xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.kv_append' op operand #0 must be 3D tensor of 32-bit float values, but got 'tensor<4x4xf32>'}}
  %c1 = bitnet.kv_append %c, %k, %p {layer = 0 : i64} : tensor<4x4xf32>, tensor<1x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.attention
//===----------------------------------------------------------------------===//

// -----

func.func @attention_groups(%q: tensor<1x96xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op num_heads 3 is not a multiple of num_kv_heads 2}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 3 : i64, num_kv_heads = 2 : i64} : tensor<1x96xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}

// -----

func.func @attention_cache_types(%q: tensor<1x128xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x32x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op key and value caches must have the same type}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x32x64xf32>
  return
}

// -----

func.func @attention_dynamic_width(%q: tensor<1x?xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op query and cache widths must be static}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x?xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}

// -----

func.func @attention_dynamic_cache_width(%q: tensor<1x128xf32>, %kc: tensor<2x64x?xf32>, %vc: tensor<2x64x?xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op query and cache widths must be static}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x?xf32>, tensor<2x64x?xf32>
  return
}

// -----

func.func @attention_query_width(%q: tensor<1x100xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op query width 100 is not a multiple of num_heads 8}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 8 : i64, num_kv_heads = 2 : i64} : tensor<1x100xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}

// -----

func.func @attention_cache_width(%q: tensor<1x128xf32>, %kc: tensor<2x64x48xf32>, %vc: tensor<2x64x48xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op cache width 48 != num_kv_heads (2) x head_dim (32)}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x48xf32>, tensor<2x64x48xf32>
  return
}

// -----

func.func @attention_layer(%q: tensor<1x128xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  // expected-error @+1 {{'bitnet.attention' op layer 5 is out of range for a 2-layer cache}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 5 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}

// -----

func.func @attention_zero_kv_heads(%q: tensor<1x128xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %p: i32) {
  // expected-error @+1 {{attribute 'num_kv_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %o = bitnet.attention %q, %kc, %vc, %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 0 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// bitnet.glu, bitnet.embedding, bitnet.add
//===----------------------------------------------------------------------===//

// -----

func.func @glu_f16(%x: tensor<1x4xf16>) {
  // expected-error @+1 {{'bitnet.glu' op operand #0 must be 2D tensor of 32-bit float values, but got 'tensor<1x4xf16>'}}
  %y = bitnet.glu silu %x, %x : tensor<1x4xf16>
  return
}

// -----

func.func @glu_unknown_activation(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'activation' [relu2, silu]}}
  %y = bitnet.glu gelu %x, %x : tensor<1x4xf32>
  return
}

// -----

func.func @glu_types(%g: tensor<1x4xf32>, %u: tensor<2x4xf32>) {
  // expected-error @+1 {{'bitnet.glu' op failed to verify that all of {gate, up, result} have same type}}
  %y = "bitnet.glu"(%g, %u) <{activation = 0 : i32}> : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @embedding_tokens(%t: tensor<256x128xf16>, %ids: tensor<2xi32>) {
  // expected-error @+1 {{'bitnet.embedding' op token count mismatch: 2 vs 1}}
  %x = bitnet.embedding %t, %ids : tensor<256x128xf16>, tensor<2xi32> -> tensor<1x128xf32>
  return
}

// -----

func.func @embedding_width(%t: tensor<256x128xf16>, %ids: tensor<1xi32>) {
  // expected-error @+1 {{'bitnet.embedding' op embedding width mismatch: 128 vs 64}}
  %x = bitnet.embedding %t, %ids : tensor<256x128xf16>, tensor<1xi32> -> tensor<1x64xf32>
  return
}

// -----

func.func @embedding_i64_tokens(%t: tensor<8x4xf16>, %ids: tensor<1xi64>) {
  // expected-error @+1 {{'bitnet.embedding' op operand #1 must be 1D tensor of 32-bit signless integer values, but got 'tensor<1xi64>'}}
  %x = bitnet.embedding %t, %ids : tensor<8x4xf16>, tensor<1xi64> -> tensor<1x4xf32>
  return
}

// -----

func.func @add_types(%a: tensor<1x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{'bitnet.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %y = "bitnet.add"(%a, %b) : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @add_rank(%a: tensor<4xf32>) {
  // expected-error @+1 {{'bitnet.add' op operand #0 must be 2D tensor of 32-bit float values, but got 'tensor<4xf32>'}}
  %y = bitnet.add %a, %a : tensor<4xf32>
  return
}

// -----

// The kind must match a packed layout even when the weights are not constant.
func.func @bitlinear_kind_vs_packed_arg(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %p: tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>, %g: f32) -> tensor<1x2xf32> {
  // expected-error @+1 {{weight kind binary does not match the packed layout's kind ternary}}
  %y = bitnet.bitlinear binary %q, %s, %p, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @packed_resource_wrong_size() {
  // expected-error @+1 {{dense_resource holds 3 bytes, expected one per element (2)}}
  %p = bitnet.constant dense_resource<packed_blob> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return
}
{-#
  dialect_resources: {
    builtin: {
      packed_blob: "0x04000000FFFFFF"
    }
  }
#-}

// -----

func.func @sparse_constant() {
  // expected-error @+1 {{weights must be dense, dense_resource or #bitnet.weights elements}}
  %w = bitnet.constant sparse<[[0, 0]], [-2]> : tensor<2x2xi2>
  return
}

// -----

func.func @weights_unnamed() {
  // expected-error @+1 {{a checkpoint tensor has a name and nothing derived has one}}
  %w = bitnet.constant #bitnet.weights<""> : tensor<2x4xi2>
  return
}

// -----

func.func @weights_unknown_transform() {
  // expected-error @+1 {{expected a checkpoint tensor name or concat, pack, int8_rows, row_scales; got 'transpose'}}
  %w = bitnet.constant #bitnet.weights<transpose(#bitnet.weights<"a"> : tensor<2x4xi2>)> : tensor<4x2xi2>
  return
}

// -----

func.func @weights_dynamic() {
  // expected-error @+1 {{needs a static tensor of integers or floats}}
  %w = arith.constant #bitnet.weights<"a"> : tensor<?x4xf16>
  return
}

// -----

func.func @weights_concat_rows() {
  // expected-error @+1 {{concat of 'tensor<2x4xi2>' is the stacked rows, not 'tensor<5x4xi2>'}}
  %w = bitnet.constant #bitnet.weights<concat(#bitnet.weights<"a"> : tensor<2x4xi2>, #bitnet.weights<"b"> : tensor<2x4xi2>)> : tensor<5x4xi2>
  return
}

// -----

func.func @weights_concat_columns() {
  // expected-error @+1 {{concat operands need 4 columns of the result's element size}}
  %w = bitnet.constant #bitnet.weights<concat(#bitnet.weights<"a"> : tensor<2x4xi2>, #bitnet.weights<"b"> : tensor<2x8xi2>)> : tensor<4x4xi2>
  return
}

// -----

func.func @weights_pack_shape() {
  // expected-error @+1 {{pack takes logical weights of the layout's shape [4, 128] (i2)}}
  %w = bitnet.constant #bitnet.weights<pack(#bitnet.weights<"a"> : tensor<2x128xi2>), #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>> : tensor<128xi8, #bitnet.packed<offset2, ternary, shape = [4, 128], tile = [4, 128]>>
  return
}

// -----

func.func @weights_pack_no_layout() {
  // expected-error @+1 {{expected ','}}
  %w = bitnet.constant #bitnet.weights<pack(#bitnet.weights<"a"> : tensor<4x128xi2>)> : tensor<128xi8>
  return
}

// -----

func.func @weights_int8_rows_of_f32() {
  // expected-error @+1 {{int8_rows quantizes an f16 table}}
  %w = arith.constant #bitnet.weights<int8_rows(#bitnet.weights<"t"> : tensor<8x4xf32>)> : tensor<8x4xi8>
  return
}

// -----

func.func @weights_row_scales_shape() {
  // expected-error @+1 {{row_scales of 'tensor<8x4xf16>' is one f32 scale per row, not 'tensor<4xf32>'}}
  %w = arith.constant #bitnet.weights<row_scales(#bitnet.weights<"t"> : tensor<8x4xf16>)> : tensor<4xf32>
  return
}

// -----

// expected-error @+1 {{packed layout of shape [9223372036854775807, 4] is too large}}
func.func @huge_layout(%p: tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [9223372036854775807, 4], tile = [2, 4]>>) {
  return
}

// -----

// expected-error @+1 {{invalid packed layout: tile sizes must be at most 65536}}
func.func @huge_tile(%p: tensor<4xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [131072, 4]>>) {
  return
}

// -----

func.func @call_kernel_arity(%a: memref<4xf32>) -> i32 {
  // expected-error @+1 {{has 1 operands but 2 arg_types}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32, f32]} : (memref<4xf32>) -> i32
  return %s : i32
}

// -----

func.func @call_kernel_unknown_type(%a: memref<4xf32>) -> i32 {
  // expected-error @+1 {{arg_types[0] 'f64' is not one of si8, ui8, si16, ui16, si32, f32}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f64]} : (memref<4xf32>) -> i32
  return %s : i32
}

// -----

func.func @call_kernel_signless(%a: memref<4xi8>) -> i32 {
  // expected-error @+1 {{arg_types[0] 'i8' is not one of si8, ui8, si16, ui16, si32, f32}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [i8]} : (memref<4xi8>) -> i32
  return %s : i32
}

// -----

func.func @call_kernel_type_mismatch(%a: memref<4xi8>) -> i32 {
  // expected-error @+1 {{operand #0 of element type 'i8' cannot be passed as 'f32'}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32]} : (memref<4xi8>) -> i32
  return %s : i32
}

// -----

func.func @call_kernel_dynamic(%a: memref<?xf32>) -> i32 {
  // expected-error @+1 {{operand #0 must be variadic of statically shaped memref of any type values or 32-bit signless integer or 32-bit float}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32]} : (memref<?xf32>) -> i32
  return %s : i32
}

// -----

func.func @call_kernel_strided(%a: memref<4xf32, strided<[?]>>) -> i32 {
  // expected-error @+1 {{operand #0 must have static strides}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32]} : (memref<4xf32, strided<[?]>>) -> i32
  return %s : i32
}

// -----

func.func @rms_norm_quantize_sums(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{sum count mismatch: 2 vs 3}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<3xi32>
  return
}

// -----

func.func @rms_norm_quantize_weight(%x: tensor<2x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{norm weight size mismatch: 64 vs 32}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<32xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @rms_norm_quantize_tokens(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm_quantize' op token count mismatch: 2 vs 3}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<3x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @rms_norm_quantize_features(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm_quantize' op feature count mismatch: 64 vs 32}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x32xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @rms_norm_quantize_scales(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm_quantize' op scale count mismatch: 2 vs 1}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<1xf32>, tensor<2xi32>
  return
}

// -----

func.func @add_rms_norm_quantize_weight(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'bitnet.add_rms_norm_quantize' op norm weight size mismatch: 64 vs 32}}
  %x, %q, %s, %sum = bitnet.add_rms_norm_quantize %a, %b, %w : tensor<2x64xf32>, tensor<32xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @add_rms_norm_quantize_sums(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.add_rms_norm_quantize' op sum count mismatch: 2 vs 3}}
  %x, %q, %s, %sum = bitnet.add_rms_norm_quantize %a, %b, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<3xi32>
  return
}

// -----

func.func @add_rms_norm_quantize_epsilon(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.add_rms_norm_quantize' op epsilon must be positive}}
  %x, %q, %s, %sum = bitnet.add_rms_norm_quantize %a, %b, %w {epsilon = 0.0 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @rms_norm_quantize_zero_epsilon(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm_quantize' op epsilon must be positive}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w {epsilon = 0.0 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @rms_norm_quantize_negative_epsilon(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm_quantize' op epsilon must be positive}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w {epsilon = -1.0e-05 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @rms_norm_quantize_sums_type(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.rms_norm_quantize' op result #2 must be 1D tensor of 32-bit signless integer values}}
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi64>
  return
}

// -----

func.func @fused_segments(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<3x4xi2>, %g: tensor<2xf32>) {
  // expected-error @+1 {{segments cover 4 rows but the weights have 3}}
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 2, 2>} : tensor<1x4xi8>, tensor<1xf32>, tensor<3x4xi2>, tensor<2xf32> -> tensor<1x3xf32>
  return
}

// -----

func.func @fused_scales(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<3x4xi2>, %g: tensor<3xf32>) {
  // expected-error @+1 {{has 2 segments but 3 weight scales}}
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 2, 1>} : tensor<1x4xi8>, tensor<1xf32>, tensor<3x4xi2>, tensor<3xf32> -> tensor<1x3xf32>
  return
}

// -----

func.func @fused_empty_segment(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %w: tensor<3x4xi2>, %g: tensor<2xf32>) {
  // expected-error @+1 {{segment sizes must be positive, got 0}}
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 3, 0>} : tensor<1x4xi8>, tensor<1xf32>, tensor<3x4xi2>, tensor<2xf32> -> tensor<1x3xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// #bitnet.kernel and the kernel boundary's attributes
//===----------------------------------------------------------------------===//

func.func @kernel_spec_unknown_key(%a: memref<4xf32>) -> i32 {
  // expected-error @+1 {{unknown key 'colour'}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32], bitnet.kernel_spec = #bitnet.kernel<kind = add, colour = red>} : (memref<4xf32>) -> i32
  return %s : i32
}

// -----

func.func @kernel_spec_incomplete(%a: memref<4xf32>) -> i32 {
  // expected-error @+1 {{invalid kernel spec: n must be in [1, 2^31), got 0}}
  %s = bitnet.call_kernel @k(%a) {arg_types = [f32], bitnet.kernel_spec = #bitnet.kernel<kind = bitlinear, name = k, m = 1, k = 4, tile = "1x4">} : (memref<4xf32>) -> i32
  return %s : i32
}

// -----

func.func @kernel_spec_other_kernel(%a: memref<4xf32>, %b: memref<4xf32>, %y: memref<4xf32>) -> i32 {
  // expected-error @+1 {{calls @k but its 'bitnet.kernel_spec' is the spec of 'other'}}
  %s = bitnet.call_kernel @k(%a, %b, %y) {arg_types = [f32, f32, f32], bitnet.kernel_spec = #bitnet.kernel<kind = add, name = other, m = 1, n = 4>} : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> i32
  return %s : i32
}

// -----

func.func @kernel_spec_not_a_call() {
  // expected-error @+1 {{'bitnet.kernel_spec' must be a #bitnet.kernel on a bitnet.call_kernel}}
  return {bitnet.kernel_spec = "kind=add"}
}

// -----

// expected-error @+1 {{'bitnet.kernels': 'k' must map to a #bitnet.kernel}}
module attributes {bitnet.kernels = {k = "kind=add"}} {
}

// -----

// expected-error @+1 {{'bitnet.kernels': 'k' maps to the spec of 'j'}}
module attributes {bitnet.kernels = {k = #bitnet.kernel<kind = add, name = j, m = 1, n = 4>}} {
}

// -----

func.func @glu_rms_norm_quantize_features(%g: tensor<2x64xf32>, %u: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'bitnet.glu_rms_norm_quantize' op feature count mismatch: 64 vs 32}}
  %q, %s, %sum = bitnet.glu_rms_norm_quantize relu2 %g, %u, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x32xi8>, tensor<2xf32>, tensor<2xi32>
  return
}
