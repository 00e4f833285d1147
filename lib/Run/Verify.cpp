//===- Verify.cpp - A compiled model against the golden reference ---------===//

#include "bitnet/Run/Verify.h"

#include "bitnet/Import/Importers.h"
#include "bitnet/Run/IRReference.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace bitnet {
namespace run {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int32_t mostLikely(const float *logits, int64_t vocab) {
  return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
}

/// Written so that a NaN on either side is the largest difference.
PositionAgreement compareRow(const float *got, const float *want, int64_t vocab) {
  PositionAgreement row;
  double largest = 0, worst = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    double diff = std::fabs(double(got[i]) - double(want[i]));
    if (!(diff <= worst))
      worst = std::isnan(diff) ? INFINITY : diff;
    double relative = diff / std::max(1.0, std::fabs(double(want[i])));
    if (!(relative <= row.relative))
      row.relative = std::isnan(relative) ? INFINITY : relative;
    largest = std::max(largest, std::fabs(double(want[i])));
  }
  row.ofLargest = largest > 0 ? worst / largest : worst;
  row.sameTop = mostLikely(got, vocab) == mostLikely(want, vocab);
  return row;
}

ref::HeadFormat headFormat(const bitnet_model &m) {
  return m.lm_head == BITNET_LM_HEAD_INT8 ? ref::HeadFormat::Int8 : ref::HeadFormat::F16;
}

/// The reference model of a checkpoint's weights.
class CheckpointGolden final : public GoldenModel {
public:
  CheckpointGolden(ref::ModelWeights weights, ref::HeadFormat head, int threads)
      : weights_(std::move(weights)), model_(weights_, head, threads) {
    norms_.push_back(&weights_.finalNorm);
    for (ref::LayerWeights &layer : weights_.layers)
      for (std::vector<float> *norm :
           {&layer.inputNorm, &layer.attnSubNorm, &layer.postAttnNorm, &layer.ffnSubNorm})
        norms_.push_back(norm);
    for (std::vector<float> *norm : norms_)
      original_.push_back(*norm);
  }
  void reset() override { model_.reset(); }
  llvm::Error forward(const int32_t *tokens, int64_t M, int64_t pos, float *logits) override {
    if (!model_.forward(tokens, M, pos, logits))
      return fail("the golden reference refused the tokens");
    return llvm::Error::success();
  }
  void scaleNorms(double factor) override {
    for (size_t i = 0; i < norms_.size(); ++i)
      for (size_t j = 0; j < norms_[i]->size(); ++j)
        (*norms_[i])[j] = static_cast<float>(original_[i][j] * factor);
  }

private:
  ref::ModelWeights weights_;
  ref::ReferenceModel model_;
  std::vector<std::vector<float> *> norms_;
  std::vector<std::vector<float>> original_;
};

llvm::Expected<std::unique_ptr<GoldenModel>>
loadCheckpointGolden(const LoadedModel &model, llvm::StringRef checkpoint, int threads) {
  const bitnet_model &m = model.model();
  import::ImportOptions options;
  switch (m.weight_kind) {
  case BITNET_WEIGHTS_TERNARY:
    options.kind = ref::WeightKind::Ternary;
    break;
  case BITNET_WEIGHTS_BINARY:
    options.kind = ref::WeightKind::Binary;
    break;
  case BITNET_WEIGHTS_FLOAT:
    options.kind = ref::WeightKind::Float;
    break;
  default:
    return fail("the model's descriptor names an unknown weight kind " +
                llvm::Twine(m.weight_kind));
  }
  options.context = m.context;
  options.tokenizer = false;
  const import::CheckpointFormat *format = import::findCheckpointFormat(checkpoint);
  if (!format)
    return fail(checkpoint + ": neither a Hugging Face checkpoint directory nor a GGUF file "
                             "(the model was compiled from one of those)");
  llvm::Expected<ref::ModelWeights> weights = format->import(checkpoint, options);
  if (!weights)
    return weights.takeError();
  const ref::ModelConfig &c = weights->config;
  if (c.vocab != m.vocab || c.layers != m.layers || c.hidden != m.hidden ||
      c.kvDim() != m.kv_dim)
    return fail(checkpoint + " (" + format->name + ": " + llvm::Twine(c.layers) +
                " layers, hidden " + llvm::Twine(c.hidden) + ", kv dim " +
                llvm::Twine(c.kvDim()) + ", vocab " + llvm::Twine(c.vocab) +
                ") is not the checkpoint the model was compiled from (" +
                llvm::Twine(m.layers) + " layers, hidden " + llvm::Twine(m.hidden) +
                ", kv dim " + llvm::Twine(m.kv_dim) + ", vocab " + llvm::Twine(m.vocab) + ")");
  return std::make_unique<CheckpointGolden>(std::move(*weights), headFormat(m), threads);
}

} // namespace

