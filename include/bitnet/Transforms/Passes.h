//===- Passes.h - bitnet transformation passes ------------------*- C++ -*-===//
#ifndef BITNET_TRANSFORMS_PASSES_H
#define BITNET_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace bitnet {

#define GEN_PASS_DECL
#include "bitnet/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitnet/Transforms/Passes.h.inc"

} // namespace bitnet
} // namespace mlir

#endif // BITNET_TRANSFORMS_PASSES_H
