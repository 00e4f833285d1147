//===- KernelTest.cpp - Generated Halide kernels vs the golden reference --===//
//
// Built once per target (x86 natively, ARM under qemu-aarch64, OpenCL on
// PoCL) from kernels that bitnet-kernelgen wrote with the specs listed in
// test/Kernels/CMakeLists.txt. Integer results (activation codes, their sums,
// BitLinear's int32 accumulations seen through exactly representable floats)
// must match exactly; float results within a stated relative bound.
//
//===----------------------------------------------------------------------===//

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include "bitnet/Reference/Packing.h"
#include "bitnet/Runtime/CpuFeatures.h"

#include "../Common/Random.h"
#include "bitnet/Reference/Reference.h"

#include "add_k.h"
#include "addq.h"
#include "addq_w.h"
#include "copy_k.h"
#include "attn_decode.h"
#include "attn_prefill.h"
#include "attn_long.h"
#include "attn_split.h"
#include "attn_block.h"
#include "attn_qblock.h"
#include "attn_qvec2.h"
#include "attn_qvec4.h"
#include "attn_group8.h"
#include "attn_group16.h"
#include "attn_group3.h"
#include "attn_hd128.h"
#include "attn_wide.h"
#include "attn_lanes.h"
#include "attn_lanes_decode.h"
#include "bl_gemm_b1.h"
#include "bl_gemm_b3.h"
#include "bl_gemv_b1.h"
#include "bl_wide_b1.h"
#include "bl_gemv_long.h"
#include "bl_gemm_rows.h"
#include "bl_gemm_b3w.h"
#include "bl_gemm_whole.h"
#include "bl_gemm_whole_b1.h"
#include "bl_gemv_rows.h"
#include "bl_gemv_long_b1.h"
#include "bl_fused.h"
#include "bl_gemm_o2.h"
#include "bl_gemv_b3.h"
#include "bl_gemv_o2.h"
#include "bl_tiny.h"
#include "bl_wide.h"
#include "emb.h"
#include "emb_all.h"
#include "fmm_bf16.h"
#include "fmm_f32.h"
#include "fmm_short.h"
#include "fmm_gemm.h"
#include "fmm_gemv.h"
#include "glu_relu2.h"
#include "i8mm_gemm.h"
#include "i8mm_gemv.h"
#include "i8mm_short.h"
#include "glu_silu.h"
#include "glu_silu_w.h"
#include "gluq_relu2.h"
#include "gluq_silu.h"
#include "rmsq.h"
#include "rmsn.h"
#include "rmsn_w.h"
#include "rmsq_w.h"
#include "rope_k.h"
#include "rope_qkv_k.h"

#include <cmath>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ref = bitnet::ref;
using Halide::Runtime::Buffer;

namespace {

int checks = 0, failures = 0;

// Bounds. BitLinear outputs are exact integers scaled by two floats with the
// reference's operation order: 0 (bit-identical expected). Element-wise float
// kernels with the same operation order: 1e-6 relative (libm vs Halide's
// transcendental calls). Vectorised float reductions (f16 matmul, attention
// dot products) change the association: 1e-5 relative.
constexpr double kExact = 0.0, kElementwise = 1e-6, kReduction = 1e-5;

void expectClose(const std::string &what, const float *got, const float *want,
                 size_t n, double bound) {
  ++checks;
  for (size_t i = 0; i < n; ++i) {
    if (got[i] == want[i])
      continue; // also equal infinities
    double err = std::fabs(double(got[i]) - double(want[i])) /
                 std::fmax(1.0, std::fabs(double(want[i])));
    if (!(err <= bound)) {
      std::printf("FAIL %s: element %zu is %.9g, expected %.9g (bound %g)\n",
                  what.c_str(), i, got[i], want[i], bound);
      ++failures;
      return;
    }
  }
}

template <typename T>
void expectExact(const std::string &what, const T *got, const T *want, size_t n) {
  ++checks;
  for (size_t i = 0; i < n; ++i)
    if (got[i] != want[i]) {
      std::printf("FAIL %s: element %zu is %lld, expected %lld\n", what.c_str(),
                  i, (long long)got[i], (long long)want[i]);
      ++failures;
      return;
    }
}

void expectOk(const std::string &what, int rc) {
  ++checks;
  if (rc != 0) {
    std::printf("FAIL %s: kernel returned %d\n", what.c_str(), rc);
    ++failures;
  }
}

using bitnet::test::randomFloats;

/// Inputs for a GPU target live on the host: mark them dirty so the kernel
/// copies them to the device; bring outputs back before reading them.
template <typename T> Buffer<T> input(T *data, int x, int y = 0) {
  Buffer<T> b = y ? Buffer<T>(data, x, y) : Buffer<T>(data, x);
  b.set_host_dirty();
  return b;
}

using BitLinearFn = int (*)(halide_buffer_t *, halide_buffer_t *,
                            halide_buffer_t *, float, halide_buffer_t *);

/// Activations: random rows plus adversarial ones (all zero, all +127,
/// alternating extremes that overflow int16 partial sums, all -128: the
/// largest pair magnitude a 16-bit pairwise product can hold).
std::vector<int8_t> activationCodes(ref::Rng &rng, int64_t M, int64_t K) {
  std::vector<int8_t> q(M * K);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) {
      int8_t v = static_cast<int8_t>(rng.range(-127, 127));
      switch (m % 5) {
      case 1: v = 0; break;
      case 2: v = 127; break;
      case 3: v = (k % 2) ? 127 : -127; break;
      case 4: v = -128; break;
      }
      q[m * K + k] = (m == 0) ? static_cast<int8_t>(rng.range(-127, 127)) : v;
    }
  return q;
}

