//===- ReferenceTest.cpp - Unit tests of the golden reference -------------===//
//
// Expected values are worked out by hand (in the comments) rather than by
// calling the code under test. A failing CHECK prints file:line and values;
// main returns non-zero if any check failed.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Reference/Packing.h"
#include "bitnet/Reference/Reference.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

using namespace bitnet::ref;

namespace {

int gPassed = 0;
int gFailed = 0;

std::string show(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g (0x%08x)", static_cast<double>(v),
                bits);
  return buf;
}
std::string show(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
[[maybe_unused]] std::string show(bool v) { return v ? "true" : "false"; }
std::string show(const std::string &v) { return "\"" + v + "\""; }
[[maybe_unused]] std::string show(const char *v) { return show(std::string(v ? v : "(null)")); }
template <typename T>
typename std::enable_if<std::is_integral<T>::value, std::string>::type
show(T v) {
  if (std::is_signed<T>::value)
    return std::to_string(static_cast<long long>(v));
  return std::to_string(static_cast<unsigned long long>(v));
}
template <typename T>
typename std::enable_if<std::is_enum<T>::value, std::string>::type show(T v) {
  return std::to_string(static_cast<long long>(v));
}

void record(bool ok, const char *file, int line, const std::string &what) {
  if (ok) {
    ++gPassed;
    return;
  }
  ++gFailed;
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
}

template <typename A, typename B>
void checkEq(const A &a, const B &b, const char *as, const char *bs,
             const char *file, int line) {
  bool ok = a == b;
  if (!ok)
    record(false, file, line,
           std::string(as) + " == " + bs + "  (" + show(a) + " vs " + show(b) +
               ")");
  else
    record(true, file, line, "");
}

void checkNear(double a, double b, double tol, const char *as, const char *bs,
               const char *file, int line) {
  bool ok = std::fabs(a - b) <= tol;
  record(ok, file, line,
         std::string(as) + " ~= " + bs + "  (" + show(a) + " vs " + show(b) +
             ", tol " + show(tol) + ")");
}

void checkRel(double a, double b, double rel, const char *as, const char *bs,
              const char *file, int line) {
  double scale = std::fmax(std::fabs(a), std::fabs(b));
  bool ok = std::fabs(a - b) <= rel * scale;
  record(ok, file, line,
         std::string(as) + " ~= " + bs + " (relative)  (" + show(a) + " vs " +
             show(b) + ", rel " + show(rel) + ")");
}

bool sameBits(float a, float b) {
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

} // namespace

#define CHECK(cond) record((cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ(a, b) checkEq((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_NEAR(a, b, tol)                                                  \
  checkNear((a), (b), (tol), #a, #b, __FILE__, __LINE__)
#define CHECK_REL(a, b, rel) checkRel((a), (b), (rel), #a, #b, __FILE__, __LINE__)
/// Bitwise float equality (distinguishes -0 from +0).
#define CHECK_BITS(a, b)                                                       \
  record(sameBits((a), (b)), __FILE__, __LINE__,                               \
         std::string(#a " bitwise== " #b "  (") + show(static_cast<float>(a)) + \
             " vs " + show(static_cast<float>(b)) + ")")

//===--------------------------------------------------------------------===//
// Rounding, f16
//===--------------------------------------------------------------------===//

static void testRoundHalfEven() {
  CHECK_BITS(roundHalfEven(0.5f), 0.0f);
  CHECK_BITS(roundHalfEven(1.5f), 2.0f);
  CHECK_BITS(roundHalfEven(2.5f), 2.0f);
  CHECK_BITS(roundHalfEven(3.5f), 4.0f);
  CHECK_BITS(roundHalfEven(-0.5f), -0.0f);
  CHECK_BITS(roundHalfEven(-1.5f), -2.0f);
  CHECK_BITS(roundHalfEven(-2.5f), -2.0f);
  CHECK_BITS(roundHalfEven(0.49999997f), 0.0f);
  CHECK_BITS(roundHalfEven(126.5f), 126.0f);
  CHECK_BITS(roundHalfEven(127.5f), 128.0f);
  CHECK_BITS(roundHalfEven(-0.25f), -0.0f);
  CHECK_BITS(roundHalfEven(4194303.5f), 4194304.0f); // below 2^22, a tie
  CHECK_BITS(roundHalfEven(4194304.5f), 4194304.0f); // past it, a tie
  CHECK_BITS(roundHalfEven(8388609.0f), 8388609.0f);
  // Against nearbyint (the default environment's round half to even): every
  // tie and its neighbours up to 2^12, and a stride through all floats.
  int wrong = 0;
  auto same = [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  for (int i = -4096; i <= 4096; ++i) {
    float tie = static_cast<float>(i) + 0.5f;
    for (float x : {tie, std::nextafter(tie, -1e9f), std::nextafter(tie, 1e9f)})
      wrong += !same(roundHalfEven(x), std::nearbyint(x));
  }
  for (uint64_t bits = 0; bits <= 0xFFFFFFFFull; bits += 251) {
    uint32_t b = static_cast<uint32_t>(bits);
    float x;
    std::memcpy(&x, &b, sizeof x);
    if (!std::isnan(x))
      wrong += !same(roundHalfEven(x), std::nearbyint(x));
  }
  CHECK_EQ(wrong, 0);
}

static void testHalf() {
  // 1.0: exponent 15 -> 0 01111 0000000000 = 0x3C00.
  CHECK_EQ(floatToHalf(1.0f), uint16_t(0x3C00));
  CHECK_BITS(halfToFloat(0x3C00), 1.0f);
  // -2.0: sign, exponent 16 -> 1 10000 0 = 0xC000.
  CHECK_EQ(floatToHalf(-2.0f), uint16_t(0xC000));
  CHECK_BITS(halfToFloat(0xC000), -2.0f);
  // 65504 = (2 - 2^-10) * 2^15: 0 11110 1111111111 = 0x7BFF.
  CHECK_EQ(floatToHalf(65504.0f), uint16_t(0x7BFF));
  CHECK_BITS(halfToFloat(0x7BFF), 65504.0f);
  // 65519 is below the midpoint 65520 -> 65504; 65520 is a tie -> even -> inf.
  CHECK_EQ(floatToHalf(65519.0f), uint16_t(0x7BFF));
  CHECK_EQ(floatToHalf(65520.0f), uint16_t(0x7C00));
  CHECK_EQ(floatToHalf(-1e10f), uint16_t(0xFC00));
  // Smallest subnormal 2^-24 = 0x0001; largest subnormal 1023 * 2^-24.
  CHECK_EQ(floatToHalf(std::ldexp(1.0f, -24)), uint16_t(0x0001));
  CHECK_BITS(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  CHECK_BITS(halfToFloat(0x03FF), 1023.0f * std::ldexp(1.0f, -24));
  CHECK_BITS(halfToFloat(0x0400), std::ldexp(1.0f, -14));
  // 2^-25 is halfway between 0 and 2^-24 -> 0 (even); 3 * 2^-25 is halfway
  // between 1 and 2 units -> 2 (even); just above 2^-25 -> 1 unit.
  CHECK_EQ(floatToHalf(std::ldexp(1.0f, -25)), uint16_t(0x0000));
  CHECK_EQ(floatToHalf(3.0f * std::ldexp(1.0f, -25)), uint16_t(0x0002));
  CHECK_EQ(floatToHalf(std::ldexp(1.0f, -25) * 1.0000001f), uint16_t(0x0001));
  CHECK_EQ(floatToHalf(std::ldexp(1.0f, -30)), uint16_t(0x0000));
  CHECK_EQ(floatToHalf(-std::ldexp(1.0f, -30)), uint16_t(0x8000));
  // Ties in the normal range: 1 + 2^-11 is halfway between 0x3C00 and 0x3C01
  // -> 0x3C00 (even); 1 + 3 * 2^-11 between 0x3C01 and 0x3C02 -> 0x3C02.
  CHECK_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), uint16_t(0x3C00));
  CHECK_EQ(floatToHalf(1.0f + 3.0f * std::ldexp(1.0f, -11)), uint16_t(0x3C02));
  CHECK_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)),
           uint16_t(0x3C01));
  // Rounding up the largest mantissa carries into the exponent:
  // 2 - 2^-12 is above the midpoint of 0x3BFF..0x4000 -> 0x4000 = 2.0.
  CHECK_EQ(floatToHalf(2.0f - std::ldexp(1.0f, -12)), uint16_t(0x4000));
  // Zeros, infinities, NaN.
  CHECK_EQ(floatToHalf(0.0f), uint16_t(0x0000));
  CHECK_EQ(floatToHalf(-0.0f), uint16_t(0x8000));
  CHECK_BITS(halfToFloat(0x8000), -0.0f);
  float inf = std::numeric_limits<float>::infinity();
  CHECK_EQ(floatToHalf(inf), uint16_t(0x7C00));
  CHECK_EQ(floatToHalf(-inf), uint16_t(0xFC00));
  CHECK(std::isinf(halfToFloat(0x7C00)) && halfToFloat(0x7C00) > 0);
  CHECK(std::isinf(halfToFloat(0xFC00)) && halfToFloat(0xFC00) < 0);
  uint16_t hn = floatToHalf(std::numeric_limits<float>::quiet_NaN());
  CHECK_EQ(hn & 0x7C00, 0x7C00);
  CHECK((hn & 0x03FF) != 0);
  CHECK(std::isnan(halfToFloat(0x7E00)));
  CHECK(std::isnan(halfToFloat(0x7C01)));
  // A signalling-looking float NaN whose payload is only in the low bits
  // must still come out as a NaN, not as infinity.
  uint32_t snanBits = 0x7F800001u;
  float snan;
  std::memcpy(&snan, &snanBits, 4);
  CHECK(std::isnan(halfToFloat(floatToHalf(snan))));
  // 1/3 in f16 = 0x3555 = 0.333251953125.
  CHECK_EQ(floatToHalf(1.0f / 3.0f), uint16_t(0x3555));
  CHECK_BITS(halfToFloat(0x3555), 0.333251953125f);
  // Every non-NaN half survives half -> float -> half.
  int bad = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    bool isNan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
    if (isNan)
      continue;
    if (floatToHalf(halfToFloat(static_cast<uint16_t>(h))) != h)
      ++bad;
  }
  CHECK_EQ(bad, 0);
}

