//===- LongModelTest.cpp - A compiled model past the small shapes' paths --===//
//
// The tiny models of ModelTest stay on the kernels' small-shape paths: rows
// shorter than one 128-column chunk, a 64-row cache. This model (the
// tiny-b158 family at hidden 256, feed-forward 512, a 320-row cache) takes
// the others: GPU GEMMs over whole chunks (4-byte loads, no padding), and
// decode attention past the first 256 cache rows (on GPUs a block per chunk
// of rows, then the chunks combined). Its 64-token entry prefills positions
// 0..255 in four calls, then the 1-token entry decodes positions 256..289
// with fixed token ids; every position's logits are compared with the
// golden model's, and at the end every written cache row.
//
// Bounds: activation quantization is discontinuous (BITNET.md): where a
// float part differs from the reference's in its last bits (Halide's
// exp, or attention sums in another order), a value at a rounding
// boundary takes the neighbouring int8 code, and from then on the logits
// of every later position move a little (the changed row stays in the
// next layers' caches). Where the first such step falls depends on the
// target's float parts, not on their distance from the reference: at
// position 98 for OpenCL (and for the x86 targets while their prompt
// attention summed q . k lane by lane), at position 7 for x86-64-avx2
// since its prompt attention sums q . k in the reference's order (1.6-3.9x
// closer to the reference's attention at these shapes; a float-weights
// model of the same shape stays within 1e-4 at every position). So: the
// first 64-token block within 2e-3 of the largest logit (a step there:
// 7.5e-4; a wrong row or mask moves it by far more), every position
// within 2e-2 (seen: 0.0064) with the same top-1 token, and the caches
// within 5e-2 of each row's largest value (seen: 0.0153).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Reference/Reference.h"
#include "../Common/Logits.h"

#include <cmath>
#include <cstdio>
#include <vector>

#ifdef LONG_MODEL_NEEDS_CUDA
#include "../Common/CudaDevice.h"
#endif

extern "C" int32_t long_b158_m1(const int32_t *, int32_t, float *, float *, float *);
extern "C" int32_t long_b158_m1_logits(const float *, float *);
extern "C" int32_t long_b158_m64(const int32_t *, int32_t, float *, float *, float *);
extern "C" int32_t long_b158_m64_logits(const float *, float *);

namespace ref = bitnet::ref;
using bitnet::test::argmax;

namespace {

constexpr double kBound = 1e-4, kFirstBlockBound = 2e-3, kStepBound = 2e-2,
                 kCacheBound = 5e-2;
constexpr int32_t kPrefill = 256, kDecodeEnd = 290, kBlock = 64;

/// The shape bitnet-model-gen writes for --preset=tiny-b158 --hidden=256
/// --intermediate=512 --context=320 (CMakeLists.txt).
ref::ModelConfig longConfig() {
  ref::ModelConfig c = ref::ModelConfig::tinyB158();
  c.hidden = 256;
  c.intermediate = 512;
  c.context = 320;
  return c;
}

/// Largest |a - b| over a row of logits, relative to the row's largest
/// |b| (at least 1); NaN counts as infinitely wrong.
double rowError(const float *a, const float *b, size_t n) {
  double worst = 0, scale = 1;
  for (size_t i = 0; i < n; ++i)
    scale = std::fmax(scale, std::fabs(double(b[i])));
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(double(a[i]) - double(b[i])) / scale;
    if (!(d <= worst))
      worst = std::isnan(d) ? INFINITY : d;
  }
  return worst;
}

} // namespace

