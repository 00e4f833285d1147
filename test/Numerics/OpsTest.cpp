//===- OpsTest.cpp - Each bitnet op, lowered, vs the golden reference -----===//
//
// ops.mlir is compiled through --bitnet-reference-pipeline (bare pointers;
// results become trailing out-parameters; scalar results stay returns).
// Integer outputs (activation codes, logical and packed weights) must match
// exactly. Float outputs must match within kFloatBound relative: the lowering
// performs the reference's f32 operations in the same order, so they are
// expected to be identical; the bound covers libm differences (sincosf vs
// cosf/sinf, llvm.pow vs powf).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Reference/Packing.h"
#include "bitnet/Reference/Reference.h"

#include "../Common/Random.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace ref = bitnet::ref;

extern "C" {
void quantize_activations(const float *, int8_t *, float *);
float quantize_weights_ternary(const float *, int8_t *);
float quantize_weights_binary(const float *, int8_t *);
float quantize_weights_f16(const uint16_t *, int8_t *);
void bitlinear_ternary(const int8_t *, const float *, const int8_t *, float, float *);
void bitlinear_binary(const int8_t *, const float *, const int8_t *, float, float *);
void bitlinear_wide(const int8_t *, const float *, const int8_t *, float, float *);
void pack_offset2(const int8_t *, uint8_t *);
void pack_base3(const int8_t *, uint8_t *);
void pack_bits1(const int8_t *, uint8_t *);
void bitlinear_offset2(const int8_t *, const float *, const uint8_t *, float, float *);
void bitlinear_base3(const int8_t *, const float *, const uint8_t *, float, float *);
void bitlinear_bits1(const int8_t *, const float *, const uint8_t *, float, float *);
void bitlinear_fused(const int8_t *, const float *, const int8_t *, const float *, float *);
void bitlinear_fused_offset2(const int8_t *, const float *, const uint8_t *, const float *,
                             float *);
void float_linear_f32(const float *, const float *, float *);
void float_linear_f16(const float *, const uint16_t *, float *);
void int8_linear(const int8_t *, const float *, const int8_t *, const float *, float *);
void rms_norm(const float *, const float *, float *);
void rms_norm_quantize(const float *, const float *, int8_t *, float *, int32_t *);
void rope(const float *, int32_t, float *);
void attention(const float *q, const float *k, const float *v, int32_t pos,
               float *kCache, float *vCache, float *out);
void glu_relu2(const float *, const float *, float *);
void glu_silu(const float *, const float *, float *);
void embedding(const uint16_t *, const int32_t *, float *);
void add(const float *, const float *, float *);
}

