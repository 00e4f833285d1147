//===- Perplexity.cpp - llama-perplexity's measure ------------------------===//
//
// The method (chunks, BOS, the scored second half, the error estimate) is
// described in llama.cpp's examples/perplexity; this is written from that
// description.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Run/Perplexity.h"

#include <algorithm>
#include <cmath>

namespace bitnet {
namespace run {

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

llvm::Expected<PerplexityResult>
perplexity(const std::vector<int32_t> &tokens, int32_t chunk, int32_t vocab, int32_t bos,
           const ForwardAll &forward,
           const std::function<void(int64_t, int64_t, double)> &progress) {
  if (chunk < 4)
    return fail("the perplexity chunk must be at least 4 tokens, got " + llvm::Twine(chunk));
  const int64_t chunks = static_cast<int64_t>(tokens.size()) / chunk;
  if (chunks < 1)
    return fail("the text has " + llvm::Twine(tokens.size()) +
                " tokens, fewer than one chunk of " + llvm::Twine(chunk));
  for (int32_t id : tokens)
    if (id < 0 || id >= vocab)
      return fail("token id " + llvm::Twine(id) + " is outside the vocabulary [0, " +
                  llvm::Twine(vocab) + ")");
  std::vector<float> logits(static_cast<size_t>(chunk) * vocab);
  std::vector<int32_t> input(chunk);
  // Sums in double: thousands of NLLs of a few nats each.
  double sum = 0, sumSquares = 0;
  int64_t scored = 0;
  const int32_t first = chunk / 2;
  for (int64_t c = 0; c < chunks; ++c) {
    std::copy_n(tokens.begin() + c * chunk, chunk, input.begin());
    if (bos >= 0)
      input[0] = bos;
    if (llvm::Error e = forward(input.data(), chunk, logits.data()))
      return std::move(e);
    for (int32_t j = first; j < chunk - 1; ++j) {
      const float *row = &logits[static_cast<size_t>(j) * vocab];
      double top = *std::max_element(row, row + vocab), total = 0;
      for (int32_t v = 0; v < vocab; ++v)
        total += std::exp(double(row[v]) - top);
      // The scored token is the original next one (only the first was
      // replaced, and it is never scored).
      double nll = std::log(total) + top - row[tokens[c * chunk + j + 1]];
      sum += nll;
      sumSquares += nll * nll;
      ++scored;
    }
    if (progress)
      progress(c + 1, chunks, std::exp(sum / scored));
  }
  PerplexityResult result;
  result.chunks = chunks;
  result.scored = scored;
  const double mean = sum / scored;
  result.perplexity = std::exp(mean);
  if (scored > 1) {
    double variance = std::max(0.0, sumSquares / scored - mean * mean);
    result.standardError = result.perplexity * std::sqrt(variance / (scored - 1));
  }
  return result;
}

} // namespace run
} // namespace bitnet