void testBitLinear(const char *name, BitLinearFn fn, int64_t M, int64_t N,
                   int64_t K, ref::PackFormat format, int64_t tn, int64_t tk,
                   ref::Rng &rng) {
  std::vector<int8_t> q = activationCodes(rng, M, K);
  std::vector<float> s(M);
  for (float &v : s)
    v = rng.uniform(0.5f, 300.0f);
  const bool binary = format == ref::PackFormat::Bits1;
  for (int pattern = 0; pattern < 3; ++pattern) {
    std::vector<int8_t> w(N * K);
    for (int8_t &v : w)
      v = pattern == 0 ? static_cast<int8_t>(binary ? (rng.range(0, 1) ? 1 : -1)
                                                    : rng.range(-1, 1))
                       : (pattern == 1 ? 1 : -1); // all +1 / all -1 rows
    ref::PackedLayout layout{format, tn, tk};
    std::vector<uint8_t> packed = ref::packWeights(layout, w.data(), N, K);
    float gamma = rng.uniform(0.01f, 2.0f);
    std::vector<float> y(M * N, NAN), want(M * N);
    Buffer<int8_t> qb = input(q.data(), (int)K, (int)M);
    Buffer<float> sb = input(s.data(), (int)M);
    Buffer<uint8_t> wb = input(packed.data(), (int)packed.size());
    Buffer<float> yb(y.data(), (int)N, (int)M);
    expectOk(name, fn(qb, sb, wb, gamma, yb));
    yb.copy_to_host();
    ref::bitLinear(q.data(), s.data(), w.data(), gamma, M, N, K, want.data());
    expectClose(std::string(name) + " pattern " + std::to_string(pattern),
                y.data(), want.data(), y.size(), kExact);
  }
}

/// Stacked projections: rows 0-19, 20-29 and 30-36 each with their own gamma.
void testBitLinearSegments(ref::Rng &rng) {
  const int64_t M = 3, N = 37, K = 300;
  const int64_t segments[] = {20, 10, 7};
  std::vector<int8_t> q = activationCodes(rng, M, K), w(N * K);
  for (int8_t &v : w)
    v = static_cast<int8_t>(rng.range(-1, 1));
  std::vector<float> s = {3.0f, 70.0f, 127.0f}, gammas = {0.5f, 0.25f, 1.75f};
  std::vector<uint8_t> packed =
      ref::packWeights({ref::PackFormat::Offset2, 4, 128}, w.data(), N, K);
  std::vector<float> y(M * N, NAN), want(M * N);
  Buffer<int8_t> qb = input(q.data(), (int)K, (int)M);
  Buffer<float> sb = input(s.data(), (int)M);
  Buffer<uint8_t> wb = input(packed.data(), (int)packed.size());
  Buffer<float> gb = input(gammas.data(), 3);
  Buffer<float> yb(y.data(), (int)N, (int)M);
  expectOk("bitlinear segments", bl_fused(qb, sb, wb, gb, yb));
  yb.copy_to_host();
  int64_t row = 0;
  for (int seg = 0; seg < 3; ++seg) {
    std::vector<float> part(M * segments[seg]);
    ref::bitLinear(q.data(), s.data(), &w[row * K], gammas[seg], M, segments[seg],
                   K, part.data());
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < segments[seg]; ++n)
        want[m * N + row + n] = part[m * segments[seg] + n];
    row += segments[seg];
  }
  expectClose("bitlinear segments", y.data(), want.data(), y.size(), kExact);
}

using RMSNormQuantFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                               halide_buffer_t *, halide_buffer_t *);
using AddRMSNormQuantFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                  halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                  halide_buffer_t *);
using RMSNormFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);

/// The reference's RMSNorm of x's M rows of D, its codes, scales and code
/// sums.
struct NormQuantReference {
  std::vector<float> normed, scales;
  std::vector<int8_t> codes;
  std::vector<int32_t> codeSums;
  NormQuantReference(const std::vector<float> &x, const std::vector<float> &w, int64_t M,
                     int64_t D)
      : normed(M * D), scales(M), codes(M * D), codeSums(M, 0) {
    ref::rmsNorm(x.data(), w.data(), M, D, 1e-5f, normed.data());
    ref::quantizeActivations(normed.data(), M, D, codes.data(), scales.data());
    for (int64_t m = 0; m < M; ++m)
      for (int64_t d = 0; d < D; ++d)
        codeSums[m] += codes[m * D + d];
  }
};

