//===- Reference.cpp - Golden scalar reference for BitNet -----------------===//
//
// Every function follows the operation order documented in Reference.h. This
// file must be compiled with -ffp-contract=off (see CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Reference/Reference.h"

#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

namespace bitnet {
namespace ref {

const char *weightKindName(WeightKind kind) {
  switch (kind) {
  case WeightKind::Float:
    return "float";
  case WeightKind::Binary:
    return "binary";
  case WeightKind::Ternary:
    return "ternary";
  }
  return "unknown";
}

const char *gluActivationName(GluActivation act) {
  switch (act) {
  case GluActivation::Relu2:
    return "relu2";
  case GluActivation::Silu:
    return "silu";
  }
  return "unknown";
}

float roundHalfEven(float x) {
  // Below 2^22 in magnitude, x + 1.5 * 2^23 lies in (2^23, 2^24), where a
  // float has no fraction bits: the addition rounds to nearest, ties to even
  // (the default environment; 1.5 * 2^23 is even, so the tie goes the same way
  // as x's), and subtracting back is exact. copysign restores -0. This is
  // nearbyint inlined (a libm call per element otherwise on baseline x86-64).
  constexpr float kShift = 12582912.0f; // 1.5 * 2^23
  if (std::fabs(x) < 4194304.0f)        // 2^22
    return std::copysign((x + kShift) - kShift, x);
  return std::nearbyint(x); // already an integer, or inf or NaN
}

//===--------------------------------------------------------------------===//
// binary16
//===--------------------------------------------------------------------===//

static uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

static float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

/// Zeros, subnormals, infinities and NaNs: kept out of line so that the
/// normal path of halfToFloat inlines into the loops that convert tables.
[[gnu::noinline]] static float specialHalfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 31) // inf (mant == 0) or NaN (payload kept)
    return bitsFloat(sign | 0x7F800000u | (mant << 13));
  if (mant == 0)
    return bitsFloat(sign); // +-0
  // Subnormal: mant * 2^-24. Normalize so that bit 10 is the implicit one.
  uint32_t e = 127 - 14;
  while (!(mant & 0x400u)) {
    mant <<= 1;
    --e;
  }
  mant &= 0x3FFu;
  return bitsFloat(sign | (e << 23) | (mant << 13));
}

float halfToFloat(uint16_t h) {
  uint32_t exp = (h >> 10) & 0x1Fu;
  if (exp == 0 || exp == 31)
    return specialHalfToFloat(h);
  // Normal: rebias the exponent.
  return bitsFloat((static_cast<uint32_t>(h & 0x8000u) << 16) | ((exp + 127 - 15) << 23) |
                   (static_cast<uint32_t>(h & 0x3FFu) << 13));
}

uint16_t floatToHalf(float f) {
  uint32_t x = floatBits(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t absx = x & 0x7FFFFFFFu;
  if (absx >= 0x7F800000u) {
    if (absx == 0x7F800000u)
      return sign | 0x7C00u; // inf
    // NaN: keep the top payload bits, force quiet so it stays a NaN.
    return static_cast<uint16_t>(sign | 0x7C00u | 0x200u |
                                 ((absx >> 13) & 0x3FFu));
  }
  // 65520 = 65504 + half an ulp: the tie rounds to even, i.e. to infinity.
  if (absx >= 0x477FF000u)
    return sign | 0x7C00u;
  if (absx < 0x38800000u) { // below 2^-14: half subnormal or zero
    // Anything below 2^-25 rounds to zero; 2^-25 itself is a tie -> 0 (even).
    if (absx < 0x33000000u)
      return sign;
    uint32_t e = absx >> 23; // biased exponent, 102..112
    uint32_t mant = (absx & 0x7FFFFFu) | 0x800000u;
    // value = mant * 2^(e - 150); in units of 2^-24: mant * 2^(e - 126).
    uint32_t shift = 126 - e; // 14..24
    uint32_t hm = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (hm & 1u)))
      ++hm; // may carry into the smallest normal, which encodes correctly
    return static_cast<uint16_t>(sign | hm);
  }
  uint32_t h = (absx >> 13) - ((127u - 15u) << 10);
  uint32_t rem = absx & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
    ++h; // carries into the exponent correctly; cannot reach inf here
  return static_cast<uint16_t>(sign | h);
}

