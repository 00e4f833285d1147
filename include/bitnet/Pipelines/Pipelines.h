//===- Pipelines.h - Named bitnet pass pipelines ----------------*- C++ -*-===//
#ifndef BITNET_PIPELINES_PIPELINES_H
#define BITNET_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace bitnet {

struct ReferencePipelineOptions
    : public PassPipelineOptions<ReferencePipelineOptions> {
  PassOptions::Option<bool> barePointerABI{
      *this, "bare-ptr-abi",
      llvm::cl::desc("Pass statically shaped buffers to public functions as "
                     "plain pointers (a C-callable ABI); off keeps MLIR's "
                     "memref descriptors"),
      llvm::cl::init(true)};
};

/// bitnet IR -> LLVM dialect through convert-bitnet-to-linalg, one-shot
/// bufferization and loops: the correctness oracle. Function results that
/// alias arguments (the updated KV caches) are dropped; other results become
/// trailing out-parameters.
void buildReferencePipeline(OpPassManager &pm,
                            const ReferencePipelineOptions &options);

/// Registers every named pipeline with the pass registry.
void registerPipelines();

} // namespace bitnet
} // namespace mlir

#endif // BITNET_PIPELINES_PIPELINES_H