int goldenThreads(int32_t threads) {
  return threads > 0 ? threads
                     : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

llvm::Expected<std::unique_ptr<GoldenModel>> loadGoldenModel(const LoadedModel &model,
                                                             llvm::StringRef source,
                                                             int threads) {
  const bitnet_model &m = model.model();
  if (m.weights_loaded && !*m.weights_loaded)
    return fail("the model keeps its weights in a file (--weights=file): give it with --weights");
  if (!llvm::sys::fs::exists(source))
    return fail(source + ": no such file or directory");
  if (m.weight_kind == BITNET_WEIGHTS_FROM_IR) {
    if (import::findCheckpointFormat(source))
      return fail("the model was compiled from bitnet-dialect IR, not from a checkpoint: "
                  "--verify needs that IR file, not " + source);
    return loadIRGolden(m, source, headFormat(m), threads);
  }
  return loadCheckpointGolden(model, source, threads);
}

llvm::Expected<VerifyResult>
verifyAgainstReference(LoadedModel &model, GoldenModel &golden,
                       const std::vector<int32_t> &prompt, int32_t generated, int32_t threads,
                       const std::function<void(llvm::StringRef)> &progress) {
  const bitnet_model &m = model.model();
  const int64_t vocab = m.vocab;
  if (prompt.empty())
    return fail("the prompt is empty");
  if (generated < 0)
    return fail("the generated token count " + llvm::Twine(generated) + " is negative");
  if (static_cast<int64_t>(prompt.size()) + generated > m.context)
    return fail("prompt (" + llvm::Twine(prompt.size()) + ") + generated (" +
                llvm::Twine(generated) + ") tokens exceed the compiled context " +
                llvm::Twine(m.context));
  for (int32_t id : prompt)
    if (id < 0 || id >= vocab)
      return fail("token id " + llvm::Twine(id) + " is outside the vocabulary [0, " +
                  llvm::Twine(vocab) + ")");
  auto say = [&](const std::string &what) {
    if (progress)
      progress(what);
  };
  VerifyResult result;
  const int32_t count = static_cast<int32_t>(prompt.size());
  const int32_t positions = count + generated;
  result.promptTokens = count;
  auto row = [&](std::vector<float> &logits, int32_t pos) {
    return &logits[static_cast<size_t>(pos) * vocab];
  };

  // The compiled model: the prompt, then its most likely tokens.
  std::vector<int32_t> tokens = prompt;
  std::vector<float> got(static_cast<size_t>(positions) * vocab);
  bitnet_state *s = model.create(0, threads);
  if (!s)
    return fail("cannot create a state (out of memory, or the weights file is not loaded)");
  auto t0 = Clock::now();
  // Every prompt row's logits come only from whole chunks of the compiled
  // token counts: the longest prefix they cover (a model without a
  // one-token entry covers only some counts; a refused count runs nothing),
  // then the rest one token at a time, as generation runs them.
  int32_t covered = count, status = 0;
  while (covered > 0 && (status = model.forward(s, prompt.data(), covered, 0, BITNET_LOGITS_ALL,
                                                got.data())) == -1)
    --covered;
  if (covered == 0)
    status = 0;
  result.promptInOneCall = covered;
  for (int32_t pos = covered; pos < count && status == 0; ++pos)
    status = model.forward(s, &prompt[pos], 1, pos, BITNET_LOGITS_LAST, row(got, pos));
  for (int32_t pos = count; pos < positions && status == 0; ++pos) {
    tokens.push_back(mostLikely(row(got, pos - 1), vocab));
    status = model.forward(s, &tokens[pos], 1, pos, BITNET_LOGITS_LAST, row(got, pos));
  }
  result.compiledSeconds = secondsSince(t0);
  model.destroy(s);
  if (status != 0)
    return model.failed(status);
  const int referenceThreads = goldenThreads(threads);
  say(llvm::formatv("the compiled model ran {0} positions in {1:F2} s; now the golden "
                    "reference (plain C++ on {2} thread{3}: slower)",
                    positions, result.compiledSeconds, referenceThreads,
                    referenceThreads == 1 ? "" : "s")
          .str());

  // The golden reference on the same tokens, the same calls.
  auto runReference = [&](std::vector<float> &logits) -> llvm::Error {
    golden.reset();
    auto start = Clock::now();
    llvm::Error error = golden.forward(tokens.data(), count, 0, logits.data());
    for (int32_t pos = count; pos < positions && !error; ++pos)
      error = golden.forward(&tokens[pos], 1, pos, row(logits, pos));
    result.referenceSeconds += secondsSince(start);
    return error;
  };
  std::vector<float> want(got.size());
  if (llvm::Error error = runReference(want))
    return std::move(error);
  say(llvm::formatv("the golden reference ran them in {0:F2} s", result.referenceSeconds).str());
  for (int32_t pos = 0; pos < positions; ++pos)
    result.positions.push_back(compareRow(row(got, pos), row(want, pos), vocab));

  auto largest = [](const std::vector<PositionAgreement> &rows, double PositionAgreement::*f) {
    double worst = 0;
    for (const PositionAgreement &p : rows)
      worst = std::max(worst, p.*f);
    return worst;
  };
  if (largest(result.positions, &PositionAgreement::relative) <= kVerifyRelativeBound) {
    result.verdict = VerifyVerdict::Matches;
    return result;
  }
  const double difference = largest(result.positions, &PositionAgreement::ofLargest);
  if (difference > kVerifyCodeStepBound) {
    // How far the reference's own codes step when its floats move by about
    // two roundings: every norm weight scaled, run, restored.
    say("past 2e-02 of the largest logit: the golden reference again, its norm weights "
        "scaled by 1 + 2^-22, to see how far its own activation codes step");
    golden.scaleNorms(1 + kVerifyNoiseScale);
    std::vector<float> moved(got.size());
    llvm::Error error = runReference(moved);
    golden.scaleNorms(1);
    if (error)
      return std::move(error);
    result.referenceNoise = 0;
    for (int32_t pos = 0; pos < positions; ++pos)
      result.referenceNoise = std::max(
          result.referenceNoise, compareRow(row(moved, pos), row(want, pos), vocab).ofLargest);
    result.stepBound = std::max(kVerifyCodeStepBound, kVerifyNoiseFactor * result.referenceNoise);
  }
  result.verdict = difference <= result.stepBound ? VerifyVerdict::MatchesUpToCodeSteps
                                                  : VerifyVerdict::Differs;
  return result;
}

void printVerifyResult(llvm::raw_ostream &out, const VerifyResult &result) {
  const auto &positions = result.positions;
  const int64_t total = static_cast<int64_t>(positions.size());
  int64_t worstRelative = 0, worstOfLargest = 0, withinBound = 0, sameTop = 0;
  int64_t firstPastBound = -1, firstPastSteps = -1;
  for (int64_t i = 0; i < total; ++i) {
    const PositionAgreement &p = positions[i];
    if (p.relative > positions[worstRelative].relative)
      worstRelative = i;
    if (p.ofLargest > positions[worstOfLargest].ofLargest)
      worstOfLargest = i;
    if (p.relative <= kVerifyRelativeBound)
      ++withinBound;
    else if (firstPastBound < 0)
      firstPastBound = i;
    if (p.ofLargest > result.stepBound && firstPastSteps < 0)
      firstPastSteps = i;
    if (p.sameTop)
      ++sameTop;
  }
  out << "positions 0-" << result.promptTokens - 1 << ": a prompt of " << result.promptTokens
      << " tokens";
  if (result.promptInOneCall == result.promptTokens)
    out << " in one call";
  else
    out << " (" << result.promptInOneCall
        << " in one call, the rest one at a time: the compiled token counts cover no more)";
  if (total > result.promptTokens)
    out << "; " << result.promptTokens << "-" << total - 1
        << ": the compiled model's most likely tokens, one at a time";
  out << "\n";
  out << llvm::format("largest |compiled - reference| / max(1, |reference|): %.3g at position "
                      "%lld; within %.0e at %lld of %lld positions\n",
                      positions[worstRelative].relative, (long long)worstRelative,
                      kVerifyRelativeBound, (long long)withinBound, (long long)total);
  out << llvm::format("largest difference over the position's largest reference logit: %.3g "
                      "at position %lld\n",
                      positions[worstOfLargest].ofLargest, (long long)worstOfLargest);
  if (result.referenceNoise >= 0)
    out << llvm::format("the golden reference with its norm weights scaled by 1 + 2^-22 moves "
                        "by up to %.3g of the largest logit: steps allowed up to %.3g\n",
                        result.referenceNoise, result.stepBound);
  out << "the same most likely token at " << sameTop << " of " << total << " positions\n";
  out << llvm::format("time: compiled model %.2f s, golden reference %.2f s\n",
                      result.compiledSeconds, result.referenceSeconds);
  switch (result.verdict) {
  case VerifyVerdict::Matches:
    out << "verify: the model matches the golden reference\n";
    break;
  case VerifyVerdict::MatchesUpToCodeSteps:
    out << llvm::format(
        "verify: the model matches the golden reference up to activation-code steps: %lld "
        "positions (the first: %lld) differ by more than %.0e but by at most %.3g of their "
        "largest logit (a float sum in another order moved an int8 activation code by one; "
        "docs/Numerics.md)\n",
        (long long)(total - withinBound), (long long)firstPastBound, kVerifyRelativeBound,
        result.stepBound);
    break;
  case VerifyVerdict::Differs:
    out << llvm::format("verify: the model DIFFERS from the golden reference from position "
                        "%lld on (more than %.3g of the largest logit)\n",
                        (long long)firstPastSteps, result.stepBound);
    break;
  }
}

} // namespace run
} // namespace bitnet