/// A norm-quantizer kernel's outputs for M rows of D: codes, scales and
/// code sums, as buffers to pass and, once brought back, checked exactly
/// against the reference's.
struct QuantizerOutputs {
  std::vector<int8_t> codes;
  std::vector<float> scales;
  std::vector<int32_t> codeSums;
  Buffer<int8_t> codesBuffer;
  Buffer<float> scalesBuffer;
  Buffer<int32_t> codeSumsBuffer;
  QuantizerOutputs(int64_t M, int64_t D)
      : codes(M * D), scales(M), codeSums(M), codesBuffer(codes.data(), (int)D, (int)M),
        scalesBuffer(scales.data(), (int)M), codeSumsBuffer(codeSums.data(), (int)M) {}
  void expectMatches(const std::string &name, const NormQuantReference &want) {
    codesBuffer.copy_to_host();
    scalesBuffer.copy_to_host();
    codeSumsBuffer.copy_to_host();
    expectExact(name + " q", codes.data(), want.codes.data(), codes.size());
    expectClose(name + " scale", scales.data(), want.scales.data(), scales.size(), kExact);
    expectExact(name + " qsum", codeSums.data(), want.codeSums.data(), codeSums.size());
  }
};

/// Rows [M, D] (M >= 3) that probe the norm: random, all zero, an outlier.
std::vector<float> normTestRows(ref::Rng &rng, int64_t M, int64_t D) {
  std::vector<float> x = randomFloats(rng, M * D, 3.0f);
  std::fill(x.begin() + D, x.begin() + 2 * D, 0.0f);          // all-zero row
  for (int64_t d = 0; d < D; ++d)
    x[2 * D + d] = d == 7 ? 1e6f : 1e-3f;                      // outlier
  return x;
}

/// Both RMSNorm kernels of one shape [D, M] (M >= 3) against the reference:
/// D = 300 ends each row in a partial round of the 32 partial sums, D = 256
/// is whole rounds (the kernels' unguarded path).
void testRMSNormQuant(ref::Rng &rng, const char *shape, int64_t M, int64_t D,
                      RMSNormQuantFn rmsq, RMSNormFn rmsn) {
  std::vector<float> x = normTestRows(rng, M, D);
  std::vector<float> w = randomFloats(rng, D, 1.5f);
  Buffer<float> xb = input(x.data(), (int)D, (int)M);
  Buffer<float> wb = input(w.data(), (int)D);
  QuantizerOutputs out(M, D);
  const std::string name = std::string("rmsnorm_quant ") + shape;
  expectOk(name, rmsq(xb, wb, out.codesBuffer, out.scalesBuffer, out.codeSumsBuffer));
  NormQuantReference want(x, w, M, D);
  out.expectMatches(name, want);

  // The norm alone (the final norm before the LM head): the reference's
  // values, bit for bit.
  std::vector<float> y(M * D);
  Buffer<float> yb(y.data(), (int)D, (int)M);
  expectOk(std::string("rmsnorm ") + shape, rmsn(xb, wb, yb));
  yb.copy_to_host();
  expectClose(std::string("rmsnorm ") + shape, y.data(), want.normed.data(), y.size(),
              kExact);
}

/// The residual add joined to the norm-quantizer: the sum as ref::add
/// computes it, then the codes, scales and sums of that sum, all exact. The
/// added term cancels the residual in one row (an all-zero sum).
void testAddRMSNormQuant(ref::Rng &rng, const char *shape, int64_t M, int64_t D,
                         AddRMSNormQuantFn addq) {
  std::vector<float> x = normTestRows(rng, M, D);
  std::vector<float> h = randomFloats(rng, M * D, 2.0f);
  for (int64_t d = 0; d < D; ++d)
    h[D + d] = 0.0f;
  for (int64_t d = 0; d < D; ++d)
    h[(M - 1) * D + d] = -x[(M - 1) * D + d];
  std::vector<float> w = randomFloats(rng, D, 1.5f);
  std::vector<float> sum(M * D);
  Buffer<float> xb = input(x.data(), (int)D, (int)M);
  Buffer<float> hb = input(h.data(), (int)D, (int)M);
  Buffer<float> wb = input(w.data(), (int)D);
  Buffer<float> sumb(sum.data(), (int)D, (int)M);
  QuantizerOutputs out(M, D);
  const std::string name = std::string("add_rmsnorm_quant ") + shape;
  expectOk(name, addq(xb, hb, wb, sumb, out.codesBuffer, out.scalesBuffer,
                      out.codeSumsBuffer));
  sumb.copy_to_host();
  std::vector<float> sumRef(M * D);
  ref::add(x.data(), h.data(), M * D, sumRef.data());
  expectClose(name + " sum", sum.data(), sumRef.data(), sum.size(), kExact);
  out.expectMatches(name, NormQuantReference(sumRef, w, M, D));
}

using GLURMSNormQuantFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                  halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);

/// The GLU joined to the norm-quantizer, [D, M] (M >= 3): the codes,
/// scales and sums of `want`'s rows, exactly. Gate rows as the norm tests'
/// (an all-zero row: a zero GLU; an outlier).
void testGLURMSNormQuant(ref::Rng &rng, const std::string &name, int64_t M, int64_t D,
                         GLURMSNormQuantFn gluq,
                         const std::function<std::vector<float>(const std::vector<float> &,
                                                                const std::vector<float> &)>
                             &want) {
  std::vector<float> g = normTestRows(rng, M, D);
  std::vector<float> u = randomFloats(rng, M * D, 2.0f);
  std::vector<float> w = randomFloats(rng, D, 1.5f);
  Buffer<float> gb = input(g.data(), (int)D, (int)M);
  Buffer<float> ub = input(u.data(), (int)D, (int)M);
  Buffer<float> wb = input(w.data(), (int)D);
  QuantizerOutputs out(M, D);
  expectOk(name, gluq(gb, ub, wb, out.codesBuffer, out.scalesBuffer, out.codeSumsBuffer));
  out.expectMatches(name, NormQuantReference(want(g, u), w, M, D));
}

