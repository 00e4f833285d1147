//===- ModelIR.h - bitnet-dialect IR for a whole model ----------*- C++ -*-===//
//
// Writes a model given as reference weights (bitnet/Reference/Reference.h) as
// model-level bitnet IR: one function per token count, weights as constants.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_MODELGEN_MODELIR_H
#define BITNET_MODELGEN_MODELIR_H

#include "bitnet/Reference/Reference.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class MLIRContext;
namespace bitnet {

/// Builds a module with one function `<name>_m<M>` per entry of
/// `tokenCounts`:
///
///   func.func @<name>_m<M>(%tokens: tensor<Mxi32>, %pos: i32,
///                          %k_cache: tensor<LxCxKVxf32>,
///                          %v_cache: tensor<LxCxKVxf32>)
///       -> (tensor<MxVxf32>, tensor<LxCxKVxf32>, tensor<LxCxKVxf32>)
///
/// returning the logits and the updated caches. Every function reads the same
/// weight constants, so the functions share one KV-cache layout.
OwningOpRef<ModuleOp> buildModelModule(MLIRContext *context,
                                       const ::bitnet::ref::ModelWeights &model,
                                       llvm::StringRef name,
                                       llvm::ArrayRef<int64_t> tokenCounts);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_MODELGEN_MODELIR_H
