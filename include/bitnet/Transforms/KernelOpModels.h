//===- KernelOpModels.h - KernelOpInterface for the bitnet ops --*- C++ -*-===//
#ifndef BITNET_TRANSFORMS_KERNELOPMODELS_H
#define BITNET_TRANSFORMS_KERNELOPMODELS_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir {
namespace bitnet {

/// Attaches KernelOpInterface to every bitnet op that a kernel computes
/// (lib/Transforms/KernelOpModels.cpp) when the dialect is loaded.
void registerKernelOpModels(DialectRegistry &registry);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_TRANSFORMS_KERNELOPMODELS_H