//===--------------------------------------------------------------------===//
// Quantizers
//===--------------------------------------------------------------------===//

static void testWeightQuantTernary() {
  // |W| sums to 8 over 8 elements -> gamma = 1 exactly, so W / gamma = W.
  const float w[8] = {0.5f, -0.5f, 1.5f, -1.5f, 0.25f, 1.75f, -1.0f, 1.0f};
  QuantizedWeights qw = quantizeWeights(w, 8, WeightKind::Ternary);
  CHECK_BITS(qw.scale, 1.0f);
  // 0.5 -> 0 (tie to even, not 1), -0.5 -> -0 -> 0, 1.5 -> 2 -> clamp 1,
  // -1.5 -> -2 -> clamp -1, 0.25 -> 0, 1.75 -> 2 -> 1, -1 -> -1, 1 -> 1.
  const int8_t expect[8] = {0, 0, 1, -1, 0, 1, -1, 1};
  CHECK_EQ(qw.values.size(), size_t(8));
  for (int i = 0; i < 8; ++i)
    CHECK_EQ(qw.values[i], expect[i]);

  // |W| sums to 18 over 9 elements -> gamma = 2; W / gamma =
  // {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0, 0, 0} -> {0, 2, 2, -0, -2, -2, 0...}
  // -> clamp {0, 1, 1, 0, -1, -1, 0, 0, 0}.
  const float w2[9] = {1, 3, 5, -1, -3, -5, 0, 0, 0};
  QuantizedWeights q2 = quantizeWeights(w2, 9, WeightKind::Ternary);
  CHECK_BITS(q2.scale, 2.0f);
  const int8_t expect2[9] = {0, 1, 1, 0, -1, -1, 0, 0, 0};
  for (int i = 0; i < 9; ++i)
    CHECK_EQ(q2.values[i], expect2[i]);

  // All-zero weights: mean 0 -> gamma = 1e-5, T all 0.
  std::vector<float> zeros(100, 0.0f);
  QuantizedWeights qz = quantizeWeights(zeros.data(), zeros.size(),
                                        WeightKind::Ternary);
  CHECK_BITS(qz.scale, 1e-5f);
  bool allZero = true;
  for (int8_t v : qz.values)
    allZero &= v == 0;
  CHECK(allZero);

  // Double accumulation: in f32, 16777216 + 1 + 1 stays 16777216; in double
  // the sum is 16777218 and the mean 5592406 (exact in f32).
  const float big[3] = {16777216.0f, 1.0f, 1.0f};
  QuantizedWeights qb = quantizeWeights(big, 3, WeightKind::Ternary);
  CHECK_BITS(qb.scale, 5592406.0f);
  CHECK_EQ(qb.values[0], int8_t(1)); // 3.0000 -> clamp 1
  CHECK_EQ(qb.values[1], int8_t(0)); // ~1.8e-7 -> 0
  CHECK_EQ(qb.values[2], int8_t(0));

  // Tiny weights below the clamp: mean |W| = 1e-6 < 1e-5 -> gamma = 1e-5,
  // W / gamma = +-0.1 -> 0.
  const float tiny[2] = {1e-6f, -1e-6f};
  QuantizedWeights qt = quantizeWeights(tiny, 2, WeightKind::Ternary);
  CHECK_BITS(qt.scale, 1e-5f);
  CHECK_EQ(qt.values[0], int8_t(0));
  CHECK_EQ(qt.values[1], int8_t(0));
}

static void testWeightQuantBinary() {
  // alpha = mean(W) = 12/4 = 3; W - alpha = {-2, -1, 0, 3} -> {-1, -1, -1
  // (sign(0) = -1), +1}; gamma = mean |W| = 3.
  const float w[4] = {1, 2, 3, 6};
  QuantizedWeights qw = quantizeWeights(w, 4, WeightKind::Binary);
  CHECK_BITS(qw.scale, 3.0f);
  const int8_t e[4] = {-1, -1, -1, 1};
  for (int i = 0; i < 4; ++i)
    CHECK_EQ(qw.values[i], e[i]);
  // Mean shift with a negative mean: alpha = -4/4 = -1; W - alpha =
  // {-3, 1, 2, 0} -> {-1, +1 (a zero weight becomes +1), +1, -1};
  // gamma = (4 + 0 + 1 + 1) / 4 = 1.5.
  const float w2[4] = {-4, 0, 1, -1};
  QuantizedWeights q2 = quantizeWeights(w2, 4, WeightKind::Binary);
  CHECK_BITS(q2.scale, 1.5f);
  const int8_t e2[4] = {-1, 1, 1, -1};
  for (int i = 0; i < 4; ++i)
    CHECK_EQ(q2.values[i], e2[i]);
  // All zero: alpha 0, every W - alpha = 0 -> -1; gamma = 1e-5.
  std::vector<float> zeros(10, 0.0f);
  QuantizedWeights qz = quantizeWeights(zeros.data(), zeros.size(),
                                        WeightKind::Binary);
  CHECK_BITS(qz.scale, 1e-5f);
  bool allMinus = true;
  for (int8_t v : qz.values)
    allMinus &= v == -1;
  CHECK(allMinus);
  // Binary values are never 0.
  Rng rng(7);
  std::vector<float> r(1000);
  for (auto &x : r)
    x = rng.uniform(-1, 1);
  QuantizedWeights qr = quantizeWeights(r.data(), r.size(), WeightKind::Binary);
  bool pm = true;
  for (int8_t v : qr.values)
    pm &= v == 1 || v == -1;
  CHECK(pm);
}

static void testActivationQuant() {
  // Row 0: max |x| = 127 -> s = 1, q = round_half_even(x).
  // Row 1: max |x| = 254 -> s = 0.5 exactly, x * s hits the same ties.
  // Row 2: a negative max: -127 -> s = 1; 126.5 -> 126 (even).
  const int64_t K = 8;
  const float x[3 * K] = {
      127, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, //
      254, 1, 3, 5, -1, -3, -5, 7,                      //
      -127, 126.5f, 0, 0, 0, 0, 0, 0.25f,
  };
  int8_t q[3 * K];
  float s[3];
  quantizeActivations(x, 3, K, q, s);
  CHECK_BITS(s[0], 1.0f);
  CHECK_BITS(s[1], 0.5f);
  CHECK_BITS(s[2], 1.0f);
  const int8_t e[3 * K] = {
      127, 0, 2, 2, 0, -2, -2, 4, //
      127, 0, 2, 2, 0, -2, -2, 4, //
      -127, 126, 0, 0, 0, 0, 0, 0,
  };
  for (int i = 0; i < 3 * K; ++i)
    CHECK_EQ(q[i], e[i]);

  // All-zero row: s = 127 / 1e-5 (the clamp), all q = 0.
  const float z[4] = {0, 0, 0, 0};
  int8_t qz[4] = {9, 9, 9, 9};
  float sz = 0;
  quantizeActivations(z, 1, 4, qz, &sz);
  CHECK_BITS(sz, 127.0f / 1e-5f);
  CHECK_NEAR(sz, 1.27e7, 1.0);
  for (int i = 0; i < 4; ++i)
    CHECK_EQ(qz[i], int8_t(0));

  // Saturation: max 1 -> s = 127; 0.999 * 127 = 126.873 -> 127 (not above);
  // -1 -> -127 (never -128); 0.5 * 127 = 63.5 -> 64 (even).
  const float sat[4] = {1.0f, 0.999f, -1.0f, 0.5f};
  int8_t qs[4];
  float ss;
  quantizeActivations(sat, 1, 4, qs, &ss);
  CHECK_BITS(ss, 127.0f);
  CHECK_EQ(qs[0], int8_t(127));
  CHECK_EQ(qs[1], int8_t(127));
  CHECK_EQ(qs[2], int8_t(-127));
  CHECK_EQ(qs[3], int8_t(64));

  // Random rows: the element of largest magnitude maps to +-127 exactly, and
  // |x * s| <= 127 everywhere so -128 never occurs.
  Rng rng(42);
  const int64_t M = 64, KK = 97;
  std::vector<float> xr(M * KK);
  for (auto &v : xr)
    v = rng.uniform(-3.0f, 3.0f) * std::ldexp(1.0f, int(rng.range(-20, 20)));
  std::vector<int8_t> qr(M * KK);
  std::vector<float> sr(M);
  quantizeActivations(xr.data(), M, KK, qr.data(), sr.data());
  int minQ = 0, rowsHitting127 = 0;
  for (int64_t m = 0; m < M; ++m) {
    int rowMax = 0;
    for (int64_t k = 0; k < KK; ++k) {
      int v = qr[m * KK + k];
      minQ = v < minQ ? v : minQ;
      rowMax = std::abs(v) > rowMax ? std::abs(v) : rowMax;
    }
    rowsHitting127 += rowMax == 127;
  }
  CHECK(minQ >= -127);
  CHECK_EQ(rowsHitting127, int(M));
}

