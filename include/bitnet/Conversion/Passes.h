//===- Passes.h - bitnet conversion passes ----------------------*- C++ -*-===//
#ifndef BITNET_CONVERSION_PASSES_H
#define BITNET_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
class TypeConverter;
namespace bitnet {

#define GEN_PASS_DECL
#include "bitnet/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitnet/Conversion/Passes.h.inc"

/// i2 weight tensors become i8 tensors; #bitnet.packed encodings are dropped.
void populateBitNetToLinalgTypeConversion(TypeConverter &converter);
void populateBitNetToLinalgPatterns(TypeConverter &converter,
                                    RewritePatternSet &patterns);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_CONVERSION_PASSES_H
