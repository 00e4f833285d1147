//===- Runner.h - Loading and running compiled models -----------*- C++ -*-===//
//
// bitnet-run's library: a model compiled with bitnet-compile --emit=shared is
// loaded with dlopen and driven through its descriptor (ModelAPI.h);
// sampling (greedy, temperature + top-k + top-p, seeded) and a benchmark in
// the manner of llama-bench with the memory roofline beside it.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_RUN_RUNNER_H
#define BITNET_RUN_RUNNER_H

#include "bitnet/Reference/Reference.h"
#include "bitnet/Runtime/ModelAPI.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
#include <string>
#include <memory>
#include <vector>

namespace bitnet {
namespace run {

namespace ref = ::bitnet::ref;

/// Thread counts (-t) the runner takes: above any machine's core count, few
/// enough that starting them cannot exhaust the process.
constexpr int32_t kMaxThreads = 1024;
inline bool validThreadCount(int32_t threads) {
  return threads >= 1 && threads <= kMaxThreads;
}

/// A compiled model in a shared library.
class LoadedModel {
public:
  /// `name` is the --name it was compiled with (the descriptor is
  /// <name>_model); empty: the file name up to its first '.', or else the
  /// one descriptor the object exports.
  static llvm::Expected<std::unique_ptr<LoadedModel>> load(llvm::StringRef path,
                                                           llvm::StringRef name);
  ~LoadedModel();
  const bitnet_model &model() const { return *model_; }
  /// The symbol prefix (--name) the model was compiled with.
  const std::string &prefix() const { return prefix_; }
  /// Loads a --weights=file model's weights; an error names the cause.
  llvm::Error loadWeights(llvm::StringRef path);
  /// The error for a nonzero status of forward: a kernel's, or -1 for a
  /// call the model refused (which, in a model without a one-token entry
  /// point, is every batch its token counts cannot chunk).
  llvm::Error failed(int32_t status) const;
  /// Whether the model keeps its weights in a file (--weights=file) that is
  /// not loaded yet.
  bool needsWeightsFile() const {
    return model_->weights_loaded && !*model_->weights_loaded;
  }
  /// A state whose forward passes use at most `threads` threads (0: all).
  bitnet_state *create(int32_t context, int32_t threads);
  /// `rows`: which logits to write (bitnet_logits_rows).
  int32_t forward(bitnet_state *s, const int32_t *tokens, int32_t count, int32_t pos,
                  int32_t rows, float *logits);
  void reset(bitnet_state *s);
  void destroy(bitnet_state *s);
  /// Profiling (ModelAPI.h's bitnet_rt2_profile / _read).
  int32_t profile(bitnet_state *s, int32_t enable) { return profile_(s, enable); }
  int32_t profileRead(const bitnet_state *s, const bitnet_profile_entry **entries) {
    return profileRead_(s, entries);
  }
  /// Whether the model carries a tokenizer.
  bool hasTokenizer() const { return model_->tokenizer != nullptr; }
  /// The GPU API its kernels run on ("CUDA", "OpenCL"), or "" for a CPU
  /// model (read from the Halide runtime linked into the object).
  const std::string &deviceAPI() const { return deviceAPI_; }
  /// The ids of `text` (BOS first when `addSpecial` and the vocabulary asks
  /// for it); an error with the model's reason when it cannot tokenize.
  llvm::Expected<std::vector<int32_t>> tokenize(llvm::StringRef text, bool addSpecial,
                                                bool parseSpecial);
  /// The text of `ids`, special tokens left out.
  llvm::Expected<std::string> detokenize(const std::vector<int32_t> &ids);
  /// The checkpoint's chat template ("" without one).
  llvm::StringRef chatTemplate() const {
    return model_->chat_template ? llvm::StringRef(model_->chat_template) : "";
  }
  /// The BOS id (-1: none).
  int32_t beginOfSequence() { return tokenBos_(model_); }
  /// Whether generation ends at `id` (EOS, end of turn).
  bool isEndOfGeneration(int32_t id) { return tokenIsEog_(model_, id) != 0; }

private:
  void *handle_ = nullptr;
  std::string deviceAPI_;
  std::string prefix_;
  const bitnet_model *model_ = nullptr;
  decltype(&bitnet_rt2_create) create_ = nullptr;
  decltype(&bitnet_rt2_forward) forward_ = nullptr;
  decltype(&bitnet_rt2_reset) reset_ = nullptr;
  decltype(&bitnet_rt2_destroy) destroy_ = nullptr;
  decltype(&bitnet_rt2_load_weights) loadWeights_ = nullptr;
  decltype(&bitnet_rt2_profile) profile_ = nullptr;
  decltype(&bitnet_rt2_profile_read) profileRead_ = nullptr;
  decltype(&bitnet_rt2_tokenize) tokenize_ = nullptr;
  decltype(&bitnet_rt2_detokenize) detokenize_ = nullptr;
  decltype(&bitnet_rt2_token_is_eog) tokenIsEog_ = nullptr;
  decltype(&bitnet_rt2_token_bos) tokenBos_ = nullptr;
  decltype(&bitnet_rt2_can_run) canRun_ = nullptr;
  decltype(&bitnet_rt2_weights_error) weightsError_ = nullptr;
  decltype(&bitnet_rt2_tokenizer_error) tokenizerError_ = nullptr;
  void (*shutdownThreadPool_)() = nullptr;
};

struct Sampling {
  float temperature = 0.0f; // 0: greedy (argmax, lowest id on ties)
  int32_t topK = 0;         // 0: all tokens
  float topP = 1.0f;        // nucleus mass
  uint64_t seed = 1;
};

/// Picks the next token from `vocab` logits; `rng` (the reference's
/// splitmix64) advances once per sampled token.
int32_t sampleToken(const float *logits, int32_t vocab, const Sampling &sampling,
                    ref::Rng &rng);

/// Runs the prompt, then generates up to `count` tokens; the generated ids.
/// `onToken` (if any) sees each id as it is sampled and stops generation
/// (after that token) by returning false.
llvm::Expected<std::vector<int32_t>> generate(
    LoadedModel &model, const std::vector<int32_t> &prompt, int32_t count,
    const Sampling &sampling, int32_t threads,
    const std::function<bool(int32_t)> &onToken = nullptr);

struct BenchOptions {
  std::vector<int32_t> promptTokens = {128};
  std::vector<int32_t> generatedTokens = {128};
  std::vector<int32_t> threads = {1, 2};
  int32_t repetitions = 3;
  /// Tokens already in the KV cache when each test starts (llama-bench's
  /// -d): a prompt of that many tokens, run untimed before the test's
  /// repetitions, which then start at that position.
  int32_t depth = 0;
};

enum class BenchTest { PromptProcessing, Generation };

/// One measured (threads, test): tokens/s over the repetitions (the first,
/// warm-up run excluded).
struct BenchRow {
  int32_t threads = 0;
  BenchTest test = BenchTest::PromptProcessing;
  int32_t tokens = 0;
  int32_t depth = 0; // tokens in the KV cache before the test (BenchOptions)
  double meanTokensPerSecond = 0;
  double sdTokensPerSecond = 0; // sample sd; 0 with one repetition
  /// Generation: the mean read bandwidth on as many threads, probed before
  /// each timed repetition and after the last (0 for prompt processing).
  double bandwidthGBs = 0;
};

/// Runs every test of `options` on every thread count, in the order
/// threads x (prompt tests, then generation tests); an error for token
/// counts outside [1, context - depth] or a depth outside [0, context)
/// (nothing is run then) or a failing model.
llvm::Expected<std::vector<BenchRow>> measureThroughput(LoadedModel &model,
                                                        const BenchOptions &options);

/// Weight bytes plus the mean KV-cache bytes (f32 K and V rows 0 .. position
/// of every layer) one of `generated` tokens from position `depth` reads.
double readBytesPerGeneratedToken(const bitnet_model &model, int32_t generated,
                                  int32_t depth = 0);

/// bitnet-run --bench: measureThroughput's rows printed one per line, and for
/// generation the memory roofline (the model's weight bytes per token and the
/// KV-cache rows each token reads, against the read bandwidth measured in the
/// same run).
llvm::Error bench(LoadedModel &model, llvm::StringRef label, const BenchOptions &options,
                  llvm::raw_ostream &out);

struct ProfileOptions {
  int32_t promptTokens = 128;
  int32_t generatedTokens = 16;
  int32_t threads = 1;
};

/// bitnet-run --profile: one prompt of random token ids (after a warm-up
/// pass) and then generated tokens, each timed by parallel loop: the time
/// per kernel kind and per loop, and what ran outside the loops (the glue
/// and serial kernel parts), as a share of the pass.
llvm::Error profile(LoadedModel &model, const ProfileOptions &options, llvm::raw_ostream &out);

/// This machine's memory read bandwidth: a buffer of `bytes` (far larger
/// than the last-level cache) summed by sumBytes (ReadBandwidth.h) on some
/// threads, in GB/s.
class ReadBandwidthProbe {
public:
  explicit ReadBandwidthProbe(size_t bytes);
  /// One pass over the buffer on `threads` threads, each summing its part.
  double measure(int threads);

private:
  std::vector<uint8_t> data_;
};

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_RUNNER_H