static void testIntegerMatmul() {
  // K = 4096 of q = 127 and w = +1: 4096 * 127 = 520192 (beyond int16).
  const int64_t K = 4096;
  std::vector<int8_t> q(K, 127), wp(K, 1), wn(K, -1);
  std::vector<int8_t> w(2 * K);
  std::copy(wp.begin(), wp.end(), w.begin());
  std::copy(wn.begin(), wn.end(), w.begin() + K);
  int32_t acc[2];
  integerMatmul(q.data(), w.data(), 1, 2, K, acc);
  CHECK_EQ(acc[0], int32_t(520192));
  CHECK_EQ(acc[1], int32_t(-520192));
  // With q = -128 (not produced by the quantizer, but representable):
  // 4096 * -128 * -1 = 524288.
  std::vector<int8_t> qm(K, -128);
  integerMatmul(qm.data(), w.data(), 1, 2, K, acc);
  CHECK_EQ(acc[0], int32_t(-524288));
  CHECK_EQ(acc[1], int32_t(524288));

  // Small hand case: q = [[1, 2, 3], [-1, 0, 5]], w = [[1, 0, -1], [1, 1, 1]]
  // acc = [[1 - 3, 6], [-1 - 5, 4]] = [[-2, 6], [-6, 4]].
  const int8_t qs[6] = {1, 2, 3, -1, 0, 5};
  const int8_t ws[6] = {1, 0, -1, 1, 1, 1};
  int32_t a2[4];
  integerMatmul(qs, ws, 2, 2, 3, a2);
  CHECK_EQ(a2[0], -2);
  CHECK_EQ(a2[1], 6);
  CHECK_EQ(a2[2], -6);
  CHECK_EQ(a2[3], 4);

  // The offset identity sum T*q = sum (T+1)*q - sum q on random data.
  Rng rng(3);
  const int64_t KK = 1000;
  std::vector<int8_t> qq(KK), tt(KK), uu(KK), ones(KK, 1);
  for (int64_t k = 0; k < KK; ++k) {
    qq[k] = static_cast<int8_t>(rng.range(-127, 127));
    tt[k] = static_cast<int8_t>(rng.range(-1, 1));
    uu[k] = static_cast<int8_t>(tt[k] + 1);
  }
  int32_t d, du, sq;
  integerMatmul(qq.data(), tt.data(), 1, 1, KK, &d);
  integerMatmul(qq.data(), uu.data(), 1, 1, KK, &du);
  integerMatmul(qq.data(), ones.data(), 1, 1, KK, &sq);
  CHECK_EQ(d, du - sq);
}

static void testBitLinear() {
  // w = [[1, 1], [1, -1]], gamma = 0.25.
  //   row 0: q = [4, 6], s = 2:    n0 acc 10 -> (10 / 2) * 0.25 = 1.25,
  //                                n1 acc -2 -> -0.25;
  //   row 1: q = [-4, 6], s = 0.5: n0 acc 2 -> (2 / 0.5) * 0.25 = 1,
  //                                n1 acc -10 -> -5.
  const int8_t q[4] = {4, 6, -4, 6};
  const float s[2] = {2.0f, 0.5f};
  const int8_t w[4] = {1, 1, 1, -1};
  float y[4];
  bitLinear(q, s, w, 0.25f, 2, 2, 2, y);
  CHECK_BITS(y[0], 1.25f);
  CHECK_BITS(y[1], -0.25f);
  CHECK_BITS(y[2], 1.0f);
  CHECK_BITS(y[3], -5.0f);
  // Order of operations: (acc / s) * gamma, not acc * (gamma / s).
  const int8_t q1[1] = {1};
  const int8_t w1[1] = {1};
  const float s1[1] = {3.0f};
  float y1;
  bitLinear(q1, s1, w1, 3.0f, 1, 1, 1, &y1);
  CHECK_BITS(y1, (1.0f / 3.0f) * 3.0f);
}

static void testFloatLinear() {
  // x = [[1, 2], [3, -1]], w = [[1, 1], [0.5, -2]].
  // y = [[3, 0.5 - 4 = -3.5], [2, 1.5 + 2 = 3.5]].
  const float x[4] = {1, 2, 3, -1};
  const float w[4] = {1, 1, 0.5f, -2};
  float y[4];
  floatLinear(x, w, 2, 2, 2, y);
  CHECK_BITS(y[0], 3.0f);
  CHECK_BITS(y[1], -3.5f);
  CHECK_BITS(y[2], 2.0f);
  CHECK_BITS(y[3], 3.5f);
  // f32 accumulation in k order: 1e8 + 1 - 1e8 = 0 in f32 (1 is lost).
  const float xa[3] = {1e8f, 1.0f, -1e8f};
  const float wa[3] = {1, 1, 1};
  float ya;
  floatLinear(xa, wa, 1, 1, 3, &ya);
  CHECK_BITS(ya, 0.0f);
  // f16 weights: 0x3C00 = 1, 0x3800 = 0.5, 0xC000 = -2.
  const uint16_t wh[4] = {0x3C00, 0x3C00, 0x3800, 0xC000};
  float yh[4];
  floatLinearF16(x, wh, 2, 2, 2, yh);
  for (int i = 0; i < 4; ++i)
    CHECK_BITS(yh[i], y[i]);
}

/// The linear layers run output rows outside, tokens inside, four rows or
/// tokens side by side, split over threads: every output must still be the
/// documented sum in k order, bit for bit, for any thread count. Sizes leave
/// tails everywhere (rows per thread and tokens not multiples of four).
static void testLinearRowSplits() {
  const int64_t M = 6, N = 203, K = 37;
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  std::vector<int8_t> q(M * K), w(N * K);
  std::vector<float> x(M * K), wf(N * K), s(M), scales(N);
  std::vector<uint16_t> wh(N * K);
  for (int64_t i = 0; i < M * K; ++i) {
    q[i] = static_cast<int8_t>(next() & 0xFF); // -128 included
    x[i] = static_cast<float>(static_cast<int32_t>(next() % 20001) - 10000) / 997.0f;
  }
  for (int64_t i = 0; i < N * K; ++i) {
    w[i] = static_cast<int8_t>(next() & 0xFF);
    wf[i] = static_cast<float>(static_cast<int32_t>(next() % 20001) - 10000) / 1013.0f;
    // Every finite f16, subnormals and zeros included (exponent 31 skipped).
    uint16_t h = static_cast<uint16_t>(next() & 0xFFFF);
    wh[i] = ((h >> 10) & 0x1F) == 0x1F ? static_cast<uint16_t>(h & 0x83FF) : h;
  }
  for (int64_t m = 0; m < M; ++m)
    s[m] = 127.0f / static_cast<float>(1 + m);
  for (int64_t n = 0; n < N; ++n)
    scales[n] = 1.0f / static_cast<float>(3 + n);

  std::vector<int32_t> accWant(M * N);
  std::vector<float> bitWant(M * N), int8Want(M * N), floatWant(M * N), halfWant(M * N);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      float f = 0.0f, h = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        acc += static_cast<int32_t>(w[n * K + k]) * q[m * K + k];
        f += x[m * K + k] * wf[n * K + k];
        h += x[m * K + k] * halfToFloat(wh[n * K + k]);
      }
      accWant[m * N + n] = acc;
      bitWant[m * N + n] = (static_cast<float>(acc) / s[m]) * 0.75f;
      int8Want[m * N + n] = (static_cast<float>(acc) / s[m]) * scales[n];
      floatWant[m * N + n] = f;
      halfWant[m * N + n] = h;
    }
  for (int threads : {1, 2, 3}) {
    std::vector<int32_t> acc(M * N);
    std::vector<float> bit(M * N), int8(M * N), flt(M * N), half(M * N);
    integerMatmul(q.data(), w.data(), M, N, K, acc.data(), threads);
    bitLinear(q.data(), s.data(), w.data(), 0.75f, M, N, K, bit.data(), threads);
    int8Linear(q.data(), s.data(), w.data(), scales.data(), M, N, K, int8.data(), threads);
    floatLinear(x.data(), wf.data(), M, N, K, flt.data(), threads);
    floatLinearF16(x.data(), wh.data(), M, N, K, half.data(), threads);
    int wrong = 0;
    for (int64_t i = 0; i < M * N; ++i) {
      auto same = [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; };
      wrong += acc[i] != accWant[i] || !same(bit[i], bitWant[i]) ||
               !same(int8[i], int8Want[i]) || !same(flt[i], floatWant[i]) ||
               !same(half[i], halfWant[i]);
    }
    CHECK_EQ(wrong, 0);
  }
}

//===--------------------------------------------------------------------===//
// Block pieces
//===--------------------------------------------------------------------===//

static void testRmsNorm() {
  // Row [1, 1, 1, 1], eps 0: ss = 4, mean 1, inv = 1 -> y = w exactly.
  const float x[4] = {1, 1, 1, 1};
  const float w[4] = {1, 2, 3, 4};
  float y[4];
  rmsNorm(x, w, 1, 4, 0.0f, y);
  for (int i = 0; i < 4; ++i)
    CHECK_BITS(y[i], w[i]);
  // Row [3, 4], w [1, 2], eps 0: mean square 12.5, rms 3.5355339;
  // y = [3 / 3.5355339, 8 / 3.5355339] = [0.84852814, 2.2627417].
  const float x2[2] = {3, 4};
  const float w2[2] = {1, 2};
  float y2[2];
  rmsNorm(x2, w2, 1, 2, 0.0f, y2);
  CHECK_NEAR(y2[0], 0.84852814, 1e-6);
  CHECK_NEAR(y2[1], 2.2627417, 2e-6);
  // Row [2, 2], eps 1e-5: inv = 1 / sqrt(4.00001) = 0.49999938 (not 0.5).
  const float x3[4] = {2, 2, 0, 0}; // second row all zero
  const float w3[2] = {1, 1};
  float y3[4];
  rmsNorm(x3, w3, 2, 2, 1e-5f, y3);
  CHECK_NEAR(y3[0], 2.0 / std::sqrt(4.00001), 1e-7);
  CHECK(y3[0] < 1.0f);
  // Zero row with eps: 0 * (1 / sqrt(1e-5)) = 0, no NaN.
  CHECK_BITS(y3[2], 0.0f);
  CHECK_BITS(y3[3], 0.0f);
}