float bf16ToFloat(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

uint16_t floatToBf16(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) // NaN: quiet, keep the top payload
    return static_cast<uint16_t>((x >> 16) | 0x40u);
  // Round to nearest even on the 16 dropped bits (may carry into infinity).
  uint32_t rounded = x + 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

FloatStorage narrowestFloatStorage(const std::vector<float> &values) {
  auto holds = [&](uint16_t (*down)(float), float (*up)(uint16_t)) {
    for (float v : values)
      if (up(down(v)) != v)
        return false;
    return true;
  };
  if (holds(floatToBf16, bf16ToFloat))
    return FloatStorage::BF16;
  if (holds(floatToHalf, halfToFloat))
    return FloatStorage::F16;
  return FloatStorage::F32;
}

int64_t bytesPerFloat(FloatStorage storage) { return storage == FloatStorage::F32 ? 4 : 2; }

std::vector<uint8_t> encodeFloats(const std::vector<float> &values, FloatStorage storage) {
  std::vector<uint8_t> bytes(values.size() * static_cast<size_t>(bytesPerFloat(storage)));
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = storage == FloatStorage::F32    ? floatBits(values[i])
                    : storage == FloatStorage::BF16 ? floatToBf16(values[i])
                                                    : floatToHalf(values[i]);
    for (int64_t b = 0; b < bytesPerFloat(storage); ++b)
      bytes[i * bytesPerFloat(storage) + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return bytes;
}

//===--------------------------------------------------------------------===//
// Quantizers
//===--------------------------------------------------------------------===//

QuantizedWeights quantizeWeights(const float *w, size_t count,
                                 WeightKind kind) {
  QuantizedWeights result;
  result.values.assign(count, 0);
  double absSum = 0.0;
  for (size_t i = 0; i < count; ++i)
    absSum += std::fabs(static_cast<double>(w[i]));
  float absMean =
      count ? static_cast<float>(absSum / static_cast<double>(count)) : 0.0f;
  float gamma = absMean > 1e-5f ? absMean : 1e-5f;
  result.scale = gamma;

  switch (kind) {
  case WeightKind::Ternary:
    for (size_t i = 0; i < count; ++i) {
      float r = roundHalfEven(w[i] / gamma);
      if (r > 1.0f)
        r = 1.0f;
      if (r < -1.0f)
        r = -1.0f;
      result.values[i] = static_cast<int8_t>(r);
    }
    break;
  case WeightKind::Binary: {
    double sum = 0.0;
    for (size_t i = 0; i < count; ++i)
      sum += static_cast<double>(w[i]);
    float alpha =
        count ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
    for (size_t i = 0; i < count; ++i)
      result.values[i] = (w[i] - alpha) > 0.0f ? 1 : -1;
    break;
  }
  case WeightKind::Float:
    // Float weights are not quantized; callers should not ask. Return the
    // ternary rule so the result is at least well defined.
    for (size_t i = 0; i < count; ++i) {
      float r = roundHalfEven(w[i] / gamma);
      r = r > 1.0f ? 1.0f : (r < -1.0f ? -1.0f : r);
      result.values[i] = static_cast<int8_t>(r);
    }
    break;
  }
  return result;
}

void quantizeActivations(const float *x, int64_t M, int64_t K, int8_t *q,
                         float *s) {
  for (int64_t m = 0; m < M; ++m) {
    const float *row = x + m * K;
    float amax = 0.0f;
    for (int64_t k = 0; k < K; ++k) {
      float a = std::fabs(row[k]);
      if (a > amax)
        amax = a;
    }
    float scale = 127.0f / (amax > 1e-5f ? amax : 1e-5f);
    s[m] = scale;
    for (int64_t k = 0; k < K; ++k) {
      float r = roundHalfEven(row[k] * scale);
      if (r > 127.0f)
        r = 127.0f;
      if (r < -128.0f)
        r = -128.0f;
      q[m * K + k] = static_cast<int8_t>(r);
    }
  }
}

namespace {

/// Runs fn(n0, n1) over [0, N) split into `threads` contiguous ranges of
/// rows, one std::thread each but the caller's. Each output is still computed
/// by one loop in the documented order, so the split changes no bit.
template <typename Fn> void forRowRanges(int64_t N, int threads, Fn fn) {
  // Below this many rows a thread costs more than it saves.
  constexpr int64_t kMinRowsPerThread = 64;
  int64_t parts = threads < 1 ? 1 : threads;
  if (parts > N / kMinRowsPerThread)
    parts = N / kMinRowsPerThread;
  if (parts <= 1) {
    fn(int64_t(0), N);
    return;
  }
  std::vector<std::thread> helpers;
  helpers.reserve(static_cast<size_t>(parts - 1));
  for (int64_t p = 1; p < parts; ++p)
    helpers.emplace_back(fn, N * p / parts, N * (p + 1) / parts);
  fn(int64_t(0), N / parts);
  for (std::thread &t : helpers)
    t.join();
}

} // namespace

// The linear layers loop over output rows outside and tokens inside, so that
// each weight row is read from memory once per call however many tokens
// there are; every output's own sum runs in k order as documented.

/// acc[m, n] for every token m of one weight row n, four tokens a pass so
/// that the row is loaded once for four (integer sums: any order is exact).
/// Operands are widened to int16 first: products of int16 summed into int32
/// are what baseline x86-64 (SSE2 pmaddwd) and NEON multiply-add directly.
static void integerRow(const int16_t *q, const int16_t *wRow, int64_t M,
                       int64_t K, int32_t *sums) {
  int64_t m = 0;
  for (; m + 4 <= M; m += 4) {
    const int16_t *q0 = q + m * K, *q1 = q0 + K, *q2 = q1 + K, *q3 = q2 + K;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int32_t wk = wRow[k];
      s0 += wk * q0[k];
      s1 += wk * q1[k];
      s2 += wk * q2[k];
      s3 += wk * q3[k];
    }
    sums[m] = s0;
    sums[m + 1] = s1;
    sums[m + 2] = s2;
    sums[m + 3] = s3;
  }
  for (; m < M; ++m) {
    const int16_t *qm = q + m * K;
    int32_t sum = 0;
    for (int64_t k = 0; k < K; ++k)
      sum += static_cast<int32_t>(wRow[k]) * qm[k];
    sums[m] = sum;
  }
}

/// Calls fn(n, sums) for every row n in [0, N) with sums[m] = acc[m, n],
/// the rows split over `threads`.
template <typename Fn>
static void forEachRowSums(const int8_t *q, const int8_t *w, int64_t M,
                           int64_t N, int64_t K, int threads, Fn fn) {
  const std::vector<int16_t> q16(q, q + M * K);
  const int16_t *qWide = q16.data();
  forRowRanges(N, threads, [=, &fn](int64_t n0, int64_t n1) {
    std::vector<int32_t> sums(static_cast<size_t>(M));
    std::vector<int16_t> row(static_cast<size_t>(K));
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t k = 0; k < K; ++k)
        row[k] = w[n * K + k];
      integerRow(qWide, row.data(), M, K, sums.data());
      fn(n, sums.data());
    }
  });
}

