// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s
// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file | FileCheck %s --check-prefix=NOBITNET

// NOBITNET-NOT: bitnet.

//===----------------------------------------------------------------------===//
// bitnet.rms_norm
//===----------------------------------------------------------------------===//

// ss = sum x^2 per row in the reference's order: 32 partial sums, lane j
// adding the squares of columns j, j + 32, ... (loops row, lane, round;
// here one round of which columns 8 to 31 add 0), then the partials in
// lane order; y = (x * (1 / sqrt(ss / D + eps))) * w.
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8xf32>) -> tensor<?x8xf32>
// CHECK: %[[ROUNDS:.*]] = tensor.empty() : tensor<1xf32>
// CHECK: %[[PARTIALS:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[ROUNDS]] : tensor<1xf32>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK: %[[ROW:.*]] = linalg.index 0 : index
// CHECK: %[[LANE:.*]] = linalg.index 1 : index
// CHECK: %[[ROUND:.*]] = linalg.index 2 : index
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[BASE:.*]] = arith.muli %[[ROUND]], %[[C32]] : index
// CHECK: %[[COL:.*]] = arith.addi %[[BASE]], %[[LANE]] : index
// CHECK: %[[INSIDE:.*]] = arith.cmpi ult, %[[COL]], %{{.*}} : index
// CHECK: %[[SAFE:.*]] = arith.select %[[INSIDE]], %[[COL]], %{{.*}} : index
// CHECK: %[[V:.*]] = tensor.extract %[[X]][%[[ROW]], %[[SAFE]]] : tensor<?x8xf32>
// CHECK: %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : f32
// CHECK: %[[TERM:.*]] = arith.select %[[INSIDE]], %[[SQ]], %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %[[TERM]] : f32
// CHECK: %[[SS:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[PARTIALS]] : tensor<?x32xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: ^bb0(%[[P:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: arith.addf %[[ACC]], %[[P]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]], %[[SS]], %[[W]] : tensor<?x8xf32>, tensor<?xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[XI:.*]]: f32, %[[SSI:.*]]: f32, %[[WI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[MEAN:.*]] = arith.divf %[[SSI]], %{{.*}} : f32
// CHECK: %[[ADD:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[ROOT:.*]] = math.sqrt %[[ADD]] : f32
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %[[ROOT]] : f32
// CHECK: %[[V:.*]] = arith.mulf %[[XI]], %[[INV]] : f32
// CHECK: %[[R:.*]] = arith.mulf %[[V]], %[[WI]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]]
func.func @rms_norm(%x: tensor<?x8xf32>, %w: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = bitnet.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<?x8xf32>, tensor<8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The default epsilon is 1e-5.
// CHECK-LABEL: func.func @rms_norm_default_epsilon
// CHECK: arith.constant 9.99999974E-6 : f32
// CHECK: math.sqrt
func.func @rms_norm_default_epsilon(%x: tensor<1x8xf32>, %w: tensor<8xf32>) -> tensor<1x8xf32> {
  %y = bitnet.rms_norm %x, %w : tensor<1x8xf32>, tensor<8xf32>
  return %y : tensor<1x8xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.rope
//===----------------------------------------------------------------------===//

// -----

// One parallel generic that reads x[m, d] and its partner x[m, d +- hd/2],
// angle = (pos + m) * powf(theta, -2j / hd), rotates with cos and sin.
// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>, %[[POS:.*]]: i32)
// CHECK: %[[START:.*]] = arith.extsi %[[POS]] : i32 to i64
// CHECK: %[[THETA:.*]] = arith.constant 1.000000e+04 : f32
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: outs(%{{.*}} : tensor<1x8xf32>)
// CHECK: %[[M:.*]] = linalg.index 0 : index
// CHECK: %[[D:.*]] = linalg.index 1 : index
// CHECK: %[[HD:.*]] = arith.constant 4 : index
// CHECK: arith.remui %[[D]], %[[HD]] : index
// CHECK: %[[FIRST:.*]] = arith.cmpi ult
// CHECK: %[[SELF:.*]] = tensor.extract %[[X]][%[[M]], %[[D]]] : tensor<1x8xf32>
// CHECK: %[[PARTNER:.*]] = tensor.extract %[[X]][%[[M]], %{{.*}}] : tensor<1x8xf32>
// CHECK: %[[FREQ:.*]] = math.powf %[[THETA]], %{{.*}} : f32
// CHECK: %[[M64:.*]] = arith.index_cast %[[M]] : index to i64
// CHECK: %[[P:.*]] = arith.addi %[[START]], %[[M64]] : i64
// CHECK: %[[PF:.*]] = arith.sitofp %[[P]] : i64 to f32
// CHECK: %[[ANGLE:.*]] = arith.mulf %[[PF]], %[[FREQ]] : f32
// CHECK: %[[COS:.*]] = math.cos %[[ANGLE]] : f32
// CHECK: %[[SIN:.*]] = math.sin %[[ANGLE]] : f32
// CHECK: %[[SC:.*]] = arith.mulf %[[SELF]], %[[COS]] : f32
// CHECK: %[[PS:.*]] = arith.mulf %[[PARTNER]], %[[SIN]] : f32
// CHECK-DAG: %[[PLUS:.*]] = arith.addf %[[SC]], %[[PS]] : f32
// CHECK-DAG: %[[MINUS:.*]] = arith.subf %[[SC]], %[[PS]] : f32
// CHECK: %[[OUT:.*]] = arith.select %[[FIRST]], %[[MINUS]], %[[PLUS]] : f32
// CHECK: linalg.yield %[[OUT]] : f32
// CHECK: return %[[Y]]
func.func @rope(%x: tensor<1x8xf32>, %pos: i32) -> tensor<1x8xf32> {
  %y = bitnet.rope %x, %pos {head_dim = 4 : i64, theta = 1.0e+04 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// rope_qkv lowers as its definition: the RoPE of the queries and of the
// keys (each the generic above, with the op's head_dim and theta); the
// values are returned as they came.
// CHECK-LABEL: func.func @rope_qkv
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8xf32>, %[[K:.*]]: tensor<2x4xf32>, %[[V:.*]]: tensor<2x4xf32>, %{{.*}}: i32)
// CHECK: %[[QR:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x8xf32>)
// CHECK: tensor.extract %[[Q]]
// CHECK: math.cos
// CHECK: %[[KR:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: tensor.extract %[[K]]
// CHECK: math.cos
// CHECK: return %[[QR]], %[[KR]], %[[V]]
func.func @rope_qkv(%q: tensor<2x8xf32>, %k: tensor<2x4xf32>, %v: tensor<2x4xf32>, %pos: i32)
    -> (tensor<2x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %qr, %kr, %vr = bitnet.rope_qkv %q, %k, %v, %pos {head_dim = 4 : i64, theta = 1.0e+04 : f32}
      : tensor<2x8xf32>, tensor<2x4xf32>
  return %qr, %kr, %vr : tensor<2x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @rope_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %{{.*}}: i32) -> tensor<?x64xf32>
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x64xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}}outs(%[[E]] : tensor<?x64xf32>)
// CHECK: math.cos
// CHECK: math.sin
func.func @rope_dynamic(%x: tensor<?x64xf32>, %pos: i32) -> tensor<?x64xf32> {
  %y = bitnet.rope %x, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.kv_append
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @kv_append
// CHECK-SAME: (%[[C:.*]]: tensor<2x16x8xf32>, %[[K:.*]]: tensor<1x8xf32>, %[[POS:.*]]: i32) -> tensor<2x16x8xf32>
// CHECK: %[[P:.*]] = arith.index_cast %[[POS]] : i32 to index
// CHECK: %[[R:.*]] = tensor.insert_slice %[[K]] into %[[C]][1, %[[P]], 0] [1, 1, 8] [1, 1, 1] : tensor<1x8xf32> into tensor<2x16x8xf32>
// CHECK: return %[[R]]
func.func @kv_append(%c: tensor<2x16x8xf32>, %k: tensor<1x8xf32>, %pos: i32) -> tensor<2x16x8xf32> {
  %r = bitnet.kv_append %c, %k, %pos {layer = 1 : i64} : tensor<2x16x8xf32>, tensor<1x8xf32>
  return %r : tensor<2x16x8xf32>
}

// -----

// CHECK-LABEL: func.func @kv_append_dynamic
// CHECK-SAME: (%[[C:.*]]: tensor<2x16x8xf32>, %[[K:.*]]: tensor<?x8xf32>, %[[POS:.*]]: i32)
// CHECK: %[[P:.*]] = arith.index_cast %[[POS]] : i32 to index
// CHECK: %[[M:.*]] = tensor.dim %[[K]], %{{.*}} : tensor<?x8xf32>
// CHECK: tensor.insert_slice %[[K]] into %[[C]][0, %[[P]], 0] [1, %[[M]], 8] [1, 1, 1] : tensor<?x8xf32> into tensor<2x16x8xf32>
func.func @kv_append_dynamic(%c: tensor<2x16x8xf32>, %k: tensor<?x8xf32>, %pos: i32) -> tensor<2x16x8xf32> {
  %r = bitnet.kv_append %c, %k, %pos {layer = 0 : i64} : tensor<2x16x8xf32>, tensor<?x8xf32>
  return %r : tensor<2x16x8xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.attention
//===----------------------------------------------------------------------===//

// -----

// 4 query heads over 2 KV heads of head_dim 4: q is viewed as [M, KV, G, hd],
// the layer slice of each cache as [C, KV, hd]. Scores (reduction over hd),
// scaled by 1/sqrt(4) = 0.5, causal max, exp, sum, then the weighted sum of V
// (reduction over the context) and the collapse back to [M, 16].
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<1x16xf32>, %[[KC:.*]]: tensor<2x8x8xf32>, %[[VC:.*]]: tensor<2x8x8xf32>, %[[POS:.*]]: i32) -> tensor<1x16xf32>
// CHECK: %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2, 3]] output_shape [1, 2, 2, 4] : tensor<1x16xf32> into tensor<1x2x2x4xf32>
// CHECK: %[[KS:.*]] = tensor.extract_slice %[[KC]][1, 0, 0] [1, 8, 8] [1, 1, 1] : tensor<2x8x8xf32> to tensor<8x8xf32>
// CHECK: %[[K:.*]] = tensor.expand_shape %[[KS]] {{\[}}[0], [1, 2]] output_shape [8, 2, 4] : tensor<8x8xf32> into tensor<8x2x4xf32>
// CHECK: %[[VS:.*]] = tensor.extract_slice %[[VC]][1, 0, 0] [1, 8, 8] [1, 1, 1]
// CHECK: %[[V:.*]] = tensor.expand_shape %[[VS]]
// CHECK: %[[START:.*]] = arith.index_cast %[[POS]] : i32 to index
// CHECK: %[[DOTS:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[Q4]], %[[K]] : tensor<1x2x2x4xf32>, tensor<8x2x4xf32>) outs(%{{.*}} : tensor<1x2x2x8xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[SCORES:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[DOTS]] : tensor<1x2x2x8xf32>)
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[SCORES]] : tensor<1x2x2x8xf32>) outs(%[[MAXINIT]] : tensor<1x2x2xf32>)
// CHECK: arith.maximumf
// CHECK: %[[T:.*]] = linalg.index 3 : index
// CHECK: %[[LAST:.*]] = arith.addi %[[START]], %{{.*}} : index
// CHECK: arith.cmpi ule, %[[T]], %[[LAST]] : index
// CHECK: arith.select
// CHECK: %[[EXPS:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[SCORES]], %[[MAX]] : tensor<1x2x2x8xf32>, tensor<1x2x2xf32>)
// CHECK: %[[SUB:.*]] = arith.subf
// CHECK: math.exp %[[SUB]] : f32
// CHECK: arith.cmpi ule
// CHECK: arith.select
// CHECK: %[[SUMS:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[EXPS]] : tensor<1x2x2x8xf32>) outs(%{{.*}} : tensor<1x2x2xf32>)
// CHECK: arith.addf
// CHECK: %[[OUT:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%[[EXPS]], %[[SUMS]], %[[V]] : tensor<1x2x2x8xf32>, tensor<1x2x2xf32>, tensor<8x2x4xf32>) outs(%{{.*}} : tensor<1x2x2x4xf32>)
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[OUT]] {{\[}}[0], [1, 2, 3]] : tensor<1x2x2x4xf32> into tensor<1x16xf32>
// CHECK: return %[[R]]
func.func @attention(%q: tensor<1x16xf32>, %kc: tensor<2x8x8xf32>, %vc: tensor<2x8x8xf32>, %pos: i32) -> tensor<1x16xf32> {
  %o = bitnet.attention %q, %kc, %vc, %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x16xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  return %o : tensor<1x16xf32>
}

