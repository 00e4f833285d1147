//===- BitNetOps.td - bitnet operations --------------------*- tablegen -*-===//
#ifndef BITNET_OPS_TD
#define BITNET_OPS_TD

include "bitnet/Dialect/BitNet/BitNetAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def BitNet_F32Matrix : TensorRankOf<[F32], [2]>;
def BitNet_F32Vector : TensorRankOf<[F32], [1]>;
def BitNet_I8Matrix : TensorRankOf<[I8], [2]>;
def BitNet_FloatWeightMatrix : TensorRankOf<[F16, BF16, F32], [2]>;
def BitNet_I2 : I<2>;
def BitNet_LogicalWeights : TensorRankOf<[BitNet_I2], [2]>;
def BitNet_PackedWeights : Type<
    And<[TensorRankOf<[I8], [1]>.predicate,
         CPred<"::llvm::isa_and_nonnull<::mlir::bitnet::PackedLayoutAttr>("
               "::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding())">]>,
    "1-D i8 tensor with a #bitnet.packed encoding">;
def BitNet_Weights : AnyTypeOf<[BitNet_LogicalWeights, BitNet_PackedWeights],
    "logical i2 weights or packed i8 weights">;
def BitNet_KVCache : TensorRankOf<[F32], [3]>;
def BitNet_Position : TypeAlias<I32, "i32 token position">;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def BitNet_ConstantOp : BitNet_Op<"constant", [ConstantLike, Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "quantized weight constant whose values are verified";
  let description = [{
    A constant of logical quantized weights (`tensor<N x K x i2>`, values in
    {-1, 0, +1}) or of packed weights (a 1-D `i8` tensor with a
    `#bitnet.packed` encoding, whose bytes must decode under the layout to
    values legal for the layout's kind). Whether logical weights are binary
    ({-1, +1}) is a property of their consumer (`bitnet.bitlinear`,
    `bitnet.pack`), which verifies constant operands against its kind.
    `dense_resource` values store one byte per logical element (the
    sign-extended value).

    ```mlir
    %w = bitnet.constant dense<[[1, 0], [-1, 1]]> : tensor<2x2xi2>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs BitNet_Weights:$result);
  let assemblyFormat = "$value attr-dict";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BitNet_QuantizeWeightsOp : BitNet_Op<"quantize_weights", [Pure]> {
  let summary = "per-tensor weight quantization (absmean / sign)";
  let description = [{
    Quantizes a float `[N, K]` weight matrix per tensor and returns the logical
    weights and their scale `gamma`, so that `W ~= gamma * T`.

    - `ternary` (BitNet b1.58, absmean): `gamma = max(mean(|W|), 1e-5)`,
      `T = clamp(round_half_even(W / gamma), -1, 1)`.
    - `binary` (1-bit BitNet): `alpha = mean(W)`, `T = W > alpha ? +1 : -1`
      (sign(0) = -1), `gamma = max(mean(|W|), 1e-5)`.

    Means accumulate in f64 in row-major order. On a constant input the op
    folds to a `bitnet.constant` and an `arith.constant` (canonicalization).

    ```mlir
    %t, %gamma = bitnet.quantize_weights ternary %w : tensor<64x128xf32> -> tensor<64x128xi2>
    ```
  }];
  let arguments = (ins BitNet_WeightKind:$kind,
                       BitNet_FloatWeightMatrix:$weights);
  let results = (outs BitNet_LogicalWeights:$values, F32:$scale);
  let assemblyFormat = [{
    $kind $weights attr-dict `:` type($weights) `->` type($values)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def BitNet_PackOp : BitNet_Op<"pack", [Pure]> {
  let summary = "packs logical weights into a physical layout";
  let description = [{
    Packs logical `[N, K]` weights into the byte layout named by the result's
    `#bitnet.packed` encoding. The encoding's shape must equal the input's and
    its kind must equal the op's. Folds on constant input, so packing happens
    at compile time.

    ```mlir
    %p = bitnet.pack ternary %t : tensor<64x128xi2>
        -> tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
    ```
  }];
  let arguments = (ins BitNet_WeightKind:$kind,
                       BitNet_LogicalWeights:$weights);
  let results = (outs BitNet_PackedWeights:$packed);
  let assemblyFormat = [{
    $kind $weights attr-dict `:` type($weights) `->` type($packed)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Activations and BitLinear
//===----------------------------------------------------------------------===//

def BitNet_QuantizeActivationsOp : BitNet_Op<"quantize_activations", [Pure]> {
  let summary = "per-token absmax activation quantization to int8";
  let description = [{
    For each row `m` of an `[M, K]` f32 matrix:
    `s[m] = 127 / max(max_k |x[m, k]|, 1e-5)` and
    `q[m, k] = clamp(round_half_even(x[m, k] * s[m]), -128, 127)`.
    Returns the int8 matrix and the per-token scales `s` (runtime data).

    ```mlir
    %q, %s = bitnet.quantize_activations %x : tensor<1x128xf32> -> tensor<1x128xi8>, tensor<1xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$input);
  let results = (outs BitNet_I8Matrix:$quantized, BitNet_F32Vector:$scales);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($quantized) `,` type($scales)
  }];
  let hasVerifier = 1;
}

def BitNet_RMSNormQuantizeOp : BitNet_Op<"rms_norm_quantize", [Pure]> {
  let summary = "RMSNorm fused with per-token int8 quantization";
  let description = [{
    `bitnet.quantize_activations(bitnet.rms_norm(x, w))` as one op, the form
    the kernels implement: returns the int8 codes, the per-token scales and
    the per-token sum of the codes (`sum_k q[m, k]`, which the offset-code
    form of BitLinear subtracts). `bitnet-fuse-rmsnorm-quant` forms it.

    ```mlir
    %q, %s, %qsum = bitnet.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32}
        : tensor<1x128xf32>, tensor<128xf32> -> tensor<1x128xi8>, tensor<1xf32>, tensor<1xi32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$input, BitNet_F32Vector:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs BitNet_I8Matrix:$quantized, BitNet_F32Vector:$scales,
                      TensorRankOf<[I32], [1]>:$sums);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->`
    type($quantized) `,` type($scales) `,` type($sums)
  }];
  let hasVerifier = 1;
}

def BitNet_AddRMSNormQuantizeOp : BitNet_Op<"add_rms_norm_quantize", [Pure,
    AllTypesMatch<["lhs", "rhs", "sum"]>]> {
  let summary = "residual add fused with RMSNorm and int8 quantization";
  let description = [{
    `x = bitnet.add(lhs, rhs)` followed by `bitnet.rms_norm_quantize(x, w)`
    as one op: returns the sum `x` (the residual stream, which later layers
    read), then the int8 codes, the per-token scales and the per-token sum
    of the codes. `bitnet-fuse-rmsnorm-quant` forms it where a residual
    add feeds a norm and its quantizer, so that on a GPU the sum is written
    by the kernel that writes the codes instead of a launch of its own.

    ```mlir
    %x, %q, %s, %qsum = bitnet.add_rms_norm_quantize %a, %b, %w {epsilon = 1.0e-05 : f32}
        : tensor<1x128xf32>, tensor<128xf32> -> tensor<1x128xi8>, tensor<1xf32>, tensor<1xi32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$lhs, BitNet_F32Matrix:$rhs,
                       BitNet_F32Vector:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs BitNet_F32Matrix:$sum, BitNet_I8Matrix:$quantized,
                      BitNet_F32Vector:$scales, TensorRankOf<[I32], [1]>:$sums);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $weight attr-dict `:` type($lhs) `,` type($weight) `->`
    type($quantized) `,` type($scales) `,` type($sums)
  }];
  let hasVerifier = 1;
}

def BitNet_GLURMSNormQuantizeOp : BitNet_Op<"glu_rms_norm_quantize", [Pure,
    AllTypesMatch<["gate", "up"]>]> {
  let summary = "gated linear unit fused with RMSNorm and int8 quantization";
  let description = [{
    `bitnet.rms_norm_quantize(bitnet.glu(gate, up), w)` as one op, where the
    GLU's result has no other use (the input of a BitNet block's down
    projection): the codes, the per-token scales and the per-token sum of
    the codes. `bitnet-fuse-rmsnorm-quant` forms it, so that the kernel that
    normalises the GLU computes it where it reads it, instead of a GLU
    kernel writing it out first.

    ```mlir
    %q, %s, %qsum = bitnet.glu_rms_norm_quantize relu2 %gate, %up, %w {epsilon = 1.0e-05 : f32}
        : tensor<1x384xf32>, tensor<384xf32> -> tensor<1x384xi8>, tensor<1xf32>, tensor<1xi32>
    ```
  }];
  let arguments = (ins BitNet_GluActivation:$activation,
                       BitNet_F32Matrix:$gate, BitNet_F32Matrix:$up,
                       BitNet_F32Vector:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs BitNet_I8Matrix:$quantized, BitNet_F32Vector:$scales,
                      TensorRankOf<[I32], [1]>:$sums);
  let assemblyFormat = [{
    $activation $gate `,` $up `,` $weight attr-dict `:` type($gate) `,` type($weight) `->`
    type($quantized) `,` type($scales) `,` type($sums)
  }];
  let hasVerifier = 1;
}

