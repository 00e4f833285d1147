//===- Verify.h - A compiled model against the golden reference -*- C++ -*-===//
//
// bitnet-run --verify: the checkpoint a model was compiled from, imported in
// full and run through the golden forward pass (lib/Reference), or the
// bitnet IR it was compiled from evaluated op by op by the same reference
// functions (IRReference.h), against the compiled model on the same tokens:
// a prompt in one call, then tokens one at a time (the reference's most
// likely ones, fed to both). Every position's logits are compared with the
// bounds docs/Numerics.md gives for compiled models, so a user can check a
// model on the machine it runs on.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_RUN_VERIFY_H
#define BITNET_RUN_VERIFY_H

#include "bitnet/Reference/Reference.h"
#include "bitnet/Run/Runner.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace bitnet {
namespace run {

/// A compiled model's logits within this of the reference's, relative to
/// max(1, |reference|), match it (docs/Numerics.md, whole models).
constexpr double kVerifyRelativeBound = 1e-4;
/// Past that, logits within this fraction of the position's largest
/// reference logit differ by activation-code steps: a float sum in another
/// order moved an int8 code by one, and the layers after it carried the
/// step on (docs/Numerics.md, the long model).
constexpr double kVerifyCodeStepBound = 2e-2;
/// A deep model's steps can add up past that. Then the golden reference is
/// run again with every norm weight scaled by 1 + kVerifyNoiseScale (about
/// two float roundings), which steps its own codes; the compiled model
/// differs by steps if it stays within kVerifyNoiseFactor times the largest
/// change that made.
constexpr double kVerifyNoiseScale = 0x1p-22;
constexpr double kVerifyNoiseFactor = 4;

/// One position's logits against the reference's.
struct PositionAgreement {
  double relative = 0;  // max |got - ref| / max(1, |ref|)
  double ofLargest = 0; // max |got - ref| / max |ref|
  bool sameTop = true;  // the same most likely token
};

enum class VerifyVerdict { Matches, MatchesUpToCodeSteps, Differs };

struct VerifyResult {
  /// The prompt's positions first, then the generated ones.
  std::vector<PositionAgreement> positions;
  int32_t promptTokens = 0;
  /// The prompt's tokens run in one call (all but where whole chunks of the
  /// compiled token counts do not cover them; the rest ran one at a time).
  int32_t promptInOneCall = 0;
  double compiledSeconds = 0, referenceSeconds = 0;
  /// The largest change, over the position's largest logit, of the
  /// reference run with scaled norms (-1: not run), and the bound on steps.
  double referenceNoise = -1, stepBound = kVerifyCodeStepBound;
  VerifyVerdict verdict = VerifyVerdict::Matches;
};

/// A golden forward pass that --verify runs beside a compiled model: the
/// reference model of a checkpoint's weights, or each op of the bitnet IR a
/// model was compiled from evaluated by the reference (IRReference.h).
class GoldenModel {
public:
  virtual ~GoldenModel() = default;
  /// Empties the KV cache.
  virtual void reset() = 0;
  /// Runs M tokens at positions pos..pos+M-1, appending to the KV cache;
  /// writes logits [M, vocab]. Errors say what was refused.
  virtual llvm::Error forward(const int32_t *tokens, int64_t M, int64_t pos,
                              float *logits) = 0;
  /// Every RMSNorm weight multiplied by `factor` (in double, rounded to
  /// float) from the next forward on; 1 restores the model's own.
  virtual void scaleNorms(double factor) = 0;
};

/// Threads of the golden reference for `threads` of the compiled model (0:
/// the machine's cores, as the Halide runtime takes it).
int goldenThreads(int32_t threads);

/// The golden model of what `model` was compiled from: for a checkpoint (a
/// Hugging Face directory or a GGUF file), its import in full as
/// bitnet-compile read it (the descriptor's weight kind and context); for a
/// model compiled from bitnet IR, that .mlir file. Checks that its shape is
/// the compiled model's; errors name the file and what does not fit. The
/// reference runs on `threads` threads.
llvm::Expected<std::unique_ptr<GoldenModel>> loadGoldenModel(const LoadedModel &model,
                                                             llvm::StringRef source,
                                                             int threads);

/// Runs `prompt` (one call) and then `generated` tokens one at a time (the
/// compiled model's most likely ones) through `model` on `threads` threads
/// (0: all) and through `golden` (run a second time with its norms scaled
/// when the logits part by more than code steps); `progress` (if any) hears
/// each phase.
llvm::Expected<VerifyResult>
verifyAgainstReference(LoadedModel &model, GoldenModel &golden,
                       const std::vector<int32_t> &prompt, int32_t generated, int32_t threads,
                       const std::function<void(llvm::StringRef)> &progress = nullptr);

/// The figures and the verdict, as bitnet-run prints them.
void printVerifyResult(llvm::raw_ostream &out, const VerifyResult &result);

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_VERIFY_H
