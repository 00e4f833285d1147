// Buffer-level glue calling Halide kernels through bitnet.call_kernel, for
// KernelCallTest.cpp. The kernels are test/Kernels' x86-64-avx2 set.

func.func @call_add(%a: memref<5x37xf32>, %b: memref<5x37xf32>, %y: memref<5x37xf32>) -> i32 {
  %s = bitnet.call_kernel @add_k(%a, %b, %y) {arg_types = [f32, f32, f32]}
      : (memref<5x37xf32>, memref<5x37xf32>, memref<5x37xf32>) -> i32
  return %s : i32
}

// 37x300 ternary weights in offset2 tiles of 4x128: 40 x 384 / 4 bytes.
func.func @call_bitlinear(%q: memref<1x300xi8>, %sc: memref<1xf32>, %w: memref<3840xi8>,
                          %g: f32, %y: memref<1x37xf32>) -> i32 {
  %s = bitnet.call_kernel @bl_gemv_o2(%q, %sc, %w, %g, %y) {arg_types = [si8, f32, ui8, f32, f32]}
      : (memref<1x300xi8>, memref<1xf32>, memref<3840xi8>, f32, memref<1x37xf32>) -> i32
  return %s : i32
}

func.func @call_rmsq(%x: memref<5x300xf32>, %w: memref<300xf32>, %q: memref<5x300xi8>,
                     %scale: memref<5xf32>, %qsum: memref<5xi32>) -> i32 {
  %s = bitnet.call_kernel @rmsq(%x, %w, %q, %scale, %qsum) {arg_types = [f32, f32, si8, f32, si32]}
      : (memref<5x300xf32>, memref<300xf32>, memref<5x300xi8>, memref<5xf32>, memref<5xi32>) -> i32
  return %s : i32
}

func.func @call_rope(%x: memref<5x30xf32>, %pos: i32, %y: memref<5x30xf32>) -> i32 {
  %s = bitnet.call_kernel @rope_k(%x, %pos, %y) {arg_types = [f32, si32, f32]}
      : (memref<5x30xf32>, i32, memref<5x30xf32>) -> i32
  return %s : i32
}

func.func @call_embedding(%table: memref<13x7xf16>, %tokens: memref<5xi32>, %y: memref<5x7xf32>) -> i32 {
  %s = bitnet.call_kernel @emb(%table, %tokens, %y) {arg_types = [ui16, si32, f32]}
      : (memref<13x7xf16>, memref<5xi32>, memref<5x7xf32>) -> i32
  return %s : i32
}

// A mis-sized buffer reaches the kernel's own checks: status is non-zero.
func.func @call_add_wrong(%a: memref<2x5xf32>, %b: memref<2x5xf32>, %y: memref<2x5xf32>) -> i32 {
  %s = bitnet.call_kernel @add_k(%a, %b, %y) {arg_types = [f32, f32, f32]}
      : (memref<2x5xf32>, memref<2x5xf32>, memref<2x5xf32>) -> i32
  return %s : i32
}