/// relu2 against the reference's GLU (exact); silu, whose exp differs from
/// libm's in the last bit, against this target's own GLU kernel: the fused
/// kernel must compute what the two kernels it replaces computed.
void testGLURMSNormQuants(ref::Rng &rng) {
  testGLURMSNormQuant(rng, "glu_rmsnorm_quant relu2 300x5", 5, 300, gluq_relu2,
                      [](const std::vector<float> &g, const std::vector<float> &u) {
                        std::vector<float> y(g.size());
                        ref::glu(g.data(), u.data(), g.size(), ref::GluActivation::Relu2,
                                 y.data());
                        return y;
                      });
  testGLURMSNormQuant(rng, "glu_rmsnorm_quant silu 256x3", 3, 256, gluq_silu,
                      [](const std::vector<float> &g, const std::vector<float> &u) {
                        std::vector<float> y(g.size());
                        std::vector<float> gc = g, uc = u;
                        Buffer<float> gb = input(gc.data(), 256, 3);
                        Buffer<float> ub = input(uc.data(), 256, 3);
                        Buffer<float> yb(y.data(), 256, 3);
                        expectOk("glu silu 256x3", glu_silu_w(gb, ub, yb));
                        yb.copy_to_host();
                        return y;
                      });
}

void testRoPE(ref::Rng &rng) {
  const int64_t M = 5, heads = 3, hd = 10;
  for (int32_t pos : {0, 1, 4000}) {
    std::vector<float> x = randomFloats(rng, M * heads * hd, 2.0f);
    std::vector<float> y(x.size()), want = x;
    Buffer<float> xb = input(x.data(), (int)(heads * hd), (int)M);
    Buffer<float> yb(y.data(), (int)(heads * hd), (int)M);
    expectOk("rope", rope_k(xb, pos, yb));
    yb.copy_to_host();
    ref::rope(want.data(), M, heads, hd, pos, 500000.0f);
    expectClose("rope pos " + std::to_string(pos), y.data(), want.data(),
                y.size(), kElementwise);
  }
}

/// RoPE of the queries and keys with the values beside them: the queries
/// and keys bit-identical to the target's own RoPE kernel (the keys' one
/// head as the first of three whose others are zero: a head's rotation
/// reads only its own head), the values copied exactly.
void testRoPEQKV(ref::Rng &rng) {
  const int64_t M = 5, heads = 3, hd = 10, kvWidth = hd;
  for (int32_t pos : {0, 1, 4000}) {
    std::vector<float> q = randomFloats(rng, M * heads * hd, 2.0f);
    std::vector<float> k = randomFloats(rng, M * kvWidth, 2.0f);
    std::vector<float> v = randomFloats(rng, M * kvWidth, 2.0f);
    std::vector<float> qRot(q.size()), kRot(k.size()), vRows(v.size());
    {
      std::vector<float> qc = q, kc = k, vc = v;
      Buffer<float> qb = input(qc.data(), (int)(heads * hd), (int)M);
      Buffer<float> kb = input(kc.data(), (int)kvWidth, (int)M);
      Buffer<float> vb = input(vc.data(), (int)kvWidth, (int)M);
      Buffer<float> qo(qRot.data(), (int)(heads * hd), (int)M);
      Buffer<float> ko(kRot.data(), (int)kvWidth, (int)M);
      Buffer<float> vo(vRows.data(), (int)kvWidth, (int)M);
      expectOk("rope_qkv", rope_qkv_k(qb, kb, vb, pos, qo, ko, vo));
      qo.copy_to_host();
      ko.copy_to_host();
      vo.copy_to_host();
    }
    auto ownRoPE = [&](const std::vector<float> &x) {
      std::vector<float> xc = x, y(x.size());
      Buffer<float> xb = input(xc.data(), (int)(heads * hd), (int)M);
      Buffer<float> yb(y.data(), (int)(heads * hd), (int)M);
      expectOk("rope", rope_k(xb, pos, yb));
      yb.copy_to_host();
      return y;
    };
    std::vector<float> wantQ = ownRoPE(q);
    std::vector<float> keyHeads(q.size(), 0.0f), wantK(k.size());
    for (int64_t m = 0; m < M; ++m)
      std::copy(k.begin() + m * kvWidth, k.begin() + (m + 1) * kvWidth,
                keyHeads.begin() + m * heads * hd);
    std::vector<float> keyHeadsRot = ownRoPE(keyHeads);
    for (int64_t m = 0; m < M; ++m)
      std::copy(keyHeadsRot.begin() + m * heads * hd,
                keyHeadsRot.begin() + m * heads * hd + kvWidth, wantK.begin() + m * kvWidth);
    std::string at = " pos " + std::to_string(pos);
    expectClose("rope_qkv queries" + at, qRot.data(), wantQ.data(), q.size(), kExact);
    expectClose("rope_qkv keys" + at, kRot.data(), wantK.data(), k.size(), kExact);
    expectClose("rope_qkv values" + at, vRows.data(), v.data(), v.size(), kExact);
  }
}

