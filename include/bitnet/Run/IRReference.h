//===- IRReference.h - The golden reference of a model's bitnet IR -*- C++ -*-===//
//
// bitnet-run --verify for a model compiled from bitnet-dialect IR: the IR
// file is parsed and its entry point evaluated op by op, each bitnet op by
// the golden reference's function for it (lib/Reference: the quantizers,
// BitLinear, RMSNorm, RoPE, attention, ...), on concrete tensors. Nothing
// of the compiler's passes or kernels runs, so this is the same oracle as a
// checkpoint's reference forward pass, for a model that has no checkpoint.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_RUN_IRREFERENCE_H
#define BITNET_RUN_IRREFERENCE_H

#include "bitnet/Run/Verify.h"

namespace bitnet {
namespace run {

/// The golden model of the bitnet IR at `path`, which the model of
/// descriptor `model` was compiled from (its dimensions must be the IR's). Its first model entry point ((tokens, position, K cache, V cache)
/// -> (logits, K cache, V cache), as bitnet-compile takes them) runs every
/// call at the call's token count: each op is per token, except attention,
/// which reads the cache rows up to each token's position, so one entry
/// point computes what any of them computes (bitnet-model-gen writes them
/// all from one model). Constants are evaluated once, when loading. With
/// `head` Int8, the LM head (an f16 `bitnet.float_linear` whose result is
/// returned) is quantized per row as `--lm-head=int8` compiles it. Errors
/// name the file, and the op and its location for what cannot be evaluated.
llvm::Expected<std::unique_ptr<GoldenModel>>
loadIRGolden(const bitnet_model &model, llvm::StringRef path, ref::HeadFormat head,
             int threads);

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_IRREFERENCE_H
