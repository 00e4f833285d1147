//===- BitNet.h - The bitnet dialect, its attributes and ops ----*- C++ -*-===//
#ifndef BITNET_DIALECT_BITNET_BITNET_H
#define BITNET_DIALECT_BITNET_BITNET_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "bitnet/Kernels/KernelSpec.h"

#include "llvm/ADT/Hashing.h"

namespace bitnet {
namespace kernels {
/// What KernelSpecAttr's storage needs: specs are equal when their
/// canonical text is.
inline bool operator==(const KernelSpec &a, const KernelSpec &b) {
  return a.canonical() == b.canonical();
}
inline llvm::hash_code hash_value(const KernelSpec &spec) {
  return llvm::hash_value(spec.canonical());
}
} // namespace kernels
} // namespace bitnet

#include "bitnet/Dialect/BitNet/BitNetOpsDialect.h.inc"
#include "bitnet/Dialect/BitNet/BitNetEnums.h.inc"

#include "bitnet/Dialect/BitNet/KernelCall.h"
#include "mlir/IR/Builders.h"
#include "bitnet/Dialect/BitNet/BitNetInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "bitnet/Dialect/BitNet/BitNetAttrs.h.inc"

#define GET_OP_CLASSES
#include "bitnet/Dialect/BitNet/BitNetOps.h.inc"

namespace mlir {
namespace bitnet {
/// The arg_types entry of a Halide element type named "i8", "u8", "i16",
/// "u16", "i32" or "f32" (si8, ui8, si16, ui16, si32, f32), or null.
Type halideArgType(MLIRContext *ctx, StringRef name);
/// Ors `statuses` (each must dominate the return) into the i32 status result
/// of `func` (one return, one i32 result: a kernel glue's after
/// bitnet-outline-kernels).
LogicalResult orIntoStatusResult(FunctionOpInterface func, ArrayRef<Value> statuses);
} // namespace bitnet
} // namespace mlir

#endif // BITNET_DIALECT_BITNET_BITNET_H