static void testRope() {
  // Position 0: angle 0, cos 1, sin 0 -> identity for every pair.
  const int64_t heads = 2, hd = 4;
  float x[heads * hd] = {1, 2, 3, 4, -5, 6, -7, 8};
  float orig[heads * hd];
  std::memcpy(orig, x, sizeof(x));
  rope(x, 1, heads, hd, 0, 10000.0f);
  for (int i = 0; i < heads * hd; ++i)
    CHECK_BITS(x[i], orig[i]);

  // head_dim 4, theta 10000: invFreq_0 = 10000^0 = 1, invFreq_1 =
  // 10000^(-2/4) = 0.01. Token 1 of a call with startPos 2 is at position 3:
  // angles 3 and 0.03. Pairs are (x0, x2) and (x1, x3).
  float y[2 * hd] = {0, 0, 0, 0, 1, 2, 3, 4};
  rope(y, 2, 1, hd, 2, 10000.0f);
  float c0 = cosf(3.0f), s0 = sinf(3.0f);
  float c1 = cosf(3.0f * 0.01f), s1 = sinf(3.0f * 0.01f);
  CHECK_NEAR(y[4], 1 * c0 - 3 * s0, 1e-6);
  CHECK_NEAR(y[6], 3 * c0 + 1 * s0, 1e-6);
  CHECK_NEAR(y[5], 2 * c1 - 4 * s1, 1e-6);
  CHECK_NEAR(y[7], 4 * c1 + 2 * s1, 1e-6);
  // The same numbers by hand: cos 3 = -0.9899925, sin 3 = 0.14112001,
  // cos 0.03 = 0.99955003, sin 0.03 = 0.0299955.
  CHECK_NEAR(y[4], -0.9899925 - 3 * 0.14112001, 1e-5);  // -1.4133525
  CHECK_NEAR(y[6], 3 * -0.9899925 + 0.14112001, 1e-5);  // -2.8288575
  CHECK_NEAR(y[5], 2 * 0.99955003 - 4 * 0.0299955, 1e-5); // 1.8791181
  CHECK_NEAR(y[7], 4 * 0.99955003 + 2 * 0.0299955, 1e-5); // 4.0581911
  // Token 0 (position 2) of zeros stays zero (the sign may flip: with
  // cos 2 < 0, 0 * c - 0 * s = -0 - 0 = -0).
  for (int i = 0; i < 4; ++i)
    CHECK_EQ(y[i], 0.0f);
  // Rotations preserve each pair's norm: 1^2 + 3^2 = 10, 2^2 + 4^2 = 20.
  CHECK_NEAR(y[4] * y[4] + y[6] * y[6], 10.0, 1e-5);
  CHECK_NEAR(y[5] * y[5] + y[7] * y[7], 20.0, 1e-5);

  // Two heads rotate identically; position 1 with theta 500000, head_dim 2:
  // only i = 0, invFreq 1, angle 1.
  float z[4] = {1, 0, 0, 1};
  rope(z, 1, 2, 2, 1, 500000.0f);
  CHECK_NEAR(z[0], std::cos(1.0), 1e-6); // (1, 0) -> (cos, sin)
  CHECK_NEAR(z[1], std::sin(1.0), 1e-6);
  CHECK_NEAR(z[2], -std::sin(1.0), 1e-6); // (0, 1) -> (-sin, cos)
  CHECK_NEAR(z[3], std::cos(1.0), 1e-6);
}