void integerMatmul(const int8_t *q, const int8_t *w, int64_t M, int64_t N,
                   int64_t K, int32_t *acc, int threads) {
  forEachRowSums(q, w, M, N, K, threads, [=](int64_t n, const int32_t *sums) {
    for (int64_t m = 0; m < M; ++m)
      acc[m * N + n] = sums[m];
  });
}

void bitLinear(const int8_t *q, const float *s, const int8_t *w, float gamma,
               int64_t M, int64_t N, int64_t K, float *y, int threads) {
  forEachRowSums(q, w, M, N, K, threads, [=](int64_t n, const int32_t *sums) {
    for (int64_t m = 0; m < M; ++m)
      y[m * N + n] = (static_cast<float>(sums[m]) / s[m]) * gamma;
  });
}

/// y[m, n0 .. n0+R) for the R rows at `rows` (each K floats), R <= 4: the R
/// sums run side by side so that their adds overlap, each in k order.
template <int R>
static void floatRowBlock(const float *x, const float *const *rows, int64_t M,
                          int64_t N, int64_t K, int64_t n0, float *y) {
  for (int64_t m = 0; m < M; ++m) {
    const float *xm = x + m * K;
    float acc[R] = {};
    for (int64_t k = 0; k < K; ++k)
      for (int r = 0; r < R; ++r)
        acc[r] += xm[k] * rows[r][k];
    for (int r = 0; r < R; ++r)
      y[m * N + n0 + r] = acc[r];
  }
}