using AttentionFn = int (*)(halide_buffer_t *, halide_buffer_t *,
                            halide_buffer_t *, int32_t, halide_buffer_t *);

void testAttention(const char *name, AttentionFn fn, int64_t M, int64_t heads,
                   int64_t kvHeads, int64_t hd, int64_t ctx, ref::Rng &rng,
                   std::vector<int32_t> positions = {}) {
  const int64_t kvDim = kvHeads * hd;
  if (positions.empty())
    positions = {0, int32_t(ctx - M)};
  for (int32_t pos : positions) {
    std::vector<float> kc = randomFloats(rng, ctx * kvDim, 1.0f);
    std::vector<float> vc = randomFloats(rng, ctx * kvDim, 1.0f);
    // Rows after the last visible one hold garbage that must not be read.
    for (int64_t t = pos + M; t < ctx; ++t)
      for (int64_t d = 0; d < kvDim; ++d) {
        kc[t * kvDim + d] = NAN;
        vc[t * kvDim + d] = INFINITY;
      }
    std::vector<float> q = randomFloats(rng, M * heads * hd, 2.0f);
    std::vector<float> y(q.size()), want(q.size());
    Buffer<float> qb = input(q.data(), (int)(heads * hd), (int)M);
    Buffer<float> kb = input(kc.data(), (int)kvDim, (int)ctx);
    Buffer<float> vb = input(vc.data(), (int)kvDim, (int)ctx);
    Buffer<float> yb(y.data(), (int)(heads * hd), (int)M);
    expectOk(name, fn(qb, kb, vb, pos, yb));
    yb.copy_to_host();
    ref::attention(q.data(), kc.data(), vc.data(), M, heads, kvHeads, hd, pos,
                   want.data());
    expectClose(std::string(name) + " pos " + std::to_string(pos), y.data(),
                want.data(), y.size(), kReduction);
  }
}

void testElementwise(ref::Rng &rng) {
  const int64_t M = 5, D = 37;
  std::vector<float> g = randomFloats(rng, M * D, 6.0f);
  std::vector<float> u = randomFloats(rng, M * D, 2.0f);
  std::vector<float> y(M * D), want(M * D);
  Buffer<float> gb = input(g.data(), (int)D, (int)M);
  Buffer<float> ub = input(u.data(), (int)D, (int)M);
  Buffer<float> yb(y.data(), (int)D, (int)M);
  expectOk("glu relu2", glu_relu2(gb, ub, yb));
  yb.copy_to_host();
  ref::glu(g.data(), u.data(), M * D, ref::GluActivation::Relu2, want.data());
  expectClose("glu relu2", y.data(), want.data(), y.size(), kExact);
  expectOk("glu silu", glu_silu(gb, ub, yb));
  yb.copy_to_host();
  ref::glu(g.data(), u.data(), M * D, ref::GluActivation::Silu, want.data());
  expectClose("glu silu", y.data(), want.data(), y.size(), kElementwise);
  expectOk("add", add_k(gb, ub, yb));
  yb.copy_to_host();
  ref::add(g.data(), u.data(), M * D, want.data());
  expectClose("add", y.data(), want.data(), y.size(), kExact);

  // Copy between strided views, as a GPU glue moves a projection's columns
  // into a KV-cache row: columns 11..47 of 64-wide rows into columns 3..39
  // of 50-wide rows; the rest of the destination stays as it was.
  {
    const int srcWidth = 64, dstWidth = 50, srcAt = 11, dstAt = 3;
    std::vector<float> src = randomFloats(rng, M * srcWidth, 4.0f);
    std::vector<float> dst(M * dstWidth, -7.0f), expected = dst;
    for (int64_t r = 0; r < M; ++r)
      for (int64_t c = 0; c < D; ++c)
        expected[r * dstWidth + dstAt + c] = src[r * srcWidth + srcAt + c];
    halide_dimension_t srcDims[2] = {{0, (int32_t)D, 1, 0}, {0, (int32_t)M, srcWidth, 0}};
    halide_dimension_t dstDims[2] = {{0, (int32_t)D, 1, 0}, {0, (int32_t)M, dstWidth, 0}};
    Buffer<float> sb(src.data() + srcAt, 2, srcDims);
    sb.set_host_dirty();
    Buffer<float> db(dst.data() + dstAt, 2, dstDims);
    db.set_host_dirty(); // the columns outside the view must survive the trip
    expectOk("copy", copy_k(sb, db));
    db.copy_to_host();
    expectClose("copy", dst.data(), expected.data(), dst.size(), kExact);
  }

  // Embedding: first and last rows, repeated ids, special f16 values.
  const int64_t V = 13, W = 7;
  std::vector<uint16_t> table(V * W);
  for (uint16_t &h : table)
    h = ref::floatToHalf(rng.uniform(-1.0f, 1.0f));
  table[0] = 0x0001;  // smallest subnormal
  table[1] = 0x7c00;  // +inf
  table[2] = 0x8000;  // -0
  table[3] = 0x7bff;  // 65504
  std::vector<int32_t> tokens = {0, 12, 5, 5, 7};
  std::vector<float> e(tokens.size() * W), eRef(e.size());
  Buffer<uint16_t> tb = input(table.data(), (int)W, (int)V);
  Buffer<int32_t> ib = input(tokens.data(), (int)tokens.size());
  Buffer<float> eb(e.data(), (int)W, (int)tokens.size());
  expectOk("embedding", emb(tb, ib, eb));
  eb.copy_to_host();
  ref::embedding(table.data(), V, W, tokens.data(), tokens.size(), eRef.data());
  expectClose("embedding", e.data(), eRef.data(), e.size(), kExact);

  // Every one of the 65536 f16 bit patterns (subnormals, infinities, NaN
  // payloads) converts to exactly the reference's f32 bits.
  std::vector<uint16_t> all(65536);
  std::vector<int32_t> rows(256);
  for (int i = 0; i < 65536; ++i)
    all[i] = static_cast<uint16_t>(i);
  for (int i = 0; i < 256; ++i)
    rows[i] = i;
  std::vector<float> got(65536), wantAll(65536);
  Buffer<uint16_t> ab = input(all.data(), 256, 256);
  Buffer<int32_t> rb = input(rows.data(), 256);
  Buffer<float> allb(got.data(), 256, 256);
  expectOk("f16 conversion", emb_all(ab, rb, allb));
  allb.copy_to_host();
  ref::embedding(all.data(), 256, 256, rows.data(), 256, wantAll.data());
  ++checks;
  if (std::memcmp(got.data(), wantAll.data(), got.size() * sizeof(float)) != 0) {
    for (int i = 0; i < 65536; ++i)
      if (std::memcmp(&got[i], &wantAll[i], sizeof(float)) != 0) {
        std::printf("FAIL f16 conversion: 0x%04x gives %g, expected %g\n", i, got[i],
                    wantAll[i]);
        break;
      }
    ++failures;
  }
}

