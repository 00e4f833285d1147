// Every bitnet op on its own, for OpsTest.cpp (compiled through
// --bitnet-reference-pipeline with the bare-pointer ABI). Shapes are odd on
// purpose: nothing is a multiple of a tile or a vector width.

#offset2 = #bitnet.packed<offset2, ternary, shape = [11, 37], tile = [4, 16]>
#base3 = #bitnet.packed<base3, ternary, shape = [11, 37], tile = [3, 10]>
#bits1 = #bitnet.packed<bits1, binary, shape = [11, 37], tile = [2, 24]>

func.func @quantize_activations(%x: tensor<5x37xf32>) -> (tensor<5x37xi8>, tensor<5xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<5x37xf32> -> tensor<5x37xi8>, tensor<5xf32>
  return %q, %s : tensor<5x37xi8>, tensor<5xf32>
}

func.func @quantize_weights_ternary(%w: tensor<11x37xf32>) -> (tensor<11x37xi2>, f32) {
  %t, %g = bitnet.quantize_weights ternary %w : tensor<11x37xf32> -> tensor<11x37xi2>
  return %t, %g : tensor<11x37xi2>, f32
}

func.func @quantize_weights_binary(%w: tensor<11x37xf32>) -> (tensor<11x37xi2>, f32) {
  %t, %g = bitnet.quantize_weights binary %w : tensor<11x37xf32> -> tensor<11x37xi2>
  return %t, %g : tensor<11x37xi2>, f32
}

func.func @quantize_weights_f16(%w: tensor<11x37xf16>) -> (tensor<11x37xi2>, f32) {
  %t, %g = bitnet.quantize_weights ternary %w : tensor<11x37xf16> -> tensor<11x37xi2>
  return %t, %g : tensor<11x37xi2>, f32
}

func.func @bitlinear_ternary(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<11x37xi2>, %g: f32) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<5x37xi8>, tensor<5xf32>, tensor<11x37xi2> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @bitlinear_binary(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<11x37xi2>, %g: f32) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear binary %q, %s, %w, %g : tensor<5x37xi8>, tensor<5xf32>, tensor<11x37xi2> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

// K = 4099: sums up to 127 * 4099, far beyond int16.
func.func @bitlinear_wide(%q: tensor<2x4099xi8>, %s: tensor<2xf32>, %w: tensor<3x4099xi2>, %g: f32) -> tensor<2x3xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<2x4099xi8>, tensor<2xf32>, tensor<3x4099xi2> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

func.func @pack_offset2(%w: tensor<11x37xi2>) -> tensor<144xi8, #offset2> {
  %p = bitnet.pack ternary %w : tensor<11x37xi2> -> tensor<144xi8, #offset2>
  return %p : tensor<144xi8, #offset2>
}

func.func @pack_base3(%w: tensor<11x37xi2>) -> tensor<96xi8, #base3> {
  %p = bitnet.pack ternary %w : tensor<11x37xi2> -> tensor<96xi8, #base3>
  return %p : tensor<96xi8, #base3>
}

func.func @pack_bits1(%w: tensor<11x37xi2>) -> tensor<72xi8, #bits1> {
  %p = bitnet.pack binary %w : tensor<11x37xi2> -> tensor<72xi8, #bits1>
  return %p : tensor<72xi8, #bits1>
}