static void testAttention() {
  // Single valid row: softmax of one score is exactly 1, out = V row.
  {
    const int64_t hd = 2;
    const float q[2] = {0.3f, -7.0f};
    const float k[2] = {5.0f, 1.0f};
    const float v[2] = {1.25f, -3.5f};
    float out[2];
    attention(q, k, v, 1, 1, 1, hd, 0, out);
    CHECK_BITS(out[0], 1.25f);
    CHECK_BITS(out[1], -3.5f);
  }
  // GQA: 4 heads, 2 KV heads, head_dim 2. Heads 0,1 must read KV head 0,
  // heads 2,3 KV head 1 (h / 2, not h % 2). One valid row: out = V exactly.
  {
    const float q[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    const float k[4] = {0, 0, 0, 0};
    const float v[4] = {10, 11, 20, 21}; // kv head 0 | kv head 1
    float out[8];
    attention(q, k, v, 1, 4, 2, 2, 0, out);
    const float e[8] = {10, 11, 10, 11, 20, 21, 20, 21};
    for (int i = 0; i < 8; ++i)
      CHECK_BITS(out[i], e[i]);
  }
  // GQA over two rows, where the keys decide: KV head 0's key selects row 0,
  // KV head 1's key selects row 1 (score 100/sqrt(2) vs 0: the other weight
  // is e^-70.7 ~ 2e-31, which vanishes next to values of order 1).
  {
    const float q[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    const float k[8] = {100, 0, 0, 0,  // row 0: kv0, kv1
                        0, 0, 100, 0}; // row 1: kv0, kv1
    const float v[8] = {1, 2, 3, 4,    // row 0
                        5, 6, 7, 8};   // row 1
    float out[8];
    attention(q, k, v, 1, 4, 2, 2, 1, out); // token at position 1
    const float e[8] = {1, 2, 1, 2, 7, 8, 7, 8};
    for (int i = 0; i < 8; ++i)
      CHECK_BITS(out[i], e[i]);
  }
  // Equal scores: q = 0 -> p = 1/2 each -> out = (v0 + v1) / 2.
  {
    const float q[2] = {0, 0};
    const float k[4] = {1, 2, 3, 4};
    const float v[4] = {2, -4, 4, 8};
    float out[2];
    attention(q, k, v, 1, 1, 1, 2, 1, out);
    CHECK_BITS(out[0], 3.0f);
    CHECK_BITS(out[1], 2.0f);
  }
  // Causal mask: context 4, M = 2 at startPos 0. Token 0 sees row 0 only,
  // token 1 rows 0..1; rows 2..3 hold huge keys and values that would
  // dominate if read.
  {
    const float q[4] = {1, 1, 1, 1};
    const float k[8] = {0, 0, 0, 0, 1e3f, 1e3f, 1e3f, 1e3f};
    const float v[8] = {2, 6, 4, 10, 1e30f, 1e30f, -1e30f, 1e30f};
    float out[4];
    attention(q, k, v, 2, 1, 1, 2, 0, out);
    CHECK_BITS(out[0], 2.0f);
    CHECK_BITS(out[1], 6.0f);
    CHECK_BITS(out[2], 3.0f); // (2 + 4) / 2
    CHECK_BITS(out[3], 8.0f); // (6 + 10) / 2
  }
  // Score scaling by 1/sqrt(head_dim): head_dim 4, q = k0 = [1,1,1,1],
  // k1 = 0: scores 4 / 2 = 2 and 0 -> p0 = e^2 / (e^2 + 1) = 0.88079708.
  {
    const float q[4] = {1, 1, 1, 1};
    const float k[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    const float v[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    float out[4];
    attention(q, k, v, 1, 1, 1, 4, 1, out);
    CHECK_NEAR(out[0], 0.88079708, 1e-6);
    CHECK_NEAR(out[1], 0.11920292, 1e-6);
    CHECK_BITS(out[2], 0.0f);
  }
}

static void testGlu() {
  // relu2: gate {-2, 0, 3, 0.5}, up {5, 5, 2, -4} -> {0, 0, 9 * 2 = 18,
  // 0.25 * -4 = -1}.
  const float g[4] = {-2, 0, 3, 0.5f};
  const float u[4] = {5, 5, 2, -4};
  float o[4];
  glu(g, u, 4, GluActivation::Relu2, o);
  CHECK_BITS(o[0], 0.0f);
  CHECK_BITS(o[1], 0.0f);
  CHECK_BITS(o[2], 18.0f);
  CHECK_BITS(o[3], -1.0f);
  // Beyond f16 range: relu2(300) * 1 = 90000 (kept in f32).
  const float gb = 300, ub = 1;
  float ob;
  glu(&gb, &ub, 1, GluActivation::Relu2, &ob);
  CHECK_BITS(ob, 90000.0f);
  // silu: silu(0) = 0; silu(1) = 1 / (1 + e^-1) = 0.73105858;
  // silu(-1) = -1 / (1 + e) = -0.26894142; silu(-100) ~ -3.7e-42 ~ 0.
  const float gs[4] = {0, 1, -1, -100};
  const float us[4] = {7, 2, 1, 1};
  float os[4];
  glu(gs, us, 4, GluActivation::Silu, os);
  CHECK_BITS(os[0], 0.0f);
  CHECK_NEAR(os[1], 2 * 0.73105858, 1e-6);
  CHECK_NEAR(os[2], -0.26894142, 1e-6);
  CHECK_NEAR(os[3], 0.0, 1e-30);
  CHECK_EQ(std::string(gluActivationName(GluActivation::Relu2)),
           std::string("relu2"));
  CHECK_EQ(std::string(gluActivationName(GluActivation::Silu)),
           std::string("silu"));
}

static void testEmbeddingAdd() {
  // vocab 3, D 2: rows {1, -2}, {0.5, 65504}, {0, -0}.
  const uint16_t table[6] = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0000, 0x8000};
  const int32_t tokens[2] = {1, 0};
  float out[4] = {9, 9, 9, 9};
  CHECK(embedding(table, 3, 2, tokens, 2, out));
  CHECK_BITS(out[0], 0.5f);
  CHECK_BITS(out[1], 65504.0f);
  CHECK_BITS(out[2], 1.0f);
  CHECK_BITS(out[3], -2.0f);
  const int32_t badHi[2] = {0, 3};
  const int32_t badLo[2] = {-1, 0};
  float untouched[4] = {9, 9, 9, 9};
  CHECK(!embedding(table, 3, 2, badHi, 2, untouched));
  CHECK(!embedding(table, 3, 2, badLo, 2, untouched));
  bool same = true;
  for (float v : untouched)
    same &= v == 9.0f;
  CHECK(same);
  const float a[3] = {1, 2, 3}, b[3] = {0.5f, -2, 1e30f};
  float y[3];
  add(a, b, 3, y);
  CHECK_BITS(y[0], 1.5f);
  CHECK_BITS(y[1], 0.0f);
  CHECK_BITS(y[2], 1e30f);
}

//===--------------------------------------------------------------------===//
// Packing
//===--------------------------------------------------------------------===//

static std::vector<int8_t> randomWeights(Rng &rng, int64_t n, bool binary) {
  std::vector<int8_t> w(n);
  for (auto &v : w)
    v = binary ? static_cast<int8_t>(rng.range(0, 1) * 2 - 1)
               : static_cast<int8_t>(rng.range(-1, 1));
  return w;
}

static void testPacking() {
  // Names.
  CHECK_EQ(std::string(packFormatName(PackFormat::Offset2)),
           std::string("offset2"));
  CHECK_EQ(std::string(packFormatName(PackFormat::Base3)),
           std::string("base3"));
  CHECK_EQ(std::string(packFormatName(PackFormat::Bits1)),
           std::string("bits1"));
  CHECK(parsePackFormat("offset2") == PackFormat::Offset2);
  CHECK(parsePackFormat("base3") == PackFormat::Base3);
  CHECK(parsePackFormat("bits1") == PackFormat::Bits1);
  CHECK(!parsePackFormat("tq2_0").has_value());
  CHECK_EQ(codesPerByte(PackFormat::Offset2), int64_t(4));
  CHECK_EQ(codesPerByte(PackFormat::Base3), int64_t(5));
  CHECK_EQ(codesPerByte(PackFormat::Bits1), int64_t(8));

  // validateLayout.
  auto L = [](PackFormat f, int64_t n, int64_t k) {
    PackedLayout l;
    l.format = f;
    l.tileN = n;
    l.tileK = k;
    return l;
  };
  CHECK(validateLayout(L(PackFormat::Offset2, 2, 8), WeightKind::Ternary)
            .empty());
  CHECK(validateLayout(L(PackFormat::Offset2, 1, 4), WeightKind::Binary)
            .empty());
  CHECK(validateLayout(L(PackFormat::Base3, 1, 10), WeightKind::Ternary)
            .empty());
  CHECK(validateLayout(L(PackFormat::Bits1, 3, 16), WeightKind::Binary)
            .empty());
  CHECK(!validateLayout(L(PackFormat::Offset2, 1, 6), WeightKind::Ternary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Base3, 1, 8), WeightKind::Ternary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Bits1, 1, 4), WeightKind::Binary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Base3, 1, 5), WeightKind::Binary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Bits1, 1, 8), WeightKind::Ternary)
             .empty());
  for (PackFormat f :
       {PackFormat::Offset2, PackFormat::Base3, PackFormat::Bits1})
    CHECK(!validateLayout(L(f, 1, 40), WeightKind::Float).empty());
  CHECK(!validateLayout(L(PackFormat::Offset2, 0, 4), WeightKind::Ternary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Offset2, -1, 4), WeightKind::Ternary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Offset2, 1, 0), WeightKind::Ternary)
             .empty());
  CHECK(!validateLayout(L(PackFormat::Offset2, 1, -4), WeightKind::Ternary)
             .empty());

  // packedStorageBytes: N, K padded to tiles, divided by codes per byte.
  // offset2 [2,8], 5x13 -> 6x16 / 4 = 24; base3 [1,10], 3x17 -> 3x20 / 5 =
  // 12; bits1 [3,16], 7x21 -> 9x32 / 8 = 36; offset2 [1,4], 2560x2560 ->
  // 1638400; an empty matrix -> 0.
  CHECK_EQ(packedStorageBytes(L(PackFormat::Offset2, 2, 8), 5, 13),
           int64_t(24));
  CHECK_EQ(packedStorageBytes(L(PackFormat::Base3, 1, 10), 3, 17),
           int64_t(12));
  CHECK_EQ(packedStorageBytes(L(PackFormat::Bits1, 3, 16), 7, 21),
           int64_t(36));
  CHECK_EQ(packedStorageBytes(L(PackFormat::Offset2, 1, 4), 2560, 2560),
           int64_t(1638400));
  CHECK_EQ(packedStorageBytes(L(PackFormat::Offset2, 2, 8), 0, 13),
           int64_t(0));

  // Hand-computed bytes.
  {
    // offset2 [1,4], row [-1, 0, 1, 1]: codes 0,1,2,2 at bits 0,2,4,6:
    // 0b10'10'01'00 = 0xA4.
    const int8_t w[4] = {-1, 0, 1, 1};
    auto p = packWeights(L(PackFormat::Offset2, 1, 4), w, 1, 4);
    CHECK_EQ(p.size(), size_t(1));
    CHECK_EQ(p[0], uint8_t(0xA4));
  }
  {
    // offset2 [1,8]: byte j holds columns j, j+2, j+4, j+6. Row
    // [1, -1, 0...]: byte 0 = code 2 | 1<<2 | 1<<4 | 1<<6 = 0x56,
    // byte 1 = code 0 | 1<<2 | 1<<4 | 1<<6 = 0x54.
    const int8_t w[8] = {1, -1, 0, 0, 0, 0, 0, 0};
    auto p = packWeights(L(PackFormat::Offset2, 1, 8), w, 1, 8);
    CHECK_EQ(p.size(), size_t(2));
    CHECK_EQ(p[0], uint8_t(0x56));
    CHECK_EQ(p[1], uint8_t(0x54));
  }
  {
    // offset2 padding: [2,4] tile, 1x2 row [1, 1]: codes 2, 2, pad 1, 1 ->
    // 2 | 2<<2 | 1<<4 | 1<<6 = 0x5A; the padded row is all code 1 = 0x55.
    const int8_t w[2] = {1, 1};
    auto p = packWeights(L(PackFormat::Offset2, 2, 4), w, 1, 2);
    CHECK_EQ(p.size(), size_t(2));
    CHECK_EQ(p[0], uint8_t(0x5A));
    CHECK_EQ(p[1], uint8_t(0x55));
  }
  {
    // base3 [1,5]: [1]*5 -> v = 2 * (81+27+9+3+1) = 242 -> ceil(242*256/243)
    // = ceil(254.95) = 255; [-1]*5 -> 0; [0]*5 -> v = 121 -> ceil(127.47) =
    // 128; [1,-1,-1,-1,-1] -> v = 162 -> ceil(170.67) = 171.
    const int8_t w[20] = {1,  1,  1,  1,  1,  -1, -1, -1, -1, -1,
                          0,  0,  0,  0,  0,  1,  -1, -1, -1, -1};
    auto p = packWeights(L(PackFormat::Base3, 1, 5), w, 4, 5);
    CHECK_EQ(p.size(), size_t(4));
    CHECK_EQ(p[0], uint8_t(255));
    CHECK_EQ(p[1], uint8_t(0));
    CHECK_EQ(p[2], uint8_t(128));
    CHECK_EQ(p[3], uint8_t(171));
    // TQ1_0 decoding of 171: trit 0 = (171 * 3) >> 8 = 513 >> 8 = 2.
    CHECK_EQ((uint8_t(171) * 3) >> 8, 2);
    // base3 padding trit 1 (w = 0): 1x1 row [1] in a [1,5] tile ->
    // v = 2*81 + 1*(27+9+3+1) = 202 -> ceil(212.81) = 213.
    const int8_t one[1] = {1};
    auto pp = packWeights(L(PackFormat::Base3, 1, 5), one, 1, 1);
    CHECK_EQ(pp.size(), size_t(1));
    CHECK_EQ(pp[0], uint8_t(213));
  }
  {
    // bits1 [1,8]: all +1 -> 0xFF; [+1, -1 x6, +1] -> bits 0 and 7 = 0x81.
    const int8_t w[16] = {1, 1,  1,  1,  1,  1,  1,  1,
                          1, -1, -1, -1, -1, -1, -1, 1};
    auto p = packWeights(L(PackFormat::Bits1, 1, 8), w, 2, 8);
    CHECK_EQ(p.size(), size_t(2));
    CHECK_EQ(p[0], uint8_t(0xFF));
    CHECK_EQ(p[1], uint8_t(0x81));
    // bits1 [1,16]: byte j holds columns j + 2l at bit l. Only column 1 = +1
    // -> byte 1 bit 0; only column 2 = +1 -> byte 0 bit 1.
    int8_t r1[16], r2[16];
    for (int i = 0; i < 16; ++i)
      r1[i] = r2[i] = -1;
    r1[1] = 1;
    r2[2] = 1;
    auto a = packWeights(L(PackFormat::Bits1, 1, 16), r1, 1, 16);
    auto b = packWeights(L(PackFormat::Bits1, 1, 16), r2, 1, 16);
    CHECK_EQ(a[0], uint8_t(0x00));
    CHECK_EQ(a[1], uint8_t(0x01));
    CHECK_EQ(b[0], uint8_t(0x02));
    CHECK_EQ(b[1], uint8_t(0x00));
    // Padding bit 0: 1x3 row of +1 in a [1,8] tile -> 0b00000111.
    auto c = packWeights(L(PackFormat::Bits1, 1, 8), w, 1, 3);
    CHECK_EQ(c[0], uint8_t(0x07));
  }
  {
    // Tile order: offset2 [1,4], 2x8 matrix -> 4 tiles, row-tile major:
    // (row 0, cols 0-3), (row 0, cols 4-7), (row 1, ...), ... Mark one
    // element per tile with +1, others -1 (code 0): element (0,0) -> tile 0
    // byte 0x02; (0,5) -> tile 1 bits 2..3 -> 0x08; (1,2) -> tile 2 -> 0x20;
    // (1,7) -> tile 3 -> 0x80.
    int8_t w[16];
    for (auto &v : w)
      v = -1;
    w[0] = 1;
    w[5] = 1;
    w[8 + 2] = 1;
    w[8 + 7] = 1;
    auto p = packWeights(L(PackFormat::Offset2, 1, 4), w, 2, 8);
    CHECK_EQ(p.size(), size_t(4));
    CHECK_EQ(p[0], uint8_t(0x02));
    CHECK_EQ(p[1], uint8_t(0x08));
    CHECK_EQ(p[2], uint8_t(0x20));
    CHECK_EQ(p[3], uint8_t(0x80));
    // [2,4] tiles on the same matrix: tile 0 = rows 0-1 cols 0-3 -> bytes
    // {0x02, 0x20}; tile 1 = rows 0-1 cols 4-7 -> {0x08, 0x80}.
    auto q = packWeights(L(PackFormat::Offset2, 2, 4), w, 2, 8);
    CHECK_EQ(q[0], uint8_t(0x02));
    CHECK_EQ(q[1], uint8_t(0x20));
    CHECK_EQ(q[2], uint8_t(0x08));
    CHECK_EQ(q[3], uint8_t(0x80));
  }

  // Round trips, N and K not multiples of the tile.
  Rng rng(1234);
  struct Case {
    PackFormat f;
    int64_t tn, tk, N, K;
    bool binary;
  } cases[] = {
      {PackFormat::Offset2, 2, 8, 5, 13, false},
      {PackFormat::Offset2, 2, 8, 5, 13, true},
      {PackFormat::Offset2, 1, 128, 7, 300, false},
      {PackFormat::Base3, 1, 10, 3, 17, false},
      {PackFormat::Base3, 4, 5, 9, 23, false},
      {PackFormat::Bits1, 3, 16, 7, 21, true},
      {PackFormat::Bits1, 1, 8, 1, 1, true},
  };
  for (const Case &c : cases) {
    PackedLayout l = L(c.f, c.tn, c.tk);
    auto w = randomWeights(rng, c.N * c.K, c.binary);
    auto p = packWeights(l, w.data(), c.N, c.K);
    CHECK_EQ(int64_t(p.size()), packedStorageBytes(l, c.N, c.K));
    std::vector<int8_t> back;
    CHECK(unpackWeights(l, p.data(), c.N, c.K, back));
    CHECK(back == w);
  }

  // The base-3 byte itself (shared with GGUF's TQ1_0).
  {
    const uint8_t twos[5] = {2, 2, 2, 2, 2}, ones[5] = {1, 1, 1, 1, 1},
                  high[5] = {2, 0, 0, 0, 0};
    CHECK_EQ(encodeBase3Byte(twos, 5), uint8_t(255)); // v = 242
    CHECK_EQ(encodeBase3Byte(ones, 5), uint8_t(128)); // v = 121
    CHECK_EQ(encodeBase3Byte(high, 5), uint8_t(171)); // v = 162
    // Four trits, the fifth 0: v = 2 * (81 + 27 + 9 + 3) = 240 -> 253.
    CHECK_EQ(encodeBase3Byte(twos, 4), uint8_t(253));
    CHECK_EQ(base3Trit(171, 0), 2);
    CHECK_EQ(base3Trit(171, 4), 0);
    CHECK_EQ(base3Trit(253, 4), 0);
    int roundTrips = 0, valid = 0;
    for (int v = 0; v < 243; ++v) {
      uint8_t trits[5];
      for (int i = 4, rest = v; i >= 0; --i, rest /= 3)
        trits[i] = static_cast<uint8_t>(rest % 3);
      uint8_t byte = encodeBase3Byte(trits, 5);
      bool same = true;
      for (int i = 0; i < 5; ++i)
        same &= base3Trit(byte, i) == trits[i];
      roundTrips += same && isBase3Byte(byte);
    }
    for (int b = 0; b < 256; ++b)
      valid += isBase3Byte(static_cast<uint8_t>(b));
    CHECK_EQ(roundTrips, 243);
    CHECK_EQ(valid, 243);
  }

  // Every base3 value 0..242 round-trips through its byte, and the 243
  // valid bytes are distinct; the other 13 of 256 bytes are rejected.
  {
    PackedLayout l = L(PackFormat::Base3, 1, 5);
    int decodedOk = 0, accepted = 0;
    std::set<int> bytes;
    for (int v = 0; v < 243; ++v) {
      int8_t w[5];
      int rest = v;
      for (int i = 4; i >= 0; --i) {
        w[i] = static_cast<int8_t>(rest % 3 - 1);
        rest /= 3;
      }
      auto p = packWeights(l, w, 1, 5);
      bytes.insert(p[0]);
      std::vector<int8_t> back;
      if (unpackWeights(l, p.data(), 1, 5, back) &&
          std::equal(back.begin(), back.end(), w))
        ++decodedOk;
    }
    for (int b = 0; b < 256; ++b) {
      uint8_t byte = static_cast<uint8_t>(b);
      std::vector<int8_t> back;
      accepted += unpackWeights(l, &byte, 1, 5, back);
    }
    CHECK_EQ(decodedOk, 243);
    CHECK_EQ(int(bytes.size()), 243);
    CHECK_EQ(accepted, 243);
  }

  // Invalid codes.
  {
    std::vector<int8_t> back = {42};
    const uint8_t bad = 0xFF; // four code-3 fields
    CHECK(!unpackWeights(L(PackFormat::Offset2, 1, 4), &bad, 1, 4, back));
    const uint8_t bad2 = 0x75; // 01 01 11 01: one code 3 at column 2
    CHECK(!unpackWeights(L(PackFormat::Offset2, 1, 4), &bad2, 1, 4, back));
    CHECK_EQ(back.size(), size_t(1)); // untouched on failure
    const uint8_t good = 0x55;
    CHECK(unpackWeights(L(PackFormat::Offset2, 1, 4), &good, 1, 4, back));
    CHECK(back == std::vector<int8_t>(4, 0));
    // Invalid layout.
    CHECK(!unpackWeights(L(PackFormat::Offset2, 1, 6), &good, 1, 4, back));
  }
}