using FloatMatmulFn = int (*)(halide_buffer_t *, halide_buffer_t *,
                              halide_buffer_t *);

void testFloatMatmul(const char *name, FloatMatmulFn fn, int64_t M,
                     ref::Rng &rng) {
  const int64_t N = 37, K = 300;
  std::vector<float> x = randomFloats(rng, M * K, 2.0f);
  std::vector<uint16_t> w(N * K);
  for (uint16_t &h : w)
    h = ref::floatToHalf(rng.uniform(-1.0f, 1.0f));
  std::vector<float> y(M * N), want(M * N);
  Buffer<float> xb = input(x.data(), (int)K, (int)M);
  Buffer<uint16_t> wb = input(w.data(), (int)K, (int)N);
  Buffer<float> yb(y.data(), (int)N, (int)M);
  expectOk(name, fn(xb, wb, yb));
  yb.copy_to_host();
  ref::floatLinearF16(x.data(), w.data(), M, N, K, want.data());
  // Sums of 300 products of magnitude <= 2: bound relative to max(1, |y|).
  expectClose(name, y.data(), want.data(), y.size(), kReduction * 10);
}

/// f32 weights (the linear layers of full-precision models).
void testFloatMatmulF32(ref::Rng &rng) {
  const int64_t M = 5, N = 37, K = 300;
  std::vector<float> x = randomFloats(rng, M * K, 2.0f), w = randomFloats(rng, N * K, 1.0f);
  std::vector<float> y(M * N), want(M * N);
  Buffer<float> xb = input(x.data(), (int)K, (int)M);
  Buffer<float> wb = input(w.data(), (int)K, (int)N);
  Buffer<float> yb(y.data(), (int)N, (int)M);
  expectOk("float_matmul f32", fmm_f32(xb, wb, yb));
  yb.copy_to_host();
  ref::floatLinear(x.data(), w.data(), M, N, K, want.data());
  expectClose("float_matmul f32", y.data(), want.data(), y.size(), kReduction * 10);
}

using Int8MatmulFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                             halide_buffer_t *, halide_buffer_t *);

/// The int8 LM head: exact int32 sums (adversarial rows: every product at
/// +-127 * -128) scaled like the reference.
void testInt8Matmul(const char *name, Int8MatmulFn fn, int64_t M, int64_t N, int64_t K,
                    ref::Rng &rng) {
  std::vector<int8_t> q = activationCodes(rng, M, K);
  std::vector<float> s(M);
  for (float &v : s)
    v = rng.uniform(0.5f, 300.0f);
  std::vector<int8_t> w(N * K);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      w[n * K + k] = n % 3 == 1 ? -128 : (n % 3 == 2 ? 127 : static_cast<int8_t>(rng.range(-128, 127)));
  std::vector<float> scales(N);
  for (float &v : scales)
    v = rng.uniform(1e-4f, 0.1f);
  std::vector<float> y(M * N, NAN), want(M * N);
  Buffer<int8_t> qb = input(q.data(), (int)K, (int)M);
  Buffer<float> sb = input(s.data(), (int)M);
  Buffer<int8_t> wb = input(w.data(), (int)K, (int)N);
  Buffer<float> scaleb = input(scales.data(), (int)N);
  Buffer<float> yb(y.data(), (int)N, (int)M);
  expectOk(name, fn(qb, sb, wb, scaleb, yb));
  yb.copy_to_host();
  ref::int8Linear(q.data(), s.data(), w.data(), scales.data(), M, N, K, want.data());
  expectClose(name, y.data(), want.data(), y.size(), kExact);
}

