//===- BitNetDialect.td - The bitnet dialect ---------------*- tablegen -*-===//
#ifndef BITNET_DIALECT_TD
#define BITNET_DIALECT_TD

include "mlir/IR/OpBase.td"

def BitNet_Dialect : Dialect {
  let name = "bitnet";
  let cppNamespace = "::mlir::bitnet";
  let summary = "Ternary (BitNet b1.58), binary (1-bit BitNet) and float "
                "language-model operations";
  let description = [{
    The `bitnet` dialect models a BitNet decoder at the level of its
    architecture: the two quantizers (absmean weights, absmax activations),
    BitLinear with exact integer accumulation, and the rest of a block
    (RMSNorm, RoPE, grouped-query attention over a KV cache, GLU activations,
    embedding, residual add, float matmul for the LM head).

    Logical weights are builtin integer tensors `tensor<N x K x i2>` holding
    only -1, 0, +1 (ternary) or -1, +1 (binary); their per-tensor scale is a
    separate `f32` value, never part of the type. Physical (packed) weights are
    `i8` tensors whose encoding is a `#bitnet.packed` layout attribute. The
    numerical contract of every op is docs/Numerics.md in the repository;
    the golden reference in `lib/Reference` implements it.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // Discardable attributes of the compiled model's interface, verified by
  // verifyOperationAttribute:
  // - `bitnet.logits = @head` on a model entry point cut by
  //   bitnet-split-logits: the function that maps its hidden states to
  //   logits;
  // - `bitnet.last_logits` (unit) on the one-row head.
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kLogitsAttrName = "bitnet.logits";
    static constexpr ::llvm::StringLiteral kLastLogitsAttrName = "bitnet.last_logits";
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class BitNet_Op<string mnemonic, list<Trait> traits = []>
    : Op<BitNet_Dialect, mnemonic, traits>;

#endif // BITNET_DIALECT_TD
