//===- Passes.td - bitnet transformation passes ------------*- tablegen -*-===//
#ifndef BITNET_TRANSFORMS_PASSES_TD
#define BITNET_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DropArgumentResults : Pass<"bitnet-drop-argument-results", "ModuleOp"> {
  let summary = "Drop buffer results of public functions that return an argument";
  let description = [{
    After one-shot bufferization a model function that updates its KV caches
    in place returns those cache arguments unchanged. Upstream
    `drop-equivalent-buffer-results` leaves public functions alone (their
    callers are unknown); for the compiled model's ABI the caller owns the
    cache buffers and the returned copies are redundant, so this pass removes
    every memref result that is, on every return, exactly a function argument.
    Functions that are called inside the module are left unchanged.

    Before:
    ```mlir
    func.func @forward(%arg0: memref<4xf32>, %cache: memref<2x8xf32>)
        -> (memref<4xf32>, memref<2x8xf32>) {
      ...
      return %logits, %cache : memref<4xf32>, memref<2x8xf32>
    }
    ```
    After:
    ```mlir
    func.func @forward(%arg0: memref<4xf32>, %cache: memref<2x8xf32>)
        -> memref<4xf32> {
      ...
      return %logits : memref<4xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numDropped", "dropped-results", "Number of results dropped">
  ];
}

def CheckBarePointerABI : Pass<"bitnet-check-bare-ptr-abi", "ModuleOp"> {
  let summary = "Reject public functions the bare-pointer ABI cannot express";
  let description = [{
    The bare-pointer calling convention passes every buffer as a plain
    pointer, which only works when its shape is known at compile time. This
    pass runs before bufferization and reports, with its location, every
    public function argument or result that is a dynamically shaped tensor or
    memref, or a type other than a ranked tensor, memref, integer, index or
    float. Without it the LLVM conversion would leave the function half
    converted.
  }];
}

def CheckFullyLowered : Pass<"bitnet-check-fully-lowered", "ModuleOp"> {
  let summary = "Fail if anything outside the LLVM dialect remains";
  let description = [{
    The last step of a pipeline that ends in the LLVM dialect: reports, with
    its location, the first operation of any other dialect (for example a
    `builtin.unrealized_conversion_cast` left by a partial conversion), so
    that a pipeline never succeeds with output that cannot be translated.
  }];
}

def SplitLogits : Pass<"bitnet-split-logits", "ModuleOp"> {
  let summary = "Split each model entry point where its logits start";
  let description = [{
    A model entry point (tokens, position, K cache, V cache) -> (logits,
    K cache, V cache) computes the LM head for every token it is given, yet a
    prompt needs the logits of its last token only: at a vocabulary of 128K
    the head costs about as much per token as a 2B model's layers. This pass
    cuts each public entry point @f whose logits are
    `float_linear(rms_norm(x))` (or `int8_linear` after the fused quantizer)
    into @f, which returns the final hidden states `x` instead of the logits,
    and @f_logits, which maps hidden states to logits (the final norm and the
    head, with their constants cloned). When no entry point takes exactly one
    token, a one-row head @<first entry>_last_logits is added too, so that the
    runtime can always compute the last token's logits alone.

    Before:
    ```mlir
    func.func @m_m4(%t: tensor<4xi32>, %p: i32, %k: tensor<1x8x4xf32>,
                    %v: tensor<1x8x4xf32>)
        -> (tensor<4x32xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
      ...
      %n = bitnet.rms_norm %x, %w ...
      %logits = bitnet.float_linear %n, %head ...
      return %logits, %k2, %v2 : ...
    }
    ```
    After:
    ```mlir
    func.func @m_m4(...) -> (tensor<4x16xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32>) {
      ...
      return %x, %k2, %v2 : ...
    }
    func.func @m_m4_logits(%x: tensor<4x16xf32>) -> tensor<4x32xf32> {
      %n = bitnet.rms_norm %x, %w ...
      %logits = bitnet.float_linear %n, %head ...
      return %logits : tensor<4x32xf32>
    }
    func.func @m_m4_last_logits(%x: tensor<1x16xf32>) -> tensor<1x32xf32> { ... }
    ```
    An entry point whose logits are computed another way is an error: the
    compiled model's interface needs the cut.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def TernarizeWeights : Pass<"bitnet-ternarize-weights", "ModuleOp"> {
  let summary = "Quantize float master weights at compile time";
  let description = [{
    Folds every `bitnet.quantize_weights` on constant float weights into a
    `bitnet.constant` of logical weights and an `arith.constant` scale (absmean
    for ternary, sign/mean for binary), computed by the golden reference.
    Weights that are not constants are an error: a compiled model quantizes
    nothing at run time.

    Before:
    ```mlir
    %w = arith.constant dense<[[0.5, -1.5], [0.0, 2.5]]> : tensor<2x2xf32>
    %t, %g = bitnet.quantize_weights ternary %w : tensor<2x2xf32> -> tensor<2x2xi2>
    ```
    After:
    ```mlir
    %t = bitnet.constant dense<[[0, -1], [0, 1]]> : tensor<2x2xi2>
    %g = arith.constant 1.125 : f32
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QuantizeLMHead : Pass<"bitnet-quantize-lm-head", "ModuleOp"> {
  let summary = "Store the LM head as int8 with one scale per row";
  let description = [{
    Rewrites every `bitnet.float_linear` whose result a function returns (the
    LM head) and whose weights are an f16 constant into a
    `bitnet.quantize_activations` of its input and a `bitnet.int8_linear` on
    int8 weights with one f32 scale per row, computed at compile time by the
    golden reference (`ref::quantizeRowsF16`). Generation then reads one byte
    per head weight instead of two; the logits change by the quantization
    error (bitnet-compile's `--lm-head=int8`). A tied head keeps its f16
    table for the embedding lookup. A returned float matmul whose weights
    are not an f16 constant is an error.

    Before:
    ```mlir
    %logits = bitnet.float_linear %x, %emb : tensor<1x128xf32>, tensor<256x128xf16> -> tensor<1x256xf32>
    return %logits : tensor<1x256xf32>
    ```
    After:
    ```mlir
    %w = arith.constant dense<...> : tensor<256x128xi8>
    %ws = arith.constant dense<...> : tensor<256xf32>
    %q, %s = bitnet.quantize_activations %x : tensor<1x128xf32> -> tensor<1x128xi8>, tensor<1xf32>
    %logits = bitnet.int8_linear %q, %s, %w, %ws : ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numQuantized", "quantized-heads", "Number of LM heads quantized">
  ];
}

def ChooseLayout : Pass<"bitnet-choose-layout", "ModuleOp"> {
  let summary = "Choose the packed layout of every BitLinear for a target";
  let description = [{
    Looks up each `bitnet.bitlinear` on logical weights in the target's table
    (lib/Target/TargetTable.cpp: format and tile per shape range), with the
    tile rows of the first matching `bitlinear` entry of the tuning table
    (include/bitnet/Target/Tuning.h; written by `bitnet-tune`), and records
    the choice as a `bitnet.layout` attribute holding a `#bitnet.packed`
    layout. `bitnet-pack-weights` applies it.

    ```mlir
    %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [4, 128]>} : ...
    ```
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"host\"",
           "Target whose table to use: x86-64-avx2, x86-64-avxvnni, x86-64-avx512, arm64, "
           "arm64-dotprod, cuda-sm80, cuda-sm90, opencl or host">,
    Option<"tuning", "tuning", "std::string", /*default=*/"\"\"",
           "Tuning table read before the built-in one (lib/Target/tuning.table): "
           "empty: the built-in table alone; none: no table, the target's rules">
  ];
}

def PackWeights : Pass<"bitnet-pack-weights", "ModuleOp"> {
  let summary = "Pack constant weights into their chosen layout at compile time";
  let description = [{
    For each `bitnet.bitlinear` with a `bitnet.layout` attribute, packs its
    constant logical weights into that layout (`bitnet.pack`, folded to a
    packed `bitnet.constant`) and makes the op use the packed weights.
    Non-constant weights are an error: nothing is packed at run time.

    Before:
    ```mlir
    %w = bitnet.constant dense<...> : tensor<64x256xi2>
    %y = bitnet.bitlinear ternary %q, %s, %w, %g {bitnet.layout = #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [4, 128]>} : ...
    ```
    After:
    ```mlir
    %p = bitnet.constant dense<...> : tensor<4096xi8, #bitnet.packed<offset2, ternary, shape = [64, 256], tile = [4, 128]>>
    %y = bitnet.bitlinear ternary %q, %s, %p, %g : ...
    ```
  }];
  let statistics = [
    Statistic<"numPacked", "packed-matrices", "Number of weight matrices packed">
  ];
}

def FuseRMSNormQuant : Pass<"bitnet-fuse-rmsnorm-quant", "ModuleOp"> {
  let summary = "Fuse RMSNorm with the activation quantization that follows";
  let description = [{
    Rewrites `bitnet.quantize_activations(bitnet.rms_norm(x, w))` into one
    `bitnet.rms_norm_quantize` when the quantizer is the RMSNorm's only user
    (every BitLinear input in a BitNet block), so that one kernel reads the
    residual stream once and writes int8 codes, scales and code sums.

    Before:
    ```mlir
    %a = bitnet.rms_norm %x, %w : tensor<1x128xf32>, tensor<128xf32>
    %q, %s = bitnet.quantize_activations %a : tensor<1x128xf32> -> tensor<1x128xi8>, tensor<1xf32>
    ```
    After:
    ```mlir
    %q, %s, %sum = bitnet.rms_norm_quantize %x, %w : tensor<1x128xf32>, tensor<128xf32>
        -> tensor<1x128xi8>, tensor<1xf32>, tensor<1xi32>
    ```

    Then a residual add that feeds such a norm-quantizer joins it, when the
    sum's other users come after the norm in its block (the next residual
    add of a BitNet block): `bitnet.add_rms_norm_quantize` returns the sum
    as well, so that on a GPU the kernel that writes the codes writes the
    residual stream too, instead of an add kernel launched before it.
    ```mlir
    %x, %q, %s, %sum = bitnet.add_rms_norm_quantize %x0, %h, %w
        : tensor<1x128xf32>, tensor<128xf32> -> tensor<1x128xi8>, tensor<1xf32>, tensor<1xi32>
    ```

    And a GLU whose only user is such a norm-quantizer (the down
    projection's input) joins it as `bitnet.glu_rms_norm_quantize`: the
    kernel computes the GLU where it reads it, and it is never stored.
    ```mlir
    %q, %s, %sum = bitnet.glu_rms_norm_quantize relu2 %gate, %up, %w
        : tensor<1x384xf32>, tensor<384xf32> -> tensor<1x384xi8>, tensor<1xf32>, tensor<1xi32>
    ```
  }];
  let statistics = [
    Statistic<"numFused", "fused", "Number of RMSNorm + quantization pairs fused">,
    Statistic<"numAddsFused", "adds-fused",
              "Number of residual adds fused into the norm-quantizer after them">,
    Statistic<"numGLUsFused", "glus-fused",
              "Number of GLUs fused into the norm-quantizer that reads them">
  ];
}

def FuseRoPE : Pass<"bitnet-fuse-rope", "ModuleOp"> {
  let summary = "Join an attention layer's query and key RoPE and its value rows";
  let description = [{
    Where an attention reads the rotated query and caches to which the
    rotated key and the values were just appended (`bitnet.kv_append` at
    the attention's position and layer), the two `bitnet.rope` ops become
    one `bitnet.rope_qkv` that also returns the values, and the value
    append reads them from it: one kernel writes the query and both
    caches' new rows (on a GPU one launch instead of two RoPE launches and
    a copy of the values into their cache). The kernel pipeline runs it for
    GPU targets only: on a CPU the joined op would copy the values once more
    and save nothing.

    Before:
    ```mlir
    %q = bitnet.rope %q0, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x64xf32>
    %k = bitnet.rope %k0, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32} : tensor<1x32xf32>
    %kc = bitnet.kv_append %kc0, %k, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
    %vc = bitnet.kv_append %vc0, %v0, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
    %y = bitnet.attention %q, %kc, %vc, %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
        : tensor<1x64xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
    ```
    After:
    ```mlir
    %q, %k, %v = bitnet.rope_qkv %q0, %k0, %v0, %pos {head_dim = 16 : i64, theta = 5.0e+05 : f32}
        : tensor<1x64xf32>, tensor<1x32xf32>
    %kc = bitnet.kv_append %kc0, %k, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
    %vc = bitnet.kv_append %vc0, %v, %pos {layer = 0 : i64} : tensor<2x64x32xf32>, tensor<1x32xf32>
    ```
    Nothing is joined when the two RoPEs differ (position, head_dim,
    theta), when the rotated key has another user, or when an operand is
    defined after the first of the ops it would replace.
  }];
  let statistics = [
    Statistic<"numFused", "fused", "Number of query/key/value triples joined">
  ];
}

def OutlineKernels : Pass<"bitnet-outline-kernels", "ModuleOp"> {
  let summary = "Replace compute ops by calls of shape-specialised Halide kernels";
  let description = [{
    Every op with a kernel in bitnet-kernelgen becomes a `bitnet.call_kernel`
    on buffers (`bufferization.to_buffer` of its operands, a fresh output
    buffer, `bufferization.to_tensor` of the result): BitLinear on packed
    ternary or binary weights, `rms_norm_quantize`, `add_rms_norm_quantize`,
    `glu_rms_norm_quantize`,
    `rms_norm` alone on GPU
    targets (the final norm; on CPUs it stays in the glue), RoPE, `rope_qkv`, attention (on the
    layer's slice of each cache, without a copy), GLU, residual add,
    embedding, the float matmul on f16, bf16 or f32 weights and `int8_linear`. The kernel's spec is recorded on the call
    as `bitnet.kernel_spec` (bitnet-kernelgen's `key=value` pairs separated
    by spaces) and the kernel is named after the spec's hash, so equal shapes
    share one kernel; the module's `bitnet.kernels` dictionary maps every
    kernel symbol to its spec (it survives lowering to the LLVM dialect). The
    statuses of all calls are or-ed into a new last
    `i32` result of the function (0: every kernel succeeded).

    Ops without a kernel (kv_append, logical (unpacked) BitLinear weights,
    dynamic shapes) are left for `convert-bitnet-to-linalg`.
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"host\"",
           "Target of the kernels (see bitnet-choose-layout)">,
    Option<"kernelPrefix", "kernel-prefix", "std::string",
           /*default=*/"\"bitnet\"",
           "Prefix of the kernel symbols (two models linked into one program "
           "need different prefixes)">,
    Option<"tuning", "tuning", "std::string", /*default=*/"\"\"",
           "Tuning table whose BitLinear rows per task to use (see "
           "bitnet-choose-layout)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numCalls", "kernel-calls", "Number of ops replaced by kernel calls">
  ];
}

def FuseProjections : Pass<"bitnet-fuse-projections", "ModuleOp"> {
  let summary = "Fuse BitLinears that share an input (q/k/v, gate/up)";
  let description = [{
    BitLinear ops of one block that read the same quantized activations and
    scales, with constant logical weights of the same kind and width, become
    one `bitnet.bitlinear_fused` over the row-stacked weights with one scale
    per segment; each original result is a `tensor.extract_slice` of the
    fused result. One kernel then reads the shared activations once (the
    2B-4T q/k/v projections become one 3840x2560 matrix, gate/up one
    13824x2560). Groups whose early results are used before the last member
    are left alone.

    Before:
    ```mlir
    %q = bitnet.bitlinear ternary %a, %s, %wq, %gq : ... -> tensor<1x128xf32>
    %k = bitnet.bitlinear ternary %a, %s, %wk, %gk : ... -> tensor<1x64xf32>
    ```
    After:
    ```mlir
    %w = bitnet.constant dense<...> : tensor<192x128xi2>
    %g = tensor.from_elements %gq, %gk : tensor<2xf32>
    %y = bitnet.bitlinear_fused ternary %a, %s, %w, %g {segments = array<i64: 128, 64>} : ...
    %q = tensor.extract_slice %y[0, 0] [1, 128] [1, 1] : tensor<1x192xf32> to tensor<1x128xf32>
    %k = tensor.extract_slice %y[0, 128] [1, 64] [1, 1] : tensor<1x192xf32> to tensor<1x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numFused", "fused-groups", "Number of projection groups fused">
  ];
}

def CreateConstantGlobals : Pass<"bitnet-create-constant-globals", "ModuleOp"> {
  let summary = "Create the globals of tensor constants in module order";
  let description = [{
    One-shot bufferization turns each tensor `arith.constant` into a
    `memref.global` (shared by equal constants) as it reaches it, and it
    visits functions that do not call each other in an order that changes
    from run to run. When functions share only some constants (a model's
    entry points and their logits heads), the globals' order, names and so
    the object's bytes would change too. This pass creates every global
    first, walking functions in module order, with the alignment
    bufferization asks for; bufferization then finds them.
  }];
  let options = [
    Option<"alignment", "alignment", "uint64_t", /*default=*/"64",
           "Alignment of the globals (one-shot bufferization's bufferAlignment)">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def PlaceWeightData : Pass<"bitnet-place-weight-data", "ModuleOp"> {
  let summary = "Move the model's large constants out of LLVM into one weight-data symbol";
  let description = [{
    Runs on LLVM-dialect glue. Every constant `llvm.mlir.global` that holds
    checkpoint weights (`#bitnet.weights`) or at least `min-bytes` of dense
    data is given an offset (aligned to its alignment, at least 64) in one
    external byte array `@<symbol>`; its uses become that symbol plus the
    offset, and the global is erased. The module attribute
    `bitnet.weight_data = {symbol, bytes, tensors = [[offset, value], ...]}`
    records the placement. bitnet-compile then writes the bytes once, tensor
    by tensor, into a data section of the object (or the weights file):
    weights never become LLVM constants, and the glue that LLVM compiles
    stays small whatever the model's size.

    Without `symbol` the pass only checks that no `#bitnet.weights` constant
    is left, which the reference pipeline cannot lower.
  }];
  let options = [
    Option<"symbol", "symbol", "std::string", /*default=*/"",
           "Name of the weight-data symbol (empty: place nothing)">,
    Option<"minBytes", "min-bytes", "uint64_t", /*default=*/"1024",
           "Dense constants of at least this many bytes move too">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def KeepOnDevice : Pass<"bitnet-keep-on-device", "ModuleOp"> {
  let summary = "Keep a GPU model's buffers on the device: copies as kernels, host access synchronised";
  let description = [{
    In a function that calls GPU kernels (`bitnet.call_kernel` with
    `device`), the allocations those kernels use stay on the device between
    calls (convert-bitnet-to-llvm gives each one device copy). This pass
    makes the host code around them respect that:

    - A copy that only passes one device kernel's data to others goes: a
      copy into a fresh buffer that device kernels only read (the split of
      a fused projection's result) is replaced by the source view, provided
      nothing writes the source before their last read; a copy out of a
      fresh buffer that one device kernel wrote and nothing else reads (a
      token's roped keys on their way to the KV cache) becomes that kernel
      writing the target view, provided nothing touches the target in
      between.
    - A remaining `memref.copy` of f32 rows (rank 1 or 2, innermost stride 1) whose
      source or target is such an allocation becomes a call of a `copy`
      kernel: the split of a fused projection's result and the append of a
      token's keys and values to the KV cache then stay on the device (the
      host copy would bring the whole cache back).
    - Any other op that touches such an allocation is preceded by
      `bitnet.device_to_host` on it, and followed by `bitnet.host_written`
      when it may write it.

    The statuses of the new calls and synchronisations are or-ed into the
    function's `i32` status result. Functions without device calls are left
    as they are; the copy kernels join the module's `bitnet.kernels`.
  }];
  let options = [
    Option<"kernelPrefix", "kernel-prefix", "std::string",
           /*default=*/"\"bitnet\"",
           "Prefix of the copy kernels' symbols (as bitnet-outline-kernels')">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bitnet::BitNetDialect",
                           "::mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numElided", "elided-copies", "Number of copies between kernels removed">,
    Statistic<"numCopies", "device-copies", "Number of copies made kernel calls">,
    Statistic<"numSyncs", "host-accesses", "Number of host accesses synchronised">
  ];
}

def LowerStridedCopies : Pass<"bitnet-lower-strided-copies", "ModuleOp"> {
  let summary = "Rewrite memref.copy between strided buffers as a linalg copy";
  let description = [{
    A `memref.copy` whose source or target is not contiguous (a slice of a
    fused projection's result, say) lowers to a call of MLIR's C runner
    library (`memrefCopy`), which a compiled model must not need. This pass
    turns such a copy, where both sides have contiguous innermost rows (the
    innermost dimensions laid out without gaps), into an `scf.for` nest over
    the outer dimensions that copies one row at a time with a contiguous
    `memref.copy` (a `memcpy`); any other strided copy into a
    `linalg.generic` that `convert-linalg-to-loops` turns into element
    loops. Contiguous copies stay (they become `memcpy`).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
}

#endif // BITNET_TRANSFORMS_PASSES_TD