// -----

// Dynamic token count.
// CHECK-LABEL: func.func @attention_dynamic
// CHECK-SAME: (%[[Q:.*]]: tensor<?x64xf32>,
// CHECK: %[[M:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x64xf32>
// CHECK: tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2, 3]] output_shape [%[[M]], 4, 1, 16] : tensor<?x64xf32> into tensor<?x4x1x16xf32>
// CHECK: math.exp
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x4x1x16xf32> into tensor<?x64xf32>
func.func @attention_dynamic(%q: tensor<?x64xf32>, %kc: tensor<1x16x64xf32>, %vc: tensor<1x16x64xf32>, %pos: i32) -> tensor<?x64xf32> {
  %o = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 4 : i64} : tensor<?x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>
  return %o : tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.glu
//===----------------------------------------------------------------------===//

// -----

// relu2: r = gate > 0 ? gate : 0, (r * r) * up.
// CHECK-LABEL: func.func @glu_relu2
// CHECK-SAME: (%[[G:.*]]: tensor<1x8xf32>, %[[U:.*]]: tensor<1x8xf32>)
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[G]], %[[U]] : tensor<1x8xf32>, tensor<1x8xf32>)
// CHECK: ^bb0(%[[GI:.*]]: f32, %[[UI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[GI]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.select %[[POS]], %[[GI]], %{{.*}} : f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[R]], %[[R]] : f32
// CHECK: %[[OUT:.*]] = arith.mulf %[[SQ]], %[[UI]] : f32
// CHECK: linalg.yield %[[OUT]] : f32
// CHECK-NOT: math.exp
// CHECK: return %[[Y]]
func.func @glu_relu2(%gate: tensor<1x8xf32>, %up: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %y = bitnet.glu relu2 %gate, %up : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// silu: gate / (1 + exp(-gate)) * up.
// CHECK-LABEL: func.func @glu_silu
// CHECK-SAME: (%[[G:.*]]: tensor<?x8xf32>, %[[U:.*]]: tensor<?x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[G]], %[[U]] : tensor<?x8xf32>, tensor<?x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: ^bb0(%[[GI:.*]]: f32, %[[UI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[NEG:.*]] = arith.negf %[[GI]] : f32
// CHECK: %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK: %[[DEN:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK: %[[ACT:.*]] = arith.divf %[[GI]], %[[DEN]] : f32
// CHECK: %[[OUT:.*]] = arith.mulf %[[ACT]], %[[UI]] : f32
// CHECK: linalg.yield %[[OUT]] : f32
func.func @glu_silu(%gate: tensor<?x8xf32>, %up: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = bitnet.glu silu %gate, %up : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.embedding
//===----------------------------------------------------------------------===//

// -----

// Gather with the id clamped to [0, vocab - 1], f16 rows extended to f32.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:.*]]: tensor<16x8xf16>, %[[IDS:.*]]: tensor<?xi32>) -> tensor<?x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[IDS]] : tensor<?xi32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: ^bb0(%[[ID:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[I:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: %[[LO:.*]] = arith.maxsi %[[I]], %{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.minsi %[[LO]], %{{.*}} : index
// CHECK: %[[COL:.*]] = linalg.index 1 : index
// CHECK: %[[E:.*]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<16x8xf16>
// CHECK: %[[F:.*]] = arith.extf %[[E]] : f16 to f32
// CHECK: linalg.yield %[[F]] : f32
// CHECK: return %[[Y]]
func.func @embedding(%table: tensor<16x8xf16>, %tokens: tensor<?xi32>) -> tensor<?x8xf32> {
  %x = bitnet.embedding %table, %tokens : tensor<16x8xf16>, tensor<?xi32> -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @embedding_f32
// CHECK: %[[E:.*]] = tensor.extract %{{.*}} : tensor<16x8xf32>
// CHECK-NEXT: linalg.yield %[[E]] : f32
func.func @embedding_f32(%table: tensor<16x8xf32>, %tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %x = bitnet.embedding %table, %tokens : tensor<16x8xf32>, tensor<1xi32> -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

//===----------------------------------------------------------------------===//
// bitnet.add
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x8xf32>, tensor<?x8xf32>)
// CHECK: ^bb0(%[[AI:.*]]: f32, %[[BI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[AI]], %[[BI]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[Y]]
func.func @add(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = bitnet.add %a, %b : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
