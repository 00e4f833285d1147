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

#endif // BITNET_ATTRS_TD
