//===- BitNetAttrs.td - bitnet enums and attributes --------*- tablegen -*-===//
#ifndef BITNET_ATTRS_TD
#define BITNET_ATTRS_TD

include "bitnet/Dialect/BitNet/BitNetDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/TensorEncoding.td"

def BitNet_WeightKind : I32EnumAttr<"WeightKind",
    "the value set of quantized weights", [
      I32EnumAttrCase<"Binary", 0, "binary">,
      I32EnumAttrCase<"Ternary", 1, "ternary">
    ]> {
  let cppNamespace = "::mlir::bitnet";
  let genSpecializedAttr = 1;
}

def BitNet_GluActivation : I32EnumAttr<"GluActivation",
    "the activation applied to the gate of a GLU", [
      I32EnumAttrCase<"Relu2", 0, "relu2">,
      I32EnumAttrCase<"Silu", 1, "silu">
    ]> {
  let cppNamespace = "::mlir::bitnet";
}

def BitNet_PackFormat : I32EnumAttr<"PackFormat",
    "physical encoding of quantized weights", [
      I32EnumAttrCase<"Offset2", 0, "offset2">,
      I32EnumAttrCase<"Base3", 1, "base3">,
      I32EnumAttrCase<"Bits1", 2, "bits1">
    ]> {
  let cppNamespace = "::mlir::bitnet";
}

