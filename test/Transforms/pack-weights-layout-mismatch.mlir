// A hand-written bitnet.layout that disagrees with the weights is refused
// when the IR is verified, before bitnet-pack-weights folds anything by it
// (a larger layout once read past the weights, a huge one ran out of memory).
// RUN: bitnet-opt %s --bitnet-pack-weights -split-input-file -verify-diagnostics

func.func @larger_than_weights(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  // expected-error @+1 {{'bitnet.bitlinear' op 'bitnet.layout': weights are 2x4 but the layout is for 8x4}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [8, 4], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @huge(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  // expected-error @+1 {{weights are 2x4 but the layout is for 1048576x1048576}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [1048576, 1048576], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @smaller_than_weights(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  // expected-error @+1 {{weights are 2x4 but the layout is for 1x4}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [1, 4], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @other_kind(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 1, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  // expected-error @+1 {{packs binary weights into a layout for ternary}}
  %y = bitnet.bitlinear binary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @not_a_layout(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  // expected-error @+1 {{'bitnet.layout' must be a #bitnet.packed layout}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = 3 : i64} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @not_on_bitlinear(%a: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'bitnet.layout' belongs on bitnet.bitlinear or bitnet.bitlinear_fused}}
  %r = arith.addf %a, %a {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>} : tensor<2xf32>
  return %r : tensor<2xf32>
}
