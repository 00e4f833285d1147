//===- Perplexity.h - Perplexity of a model over a text ---------*- C++ -*-===//
//
// The quality measure the three model families are compared on, computed
// as llama.cpp's llama-perplexity does: the tokens in non-overlapping chunks
// of `chunk` tokens (the rest dropped), each chunk's first token replaced by
// BOS when the vocabulary has one, and in each chunk the second half of the
// positions scored: the negative log-likelihood of the next token under the
// softmax of the logits. PPL = exp(mean NLL); its standard error from the
// NLLs' variance (delta method: PPL * sd / sqrt(n - 1)). Model-agnostic: a
// callback runs one chunk from an empty cache and writes every position's
// logits, so the same code scores compiled models and the golden reference.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_RUN_PERPLEXITY_H
#define BITNET_RUN_PERPLEXITY_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace bitnet {
namespace run {

struct PerplexityResult {
  double perplexity = 0, standardError = 0;
  int64_t chunks = 0, scored = 0; // chunks run, tokens scored
};

/// Runs `count` tokens from position 0 of an empty cache, writing count x
/// vocab logits.
using ForwardAll =
    std::function<llvm::Error(const int32_t *tokens, int32_t count, float *logits)>;

/// Perplexity of `tokens` in chunks of `chunk` (>= 4) tokens; `bos` (-1:
/// none) replaces each chunk's first token. `progress` (if any) sees the
/// running estimate after each chunk. An error when fewer than one chunk's
/// tokens are given or a chunk fails.
llvm::Expected<PerplexityResult>
perplexity(const std::vector<int32_t> &tokens, int32_t chunk, int32_t vocab, int32_t bos,
           const ForwardAll &forward,
           const std::function<void(int64_t chunk, int64_t chunks, double estimate)> &progress =
               nullptr);

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_PERPLEXITY_H
