func.func @constant_dense() -> tensor<2x2xi2> {
  %w = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
  return %w : tensor<2x2xi2>
}

func.func @constant_splat() -> tensor<3x4xi2> {
  %w = bitnet.constant dense<-1> : tensor<3x4xi2>
  return %w : tensor<3x4xi2>
}

func.func @constant_dense_resource() -> tensor<2x2xi2> {
  %w = bitnet.constant dense_resource<ternary_2x2> : tensor<2x2xi2>
  return %w : tensor<2x2xi2>
}

func.func @constant_packed_offset2() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}

func.func @constant_packed_offset2_binary() -> tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>> {
  %p = bitnet.constant dense<40> : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
  return %p : tensor<1xi8, #bitnet.packed<offset2, binary, shape = [1, 4], tile = [1, 4]>>
}

func.func @constant_packed_base3() -> tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>> {
  %p = bitnet.constant dense<-51> : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
  return %p : tensor<1xi8, #bitnet.packed<base3, ternary, shape = [1, 5], tile = [1, 5]>>
}

func.func @constant_packed_bits1() -> tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>> {
  %p = bitnet.constant dense<-115> : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
  return %p : tensor<1xi8, #bitnet.packed<bits1, binary, shape = [1, 8], tile = [1, 8]>>
}

func.func @constant_packed_resource() -> tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> {
  %p = bitnet.constant dense_resource<packed_2x4> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  return %p : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
}


func.func @quantize_weights_ternary(%w: tensor<64x128xf32>) -> (tensor<64x128xi2>, f32) {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<64x128xf32> -> tensor<64x128xi2>
  return %t, %gamma : tensor<64x128xi2>, f32
}

func.func @quantize_weights_binary(%w: tensor<8x16xf16>) -> (tensor<8x16xi2>, f32) {
  %t, %gamma = bitnet.quantize_weights binary %w : tensor<8x16xf16> -> tensor<8x16xi2>
  return %t, %gamma : tensor<8x16xi2>, f32
}

func.func @quantize_weights_dynamic(%w: tensor<?x64xbf16>) -> tensor<?x64xi2> {
  %t, %gamma = bitnet.quantize_weights ternary %w : tensor<?x64xbf16> -> tensor<?x64xi2>
  return %t : tensor<?x64xi2>
}


func.func @pack_offset2(%t: tensor<64x128xi2>) -> tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> {
  %p = bitnet.pack ternary %t : tensor<64x128xi2> -> tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
  return %p : tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
}

func.func @pack_offset2_binary(%t: tensor<4x8xi2>) -> tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>> {
  %p = bitnet.pack binary %t : tensor<4x8xi2> -> tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>>
  return %p : tensor<8xi8, #bitnet.packed<offset2, binary, shape = [4, 8], tile = [4, 8]>>
}

func.func @pack_base3(%t: tensor<3x7xi2>) -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>> {
  %p = bitnet.pack ternary %t : tensor<3x7xi2> -> tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
  return %p : tensor<8xi8, #bitnet.packed<base3, ternary, shape = [3, 7], tile = [2, 5]>>
}

func.func @pack_bits1(%t: tensor<16x64xi2>) -> tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>> {
  %p = bitnet.pack binary %t : tensor<16x64xi2> -> tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>>
  return %p : tensor<128xi8, #bitnet.packed<bits1, binary, shape = [16, 64], tile = [4, 16]>>
}

func.func @pack_dynamic(%t: tensor<?x8xi2>) -> tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>> {
  %p = bitnet.pack ternary %t : tensor<?x8xi2> -> tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>>
  return %p : tensor<8xi8, #bitnet.packed<offset2, ternary, shape = [4, 8], tile = [1, 8]>>
}


func.func @quantize_activations(%x: tensor<1x128xf32>) -> (tensor<1x128xi8>, tensor<1xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<1x128xf32> -> tensor<1x128xi8>, tensor<1xf32>
  return %q, %s : tensor<1x128xi8>, tensor<1xf32>
}

func.func @quantize_activations_dynamic(%x: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>
  return %q, %s : tensor<?x64xi8>, tensor<?xf32>
}


func.func @bitlinear_ternary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %gamma: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

func.func @bitlinear_binary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %w: tensor<64x128xi2>, %gamma: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear binary %q, %s, %w, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

func.func @bitlinear_binary_constant(%q: tensor<1x2xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[1, -1], [-1, -1]]> : tensor<2x2xi2>
  %y = bitnet.bitlinear binary %q, %s, %w, %gamma : tensor<1x2xi8>, tensor<1xf32>, tensor<2x2xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

func.func @bitlinear_packed_ternary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %p: tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>, %gamma: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

func.func @bitlinear_packed_base3(%q: tensor<2x10xi8>, %s: tensor<2xf32>, %p: tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>>, %gamma: f32) -> tensor<2x2xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<2x10xi8>, tensor<2xf32>, tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