def BitNet_PackedLayoutAttr : AttrDef<BitNet_Dialect, "PackedLayout", [
    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let mnemonic = "packed";
  let summary = "physical layout of a packed quantized weight matrix";
  let description = [{
    Describes how a logical `[N, K]` weight matrix of the given kind is stored
    as bytes: the format, the logical shape and the tile `[tileN, tileK]`.
    Used as the encoding of the `i8` tensor that `bitnet.pack` produces; that
    tensor must be one-dimensional with exactly `getStorageBytes()` elements.

    Formats (the byte-level definition lives in `bitnet/Reference/Packing.h`):
    - `offset2`: 2-bit offset codes `w + 1`, four per byte, strided within a
      tile row so that shifts and masks give contiguous runs (ternary or
      binary);
    - `base3`: five trits per byte, 1.6 bits per weight (ternary only);
    - `bits1`: one bit per weight, 8 per byte (binary only).
    `N` and `K` are padded up to whole tiles with zero weights.

    ```mlir
    tensor<2048xi8, #bitnet.packed<offset2, ternary, shape = [64, 128], tile = [8, 32]>>
    ```
  }];
  let parameters = (ins
    EnumParameter<BitNet_PackFormat>:$format,
    EnumParameter<BitNet_WeightKind>:$kind,
    "int64_t":$rows,
    "int64_t":$cols,
    "int64_t":$tileRows,
    "int64_t":$tileCols
  );
  let assemblyFormat = [{
    `<` $format `,` $kind `,` `shape` `=` `[` $rows `,` $cols `]` `,`
        `tile` `=` `[` $tileRows `,` $tileCols `]` `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes that hold the whole padded matrix.
    int64_t getStorageBytes() const;
    /// The tensor type that carries this layout.
    ::mlir::RankedTensorType getStorageType() const;
  }];
}

def BitNet_WeightsTransform : I32EnumAttr<"WeightsTransform",
    "how checkpoint weights are derived from their operands", [
      I32EnumAttrCase<"Source", 0, "source">,
      I32EnumAttrCase<"Concat", 1, "concat">,
      I32EnumAttrCase<"Pack", 2, "pack">,
      I32EnumAttrCase<"Int8Rows", 3, "int8_rows">,
      I32EnumAttrCase<"RowScales", 4, "row_scales">
    ]> {
  let cppNamespace = "::mlir::bitnet";
}

def BitNet_ExternalWeightsAttr : AttrDef<BitNet_Dialect, "ExternalWeights", [
    ElementsAttrInterface]> {
  let mnemonic = "weights";
  let summary = "weights that stay in the checkpoint until the output is written";
  let description = [{
    A constant whose bytes the IR never holds: a tensor of the checkpoint
    being compiled, named as the checkpoint names it, or a value derived from
    such tensors at compile time. Passes reason about its type and layout;
    bitnet-compile reads, transforms and writes the bytes once, tensor by
    tensor, straight into the object's weight data or the weights file, so
    that compiling a model never holds its weights in memory (the way IREE
    keeps parameters in archives that the program names).

    - `"name"`: the checkpoint tensor `name`, in the type's storage (one
      byte per element for `i2` / `i8` logical weights, IEEE bits for
      floats);
    - `concat(a, b, ...)`: the rows of `a`, then of `b`, ... (fused
      projections);
    - `pack(a), #bitnet.packed<...>`: logical weights `a` packed into the
      layout (`bitnet.pack` folded);
    - `int8_rows(t)` / `row_scales(t)`: the int8 codes and f32 scales of the
      f16 table `t`, quantized per row (the int8 LM head).

    Iterating its elements is not supported: what must read them (the
    verifiers' value checks, folders that compute) treats it as opaque. The
    value checks run when the bytes are produced.

    ```mlir
    %w = bitnet.constant #bitnet.weights<"blk.0.attn_q.weight"> : tensor<2560x2560xi2>
    %p = bitnet.constant #bitnet.weights<pack(#bitnet.weights<"blk.0.attn_q.weight"> : tensor<2560x2560xi2>), #bitnet.packed<offset2, ternary, shape = [2560, 2560], tile = [8, 128]>> : tensor<1638400xi8, #bitnet.packed<offset2, ternary, shape = [2560, 2560], tile = [8, 128]>>
    ```
  }];
  let parameters = (ins
    AttributeSelfTypeParameter<"", "::mlir::ShapedType">:$type,
    EnumParameter<BitNet_WeightsTransform>:$transform,
    StringRefParameter<"the checkpoint tensor's name (sources only)", "\"\"">:$source,
    OptionalArrayRefParameter<"::mlir::ElementsAttr">:$operands,
    OptionalParameter<"::mlir::bitnet::PackedLayoutAttr">:$layout
  );
  let builders = [
    AttrBuilderWithInferredContext<(ins "::mlir::ShapedType":$type,
                                        "::llvm::StringRef":$source), [{
      return $_get(type.getContext(), type, WeightsTransform::Source, source,
                   ::llvm::ArrayRef<::mlir::ElementsAttr>(), PackedLayoutAttr());
    }]>,
    AttrBuilderWithInferredContext<(ins "::mlir::ShapedType":$type,
                                        "WeightsTransform":$transform,
                                        "::llvm::ArrayRef<::mlir::ElementsAttr>":$operands,
                                        CArg<"PackedLayoutAttr", "{}">:$layout), [{
      return $_get(type.getContext(), type, transform, "", operands, layout);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The same bytes as a tensor of `type` (same element type and element
    /// count, or a plain copy of a packed type): a new type, no copy.
    ExternalWeightsAttr withType(::mlir::ShapedType type) const;
    /// Bytes its value occupies in memory.
    int64_t getStorageBytes() const;
    /// Calls `fn` on every checkpoint tensor this value reads.
    void walkSources(::llvm::function_ref<void(ExternalWeightsAttr)> fn) const;
  }];
}

def BitNet_KernelSpecAttr : AttrDef<BitNet_Dialect, "KernelSpec"> {
  let mnemonic = "kernel";
  let summary = "the exact kernel a bitnet.call_kernel calls";
  let description = [{
    What `bitnet-kernelgen` generates for one call: the kernel kind, target
    and symbol, the shapes, the packed layout and the schedule parameters
    (`include/bitnet/Kernels/KernelSpec.h`, the keys of `bitnet-kernelgen
    --help`). `bitnet-outline-kernels` records one on every call
    (`bitnet.kernel_spec`) and the module's `bitnet.kernels` dictionary maps
    every kernel symbol to one; `bitnet-compile` generates each from it. The
    spec is held as the C++ struct, verified as bitnet-kernelgen checks it
    (a spec it would refuse is refused here), and printed in its canonical
    key order; equal specs are one attribute. Values that are not plain
    integers or identifiers are quoted.

    ```mlir
    #bitnet.kernel<kind = add, target = "x86-64-avx2", name = bitnet_add_5be2c1b4b2ba, m = 2, n = 8, k = 0, vocab = 0, heads = 0, kv_heads = 0, head_dim = 0, context = 0, theta = 500000, eps = "1e-05", activation = relu2, weight_kind = ternary, format = offset2, tile = "1x4", rows_per_task = 0>
    ```
  }];
  let parameters = (ins
    AttrParameter<"::bitnet::kernels::KernelSpec", "the kernel's spec",
                  "const ::bitnet::kernels::KernelSpec &">:$spec
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // BITNET_ATTRS_TD
