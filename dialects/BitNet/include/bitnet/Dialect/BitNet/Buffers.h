//===- Buffers.h - Where a kernel glue's buffers come from ------*- C++ -*-===//
#ifndef BITNET_DIALECT_BITNET_BUFFERS_H
#define BITNET_DIALECT_BITNET_BUFFERS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace bitnet {
/// The value `buffer` is a view of (through every ViewLikeOpInterface op):
/// an allocation, a function argument or a global's get_global.
Value allocationOf(Value buffer);
/// The constant global (a weight) `buffer` views, or null.
memref::GlobalOp constantGlobalOf(Value buffer);
} // namespace bitnet
} // namespace mlir

#endif // BITNET_DIALECT_BITNET_BUFFERS_H
