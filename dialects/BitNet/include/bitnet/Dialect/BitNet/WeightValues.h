//===- WeightValues.h - Reading quantized weight constants ------*- C++ -*-===//
//
// Bridges the dialect's constants and enums to the golden reference, which
// owns the value rules and the packed layouts.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_DIALECT_BITNET_WEIGHTVALUES_H
#define BITNET_DIALECT_BITNET_WEIGHTVALUES_H

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Reference/Packing.h"

#include <optional>
#include <vector>

namespace mlir {
namespace bitnet {
namespace ref = ::bitnet::ref;

ref::WeightKind toReference(WeightKind kind);
ref::PackedLayout toReference(PackedLayoutAttr layout);

/// Checks that `layout` is a layout for `weights`, logical [N, K] weights of
/// `kind`: the same kind and shape. Anything that packs by a layout (the
/// pack op's folder, bitnet-pack-weights) reads exactly N x K values, so this
/// holds before anything folds.
LogicalResult verifyLayoutMatchesWeights(function_ref<InFlightDiagnostic()> emitError,
                                         PackedLayoutAttr layout, Type weights,
                                         WeightKind kind);

/// Logical weight values (i2 elements, or one byte per element for
/// dense_resource) in row-major order; std::nullopt when the attribute's
/// storage cannot be read (for example an elided resource).
std::optional<std::vector<int8_t>> readLogicalWeights(ElementsAttr attr);

/// Raw bytes of an i8 elements attribute; std::nullopt when unreadable.
std::optional<std::vector<uint8_t>> readBytes(ElementsAttr attr);

/// The in-memory bytes of a dense or dense_resource value whose elements
/// are whole bytes (a splat expanded); false for any other value. With a
/// null `out`, only whether it can.
bool denseValueBytes(ElementsAttr value, std::vector<uint8_t> *out);

/// Index of the first value not allowed for `kind`, or -1.
int64_t findIllegalWeight(const std::vector<int8_t> &values, WeightKind kind);

/// Whether every weight of `attr` is a `kind` weight, checked on the stored
/// bytes without copying them (verifiers run after every pass, and a 2B
/// model holds 2 G weights): true, false, or nullopt when the storage is not
/// one this fast path reads (then use readLogicalWeights).
std::optional<bool> allWeightsLegal(ElementsAttr attr, WeightKind kind);

/// The same for packed bytes in `layout`: offset2 codes must be 0..2
/// (ternary) or 0 / 2 (binary), base3 bytes one of the 243 encodings; every
/// bits1 byte is valid.
std::optional<bool> allPackedCodesLegal(ElementsAttr attr, PackedLayoutAttr layout);

/// A logical-weights attribute of `type` (i2 elements) holding `values`.
DenseElementsAttr makeLogicalWeightsAttr(RankedTensorType type,
                                         const std::vector<int8_t> &values);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_DIALECT_BITNET_WEIGHTVALUES_H
