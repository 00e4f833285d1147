// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s
// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s --check-prefix=NOBITNET

// NOBITNET-NOT: bitnet.

//===----------------------------------------------------------------------===//
// bitnet.quantize_activations
//===----------------------------------------------------------------------===//

// amax per row (reduction over K), s = 127 / max(amax, 1e-5),
// q = fptosi(clamp(roundeven(x * s), -128, 127)).
// CHECK-LABEL: func.func @quantize_activations
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[AMAX:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[X]] : tensor<?x64xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[ABS:.*]] = math.absf
// CHECK: arith.maximumf %{{.*}}, %[[ABS]] : f32
// CHECK: %[[S:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: ins(%[[AMAX]] : tensor<?xf32>)
// CHECK: %[[FLOOR:.*]] = arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: %[[C127:.*]] = arith.constant 1.270000e+02 : f32
// CHECK: arith.divf %[[C127]], %[[FLOOR]] : f32
// CHECK: %[[Q:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]], %[[S]] : tensor<?x64xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?x64xi8>)
// CHECK: %[[M:.*]] = arith.mulf
// CHECK: %[[R:.*]] = math.roundeven %[[M]] : f32
// CHECK: %[[LO:.*]] = arith.maximumf %[[R]], %{{.*}} : f32
// CHECK: %[[HI:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK: arith.fptosi %[[HI]] : f32 to i8
// CHECK: return %[[Q]], %[[S]] : tensor<?x64xi8>, tensor<?xf32>
func.func @quantize_activations(%x: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?xf32>) {
  %q, %s = bitnet.quantize_activations %x : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?xf32>
  return %q, %s : tensor<?x64xi8>, tensor<?xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.bitlinear
//===----------------------------------------------------------------------===//

// -----

// Exact i32 accumulation over K (extsi both i8 operands, muli, addi), then
// float(acc) / s[m] * gamma.
// CHECK-LABEL: func.func @bitlinear_ternary
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8xi8>, %[[S:.*]]: tensor<1xf32>, %[[W:.*]]: tensor<4x8xi8>, %[[G:.*]]: f32) -> tensor<1x4xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : i32) outs(%{{.*}} : tensor<1x4xi32>)
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[Q]], %[[W]] : tensor<1x8xi8>, tensor<4x8xi8>) outs(%[[INIT]] : tensor<1x4xi32>)
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[OUT:.*]]: i32):
// CHECK-DAG: %[[A32:.*]] = arith.extsi %[[A]] : i8 to i32
// CHECK-DAG: %[[B32:.*]] = arith.extsi %[[B]] : i8 to i32
// CHECK: %[[P:.*]] = arith.muli %[[A32]], %[[B32]] : i32
// CHECK: %[[SUM:.*]] = arith.addi %[[OUT]], %[[P]] : i32
// CHECK: linalg.yield %[[SUM]] : i32
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[ACC]], %[[S]] : tensor<1x4xi32>, tensor<1xf32>)
// CHECK: %[[F:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK: %[[D:.*]] = arith.divf %[[F]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.mulf %[[D]], %[[G]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]] : tensor<1x4xf32>
func.func @bitlinear_ternary(%q: tensor<1x8xi8>, %s: tensor<1xf32>, %w: tensor<4x8xi2>, %gamma: f32) -> tensor<1x4xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x8xi8>, tensor<1xf32>, tensor<4x8xi2> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Binary logical weights lower the same way; constant weights become an
// arith.constant of i8.
// CHECK-LABEL: func.func @bitlinear_binary_constant
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2xi8>,
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[1, -1], [-1, -1]]> : tensor<2x2xi8>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[Q]], %[[W]] : tensor<?x2xi8>, tensor<2x2xi8>) outs(%{{.*}} : tensor<?x2xi32>)
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: arith.sitofp
func.func @bitlinear_binary_constant(%q: tensor<?x2xi8>, %s: tensor<?xf32>, %gamma: f32) -> tensor<?x2xf32> {
  %w = bitnet.constant dense<[[1, -1], [-1, -1]]> : tensor<2x2xi2>
  %y = bitnet.bitlinear binary %q, %s, %w, %gamma : tensor<?x2xi8>, tensor<?xf32>, tensor<2x2xi2> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Packed offset2 weights are unpacked first into a [N, K] i8 tensor: a 2-D
// parallel generic reads the byte, shifts it by 2 * slot, masks with 3 and
// subtracts 1.
// CHECK-LABEL: func.func @bitlinear_packed_offset2
// CHECK-SAME: (%[[Q:.*]]: tensor<1x128xi8>, %[[S:.*]]: tensor<1xf32>, %[[P:.*]]: tensor<2048xi8>, %[[G:.*]]: f32)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<64x128xi8>
// CHECK: %[[W:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: outs(%[[E]] : tensor<64x128xi8>)
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: %[[BYTE:.*]] = tensor.extract %[[P]][%{{.*}}] : tensor<2048xi8>
// CHECK: arith.extui %[[BYTE]] : i8 to i32
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.subi
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[Q]], %[[W]] : tensor<1x128xi8>, tensor<64x128xi8>) outs(%{{.*}} : tensor<1x64xi32>)
// CHECK: arith.extsi
// CHECK: arith.extsi
// CHECK: arith.muli
// CHECK: arith.addi
func.func @bitlinear_packed_offset2(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %p: tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>, %gamma: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// base3 decoding: trit = (((byte * 3^slot) & 255) * 3) >> 8, minus 1.
// CHECK-LABEL: func.func @bitlinear_packed_base3
// CHECK-SAME: %[[P:[^:]*]]: tensor<4xi8>
// CHECK: %[[W:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: %[[BYTE:.*]] = tensor.extract %[[P]]
// CHECK: %[[V:.*]] = arith.extui %[[BYTE]] : i8 to i32
// CHECK-COUNT-5: arith.cmpi sgt
// CHECK: %[[C255:.*]] = arith.constant 255 : i32
// CHECK: %[[MUL:.*]] = arith.muli %[[V]], %{{.*}} : i32
// CHECK: %[[LOW:.*]] = arith.andi %[[MUL]], %[[C255]] : i32
// CHECK: %[[C8:.*]] = arith.constant 8 : i32
// CHECK: %[[X3:.*]] = arith.muli %[[LOW]], %{{.*}} : i32
// CHECK: %[[TRIT:.*]] = arith.shrui %[[X3]], %[[C8]] : i32
// CHECK: arith.subi %[[TRIT]], %{{.*}} : i32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: tensor<2x10xi8>, tensor<2x10xi8>
func.func @bitlinear_packed_base3(%q: tensor<2x10xi8>, %s: tensor<2xf32>, %p: tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>>, %gamma: f32) -> tensor<2x2xf32> {
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<2x10xi8>, tensor<2xf32>, tensor<4xi8, #bitnet.packed<base3, ternary, shape = [2, 10], tile = [1, 10]>> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bits1 decoding: bit = (byte >> slot) & 1, w = 2 * bit - 1.
// CHECK-LABEL: func.func @bitlinear_packed_bits1
// CHECK-SAME: %[[P:[^:]*]]: tensor<1024xi8>
// CHECK: %[[W:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: tensor.extract %[[P]]
// CHECK: %[[SH:.*]] = arith.shrui
// CHECK: %[[BIT:.*]] = arith.andi %[[SH]], %{{.*}} : i32
// CHECK: %[[TWO:.*]] = arith.muli %[[BIT]], %{{.*}} : i32
// CHECK: arith.subi %[[TWO]], %{{.*}} : i32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<1x128xi8>, tensor<64x128xi8>)
func.func @bitlinear_packed_bits1(%q: tensor<1x128xi8>, %s: tensor<1xf32>, %p: tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>>, %gamma: f32) -> tensor<1x64xf32> {
  %y = bitnet.bitlinear binary %q, %s, %p, %gamma : tensor<1x128xi8>, tensor<1xf32>, tensor<1024xi8, #bitnet.packed<bits1, binary, shape = [64, 128], tile = [8, 64]>> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// Packed constant weights: the bytes become an arith.constant, then unpack.
// CHECK-LABEL: func.func @bitlinear_packed_constant
// CHECK: %[[C:.*]] = arith.constant dense<[-92, 1]> : tensor<2xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: tensor.extract %[[C]]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
func.func @bitlinear_packed_constant(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %gamma: f32) -> tensor<1x2xf32> {
  %p = bitnet.constant dense<[-92, 1]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  %y = bitnet.bitlinear ternary %q, %s, %p, %gamma : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// The whole BitLinear: quantize_activations feeding bitlinear.
// CHECK-LABEL: func.func @quantize_then_bitlinear
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x8xi8>)
// CHECK: math.roundeven
// CHECK: arith.fptosi
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[Q]], %{{.*}} : tensor<1x8xi8>, tensor<4x8xi8>)
func.func @quantize_then_bitlinear(%x: tensor<1x8xf32>, %w: tensor<4x8xi2>, %gamma: f32) -> tensor<1x4xf32> {
  %q, %s = bitnet.quantize_activations %x : tensor<1x8xf32> -> tensor<1x8xi8>, tensor<1xf32>
  %y = bitnet.bitlinear ternary %q, %s, %w, %gamma : tensor<1x8xi8>, tensor<1xf32>, tensor<4x8xi2> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.float_linear
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @float_linear_f16
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>, %[[W:.*]]: tensor<4x8xf16>) -> tensor<1x4xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x4xf32>)
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<1x8xf32>, tensor<4x8xf16>) outs(%[[INIT]] : tensor<1x4xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f16, %[[OUT:.*]]: f32):
// CHECK: %[[B32:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[A]], %[[B32]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[Y]]
func.func @float_linear_f16(%x: tensor<1x8xf32>, %w: tensor<4x8xf16>) -> tensor<1x4xf32> {
  %y = bitnet.float_linear %x, %w : tensor<1x8xf32>, tensor<4x8xf16> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @float_linear_bf16
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @float_linear_bf16(%x: tensor<1x8xf32>, %w: tensor<4x8xbf16>) -> tensor<1x4xf32> {
  %y = bitnet.float_linear %x, %w : tensor<1x8xf32>, tensor<4x8xbf16> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// f32 weights need no extension.
// CHECK-LABEL: func.func @float_linear_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<4x8xf32>) -> tensor<?x4xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<?x8xf32>, tensor<4x8xf32>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK-NOT: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @float_linear_f32(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %y = bitnet.float_linear %x, %w : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// The fused op lowers as its definition plus the per-token sum of the codes.
// CHECK-LABEL: func.func @rms_norm_quantize
// CHECK: math.sqrt
// CHECK: math.roundeven
// CHECK: arith.fptosi
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.addi
func.func @rms_norm_quantize(%x: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>) {
  %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return %q, %s, %sum : tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
}

// -----

// With the residual add: the sum first (returned), then the norm-quantizer
// of it.
// CHECK-LABEL: func.func @add_rms_norm_quantize
// CHECK: %[[X:.*]] = linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[X]]
// CHECK: math.sqrt
// CHECK: math.roundeven
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: return %[[X]],
func.func @add_rms_norm_quantize(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xf32>, tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>) {
  %x, %q, %s, %sum = bitnet.add_rms_norm_quantize %a, %b, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return %x, %q, %s, %sum : tensor<2x64xf32>, tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
}

// -----

// The GLU joined to the norm-quantizer: the GLU first, then the norm of it.
// CHECK-LABEL: func.func @glu_rms_norm_quantize
// CHECK: %[[M:.*]] = linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {{.*}} ins(%[[M]]
// CHECK: math.sqrt
// CHECK: math.roundeven
func.func @glu_rms_norm_quantize(%g: tensor<2x64xf32>, %u: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>) {
  %q, %s, %sum = bitnet.glu_rms_norm_quantize relu2 %g, %u, %w : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
  return %q, %s, %sum : tensor<2x64xi8>, tensor<2xf32>, tensor<2xi32>
}
