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

/// How the kernel pipeline stores the LM head.
enum class LMHeadFormat { F16, Int8 };

struct KernelPipelineOptions
    : public PassPipelineOptions<KernelPipelineOptions> {
  PassOptions::Option<LMHeadFormat> lmHead{
      *this, "lm-head",
      llvm::cl::desc("How the LM head is stored"),
      llvm::cl::init(LMHeadFormat::F16),
      llvm::cl::values(
          clEnumValN(LMHeadFormat::F16, "f16", "f16, as in the checkpoint"),
          clEnumValN(LMHeadFormat::Int8, "int8",
                     "int8 with one scale per row (bitnet-quantize-lm-head): "
                     "half the bytes read per generated token")),
  };
  PassOptions::Option<std::string> target{
      *this, "target",
      llvm::cl::desc("Target whose layouts and kernels to use (x86-64-avx2, "
                     "x86-64-avxvnni, x86-64-avx512, arm64, arm64-dotprod, cuda-sm80, "
                     "cuda-sm90, opencl, host)"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> kernelPrefix{
      *this, "kernel-prefix",
      llvm::cl::desc("Prefix of the kernel symbols"), llvm::cl::init("bitnet")};
  PassOptions::Option<std::string> tuning{
      *this, "tuning",
      llvm::cl::desc("Tuning table (bitnet-tune's output) read before the "
                     "built-in one; empty: the built-in table alone; none: "
                     "no table, the target's rules"),
      llvm::cl::init("")};
  PassOptions::Option<bool> barePointerABI{
      *this, "bare-ptr-abi",
      llvm::cl::desc("Pass statically shaped buffers to public functions as "
                     "plain pointers"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> runtimeAllocator{
      *this, "runtime-allocator",
      llvm::cl::desc("Allocate the glue's buffers through MLIR's generic "
                     "functions (_mlir_memref_to_llvm_alloc / _free), which "
                     "the model API implements with per-state reuse (what "
                     "bitnet-compile links); off: malloc and free"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> weightData{
      *this, "weight-data",
      llvm::cl::desc("Symbol of the array that holds the model's large "
                     "constants, written by bitnet-compile outside LLVM "
                     "(bitnet-place-weight-data); empty: they stay LLVM "
                     "constants"),
      llvm::cl::init("")};
};

/// Model-level bitnet IR -> LLVM dialect glue that calls Halide kernels:
/// quantize the LM head to int8 rows if asked, fuse RMSNorm + quantization, quantize float master weights, fuse
/// projections that share an input, choose and
/// apply the target's packed layouts, outline compute ops into kernel calls
/// (bitnet.call_kernel with a bitnet.kernel_spec each), lower the rest with
/// the reference lowering. Public functions gain a last i32 result: the
/// or of the kernels' statuses. The kernels themselves come from
/// bitnet-kernelgen.
void buildKernelPipeline(OpPassManager &pm, const KernelPipelineOptions &options);

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