void floatLinear(const float *x, const float *w, int64_t M, int64_t N,
                 int64_t K, float *y, int threads) {
  forRowRanges(N, threads, [=](int64_t n0, int64_t n1) {
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
      const float *rows[4] = {w + n * K, w + (n + 1) * K, w + (n + 2) * K, w + (n + 3) * K};
      floatRowBlock<4>(x, rows, M, N, K, n, y);
    }
    for (; n < n1; ++n) {
      const float *row = w + n * K;
      floatRowBlock<1>(x, &row, M, N, K, n, y);
    }
  });
}

void floatLinearF16(const float *x, const uint16_t *w, int64_t M, int64_t N,
                    int64_t K, float *y, int threads) {
  forRowRanges(N, threads, [=](int64_t n0, int64_t n1) {
    // Rows converted (exactly) once for all M tokens, four at a time.
    std::vector<float> converted(static_cast<size_t>(4 * K));
    const float *rows[4];
    for (int r = 0; r < 4; ++r)
      rows[r] = converted.data() + r * K;
    for (int64_t n = n0; n < n1; n += 4) {
      const int64_t count = n1 - n < 4 ? n1 - n : 4;
      for (int64_t i = 0; i < count * K; ++i)
        converted[i] = halfToFloat(w[n * K + i]);
      if (count == 4)
        floatRowBlock<4>(x, rows, M, N, K, n, y);
      else
        for (int64_t r = 0; r < count; ++r)
          floatRowBlock<1>(x, &rows[r], M, N, K, n + r, y);
    }
  });
}

RowQuantizedWeights quantizeRowsF16(const uint16_t *w, int64_t N, int64_t K) {
  RowQuantizedWeights out;
  out.values.resize(static_cast<size_t>(N * K));
  out.scales.resize(static_cast<size_t>(N));
  std::vector<float> row(static_cast<size_t>(K));
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t k = 0; k < K; ++k)
      row[k] = halfToFloat(w[n * K + k]);
    float s;
    quantizeActivations(row.data(), 1, K, out.values.data() + n * K, &s);
    out.scales[n] = 1.0f / s;
  }
  return out;
}

void int8Linear(const int8_t *q, const float *s, const int8_t *w,
                const float *scales, int64_t M, int64_t N, int64_t K, float *y,
                int threads) {
  std::vector<int32_t> acc(static_cast<size_t>(M * N));
  integerMatmul(q, w, M, N, K, acc.data(), threads);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      y[m * N + n] = (static_cast<float>(acc[m * N + n]) / s[m]) * scales[n];
}

//===--------------------------------------------------------------------===//
// The rest of a block
//===--------------------------------------------------------------------===//

void rmsNorm(const float *x, const float *w, int64_t M, int64_t D, float eps,
             float *y) {
  for (int64_t m = 0; m < M; ++m) {
    const float *row = x + m * D;
    float partial[kRMSNormPartialSums] = {};
    for (int64_t d = 0; d < D; ++d) {
      float square = row[d] * row[d];
      partial[d % kRMSNormPartialSums] += square;
    }
    float ss = 0.0f;
    for (float p : partial)
      ss += p;
    float inv = 1.0f / sqrtf(ss / static_cast<float>(D) + eps);
    for (int64_t d = 0; d < D; ++d)
      y[m * D + d] = (row[d] * inv) * w[d];
  }
}

