//===- KernelCallTest.cpp - MLIR glue calling Halide kernels --------------===//
//
// kernel_calls.mlir, lowered with convert-bitnet-to-llvm (halide_buffer_t
// built by the glue) and the bare-pointer ABI, calls kernels from
// bitnet-kernelgen; results must equal the golden reference exactly as in
// KernelTest (the same kernels, now reached through the compiler's ABI).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Reference/Packing.h"
#include "bitnet/Reference/Reference.h"

#include "../Common/Random.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace ref = bitnet::ref;

extern "C" {
int32_t call_add(const float *, const float *, float *);
int32_t call_bitlinear(const int8_t *, const float *, const uint8_t *, float, float *);
int32_t call_rmsq(const float *, const float *, int8_t *, float *, int32_t *);
int32_t call_rope(const float *, int32_t, float *);
int32_t call_embedding(const uint16_t *, const int32_t *, float *);
int32_t call_add_wrong(const float *, const float *, float *);
// Quiet Halide's report of the deliberately mis-sized call.
void halide_error(void *, const char *msg) {
  if (std::getenv("BITNET_KERNEL_TEST_VERBOSE"))
    std::fprintf(stderr, "halide: %s", msg);
}
}

namespace {
int checks = 0, failures = 0;

template <typename T>
void expectEqual(const std::string &what, const std::vector<T> &got,
                 const std::vector<T> &want) {
  ++checks;
  for (size_t i = 0; i < want.size(); ++i)
    if (!(got[i] == want[i])) {
      std::printf("FAIL %s: element %zu is %g, expected %g\n", what.c_str(), i,
                  double(got[i]), double(want[i]));
      ++failures;
      return;
    }
}

void expectStatus(const std::string &what, int32_t status, bool ok) {
  ++checks;
  if ((status == 0) != ok) {
    std::printf("FAIL %s: status %d\n", what.c_str(), status);
    ++failures;
  }
}

using bitnet::test::randomFloats;
} // namespace

int main() {
  ref::Rng rng(11);
  {
    std::vector<float> a = randomFloats(rng, 5 * 37, 2), b = randomFloats(rng, 5 * 37, 2);
    std::vector<float> y(a.size()), want(a.size());
    expectStatus("add", call_add(a.data(), b.data(), y.data()), true);
    ref::add(a.data(), b.data(), a.size(), want.data());
    expectEqual("add", y, want);
  }
  {
    const int64_t N = 37, K = 300;
    std::vector<int8_t> q(K), w(N * K);
    for (int8_t &v : q)
      v = static_cast<int8_t>(rng.range(-127, 127));
    for (int8_t &v : w)
      v = static_cast<int8_t>(rng.range(-1, 1));
    std::vector<uint8_t> packed =
        ref::packWeights({ref::PackFormat::Offset2, 4, 128}, w.data(), N, K);
    std::vector<float> s = {37.5f}, y(N), want(N);
    expectStatus("bitlinear",
                 call_bitlinear(q.data(), s.data(), packed.data(), 0.25f, y.data()),
                 true);
    ref::bitLinear(q.data(), s.data(), w.data(), 0.25f, 1, N, K, want.data());
    expectEqual("bitlinear", y, want);
  }
  {
    const int64_t M = 5, D = 300;
    std::vector<float> x = randomFloats(rng, M * D, 3), w = randomFloats(rng, D, 1.5);
    std::vector<int8_t> q(M * D), qRef(M * D);
    std::vector<float> s(M), sRef(M), normed(M * D);
    std::vector<int32_t> qsum(M), qsumRef(M, 0);
    expectStatus("rmsnorm_quant",
                 call_rmsq(x.data(), w.data(), q.data(), s.data(), qsum.data()), true);
    ref::rmsNorm(x.data(), w.data(), M, D, 1e-5f, normed.data());
    ref::quantizeActivations(normed.data(), M, D, qRef.data(), sRef.data());
    for (int64_t i = 0; i < M * D; ++i)
      qsumRef[i / D] += qRef[i];
    expectEqual("rmsnorm_quant q", q, qRef);
    expectEqual("rmsnorm_quant scale", s, sRef);
    expectEqual("rmsnorm_quant qsum", qsum, qsumRef);
  }
  {
    std::vector<float> x = randomFloats(rng, 5 * 30, 2), y(x.size()), want = x;
    expectStatus("rope", call_rope(x.data(), 17, y.data()), true);
    ref::rope(want.data(), 5, 3, 10, 17, 500000.0f);
    ++checks;
    for (size_t i = 0; i < y.size(); ++i)
      if (std::abs(y[i] - want[i]) > 1e-6f * std::max(1.0f, std::abs(want[i]))) {
        std::printf("FAIL rope: element %zu is %g, expected %g\n", i, y[i], want[i]);
        ++failures;
        break;
      }
  }
  {
    std::vector<uint16_t> table(13 * 7);
    for (uint16_t &h : table)
      h = ref::floatToHalf(rng.uniform(-1, 1));
    std::vector<int32_t> tokens = {0, 12, 3, 3, 9};
    std::vector<float> y(5 * 7), want(5 * 7);
    expectStatus("embedding", call_embedding(table.data(), tokens.data(), y.data()), true);
    ref::embedding(table.data(), 13, 7, tokens.data(), 5, want.data());
    expectEqual("embedding", y, want);
  }
  {
    std::vector<float> a(10), b(10), y(10);
    expectStatus("mis-sized add is rejected", call_add_wrong(a.data(), b.data(), y.data()),
                 false);
  }
  std::printf("%d checks passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