//===--------------------------------------------------------------------===//
// Models
//===--------------------------------------------------------------------===//

static void testConfig() {
  ModelConfig b = ModelConfig::tinyB158();
  CHECK(b.validate().empty());
  CHECK_EQ(b.hidden, int64_t(128));
  CHECK_EQ(b.intermediate, int64_t(384));
  CHECK_EQ(b.layers, int64_t(2));
  CHECK_EQ(b.heads, int64_t(4));
  CHECK_EQ(b.kvHeads, int64_t(2));
  CHECK_EQ(b.vocab, int64_t(256));
  CHECK_EQ(b.context, int64_t(64));
  CHECK_BITS(b.ropeTheta, 500000.0f);
  CHECK(b.glu == GluActivation::Relu2);
  CHECK(b.weightKind == WeightKind::Ternary);
  CHECK_EQ(b.headDim(), int64_t(32));
  CHECK_EQ(b.kvDim(), int64_t(64));
  ModelConfig o = ModelConfig::tiny1bitLLM();
  CHECK(o.validate().empty());
  CHECK_EQ(o.intermediate, int64_t(352));
  CHECK_EQ(o.kvHeads, int64_t(4));
  CHECK_BITS(o.ropeTheta, 10000.0f);
  CHECK(o.glu == GluActivation::Silu);
  CHECK(o.weightKind == WeightKind::Ternary);
  CHECK_EQ(o.kvDim(), int64_t(128));

  ModelConfig c = b;
  c.hidden = 130; // 130 / 4 heads
  CHECK(!c.validate().empty());
  c = b;
  c.kvHeads = 3; // 4 heads / 3
  CHECK(!c.validate().empty());
  c = b;
  c.hidden = 12;
  c.heads = 4; // head dim 3, odd
  c.kvHeads = 2;
  CHECK(!c.validate().empty());
  int64_t ModelConfig::*fields[] = {
      &ModelConfig::hidden, &ModelConfig::intermediate, &ModelConfig::layers,
      &ModelConfig::heads,  &ModelConfig::kvHeads,      &ModelConfig::vocab,
      &ModelConfig::context};
  for (auto f : fields) {
    c = b;
    c.*f = 0;
    CHECK(!c.validate().empty());
    c.*f = -4;
    CHECK(!c.validate().empty());
  }
  c = b;
  c.kvHeads = 0;
  std::string msg = c.validate();
  CHECK(msg.find("kvHeads") != std::string::npos);
  c = b;
  c.ropeTheta = 0.0f;
  CHECK(!c.validate().empty());
  CHECK_EQ(std::string(weightKindName(WeightKind::Float)),
           std::string("float"));
  CHECK_EQ(std::string(weightKindName(WeightKind::Binary)),
           std::string("binary"));
  CHECK_EQ(std::string(weightKindName(WeightKind::Ternary)),
           std::string("ternary"));
}