/// bf16 weights (full-precision models from bf16 checkpoints), including a
/// k shorter than one vector.
void testFloatMatmulBF16(const char *name, FloatMatmulFn fn, int64_t M, int64_t N,
                         int64_t K, ref::Rng &rng) {
  std::vector<float> x = randomFloats(rng, M * K, 2.0f), w(N * K);
  std::vector<uint16_t> bits(N * K);
  for (size_t i = 0; i < bits.size(); ++i) {
    bits[i] = ref::floatToBf16(rng.uniform(-1.0f, 1.0f));
    w[i] = ref::bf16ToFloat(bits[i]);
  }
  std::vector<float> y(M * N, NAN), want(M * N);
  Buffer<float> xb = input(x.data(), (int)K, (int)M);
  Buffer<uint16_t> wb = input(bits.data(), (int)K, (int)N);
  Buffer<float> yb(y.data(), (int)N, (int)M);
  expectOk(name, fn(xb, wb, yb));
  yb.copy_to_host();
  ref::floatLinear(x.data(), w.data(), M, N, K, want.data());
  expectClose(name, y.data(), want.data(), y.size(), kReduction * 10);
}

/// A buffer of the wrong size is rejected with an error, not read past.
void testRejectsWrongShape() {
  std::vector<float> a(10), b(10), y(10);
  Buffer<float> ab(a.data(), 2, 5), bb(b.data(), 2, 5), yb(y.data(), 2, 5);
  ++checks;
  if (add_k(ab, bb, yb) == 0) {
    std::printf("FAIL add: a 2x5 buffer was accepted for a 37x5 kernel\n");
    ++failures;
  }
}

} // namespace

// Keep Halide's error reports (expected in testRejectsWrongShape) quiet.
extern "C" void halide_error(void *, const char *msg) {
  if (std::getenv("BITNET_KERNEL_TEST_VERBOSE"))
    std::fprintf(stderr, "halide: %s", msg);
}

namespace {
// Multi-variant kernels (arm64-dotprod) ask the runtime which variant this
// CPU can run; the first question is always about the dot-product variant.
int featureQueries = 0, dotprodAnswer = -1;
int recordFeatureQuery(int count, const uint64_t *features) {
  int answer = bitnet_can_use_target_features(count, features);
  if (featureQueries++ == 0)
    dotprodAnswer = answer;
  return answer;
}
} // namespace

#ifdef BITNET_KERNEL_TEST_CUDA
#include "../Common/CudaDevice.h"
#endif
#if defined(BITNET_KERNEL_TEST_AVXVNNI) || defined(BITNET_KERNEL_TEST_AVX512)
#include "../Common/CpuFeatures.h"
#endif