def BitNet_BitLinearOp : BitNet_Op<"bitlinear", [Pure]> {
  let summary = "int8 activations times quantized weights, exact int32 sum";
  let description = [{
    `y[m, n] = float(sum_k T[n, k] * q[m, k]) / s[m] * gamma`, where the sum is
    an exact int32 accumulation. `T` is either logical (`tensor<N x K x i2>`)
    or packed (its `#bitnet.packed` encoding gives `N` and `K`); the kind says
    whether it is ternary or binary. `gamma` is the weight scale.

    ```mlir
    %y = bitnet.bitlinear ternary %q, %s, %w, %gamma
        : tensor<1x128xi8>, tensor<1xf32>, tensor<64x128xi2> -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins BitNet_WeightKind:$kind, BitNet_I8Matrix:$input,
                       BitNet_F32Vector:$input_scales, BitNet_Weights:$weights,
                       F32:$weight_scale);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $kind $input `,` $input_scales `,` $weights `,` $weight_scale attr-dict
    `:` type($input) `,` type($input_scales) `,` type($weights) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Logical [N, K] of the weights, logical or packed.
    std::pair<int64_t, int64_t> getWeightShape();
  }];
}

def BitNet_BitLinearFusedOp : BitNet_Op<"bitlinear_fused", [Pure]> {
  let summary = "BitLinear over row-stacked weights with one scale per segment";
  let description = [{
    Projections that share an input (q/k/v, gate/up) stacked into one weight
    matrix: rows `[b_i, b_i + segments[i])` belong to segment `i` and are
    scaled by `weight_scales[i]`:
    `y[m, n] = float(sum_k T[n, k] * q[m, k]) / s[m] * weight_scales[seg(n)]`.
    `bitnet-fuse-projections` forms it so that one kernel reads the shared
    activations once.

    ```mlir
    %y = bitnet.bitlinear_fused ternary %q, %s, %w, %g {segments = array<i64: 128, 64, 64>}
        : tensor<1x128xi8>, tensor<1xf32>, tensor<256x128xi2>, tensor<3xf32> -> tensor<1x256xf32>
    ```
  }];
  let arguments = (ins BitNet_WeightKind:$kind, BitNet_I8Matrix:$input,
                       BitNet_F32Vector:$input_scales, BitNet_Weights:$weights,
                       BitNet_F32Vector:$weight_scales,
                       DenseI64ArrayAttr:$segments);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $kind $input `,` $input_scales `,` $weights `,` $weight_scales attr-dict
    `:` type($input) `,` type($input_scales) `,` type($weights) `,`
    type($weight_scales) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Logical [N, K] of the weights, logical or packed.
    std::pair<int64_t, int64_t> getWeightShape();
  }];
}

def BitNet_FloatLinearOp : BitNet_Op<"float_linear", [Pure]> {
  let summary = "f32 activations times f16/bf16/f32 weights";
  let description = [{
    `y[m, n] = sum_k x[m, k] * float(W[n, k])` accumulated in f32 in `k`
    order. Used for the LM head (the f16 embedding matrix) and for every linear
    layer of a full-precision ("vanilla") model.

    ```mlir
    %logits = bitnet.float_linear %x, %emb : tensor<1x128xf32>, tensor<256x128xf16> -> tensor<1x256xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$input,
                       BitNet_FloatWeightMatrix:$weights);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $input `,` $weights attr-dict `:` type($input) `,` type($weights) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether a return-like op takes the result as it is: the model's LM
    /// head (what `bitnet-quantize-lm-head` rewrites).
    bool isLMHead();
  }];
}