namespace {

constexpr double kFloatBound = 1e-6;
constexpr int64_t M = 5, K = 37, N = 11;
int failures = 0, checks = 0;

template <typename T>
void expectExact(const std::string &what, const std::vector<T> &got,
                 const std::vector<T> &want) {
  ++checks;
  for (size_t i = 0; i < want.size(); ++i)
    if (got[i] != want[i]) {
      std::printf("FAIL %s: element %zu is %lld, expected %lld\n", what.c_str(),
                  i, (long long)got[i], (long long)want[i]);
      ++failures;
      return;
    }
}

void expectClose(const std::string &what, const std::vector<float> &got,
                 const std::vector<float> &want) {
  ++checks;
  for (size_t i = 0; i < want.size(); ++i) {
    double err = std::fabs(double(got[i]) - double(want[i])) /
                 std::fmax(1.0, std::fabs(double(want[i])));
    if (!(err <= kFloatBound)) {
      std::printf("FAIL %s: element %zu is %.9g, expected %.9g\n", what.c_str(),
                  i, got[i], want[i]);
      ++failures;
      return;
    }
  }
}

using bitnet::test::randomFloats;

std::vector<int8_t> randomWeights(ref::Rng &rng, size_t n, bool binary) {
  std::vector<int8_t> v(n);
  for (int8_t &x : v)
    x = binary ? (rng.range(0, 1) ? 1 : -1) : static_cast<int8_t>(rng.range(-1, 1));
  return v;
}

/// Activation matrices: random, plus adversarial rows (all zero: the 1e-5
/// clamp; exact .5 ties after scaling; one huge outlier; tiny values).
std::vector<std::vector<float>> activationCases(ref::Rng &rng) {
  std::vector<std::vector<float>> cases;
  cases.push_back(randomFloats(rng, M * K, 3.0f));
  std::vector<float> x = randomFloats(rng, M * K, 1.0f);
  for (int64_t k = 0; k < K; ++k) {
    x[0 * K + k] = 0.0f;                          // all-zero row
    x[1 * K + k] = (k % 2 ? 0.5f : -1.5f) / 127;  // ties at x*s
    x[3 * K + k] = 1e-7f * (k - 18);              // below the clamp
  }
  x[1 * K + 0] = 1.0f;                            // max so s = 127
  x[2 * K + 5] = 1e30f;                           // outlier
  cases.push_back(x);
  return cases;
}

void testQuantizeActivations(ref::Rng &rng) {
  for (const auto &x : activationCases(rng)) {
    std::vector<int8_t> q(M * K), qRef(M * K);
    std::vector<float> s(M), sRef(M);
    quantize_activations(x.data(), q.data(), s.data());
    ref::quantizeActivations(x.data(), M, K, qRef.data(), sRef.data());
    expectExact("quantize_activations q", q, qRef);
    expectClose("quantize_activations s", s, sRef);
  }
}

void testQuantizeWeights(ref::Rng &rng) {
  std::vector<std::vector<float>> cases = {randomFloats(rng, N * K, 0.1f),
                                           std::vector<float>(N * K, 0.0f)};
  std::vector<float> ties(N * K);
  for (size_t i = 0; i < ties.size(); ++i)
    ties[i] = (i % 3 == 0) ? 0.5f : (i % 3 == 1 ? -1.5f : 2.0f);
  cases.push_back(ties);
  for (const auto &w : cases) {
    std::vector<int8_t> t(N * K);
    float g = quantize_weights_ternary(w.data(), t.data());
    ref::QuantizedWeights want =
        ref::quantizeWeights(w.data(), w.size(), ref::WeightKind::Ternary);
    expectExact("quantize_weights ternary", t, want.values);
    expectClose("quantize_weights ternary gamma", {g}, {want.scale});

    g = quantize_weights_binary(w.data(), t.data());
    want = ref::quantizeWeights(w.data(), w.size(), ref::WeightKind::Binary);
    expectExact("quantize_weights binary", t, want.values);
    expectClose("quantize_weights binary gamma", {g}, {want.scale});

    std::vector<uint16_t> half(w.size());
    std::vector<float> rounded(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      half[i] = ref::floatToHalf(w[i]);
      rounded[i] = ref::halfToFloat(half[i]);
    }
    g = quantize_weights_f16(half.data(), t.data());
    want = ref::quantizeWeights(rounded.data(), rounded.size(),
                                ref::WeightKind::Ternary);
    expectExact("quantize_weights f16", t, want.values);
    expectClose("quantize_weights f16 gamma", {g}, {want.scale});
  }
}

using LinearFn = void (*)(const int8_t *, const float *, const int8_t *, float,
                          float *);
using PackedLinearFn = void (*)(const int8_t *, const float *, const uint8_t *,
                                float, float *);
using PackFn = void (*)(const int8_t *, uint8_t *);

void testBitLinear(ref::Rng &rng) {
  for (const auto &x : activationCases(rng)) {
    std::vector<int8_t> q(M * K);
    std::vector<float> s(M);
    ref::quantizeActivations(x.data(), M, K, q.data(), s.data());
    struct Variant {
      const char *name;
      bool binary;
      LinearFn logical;
      ref::PackFormat format;
      int64_t tileN, tileK;
      PackFn pack;
      PackedLinearFn packed;
    };
    const Variant variants[] = {
        {"ternary offset2", false, bitlinear_ternary, ref::PackFormat::Offset2,
         4, 16, pack_offset2, bitlinear_offset2},
        {"ternary base3", false, bitlinear_ternary, ref::PackFormat::Base3, 3,
         10, pack_base3, bitlinear_base3},
        {"binary bits1", true, bitlinear_binary, ref::PackFormat::Bits1, 2, 24,
         pack_bits1, bitlinear_bits1},
    };
    for (const Variant &v : variants) {
      std::vector<int8_t> w = randomWeights(rng, N * K, v.binary);
      float gamma = rng.uniform(0.01f, 2.0f);
      std::vector<float> y(M * N), yRef(M * N);
      v.logical(q.data(), s.data(), w.data(), gamma, y.data());
      ref::bitLinear(q.data(), s.data(), w.data(), gamma, M, N, K, yRef.data());
      expectClose(std::string("bitlinear ") + v.name, y, yRef);

      ref::PackedLayout layout{v.format, v.tileN, v.tileK};
      std::vector<uint8_t> bytesRef = ref::packWeights(layout, w.data(), N, K);
      std::vector<uint8_t> bytes(bytesRef.size());
      v.pack(w.data(), bytes.data());
      expectExact(std::string("pack ") + v.name, bytes, bytesRef);

      std::fill(y.begin(), y.end(), 0.0f);
      v.packed(q.data(), s.data(), bytesRef.data(), gamma, y.data());
      expectClose(std::string("bitlinear packed ") + v.name, y, yRef);
    }
  }
  // Accumulations far beyond int16: all q = 127 or -127 against all +1/-1.
  const int64_t wideK = 4099;
  std::vector<int8_t> q(2 * wideK), w(3 * wideK);
  for (int64_t k = 0; k < wideK; ++k) {
    q[k] = 127;
    q[wideK + k] = -127;
    w[k] = 1;
    w[wideK + k] = -1;
    w[2 * wideK + k] = static_cast<int8_t>(k % 3 - 1);
  }
  std::vector<float> s = {1.0f, 1.0f}, y(6), yRef(6);
  bitlinear_wide(q.data(), s.data(), w.data(), 1.0f, y.data());
  ref::bitLinear(q.data(), s.data(), w.data(), 1.0f, 2, 3, wideK, yRef.data());
  expectClose("bitlinear K=4099", y, yRef);
  expectClose("bitlinear K=4099 exact sum", {y[0]}, {127.0f * wideK});
}

/// bitlinear_fused: each segment of rows is a BitLinear with its own scale.
void testBitLinearFused(ref::Rng &rng) {
  const int64_t segments[] = {4, 2, 5}; // as in ops.mlir
  for (const auto &x : activationCases(rng)) {
    std::vector<int8_t> q(M * K);
    std::vector<float> s(M);
    ref::quantizeActivations(x.data(), M, K, q.data(), s.data());
    std::vector<int8_t> w = randomWeights(rng, N * K, /*binary=*/false);
    std::vector<float> gammas = {rng.uniform(0.01f, 2.0f), rng.uniform(0.01f, 2.0f),
                                 rng.uniform(0.01f, 2.0f)};
    std::vector<float> yRef(M * N);
    int64_t first = 0;
    for (size_t i = 0; i < 3; ++i) {
      std::vector<float> part(M * segments[i]);
      ref::bitLinear(q.data(), s.data(), &w[first * K], gammas[i], M, segments[i], K,
                     part.data());
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < segments[i]; ++n)
          yRef[m * N + first + n] = part[m * segments[i] + n];
      first += segments[i];
    }
    std::vector<float> y(M * N);
    bitlinear_fused(q.data(), s.data(), w.data(), gammas.data(), y.data());
    expectClose("bitlinear_fused", y, yRef);
    std::vector<uint8_t> packed =
        ref::packWeights({ref::PackFormat::Offset2, 4, 16}, w.data(), N, K);
    std::fill(y.begin(), y.end(), 0.0f);
    bitlinear_fused_offset2(q.data(), s.data(), packed.data(), gammas.data(), y.data());
    expectClose("bitlinear_fused offset2", y, yRef);
  }
}