static void testRng() {
  // splitmix64 from state 0: the first output is 0xE220A8397B1DCDAF (the
  // published test vector of Vigna's splitmix64.c seeded with 0).
  Rng r(0);
  CHECK_EQ(r.next(), uint64_t(0xE220A8397B1DCDAFull));
  CHECK_EQ(r.next(), uint64_t(0x6E789E6AA1B965F4ull));
  Rng a(99), b(99);
  bool same = true, inRange = true, intRange = true;
  for (int i = 0; i < 10000; ++i) {
    float x = a.uniform(-1.0f, 1.0f);
    same &= x == b.uniform(-1.0f, 1.0f);
    inRange &= x >= -1.0f && x < 1.0f;
    int64_t k = a.range(-3, 5);
    same &= k == b.range(-3, 5);
    intRange &= k >= -3 && k <= 5;
  }
  CHECK(same);
  CHECK(inRange);
  CHECK(intRange);
  // A narrow range where lo + (hi - lo) * u could round to hi.
  Rng n(5);
  bool below = true;
  for (int i = 0; i < 10000; ++i)
    below &= n.uniform(1.0f, 1.0000001f) < 1.0000001f;
  CHECK(below);
}

static bool sameLinear(const LinearWeights &a, const LinearWeights &b) {
  return a.out == b.out && a.in == b.in && a.values == b.values &&
         sameBits(a.scale, b.scale) && a.floats == b.floats;
}

static bool sameModel(const ModelWeights &a, const ModelWeights &b) {
  if (a.embedding != b.embedding || a.finalNorm != b.finalNorm ||
      a.layers.size() != b.layers.size())
    return false;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const LayerWeights &x = a.layers[i], &y = b.layers[i];
    if (x.inputNorm != y.inputNorm || x.attnSubNorm != y.attnSubNorm ||
        x.postAttnNorm != y.postAttnNorm || x.ffnSubNorm != y.ffnSubNorm)
      return false;
    const LinearWeights *lx[] = {&x.q, &x.k, &x.v, &x.o,
                                 &x.gate, &x.up, &x.down};
    const LinearWeights *ly[] = {&y.q, &y.k, &y.v, &y.o,
                                 &y.gate, &y.up, &y.down};
    for (int j = 0; j < 7; ++j)
      if (!sameLinear(*lx[j], *ly[j]))
        return false;
  }
  return true;
}

static std::vector<const LinearWeights *> linears(const ModelWeights &m) {
  std::vector<const LinearWeights *> r;
  for (const LayerWeights &l : m.layers)
    for (const LinearWeights *p : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up,
                                   &l.down})
      r.push_back(p);
  return r;
}

static void testMakeRandomModel() {
  ModelConfig c = ModelConfig::tinyB158();
  ModelWeights a = makeRandomModel(c, 1);
  ModelWeights b = makeRandomModel(c, 1);
  ModelWeights d = makeRandomModel(c, 2);
  CHECK(sameModel(a, b));
  CHECK(!sameModel(a, d));
  CHECK_EQ(a.embedding.size(), size_t(256 * 128));
  CHECK_EQ(a.layers.size(), size_t(2));
  CHECK_EQ(a.finalNorm.size(), size_t(128));
  CHECK_EQ(a.layers[0].ffnSubNorm.size(), size_t(384));
  CHECK_EQ(a.layers[0].k.out, int64_t(64));
  CHECK_EQ(a.layers[0].k.in, int64_t(128));
  CHECK_EQ(a.layers[0].down.out, int64_t(128));
  CHECK_EQ(a.layers[0].down.in, int64_t(384));
  CHECK_EQ(a.layers[1].gate.values.size(), size_t(384 * 128));

  // Norm weights in [0.8, 1.2); embedding in [-1, 1] (after f16 rounding).
  bool normsOk = true;
  for (const LayerWeights &l : a.layers)
    for (const std::vector<float> *n :
         {&l.inputNorm, &l.attnSubNorm, &l.postAttnNorm, &l.ffnSubNorm})
      for (float v : *n)
        normsOk &= v >= 0.8f && v < 1.2f;
  for (float v : a.finalNorm)
    normsOk &= v >= 0.8f && v < 1.2f;
  CHECK(normsOk);
  bool embOk = true;
  for (uint16_t h : a.embedding) {
    float v = halfToFloat(h);
    embOk &= v >= -1.0f && v <= 1.0f;
  }
  CHECK(embOk);

  // Ternary values in {-1, 0, 1}, all three present.
  bool ternOk = true;
  int seen[3] = {0, 0, 0};
  for (const LinearWeights *l : linears(a)) {
    ternOk &= l->floats.empty() &&
              l->values.size() == size_t(l->out * l->in) && l->scale > 0;
    for (int8_t v : l->values) {
      ternOk &= v >= -1 && v <= 1;
      if (v >= -1 && v <= 1)
        ++seen[v + 1];
    }
  }
  CHECK(ternOk);
  CHECK(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);

  ModelConfig cb = c;
  cb.weightKind = WeightKind::Binary;
  ModelWeights bin = makeRandomModel(cb, 1);
  bool binOk = true;
  for (const LinearWeights *l : linears(bin)) {
    binOk &= l->floats.empty() && l->values.size() == size_t(l->out * l->in);
    for (int8_t v : l->values)
      binOk &= v == -1 || v == 1;
  }
  CHECK(binOk);

  ModelConfig cf = c;
  cf.weightKind = WeightKind::Float;
  ModelWeights fl = makeRandomModel(cf, 1);
  bool flOk = true, hasFraction = false;
  for (const LinearWeights *l : linears(fl)) {
    flOk &= l->values.empty() && l->floats.size() == size_t(l->out * l->in);
    // Master weights are 0 or +-2 gamma, gamma in [0.5, 1) / sqrt(in), with
    // exactly half of them non-zero (Model.cpp: exact in every format).
    float bound = 2.0f / std::sqrt(float(l->in));
    size_t nonZero = 0;
    float magnitude = 0.0f;
    for (float v : l->floats)
      if (v != 0.0f)
        magnitude = std::fabs(v);
    for (float v : l->floats) {
      flOk &= std::fabs(v) <= bound && (v == 0.0f || std::fabs(v) == magnitude);
      nonZero += v != 0.0f;
      hasFraction |= v != std::nearbyint(v);
    }
    flOk &= nonZero == l->floats.size() / 2;
  }
  CHECK(flOk);
  CHECK(hasFraction);

  // The same seed shares the master floats: quantizing the float model's
  // weights yields the ternary and binary models exactly; the non-linear
  // parts are identical.
  std::vector<const LinearWeights *> lf = linears(fl), lt = linears(a),
                                     lb = linears(bin);
  bool sharedT = true, sharedB = true;
  for (size_t i = 0; i < lf.size(); ++i) {
    QuantizedWeights qt = quantizeWeights(
        lf[i]->floats.data(), lf[i]->floats.size(), WeightKind::Ternary);
    sharedT &= qt.values == lt[i]->values && sameBits(qt.scale, lt[i]->scale);
    QuantizedWeights qb = quantizeWeights(
        lf[i]->floats.data(), lf[i]->floats.size(), WeightKind::Binary);
    sharedB &= qb.values == lb[i]->values && sameBits(qb.scale, lb[i]->scale);
  }
  CHECK(sharedT);
  CHECK(sharedB);
  CHECK(fl.embedding == a.embedding && bin.embedding == a.embedding);
  CHECK(fl.finalNorm == a.finalNorm && bin.finalNorm == a.finalNorm);
  CHECK(fl.layers[1].ffnSubNorm == a.layers[1].ffnSubNorm);

  // An invalid config gets no weights.
  ModelConfig bad = c;
  bad.heads = 3;
  ModelWeights none = makeRandomModel(bad, 1);
  CHECK(none.layers.empty() && none.embedding.empty());
}

static bool allFinite(const std::vector<float> &v) {
  for (float x : v)
    if (!std::isfinite(x))
      return false;
  return true;
}