void rope(float *x, int64_t M, int64_t numHeads, int64_t headDim,
          int64_t startPos, float theta) {
  int64_t half = headDim / 2;
  int64_t width = numHeads * headDim;
  for (int64_t m = 0; m < M; ++m) {
    float position = static_cast<float>(startPos + m);
    for (int64_t i = 0; i < half; ++i) {
      float invFreq = powf(theta, -static_cast<float>(2 * i) /
                                      static_cast<float>(headDim));
      float angle = position * invFreq;
      float c = cosf(angle);
      float s = sinf(angle);
      for (int64_t h = 0; h < numHeads; ++h) {
        float *head = x + m * width + h * headDim;
        float a = head[i];
        float b = head[i + half];
        head[i] = a * c - b * s;
        head[i + half] = b * c + a * s;
      }
    }
  }
}

void attention(const float *q, const float *kCache, const float *vCache,
               int64_t M, int64_t numHeads, int64_t numKvHeads,
               int64_t headDim, int64_t startPos, float *out) {
  int64_t group = numHeads / numKvHeads;
  int64_t qWidth = numHeads * headDim;
  int64_t kvWidth = numKvHeads * headDim;
  float scale = 1.0f / sqrtf(static_cast<float>(headDim));
  std::vector<float> p(static_cast<size_t>(startPos + M));
  for (int64_t m = 0; m < M; ++m) {
    int64_t last = startPos + m; // inclusive
    for (int64_t h = 0; h < numHeads; ++h) {
      int64_t kvh = h / group;
      const float *qh = q + m * qWidth + h * headDim;
      float mx = 0.0f;
      for (int64_t t = 0; t <= last; ++t) {
        const float *kt = kCache + t * kvWidth + kvh * headDim;
        float dot = 0.0f;
        for (int64_t d = 0; d < headDim; ++d)
          dot += qh[d] * kt[d];
        float score = dot * scale;
        p[t] = score;
        if (t == 0 || score > mx)
          mx = score;
      }
      float sum = 0.0f;
      for (int64_t t = 0; t <= last; ++t) {
        p[t] = expf(p[t] - mx);
        sum += p[t];
      }
      for (int64_t t = 0; t <= last; ++t)
        p[t] = p[t] / sum;
      float *oh = out + m * qWidth + h * headDim;
      for (int64_t d = 0; d < headDim; ++d) {
        float acc = 0.0f;
        for (int64_t t = 0; t <= last; ++t)
          acc += p[t] * vCache[t * kvWidth + kvh * headDim + d];
        oh[d] = acc;
      }
    }
  }
}

void glu(const float *gate, const float *up, int64_t count, GluActivation act,
         float *out) {
  for (int64_t i = 0; i < count; ++i) {
    float g = gate[i];
    float a;
    if (act == GluActivation::Relu2) {
      float r = g > 0.0f ? g : 0.0f;
      a = r * r;
    } else {
      a = g / (1.0f + expf(-g));
    }
    out[i] = a * up[i];
  }
}

bool embedding(const uint16_t *tableF16, int64_t vocab, int64_t D,
               const int32_t *tokens, int64_t M, float *out) {
  for (int64_t m = 0; m < M; ++m)
    if (tokens[m] < 0 || tokens[m] >= vocab)
      return false;
  for (int64_t m = 0; m < M; ++m) {
    const uint16_t *row = tableF16 + static_cast<int64_t>(tokens[m]) * D;
    for (int64_t d = 0; d < D; ++d)
      out[m * D + d] = halfToFloat(row[d]);
  }
  return true;
}

void add(const float *a, const float *b, int64_t count, float *y) {
  for (int64_t i = 0; i < count; ++i)
    y[i] = a[i] + b[i];
}

//===--------------------------------------------------------------------===//
// Rng
//===--------------------------------------------------------------------===//

uint64_t Rng::next() {
  // splitmix64 (Steele, Lea, Flood 2014; Vigna's reference constants).
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float Rng::uniform(float lo, float hi) {
  // The top 24 bits give an exact float in [0, 1).
  float u = static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
  float r = lo + (hi - lo) * u;
  if (r >= hi) // rounding can land on hi for some ranges
    r = std::nextafter(hi, lo);
  return r;
}

int64_t Rng::range(int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1u;
  uint64_t r = next();
  if (span != 0) // span == 0: the whole int64 range
    r %= span;
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
}

} // namespace ref
} // namespace bitnet