func.func @bitlinear_offset2(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<144xi8, #offset2>, %g: f32) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<5x37xi8>, tensor<5xf32>, tensor<144xi8, #offset2> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @bitlinear_base3(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<96xi8, #base3>, %g: f32) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<5x37xi8>, tensor<5xf32>, tensor<96xi8, #base3> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @bitlinear_bits1(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<72xi8, #bits1>, %g: f32) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear binary %q, %s, %w, %g : tensor<5x37xi8>, tensor<5xf32>, tensor<72xi8, #bits1> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

// Segments of 4, 2 and 5 rows, each with its own scale (q/k/v-like).
func.func @bitlinear_fused(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<11x37xi2>, %g: tensor<3xf32>) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 4, 2, 5>} : tensor<5x37xi8>, tensor<5xf32>, tensor<11x37xi2>, tensor<3xf32> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @bitlinear_fused_offset2(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<144xi8, #offset2>, %g: tensor<3xf32>) -> tensor<5x11xf32> {
  %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 4, 2, 5>} : tensor<5x37xi8>, tensor<5xf32>, tensor<144xi8, #offset2>, tensor<3xf32> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @float_linear_f32(%x: tensor<5x37xf32>, %w: tensor<11x37xf32>) -> tensor<5x11xf32> {
  %y = bitnet.float_linear %x, %w : tensor<5x37xf32>, tensor<11x37xf32> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @float_linear_f16(%x: tensor<5x37xf32>, %w: tensor<11x37xf16>) -> tensor<5x11xf32> {
  %y = bitnet.float_linear %x, %w : tensor<5x37xf32>, tensor<11x37xf16> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @int8_linear(%q: tensor<5x37xi8>, %s: tensor<5xf32>, %w: tensor<11x37xi8>, %ws: tensor<11xf32>) -> tensor<5x11xf32> {
  %y = bitnet.int8_linear %q, %s, %w, %ws : tensor<5x37xi8>, tensor<5xf32>, tensor<11x37xi8>, tensor<11xf32> -> tensor<5x11xf32>
  return %y : tensor<5x11xf32>
}

func.func @rms_norm(%x: tensor<5x37xf32>, %w: tensor<37xf32>) -> tensor<5x37xf32> {
  %y = bitnet.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<5x37xf32>, tensor<37xf32>
  return %y : tensor<5x37xf32>
}

// Not the default epsilon: a lowering that dropped it would change the scales.
func.func @rms_norm_quantize(%x: tensor<5x37xf32>, %w: tensor<37xf32>) -> (tensor<5x37xi8>, tensor<5xf32>, tensor<5xi32>) {
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w {epsilon = 1.0e-03 : f32} : tensor<5x37xf32>, tensor<37xf32> -> tensor<5x37xi8>, tensor<5xf32>, tensor<5xi32>
  return %q, %s, %sum : tensor<5x37xi8>, tensor<5xf32>, tensor<5xi32>
}

// 3 heads of 10.
func.func @rope(%x: tensor<5x30xf32>, %pos: i32) -> tensor<5x30xf32> {
  %y = bitnet.rope %x, %pos {head_dim = 10 : i64, theta = 5.0e+05 : f32} : tensor<5x30xf32>
  return %y : tensor<5x30xf32>
}

// 3 layers, context 9, 2 KV heads of 6 (kv_dim 12); 4 query heads (24).
func.func @attention(%q: tensor<3x24xf32>, %k: tensor<3x12xf32>, %v: tensor<3x12xf32>,
                     %pos: i32, %kc: tensor<3x9x12xf32>, %vc: tensor<3x9x12xf32>)
    -> (tensor<3x24xf32>, tensor<3x9x12xf32>, tensor<3x9x12xf32>) {
  %kc1 = bitnet.kv_append %kc, %k, %pos {layer = 1 : i64} : tensor<3x9x12xf32>, tensor<3x12xf32>
  %vc1 = bitnet.kv_append %vc, %v, %pos {layer = 1 : i64} : tensor<3x9x12xf32>, tensor<3x12xf32>
  %o = bitnet.attention %q, %kc1, %vc1, %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<3x24xf32>, tensor<3x9x12xf32>, tensor<3x9x12xf32>
  return %o, %kc1, %vc1 : tensor<3x24xf32>, tensor<3x9x12xf32>, tensor<3x9x12xf32>
}

func.func @glu_relu2(%g: tensor<5x37xf32>, %u: tensor<5x37xf32>) -> tensor<5x37xf32> {
  %y = bitnet.glu relu2 %g, %u : tensor<5x37xf32>
  return %y : tensor<5x37xf32>
}

func.func @glu_silu(%g: tensor<5x37xf32>, %u: tensor<5x37xf32>) -> tensor<5x37xf32> {
  %y = bitnet.glu silu %g, %u : tensor<5x37xf32>
  return %y : tensor<5x37xf32>
}

func.func @embedding(%table: tensor<13x7xf16>, %tokens: tensor<5xi32>) -> tensor<5x7xf32> {
  %y = bitnet.embedding %table, %tokens : tensor<13x7xf16>, tensor<5xi32> -> tensor<5x7xf32>
  return %y : tensor<5x7xf32>
}

func.func @add(%a: tensor<5x37xf32>, %b: tensor<5x37xf32>) -> tensor<5x37xf32> {
  %y = bitnet.add %a, %b : tensor<5x37xf32>
  return %y : tensor<5x37xf32>
}