void testFloatLinear(ref::Rng &rng) {
  std::vector<float> x = randomFloats(rng, M * K, 2.0f);
  std::vector<float> w = randomFloats(rng, N * K, 1.0f);
  std::vector<float> y(M * N), yRef(M * N);
  float_linear_f32(x.data(), w.data(), y.data());
  ref::floatLinear(x.data(), w.data(), M, N, K, yRef.data());
  expectClose("float_linear f32", y, yRef);
  std::vector<uint16_t> h(N * K);
  for (size_t i = 0; i < h.size(); ++i)
    h[i] = ref::floatToHalf(w[i]);
  float_linear_f16(x.data(), h.data(), y.data());
  ref::floatLinearF16(x.data(), h.data(), M, N, K, yRef.data());
  expectClose("float_linear f16", y, yRef);

  // int8 head: an f16 matrix quantized per row; every product at its
  // extreme in the last token (exact int32 sums, same float steps).
  ref::RowQuantizedWeights rows = ref::quantizeRowsF16(h.data(), N, K);
  std::vector<int8_t> q(M * K);
  std::vector<float> s(M);
  ref::quantizeActivations(x.data(), M, K, q.data(), s.data());
  std::fill(q.end() - K, q.end(), static_cast<int8_t>(-128));
  int8_linear(q.data(), s.data(), rows.values.data(), rows.scales.data(), y.data());
  ref::int8Linear(q.data(), s.data(), rows.values.data(), rows.scales.data(), M, N, K,
                  yRef.data());
  expectExact("int8_linear", y, yRef);
}