int main() {
#ifdef LONG_MODEL_NEEDS_CUDA
  if (bitnet::test::skipWithoutCuda())
    return 77;
#endif
  const ref::ModelConfig cfg = longConfig();
  const ref::ModelWeights weights = ref::makeRandomModel(cfg, /*seed=*/11);
  ref::ReferenceModel golden(weights); // keeps a reference to the weights
  const size_t cacheSize = size_t(cfg.layers * cfg.context * cfg.kvDim());
  std::vector<float> kCache(cacheSize, 0.0f), vCache(cacheSize, 0.0f);
  // Fixed ids over the whole vocabulary (no greedy decoding: a top-1 token
  // that differs would change every later input).
  std::vector<int32_t> tokens(kDecodeEnd);
  for (int32_t i = 0; i < kDecodeEnd; ++i)
    tokens[i] = int32_t((i * 37 + 11) % cfg.vocab);

  // Each position's logits: within kBound, or (an activation code moved by
  // one step, see above) within kStepBound; every top-1 token the same.
  std::vector<double> errors(kDecodeEnd, 0.0);
  int wrongTop1 = 0;
  auto compareRow = [&](int32_t pos, const float *row, const float *want) {
    errors[pos] = rowError(row, want, size_t(cfg.vocab));
    if (argmax(row, cfg.vocab) != argmax(want, cfg.vocab)) {
      std::printf("FAIL: top-1 token at position %d: %d, expected %d\n", pos,
                  argmax(row, cfg.vocab), argmax(want, cfg.vocab));
      ++wrongTop1;
    }
  };
  std::vector<float> states(size_t(kBlock * cfg.hidden));
  std::vector<float> logits(size_t(kBlock * cfg.vocab)), expected(logits.size());
  for (int32_t pos = 0; pos < kPrefill; pos += kBlock) {
    int32_t status = long_b158_m64(&tokens[pos], pos, kCache.data(), vCache.data(), states.data());
    if (status == 0)
      status = long_b158_m64_logits(states.data(), logits.data());
    if (status != 0 || !golden.forward(&tokens[pos], kBlock, pos, expected.data())) {
      std::printf("FAIL: prefill at %d: status %d\n", pos, status);
      return 1;
    }
    for (int32_t r = 0; r < kBlock; ++r)
      compareRow(pos + r, &logits[size_t(r * cfg.vocab)], &expected[size_t(r * cfg.vocab)]);
  }
  for (int32_t pos = kPrefill; pos < kDecodeEnd; ++pos) {
    int32_t status = long_b158_m1(&tokens[pos], pos, kCache.data(), vCache.data(), states.data());
    if (status == 0)
      status = long_b158_m1_logits(states.data(), logits.data());
    if (status != 0 || !golden.forward(&tokens[pos], 1, pos, expected.data())) {
      std::printf("FAIL: decode at %d: status %d\n", pos, status);
      return 1;
    }
    compareRow(pos, logits.data(), expected.data());
  }
  // Every cache row written, each relative to its largest value.
  double cacheErr = 0;
  for (int64_t l = 0; l < cfg.layers; ++l)
    for (int32_t t = 0; t < kDecodeEnd; ++t) {
      size_t at = size_t((l * cfg.context + t) * cfg.kvDim()), n = size_t(cfg.kvDim());
      cacheErr = std::fmax(cacheErr, rowError(&kCache[at], &golden.kCache()[at], n));
      cacheErr = std::fmax(cacheErr, rowError(&vCache[at], &golden.vCache()[at], n));
    }
  int failures = wrongTop1, stepped = 0, firstStepped = -1;
  double firstBlock = 0, worst = 0;
  for (int32_t pos = 0; pos < kDecodeEnd; ++pos) {
    worst = std::fmax(worst, errors[pos]);
    if (pos < kBlock)
      firstBlock = std::fmax(firstBlock, errors[pos]);
    if (errors[pos] > kBound) {
      ++stepped;
      firstStepped = firstStepped < 0 ? pos : firstStepped;
    }
    if (!(errors[pos] <= (pos < kBlock ? kFirstBlockBound : kStepBound))) {
      std::printf("FAIL: position %d: logits max err %.3g of the largest logit\n", pos,
                  errors[pos]);
      ++failures;
    }
  }
  if (!(cacheErr <= kCacheBound)) {
    std::printf("FAIL: caches max err %.3g of a row's largest value\n", cacheErr);
    ++failures;
  }
  std::printf("%s long model (hidden %lld, context %lld, prefill to %d, decode to %d): "
              "positions 0..%d within %.3g, %d of %d past %.0e (the first %d), max %.3g, "
              "top-1 the same at %d; caches %.3g\n",
              failures ? "FAIL" : "ok  ", (long long)cfg.hidden, (long long)cfg.context,
              kPrefill - 1, kDecodeEnd - 1, kBlock - 1, firstBlock, stepped, kDecodeEnd, kBound,
              firstStepped, worst, kDecodeEnd - wrongTop1, cacheErr);
  return failures ? 1 : 0;
}