static void testReferenceModel(const ModelConfig &config, uint64_t seed) {
  ModelWeights w = makeRandomModel(config, seed);
  const int64_t V = config.vocab;
  const int32_t tokens[3] = {17, 200, 3};

  ReferenceModel whole(w);
  std::vector<float> lw(3 * V, -7.0f);
  CHECK(whole.forward(tokens, 3, 0, lw.data()));
  CHECK(allFinite(lw));
  // Logits are not degenerate.
  float lo = lw[0], hi = lw[0];
  for (float x : lw) {
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  CHECK(hi - lo > 1e-3f);

  ReferenceModel steps(w);
  std::vector<float> ls(3 * V, -7.0f);
  for (int i = 0; i < 3; ++i)
    CHECK(steps.forward(&tokens[i], 1, i, ls.data() + i * V));
  // Within 1e-5 relative everywhere: check the element of largest error.
  int64_t worstAt = 0;
  double worst = -1;
  bool bitExact = true;
  for (int64_t i = 0; i < 3 * V; ++i) {
    double scale = std::fmax(std::fabs(lw[i]), 1e-6);
    double err = std::fabs(double(lw[i]) - ls[i]) / scale;
    if (err > worst) {
      worst = err;
      worstAt = i;
    }
    bitExact &= sameBits(lw[i], ls[i]);
  }
  CHECK_REL(lw[worstAt], ls[worstAt], 1e-5);
  // Every operation is per token, so the two schedules agree bit for bit.
  CHECK(bitExact);
  CHECK(whole.kCache() == steps.kCache());
  CHECK(whole.vCache() == steps.vCache());
  const size_t cacheSize =
      size_t(config.layers * config.context * config.kvDim());
  CHECK_EQ(whole.kCache().size(), cacheSize);
  // Rows 3.. of the cache are still zero; row 2 is written.
  bool tailZero = true, row2Written = false;
  for (int64_t l = 0; l < config.layers; ++l)
    for (int64_t t = 0; t < config.context; ++t)
      for (int64_t d = 0; d < config.kvDim(); ++d) {
        float k = whole.kCache()[(l * config.context + t) * config.kvDim() + d];
        if (t >= 3)
          tailZero &= k == 0.0f;
        if (t == 2)
          row2Written |= k != 0.0f;
      }
  CHECK(tailZero);
  CHECK(row2Written);

  // Rejected calls change nothing: pos + M beyond the context, bad tokens,
  // negative positions.
  std::vector<float> kBefore = steps.kCache(), vBefore = steps.vCache();
  std::vector<float> sentinel(2 * V, 123.0f);
  const int32_t two[2] = {1, 2};
  const int32_t badHi[2] = {5, int32_t(V)};
  const int32_t badLo[1] = {-1};
  CHECK(!steps.forward(two, 2, config.context - 1, sentinel.data()));
  CHECK(!steps.forward(badHi, 2, 3, sentinel.data()));
  CHECK(!steps.forward(badLo, 1, 3, sentinel.data()));
  CHECK(!steps.forward(two, 1, -1, sentinel.data()));
  CHECK(!steps.forward(two, 1, config.context, sentinel.data()));
  bool untouched = true;
  for (float x : sentinel)
    untouched &= x == 123.0f;
  CHECK(untouched);
  CHECK(steps.kCache() == kBefore);
  CHECK(steps.vCache() == vBefore);

  // reset() then re-run gives identical logits.
  whole.reset();
  bool cleared = true;
  for (float x : whole.kCache())
    cleared &= x == 0.0f;
  for (float x : whole.vCache())
    cleared &= x == 0.0f;
  CHECK(cleared);
  std::vector<float> again(3 * V);
  CHECK(whole.forward(tokens, 3, 0, again.data()));
  bool identical = true;
  for (int64_t i = 0; i < 3 * V; ++i)
    identical &= sameBits(again[i], lw[i]);
  CHECK(identical);

  // The cache matters: token 3 at position 2 after [17, 200] differs from
  // token 3 at position 0.
  ReferenceModel fresh(w);
  std::vector<float> alone(V);
  CHECK(fresh.forward(&tokens[2], 1, 0, alone.data()));
  bool differs = false;
  for (int64_t i = 0; i < V; ++i)
    differs |= alone[i] != lw[2 * V + i];
  CHECK(differs);

  // Filling the whole context works.
  ReferenceModel full(w);
  std::vector<int32_t> many(config.context);
  for (int64_t i = 0; i < config.context; ++i)
    many[i] = int32_t((i * 37) % V);
  std::vector<float> lf(config.context * V);
  CHECK(full.forward(many.data(), config.context, 0, lf.data()));
  CHECK(allFinite(lf));
}

static void testModelKinds() {
  // KV-cache reuse, rejection and reset for every weight kind and both
  // families (GQA + relu2, MHA + SiLU).
  for (WeightKind kind :
       {WeightKind::Ternary, WeightKind::Binary, WeightKind::Float}) {
    ModelConfig c = ModelConfig::tinyB158();
    c.weightKind = kind;
    testReferenceModel(c, 11);
    ModelConfig o = ModelConfig::tiny1bitLLM();
    o.weightKind = kind;
    testReferenceModel(o, 12);
  }
}

/// y = linear(x) the way BITNET.md describes it for the config's kind:
/// quantize the [M, K] input then BitLinear, or a plain f32 matmul.
static void linearStep(const ModelConfig &c, const LinearWeights &lw,
                       const std::vector<float> &x, int64_t M,
                       std::vector<float> &y) {
  y.assign(size_t(M * lw.out), 0.0f);
  if (c.weightKind == WeightKind::Float) {
    floatLinear(x.data(), lw.floats.data(), M, lw.out, lw.in, y.data());
    return;
  }
  std::vector<int8_t> q(static_cast<size_t>(M * lw.in));
  std::vector<float> s(static_cast<size_t>(M));
  quantizeActivations(x.data(), M, lw.in, q.data(), s.data());
  bitLinear(q.data(), s.data(), lw.values.data(), lw.scale, M, lw.out, lw.in,
            y.data());
}

/// A forward of M tokens at position 0 recomputed from the library's pieces
/// in the order BITNET.md gives, with caches of exactly M rows: checks the
/// wiring of ReferenceModel (which norm feeds which linear, RoPE on Q and K,
/// GQA, residuals, GLU, LM head). Quantizing per linear instead of once per
/// input is equivalent (the quantizer is deterministic).
static void checkModelWiring(const ModelConfig &c, uint64_t seed) {
  ModelWeights w = makeRandomModel(c, seed);
  const int64_t M = 3, D = c.hidden, I = c.intermediate, KV = c.kvDim();
  const int32_t tokens[M] = {42, 7, 255};
  std::vector<float> x(M * D), a(M * D), q, k, v, att(M * D), y, g, u,
      m(M * I), mn(M * I);
  std::vector<std::vector<float>> kc, vc;
  embedding(w.embedding.data(), c.vocab, D, tokens, M, x.data());
  for (const LayerWeights &L : w.layers) {
    rmsNorm(x.data(), L.inputNorm.data(), M, D, c.rmsEps, a.data());
    linearStep(c, L.q, a, M, q);
    linearStep(c, L.k, a, M, k);
    linearStep(c, L.v, a, M, v);
    rope(q.data(), M, c.heads, c.headDim(), 0, c.ropeTheta);
    rope(k.data(), M, c.kvHeads, c.headDim(), 0, c.ropeTheta);
    kc.push_back(k);
    vc.push_back(v);
    attention(q.data(), k.data(), v.data(), M, c.heads, c.kvHeads,
              c.headDim(), 0, att.data());
    rmsNorm(att.data(), L.attnSubNorm.data(), M, D, c.rmsEps, a.data());
    linearStep(c, L.o, a, M, y);
    for (int64_t i = 0; i < M * D; ++i)
      x[i] = x[i] + y[i];
    rmsNorm(x.data(), L.postAttnNorm.data(), M, D, c.rmsEps, a.data());
    linearStep(c, L.gate, a, M, g);
    linearStep(c, L.up, a, M, u);
    for (int64_t i = 0; i < M * I; ++i) {
      if (c.glu == GluActivation::Relu2) {
        float r = g[i] > 0 ? g[i] : 0.0f;
        m[i] = (r * r) * u[i];
      } else {
        m[i] = (g[i] / (1.0f + expf(-g[i]))) * u[i];
      }
    }
    rmsNorm(m.data(), L.ffnSubNorm.data(), M, I, c.rmsEps, mn.data());
    linearStep(c, L.down, mn, M, y);
    for (int64_t i = 0; i < M * D; ++i)
      x[i] = x[i] + y[i];
  }
  rmsNorm(x.data(), w.finalNorm.data(), M, D, c.rmsEps, a.data());
  std::vector<float> expect(M * c.vocab), got(M * c.vocab);
  floatLinearF16(a.data(), w.embedding.data(), M, c.vocab, D, expect.data());
  ReferenceModel model(w);
  CHECK(model.forward(tokens, M, 0, got.data()));
  bool same = true;
  for (int64_t i = 0; i < M * c.vocab; ++i)
    same &= sameBits(expect[i], got[i]);
  CHECK(same);
  // Cache rows 0..M-1 of every layer hold that layer's roped K and its V.
  bool cacheOk = true;
  for (int64_t l = 0; l < c.layers; ++l)
    for (int64_t i = 0; i < M * KV; ++i) {
      size_t at = size_t(l * c.context * KV + i);
      cacheOk &= sameBits(model.kCache()[at], kc[l][i]) &&
                 sameBits(model.vCache()[at], vc[l][i]);
    }
  CHECK(cacheOk);
}

static void testModelWiring() {
  for (WeightKind kind :
       {WeightKind::Ternary, WeightKind::Binary, WeightKind::Float}) {
    ModelConfig c = ModelConfig::tinyB158();
    c.weightKind = kind;
    checkModelWiring(c, 5);
    ModelConfig o = ModelConfig::tiny1bitLLM();
    o.weightKind = kind;
    checkModelWiring(o, 6);
  }
}

int main() {
  testRoundHalfEven();
  testHalf();
  testWeightQuantTernary();
  testWeightQuantBinary();
  testActivationQuant();
  testIntegerMatmul();
  testBitLinear();
  testFloatLinear();
  testLinearRowSplits();
  testRmsNorm();
  testRope();
  testAttention();
  testGlu();
  testEmbeddingAdd();
  testPacking();
  testConfig();
  testRng();
  testMakeRandomModel();
  testModelKinds();
  testModelWiring();
  std::printf("%d checks passed, %d failed\n", gPassed, gFailed);
  return gFailed == 0 ? 0 : 1;
}