void testBlockOps(ref::Rng &rng) {
  // RMSNorm, including an all-zero row (eps keeps it finite).
  std::vector<float> x = randomFloats(rng, M * K, 4.0f);
  std::fill(x.begin(), x.begin() + K, 0.0f);
  std::vector<float> w = randomFloats(rng, K, 1.5f);
  std::vector<float> y(M * K), yRef(M * K);
  rms_norm(x.data(), w.data(), y.data());
  ref::rmsNorm(x.data(), w.data(), M, K, 1e-5f, yRef.data());
  expectClose("rms_norm", y, yRef);

  // RMSNorm then quantization, epsilon 1e-3 (ops.mlir), with the rows'
  // sums of codes; rows small enough that epsilon moves their scales.
  std::vector<float> small = x;
  for (int64_t k = 0; k < K; ++k)
    small[2 * K + k] = 0.01f * float(k % 5) - 0.02f;
  for (const std::vector<float> &input : {x, small}) {
    std::vector<int8_t> q(M * K), qRef(M * K);
    std::vector<float> s(M), sRef(M), normed(M * K);
    std::vector<int32_t> sums(M), sumsRef(M, 0);
    rms_norm_quantize(input.data(), w.data(), q.data(), s.data(), sums.data());
    ref::rmsNorm(input.data(), w.data(), M, K, 1e-3f, normed.data());
    ref::quantizeActivations(normed.data(), M, K, qRef.data(), sRef.data());
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k)
        sumsRef[m] += qRef[m * K + k];
    expectExact("rms_norm_quantize q", q, qRef);
    expectClose("rms_norm_quantize s", s, sRef);
    expectExact("rms_norm_quantize sums", sums, sumsRef);
  }

  // RoPE at position 0 (identity) and at later positions.
  for (int32_t pos : {0, 1, 37, 4000}) {
    std::vector<float> r = randomFloats(rng, M * 30, 2.0f), out(M * 30);
    rope(r.data(), pos, out.data());
    ref::rope(r.data(), M, 3, 10, pos, 500000.0f);
    expectClose("rope pos " + std::to_string(pos), out, r);
  }

  // GLU.
  std::vector<float> g = randomFloats(rng, M * K, 6.0f);
  std::vector<float> u = randomFloats(rng, M * K, 2.0f);
  glu_relu2(g.data(), u.data(), y.data());
  ref::glu(g.data(), u.data(), M * K, ref::GluActivation::Relu2, yRef.data());
  expectClose("glu relu2", y, yRef);
  glu_silu(g.data(), u.data(), y.data());
  ref::glu(g.data(), u.data(), M * K, ref::GluActivation::Silu, yRef.data());
  expectClose("glu silu", y, yRef);

  // Residual add.
  add(g.data(), u.data(), y.data());
  ref::add(g.data(), u.data(), M * K, yRef.data());
  expectClose("add", y, yRef);

  // Embedding (first and last rows included).
  std::vector<uint16_t> table(13 * 7);
  for (uint16_t &h : table)
    h = ref::floatToHalf(rng.uniform(-1.0f, 1.0f));
  std::vector<int32_t> tokens = {0, 12, 5, 5, 7};
  std::vector<float> e(5 * 7), eRef(5 * 7);
  embedding(table.data(), tokens.data(), e.data());
  ref::embedding(table.data(), 13, 7, tokens.data(), 5, eRef.data());
  expectClose("embedding", e, eRef);
}