def BitNet_Int8LinearOp : BitNet_Op<"int8_linear", [Pure]> {
  let summary = "int8 activations times int8 weights with one scale per row";
  let description = [{
    `y[m, n] = float(sum_k W[n, k] * q[m, k]) / s[m] * weight_scales[n]`, the
    sum exact in i32. The LM head compiled with `--lm-head=int8`:
    `bitnet-quantize-lm-head` forms it from an f16 `bitnet.float_linear`,
    quantizing each row of the head with the activation quantizer, so that
    generation reads one byte per head weight instead of two.

    ```mlir
    %logits = bitnet.int8_linear %q, %s, %w, %ws
        : tensor<1x128xi8>, tensor<1xf32>, tensor<256x128xi8>, tensor<256xf32> -> tensor<1x256xf32>
    ```
  }];
  let arguments = (ins BitNet_I8Matrix:$input, BitNet_F32Vector:$input_scales,
                       BitNet_I8Matrix:$weights, BitNet_F32Vector:$weight_scales);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $input `,` $input_scales `,` $weights `,` $weight_scales attr-dict
    `:` type($input) `,` type($input_scales) `,` type($weights) `,`
    type($weight_scales) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The rest of a block
//===----------------------------------------------------------------------===//

def BitNet_RMSNormOp : BitNet_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMSNorm over the last dimension";
  let description = [{
    `y[m, d] = x[m, d] / sqrt(mean_d(x[m, :]^2) + epsilon) * w[d]`, computed as
    `inv = 1 / sqrt(ss / D + epsilon)`, `y = (x * inv) * w`, in f32. The sum
    of squares `ss` has a fixed order, because the activation quantizer's
    integer codes depend on its rounding: 32 interleaved partial sums (sum
    `j` adds `x[m, d] * x[m, d]` for `d = j, j + 32, j + 64, ...` in turn),
    then the 32 added in order `j = 0, 1, ..., 31`.

    ```mlir
    %y = bitnet.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x128xf32>, tensor<128xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$input, BitNet_F32Vector:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def BitNet_RoPEOp : BitNet_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding, rotate-half (NeoX) form";
  let description = [{
    Rotates each head of an `[M, heads * head_dim]` matrix; token `m` is at
    position `position + m`. For `i < head_dim / 2`,
    `angle = (position + m) * theta^(-2i / head_dim)` and the pair
    `(x[i], x[i + head_dim/2])` becomes
    `(x[i] cos - x[i + head_dim/2] sin, x[i + head_dim/2] cos + x[i] sin)`.

    ```mlir
    %r = bitnet.rope %q, %pos {head_dim = 32 : i64, theta = 5.0e+05 : f32} : tensor<1x128xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$input, BitNet_Position:$position,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F32Attr:$theta);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = "$input `,` $position attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def BitNet_RoPEQKVOp : BitNet_Op<"rope_qkv", [Pure,
    AllTypesMatch<["query", "query_rotated"]>,
    AllTypesMatch<["key", "value", "key_rotated", "value_rows"]>]> {
  let summary = "RoPE of a layer's queries and keys, its values alongside";
  let description = [{
    `bitnet.rope` of `query` and of `key` at the same position, head_dim and
    theta as one op, which also returns `value` unchanged: the three rows
    an attention layer appends to its caches and reads, written by one
    kernel. `bitnet-fuse-rope` forms it where a rotated key and the values
    are appended to the caches that an attention reads with the rotated
    query, so that on a GPU one launch writes the query and both caches'
    new rows instead of three (two RoPE kernels and a copy of the values).

    ```mlir
    %q, %k, %v = bitnet.rope_qkv %q0, %k0, %v0, %pos {head_dim = 32 : i64, theta = 5.0e+05 : f32}
        : tensor<1x128xf32>, tensor<1x64xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$query, BitNet_F32Matrix:$key,
                       BitNet_F32Matrix:$value, BitNet_Position:$position,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F32Attr:$theta);
  let results = (outs BitNet_F32Matrix:$query_rotated, BitNet_F32Matrix:$key_rotated,
                      BitNet_F32Matrix:$value_rows);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $position attr-dict `:` type($query) `,` type($key)
  }];
  let hasVerifier = 1;
}

def BitNet_KVAppendOp : BitNet_Op<"kv_append", [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "writes new keys or values into one layer of a KV cache";
  let description = [{
    The cache is `[layers, context, kv_dim]`. Writes the `[M, kv_dim]` rows of
    `values` at rows `position .. position + M - 1` of layer `layer` and
    returns the updated cache. The caller guarantees `position + M <= context`
    (the compiled model's API checks it).

    ```mlir
    %c1 = bitnet.kv_append %c0, %k, %pos {layer = 0 : i64}
        : tensor<2x64x64xf32>, tensor<1x64xf32>
    ```
  }];
  let arguments = (ins BitNet_KVCache:$cache, BitNet_F32Matrix:$values,
                       BitNet_Position:$position,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer);
  let results = (outs BitNet_KVCache:$result);
  let assemblyFormat = [{
    $cache `,` $values `,` $position attr-dict `:` type($cache) `,` type($values)
  }];
  let hasVerifier = 1;
}

def BitNet_AttentionOp : BitNet_Op<"attention", [Pure,
    AllTypesMatch<["query", "result"]>]> {
  let summary = "causal grouped-query attention over a KV cache";
  let description = [{
    `query` is `[M, num_heads * head_dim]` for tokens at positions
    `position .. position + M - 1`; the caches are `[layers, context, kv_dim]`
    with `kv_dim = num_kv_heads * head_dim`, already holding this step's keys
    and values. Query head `h` reads KV head `h / (num_heads / num_kv_heads)`;
    token `m` attends to cache rows `0 .. position + m`. Scores are scaled by
    `1 / sqrt(head_dim)`; softmax in f32.

    ```mlir
    %o = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
        : tensor<1x128xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$query, BitNet_KVCache:$key_cache,
                       BitNet_KVCache:$value_cache, BitNet_Position:$position,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `,` $position attr-dict
    `:` type($query) `,` type($key_cache) `,` type($value_cache)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim();
  }];
}

def BitNet_GLUOp : BitNet_Op<"glu", [Pure, AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "gated linear unit: act(gate) * up";
  let description = [{
    `relu2`: `max(gate, 0)^2 * up` (BitNet b1.58 2B-4T);
    `silu`: `gate / (1 + exp(-gate)) * up` (LLaMA-shaped models). f32 only:
    the squared ReLU overflows f16.

    ```mlir
    %m = bitnet.glu relu2 %gate, %up : tensor<1x384xf32>
    ```
  }];
  let arguments = (ins BitNet_GluActivation:$activation,
                       BitNet_F32Matrix:$gate, BitNet_F32Matrix:$up);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = "$activation $gate `,` $up attr-dict `:` type($result)";
}

def BitNet_EmbeddingOp : BitNet_Op<"embedding", [Pure]> {
  let summary = "gathers rows of an embedding table";
  let description = [{
    `y[m, :] = float(table[tokens[m], :])`. Token ids outside `[0, vocab)`
    are undefined behaviour here; the compiled model's API rejects them.

    ```mlir
    %x = bitnet.embedding %table, %tokens : tensor<256x128xf16>, tensor<1xi32> -> tensor<1x128xf32>
    ```
  }];
  let arguments = (ins BitNet_FloatWeightMatrix:$table,
                       TensorRankOf<[I32], [1]>:$tokens);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = [{
    $table `,` $tokens attr-dict `:` type($table) `,` type($tokens) `->` type($result)
  }];
  let hasVerifier = 1;
}

def BitNet_AddOp : BitNet_Op<"add", [Pure, Commutative,
                                     AllTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "residual add";
  let description = [{
    Element-wise f32 sum of two `[M, D]` matrices (the residual stream).

    ```mlir
    %x1 = bitnet.add %x0, %h : tensor<1x128xf32>
    ```
  }];
  let arguments = (ins BitNet_F32Matrix:$lhs, BitNet_F32Matrix:$rhs);
  let results = (outs BitNet_F32Matrix:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Kernel calls (buffer level)
//===----------------------------------------------------------------------===//

def BitNet_CallKernelOp : BitNet_Op<"call_kernel", [
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "calls a Halide kernel generated by bitnet-kernelgen";
  let description = [{
    Calls the ahead-of-time Halide function `kernel` (C signature
    `int kernel(halide_buffer_t *, ..., <scalar>, ...)`) with the operands in
    order: every memref (static shape and strides; the offset may be
    dynamic, as a KV-cache row's is) becomes a
    `halide_buffer_t` describing the same memory (dimensions reversed:
    Halide's dimension 0 is the innermost), every scalar
    is passed by value. `arg_types` gives the Halide element type of each
    operand as a type: `si8`, `ui8`, `si16`, `ui16`, `si32` (Halide's int and
    uint of that width) or `f32`. A packed weight buffer is `i8` in MLIR but
    `ui8` to the kernel; an f16 or bf16 table is read as `ui16` bits.
    Returns the kernel's status: 0 on success. Every buffer operand may be
    read and written (the kernel's outputs are among them).

    With `device` (kernels for a GPU target) every buffer is a view of an
    allocation kept on the device between calls: convert-bitnet-to-llvm gives
    each allocation (a function argument, a `memref.alloc`) one device copy,
    hands the kernel a view of it and notes which side holds the current
    data. Host code touching such an allocation goes through
    `bitnet.device_to_host` and `bitnet.host_written` (placed by
    `bitnet-keep-on-device`); constants are copied at the first call and stay.

    ```mlir
    %status = bitnet.call_kernel @add_k(%a, %b, %y) {arg_types = [f32, f32, f32]}
        : (memref<5x37xf32>, memref<5x37xf32>, memref<5x37xf32>) -> i32
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel, TypeArrayAttr:$arg_types,
                       UnitAttr:$device,
                       Variadic<AnyTypeOf<[AnyStaticShapeMemRef, I32, F32]>>:$args);
  let results = (outs I32:$status);
  let assemblyFormat = [{
    $kernel `(` $args `)` attr-dict `:` functional-type($args, $status)
  }];
  let extraClassDeclaration = [{
    /// Whether the kernel may write operand `index`: one of the last
    /// kernelOutputCount(kind) operands of a call with a
    /// `bitnet.kernel_spec` (bitnet-outline-kernels puts the outputs last),
    /// any operand of a call without one.
    bool writesArg(unsigned index);
  }];
  let hasVerifier = 1;
}

def BitNet_DeviceToHostOp : BitNet_Op<"device_to_host"> {
  let summary = "brings an allocation's device copy back before host code touches it";
  let description = [{
    In the glue of a GPU model the allocations its kernels use stay on the
    device between calls (see `bitnet.call_kernel`). Host code that reads or
    writes one of them is preceded by this op on the allocation (`buffer`: a
    function argument or a `memref.alloc`): it copies the device's data back
    when the device holds newer data than the host, and does nothing
    otherwise. Returns the GPU runtime's status (0: success). Placed by
    `bitnet-keep-on-device`, lowered by `convert-bitnet-to-llvm`.

    ```mlir
    %s = bitnet.device_to_host %hidden : memref<1x64xf32>
    ```
  }];
  let arguments = (ins Arg<AnyStaticShapeMemRef, "the allocation",
                           [MemRead, MemWrite]>:$buffer);
  let results = (outs I32:$status);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer)";
}

def BitNet_HostWrittenOp : BitNet_Op<"host_written"> {
  let summary = "notes that host code wrote a device-kept allocation";
  let description = [{
    Follows host code that wrote `buffer` (a function argument or a
    `memref.alloc` whose device copy the glue keeps, see
    `bitnet.device_to_host`): the device copy is stale, and the next kernel
    that uses the allocation copies the host's data first.

    ```mlir
    bitnet.host_written %normed : memref<1x64xf32>
    ```
  }];
  let arguments = (ins Arg<AnyStaticShapeMemRef, "the allocation",
                           [MemRead, MemWrite]>:$buffer);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer)";
}

#endif // BITNET_OPS_TD