func.func @bitlinear_packed_binary(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %p: tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>>, %gamma: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear binary %q, %s, %p, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

func.func @bitlinear_packed_constant(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

func.func @bitlinear_dynamic(%q: tensor<?x64xi8>, %s: tensor<?xf32>, %w: tensor<32x64xi2>, %gamma: f32) -> tensor<?x32xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<?x64xi8>, tensor<?xf32>, tensor<32x64xi2> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}


func.func @int8_linear(%q: tensor<2x128xi8>, %s: tensor<2xf32>, %w: tensor<256x128xi8>, %ws: tensor<256xf32>) -> tensor<2x256xf32> {
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<2x128xi8>, tensor<2xf32>, tensor<256x128xi8>, tensor<256xf32> -> tensor<2x256xf32>
  return %y : tensor<2x256xf32>
}


func.func @float_linear_f16(%x: tensor<1x128xf32>, %emb: tensor<256x128xf16>) -> tensor<1x256xf32> {
  %y = bitnet.float_linear %x, %emb : tensor<1x128xf32>, tensor<256x128xf16> -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}

func.func @float_linear_bf16(%x: tensor<1x128xf32>, %w: tensor<64x128xbf16>) -> tensor<1x64xf32> {
  %y = bitnet.float_linear %x, %w : tensor<1x128xf32>, tensor<64x128xbf16> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

func.func @float_linear_f32(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x32xf32> {
  %y = bitnet.float_linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}


func.func @rms_norm(%x: tensor<1x128xf32>, %w: tensor<128xf32>) -> (tensor<1x128xf32>, tensor<1x128xf32>) {
  %a = bitnet.rms_norm %x, %w : tensor<1x128xf32>, tensor<128xf32>
  %b = bitnet.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x128xf32>, tensor<128xf32>
  return %a, %b : tensor<1x128xf32>, tensor<1x128xf32>
}

func.func @rms_norm_epsilon(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %y = bitnet.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xf32>
  return %y : tensor<?x64xf32>
}


func.func @rope(%q: tensor<1x128xf32>, %pos: i32) -> tensor<1x128xf32> {
  %r = bitnet.rope %q, %pos {head_dim = 32 : i64, theta = 5.0e+05 : f32} : tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}

func.func @rope_dynamic(%q: tensor<?x64xf32>, %pos: i32) -> tensor<?x64xf32> {
  %r = bitnet.rope %q, %pos {head_dim = 16 : i64, theta = 1.0e+04 : f32} : tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}


func.func @kv_append(%c0: tensor<2x64x64xf32>, %k: tensor<1x64xf32>, %pos: i32) -> tensor<2x64x64xf32> {
  %c1 = bitnet.kv_append %c0, %k, %pos {layer = 1 : i64} : tensor<2x64x64xf32>, tensor<1x64xf32>
  return %c1 : tensor<2x64x64xf32>
}

func.func @kv_append_dynamic(%c0: tensor<2x64x64xf32>, %k: tensor<?x64xf32>, %pos: i32) -> tensor<2x64x64xf32> {
  %c1 = bitnet.kv_append %c0, %k, %pos {layer = 0 : i64} : tensor<2x64x64xf32>, tensor<?x64xf32>
  return %c1 : tensor<2x64x64xf32>
}


func.func @attention(%q: tensor<1x128xf32>, %kc: tensor<2x64x64xf32>, %vc: tensor<2x64x64xf32>, %pos: i32) -> tensor<1x128xf32> {
  %o = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
  return %o : tensor<1x128xf32>
}

func.func @attention_dynamic(%q: tensor<?x64xf32>, %kc: tensor<1x16x64xf32>, %vc: tensor<1x16x64xf32>, %pos: i32) -> tensor<?x64xf32> {
  %o = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64} : tensor<?x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  return %o : tensor<?x64xf32>
}


func.func @glu(%gate: tensor<1x384xf32>, %up: tensor<1x384xf32>) -> (tensor<1x384xf32>, tensor<1x384xf32>) {
  %r = bitnet.glu relu2 %gate, %up : tensor<1x384xf32>
  %s = bitnet.glu silu %gate, %up : tensor<1x384xf32>
  return %r, %s : tensor<1x384xf32>, tensor<1x384xf32>
}

func.func @glu_dynamic(%gate: tensor<?x64xf32>, %up: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = bitnet.glu silu %gate, %up : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

func.func @embedding(%table: tensor<256x128xf16>, %tokens: tensor<1xi32>) -> tensor<1x128xf32> {
  %x = bitnet.embedding %table, %tokens : tensor<256x128xf16>, tensor<1xi32> -> tensor<1x128xf32>
  return %x : tensor<1x128xf32>
}

func.func @embedding_dynamic(%table: tensor<256x64xbf16>, %tokens: tensor<?xi32>) -> tensor<?x64xf32> {
  %x = bitnet.embedding %table, %tokens : tensor<256x64xbf16>, tensor<?xi32> -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

func.func @add(%a: tensor<1x128xf32>, %b: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %s = bitnet.add %a, %b : tensor<1x128xf32>
  return %s : tensor<1x128xf32>
}

func.func @add_dynamic(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = bitnet.add %a, %b : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}


func.func @rms_norm_quantize(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>) {
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
  return %q, %s, %sum : tensor<?x64xi8>, tensor<?xf32>, tensor<?xi32>
}

func.func @bitlinear_fused(%q: tensor<?x4xi8>, %s: tensor<?xf32>, %w: tensor<3x4xi2>, %g: tensor<2xf32>) -> tensor<?x3xf32> {
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 2, 1>} : tensor<?x4xi8>, tensor<?xf32>, tensor<3x4xi2>, tensor<2xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
func.func @call_kernel(%a: memref<2x8xi8>, %g: f32, %t: memref<4x8xf16>, %y: memref<2x4xf32>) -> i32 {
  %s = bitnet.call_kernel @k(%a, %g, %t, %y) {arg_types = [si8, f32, ui16, f32]}
      : (memref<2x8xi8>, f32, memref<4x8xf16>, memref<2x4xf32>) -> i32
  return %s : i32
}



{-#
  dialect_resources: {
    builtin: {
      ternary_2x2: "0x0400000001FFFF00",
      packed_2x4: "0x04000000A401"
    }
  }
#-}
