// RUN: bitnet-opt %s --bitnet-choose-layout=target=x86-64-avx2 -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=AVX2
// RUN: bitnet-opt %s --bitnet-choose-layout=target=x86-64-avx512 -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=AVX512
// RUN: bitnet-opt %s --bitnet-choose-layout=target=arm64-dotprod -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=ARM
// RUN: bitnet-opt %s --bitnet-choose-layout=target=opencl -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=GPU
// RUN: not bitnet-opt %s --bitnet-choose-layout=target=riscv64 -split-input-file 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Each target's table picks the tile: 32 bytes of codes per row on AVX2
// (one row per tile), 64 on AVX-512, 16 on NEON; narrow K falls back to the
// smallest tile.
// AVX2-LABEL: func.func @wide
// AVX2: bitnet.layout = #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [1, 128]>
// AVX512-LABEL: func.func @wide
// AVX512: bitnet.layout = #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [4, 256]>
// ARM-LABEL: func.func @wide
// ARM: bitnet.layout = #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [4, 64]>
// GPU-LABEL: func.func @wide
// GPU: bitnet.layout = #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [1, 16]>
// UNKNOWN: error: unknown target 'riscv64'
func.func @wide(%q: tensor<1x256xi8>, %s: tensor<1xf32>, %w: tensor<64x256xi2>, %g: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x256xi8>, tensor<1xf32>, tensor<64x256xi2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// AVX2-LABEL: func.func @narrow
// AVX2: bitnet.layout = #bitnet.packed<offset2, ternary, shape = [8, 20], tile = [1, 4]>
func.func @narrow(%q: tensor<1x20xi8>, %s: tensor<1xf32>, %w: tensor<8x20xi2>, %g: f32) -> tensor<1x8xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x20xi8>, tensor<1xf32>, tensor<8x20xi2> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// Binary weights take the table's bits1 rows (8 weights per byte); 20
// inputs are narrower than a full AVX2 tile (8 x 32 bytes), so the narrow
// 1 x 8 tile.
// AVX2-LABEL: func.func @binary
// AVX2: bitnet.layout = #bitnet.packed<bits1, binary, shape = [8, 20], tile = [1, 8]>
func.func @binary(%q: tensor<1x20xi8>, %s: tensor<1xf32>, %w: tensor<8x20xi2>, %g: f32) -> tensor<1x8xf32> {
  %y = bitnet.bitlinear binary %q, %s, %w, %g : tensor<1x20xi8>, tensor<1xf32>, tensor<8x20xi2> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @dynamic(%q: tensor<1x20xi8>, %s: tensor<1xf32>, %w: tensor<?x20xi2>, %g: f32) -> tensor<1x8xf32> {
  // expected-error @+1 {{weights need a static shape to choose a layout}}
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x20xi8>, tensor<1xf32>, tensor<?x20xi2> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