void testAttention(ref::Rng &rng) {
  // Layer 1 of a 3-layer cache, context 9, 4 query heads over 2 KV heads.
  const int64_t layers = 3, ctx = 9, kvDim = 12, heads = 4, kvHeads = 2,
                headDim = 6, T = 3;
  std::vector<float> kc = randomFloats(rng, layers * ctx * kvDim, 1.0f);
  std::vector<float> vc = randomFloats(rng, layers * ctx * kvDim, 1.0f);
  // Rows beyond the valid prefix hold garbage that must never be read.
  for (int64_t t = 0; t < ctx; ++t)
    for (int64_t d = 0; d < kvDim; ++d)
      if (t >= 6) {
        kc[(1 * ctx + t) * kvDim + d] = NAN;
        vc[(1 * ctx + t) * kvDim + d] = INFINITY;
      }
  for (int32_t pos : {0, 3}) {
    std::vector<float> q = randomFloats(rng, T * heads * headDim, 2.0f);
    std::vector<float> k = randomFloats(rng, T * kvDim, 1.0f);
    std::vector<float> v = randomFloats(rng, T * kvDim, 1.0f);
    std::vector<float> kcRef = kc, vcRef = vc;
    std::vector<float> out(T * heads * headDim), outRef(out.size());
    attention(q.data(), k.data(), v.data(), pos, kc.data(), vc.data(),
              out.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t d = 0; d < kvDim; ++d) {
        kcRef[(1 * ctx + pos + t) * kvDim + d] = k[t * kvDim + d];
        vcRef[(1 * ctx + pos + t) * kvDim + d] = v[t * kvDim + d];
      }
    ref::attention(q.data(), &kcRef[1 * ctx * kvDim], &vcRef[1 * ctx * kvDim],
                   T, heads, kvHeads, headDim, pos, outRef.data());
    ++checks;
    if (std::memcmp(kc.data(), kcRef.data(), kc.size() * 4) != 0 ||
        std::memcmp(vc.data(), vcRef.data(), vc.size() * 4) != 0) {
      std::printf("FAIL kv_append at pos %d: caches differ\n", pos);
      ++failures;
    }
    expectClose("attention pos " + std::to_string(pos), out, outRef);
  }
}

} // namespace

int main() {
  ref::Rng rng(20261130);
  testQuantizeActivations(rng);
  testQuantizeWeights(rng);
  testBitLinear(rng);
  testBitLinearFused(rng);
  testFloatLinear(rng);
  testBlockOps(rng);
  testAttention(rng);
  std::printf("%d checks passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