int main(int argc, char **argv) {
#ifdef BITNET_KERNEL_TEST_AVXVNNI
  if (!bitnet::test::cpuHasAvxVnni()) {
    std::printf("SKIP: this CPU lacks AVX2 + AVX-VNNI\n");
    return 77;
  }
#endif
#ifdef BITNET_KERNEL_TEST_AVX512
  // The features bitnet-compile's host detection requires for this target.
  if (!bitnet::test::cpuHasAvx512Vnni()) {
    std::printf("SKIP: this CPU lacks AVX-512 (F, BW, VL, VNNI)\n");
    return 77;
  }
#endif
#ifdef BITNET_KERNEL_TEST_CUDA
  if (bitnet::test::skipWithoutCuda())
    return 77;
#endif
  // --expect-dotprod=0|1: check which variant the dispatcher picked.
  int expectDotprod = -1;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--expect-dotprod=", 17) == 0)
      expectDotprod = std::atoi(argv[i] + 17);
  halide_set_custom_can_use_target_features(recordFeatureQuery);
  ref::Rng rng(3);
  using F = ref::PackFormat;
  testBitLinear("bitlinear gemv offset2", bl_gemv_o2, 1, 37, 300, F::Offset2, 4, 128, rng);
  testBitLinear("bitlinear gemm offset2", bl_gemm_o2, 5, 37, 300, F::Offset2, 4, 128, rng);
  testBitLinear("bitlinear gemv base3", bl_gemv_b3, 1, 37, 300, F::Base3, 3, 160, rng);
  testBitLinear("bitlinear gemm base3", bl_gemm_b3, 5, 37, 300, F::Base3, 3, 40, rng);
  testBitLinear("bitlinear K=4099", bl_wide, 5, 3, 4099, F::Offset2, 1, 64, rng);
  testBitLinear("bitlinear 1x1x1", bl_tiny, 1, 1, 1, F::Offset2, 1, 4, rng);
  testBitLinear("binary gemv bits1", bl_gemv_b1, 1, 37, 600, F::Bits1, 4, 256, rng);
  testBitLinear("binary gemm bits1", bl_gemm_b1, 5, 37, 300, F::Bits1, 1, 256, rng);
  testBitLinear("binary K=8201", bl_wide_b1, 5, 3, 8201, F::Bits1, 1, 64, rng);
  testBitLinear("gemv K=4099 in 1x16 tiles", bl_gemv_long, 1, 37, 4099, F::Offset2, 1, 16, rng);
  testBitLinear("gemm 9 tokens, 8 rows per task", bl_gemm_rows, 9, 37, 4099, F::Offset2, 1, 16, rng);
  testBitLinear("gemm base3 in 1x5 tiles", bl_gemm_b3w, 3, 37, 301, F::Base3, 1, 5, rng);
  testBitLinear("gemv 4 rows per task", bl_gemv_rows, 1, 37, 4099, F::Offset2, 1, 16, rng);
  testBitLinear("binary gemv K=2050 in 1x32 tiles", bl_gemv_long_b1, 1, 19, 2050, F::Bits1, 1,
                32, rng);
  testBitLinear("gemm 18 tokens, whole chunks", bl_gemm_whole, 18, 37, 512, F::Offset2, 1, 16, rng);
  testBitLinear("binary gemm 6 tokens, whole chunks", bl_gemm_whole_b1, 6, 19, 256, F::Bits1, 1, 32,
                rng);
  testBitLinearSegments(rng);
  testRMSNormQuant(rng, "300x5", 5, 300, rmsq, rmsn);
  testRMSNormQuant(rng, "256x3", 3, 256, rmsq_w, rmsn_w);
  testAddRMSNormQuant(rng, "300x5", 5, 300, addq);
  testAddRMSNormQuant(rng, "256x3", 3, 256, addq_w);
  testGLURMSNormQuants(rng);
  testRoPE(rng);
  testRoPEQKV(rng);
  testAttention("attention decode", attn_decode, 1, 4, 2, 6, 9, rng);
  testAttention("attention prefill", attn_prefill, 3, 4, 2, 6, 9, rng);
  // A head dimension of whole vectors (the CPU kernels' lane-wise q . k)
  // over a cache whose visible rows are not a multiple of 4.
  testAttention("attention decode hd=32", attn_lanes_decode, 1, 4, 1, 32, 11, rng);
  testAttention("attention prefill hd=32", attn_lanes, 5, 4, 1, 32, 11, rng);
  testAttention("attention hd=128", attn_hd128, 2, 4, 2, 128, 300, rng);
  // Two tokens on either side of a chunk boundary (255: rows 0..255 and
  // 0..256), the last rows.
  testAttention("attention over 4100 rows", attn_long, 2, 2, 1, 8, 4100, rng,
                {0, 255, 1000, 4098});
  testAttention("attention hd=264", attn_wide, 2, 2, 1, 264, 4100, rng, {0, 4098});
  // Decode over a cache past one chunk of 256 rows (GPUs: a block per chunk
  // and head; CPUs, whose vectors divide the head dimension here: a task per
  // chunk and KV head), then the chunks combined. The last row alone in its
  // chunk (256), a partial chunk (700), the last row of a one-chunk
  // position (255).
  testAttention("attention decode over 700 rows", attn_split, 1, 4, 2, 32, 700, rng,
                {0, 255, 256, 400, 699});
  testAttention("attention 64-token block", attn_block, 64, 4, 2, 64, 192, rng, {0, 64, 128});
  testAttention("attention 8 tokens, groups of 4", attn_qblock, 8, 8, 2, 32, 45, rng,
                {0, 13, 37});
  testAttention("attention 8 tokens, blocks of 4 vectors", attn_qvec4, 8, 32, 8, 32, 45, rng,
                {0, 13, 37});
  testAttention("attention 16 tokens, blocks of 2 vectors", attn_qvec2, 16, 8, 4, 32, 60, rng,
                {0, 21, 44});
  testAttention("attention group of 8", attn_group8, 3, 16, 2, 32, 40, rng, {0, 17, 37});
  testAttention("attention group of 16", attn_group16, 2, 16, 1, 80, 37, rng, {0, 6, 35});
  testAttention("attention group of 3", attn_group3, 2, 6, 2, 48, 50, rng, {0, 9, 48});
  testElementwise(rng);
  testFloatMatmul("float_matmul gemv", fmm_gemv, 1, rng);
  testFloatMatmul("float_matmul gemm", fmm_gemm, 5, rng);
  testFloatMatmulF32(rng);
  testFloatMatmulBF16("float_matmul bf16", fmm_bf16, 5, 37, 300, rng);
  testFloatMatmulBF16("float_matmul bf16 K=7", fmm_short, 3, 5, 7, rng);
  testInt8Matmul("int8_matmul gemv", i8mm_gemv, 1, 37, 300, rng);
  testInt8Matmul("int8_matmul gemm", i8mm_gemm, 5, 37, 300, rng);
  testInt8Matmul("int8_matmul K=7", i8mm_short, 5, 3, 7, rng);
  testRejectsWrongShape();
  if (expectDotprod >= 0) {
    ++checks;
    if (featureQueries == 0 || dotprodAnswer != expectDotprod) {
      std::printf("FAIL dispatch: %d feature queries, dot-product variant %s, "
                  "expected %s\n",
                  featureQueries, dotprodAnswer == 1 ? "chosen" : "not chosen",
                  expectDotprod ? "chosen" : "not chosen");
      ++failures;
    } else {
      std::printf("dispatch: dot-product variant %s\n",
                  expectDotprod ? "chosen" : "not chosen (plain NEON ran)");
    }
  }
  std::printf("%d checks passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
