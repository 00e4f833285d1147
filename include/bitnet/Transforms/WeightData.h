//===- WeightData.h - The model's weights outside LLVM ----------*- C++ -*-===//
//
// bitnet-place-weight-data gives each large constant of the glue an offset in
// one byte array and records the placement on the module; bitnet-compile
// writes those bytes (lib/Compile/WeightData.cpp). This is what both sides
// agree on.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_TRANSFORMS_WEIGHTDATA_H
#define BITNET_TRANSFORMS_WEIGHTDATA_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace mlir {
namespace bitnet {

/// Module attribute: {symbol = "...", bytes = N : i64,
/// tensors = [[offset : i64, value], ...]} (offsets ascending).
constexpr llvm::StringLiteral kWeightDataAttrName = "bitnet.weight_data";

/// Alignment of the weight-data array (a page: the run time may map or
/// advise it page by page).
constexpr uint64_t kWeightDataAlignment = 4096;

} // namespace bitnet
} // namespace mlir

#endif // BITNET_TRANSFORMS_WEIGHTDATA_H
