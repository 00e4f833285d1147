/* F16Matmul.c - f32 activations times f16 weights, with F16C conversions.
 *
 * Halide 14 emulates f16 -> f32 on x86 with about a dozen vector operations
 * per 8 weights (it never emits vcvtph2ps), which makes the f16 LM head of a
 * 2B model (128256 x 2560, 656 MB read per generated token) compute-bound
 * at ~5 GB/s a thread. The float_matmul kernel of f16 weights on x86 targets
 * calls this function instead, as a Halide extern stage over each parallel
 * task's rows (lib/Kernels/KernelGen.cpp). It is linked into every x86
 * compiled model with the rest of the run-time support; weak, like the model
 * API, so that several models link into one program.
 *
 * Pairs of tokens go through tiles of 4 rows x 2 tokens; a single token's
 * rows (and rows past the last tile of 4) are read one row at a time. AVX-512
 * targets call the same function.
 * y[m][n] = sum_k x[m][k] * float(w[n][k]), summed in f32 in vector lanes of
 * k, then across lanes, then the tail of k: every f16 bit pattern (subnormals,
 * infinities, NaNs) converts exactly; the sum's association differs from the
 * reference's sequential one, so results match it to float rounding.
 */
#include "ExternStage.h"

#include <immintrin.h>
#include <stdint.h>

#define BITNET_WEAK __attribute__((weak))
#define BITNET_F16C __attribute__((target("avx2,fma,f16c")))

BITNET_F16C static inline float bitnet_sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* The tail of k (K not a multiple of 8) and the store of one sum. */
BITNET_F16C static inline void bitnet_f16_store(__m256 acc, const float *x, const uint16_t *w,
                                                int32_t k, int32_t K, float *y) {
  float sum = bitnet_sum8(acc);
  for (; k < K; ++k)
    sum += x[k] * _cvtsh_ss(w[k]);
  *y = sum;
}

/* Four rows for one or two tokens: each weight vector is converted once for
 * both tokens, and the 4 (8) accumulators stay in registers. x0/x1 are the
 * tokens' activations, w the first row, y0/y1 the tokens' outputs of row 0. */
BITNET_F16C static void bitnet_f16_rows4(const float *x0, const float *x1, const uint16_t *w,
                                         int64_t ws, int32_t K, float *y0, float *y1) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  const uint16_t *w0 = w, *w1 = w + ws, *w2 = w + 2 * ws, *w3 = w + 3 * ws;
  int32_t k;
  for (k = 0; k + 8 <= K; k += 8) {
    __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w0 + k)));
    __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w1 + k)));
    __m256 v2 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w2 + k)));
    __m256 v3 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w3 + k)));
    __m256 u = _mm256_loadu_ps(x0 + k);
    a0 = _mm256_fmadd_ps(v0, u, a0);
    a1 = _mm256_fmadd_ps(v1, u, a1);
    a2 = _mm256_fmadd_ps(v2, u, a2);
    a3 = _mm256_fmadd_ps(v3, u, a3);
    if (x1) {
      u = _mm256_loadu_ps(x1 + k);
      b0 = _mm256_fmadd_ps(v0, u, b0);
      b1 = _mm256_fmadd_ps(v1, u, b1);
      b2 = _mm256_fmadd_ps(v2, u, b2);
      b3 = _mm256_fmadd_ps(v3, u, b3);
    }
  }
  bitnet_f16_store(a0, x0, w0, k, K, y0);
  bitnet_f16_store(a1, x0, w1, k, K, y0 + 1);
  bitnet_f16_store(a2, x0, w2, k, K, y0 + 2);
  bitnet_f16_store(a3, x0, w3, k, K, y0 + 3);
  if (x1) {
    bitnet_f16_store(b0, x1, w0, k, K, y1);
    bitnet_f16_store(b1, x1, w1, k, K, y1 + 1);
    bitnet_f16_store(b2, x1, w2, k, K, y1 + 2);
    bitnet_f16_store(b3, x1, w3, k, K, y1 + 3);
  }
}

/* One token: one row at a time, k unrolled by 32 into 4 FMA chains of
 * 8-lane vectors, each row one sequential stream (as for the int8 head),
 * left to the hardware prefetchers. Over the 2B head (128256 x 2560) on one
 * Zen 4 core (AVX-512, 2 MiB pages), timed alone, six rounds: 22-28 GB/s,
 * against 15-23 with a software prefetch 2 KiB ahead and 10-13 for 16-lane
 * vectors (vcvtph2ps zmm, prefetched: what AVX-512 targets called before);
 * a plain sum of the same bytes reads 29. Two threads: 33-47, 30-40 and
 * 23-25 GB/s. From 4 KiB pages: 23-27, 20-22 and 12 GB/s on one core. (On
 * a Zen 5 core, earlier, both prefetched, the 16-lane row read 43-46 GB/s
 * from 2 MiB pages against 41-44 for this one's 8-lane vectors; Zen 4 splits
 * each 512-bit conversion in two.) */
BITNET_F16C static void bitnet_f16_row_one(const float *x, const uint16_t *w, int32_t K,
                                           float *y) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int32_t k;
#define BITNET_F16_LOAD(at) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + (at))))
  for (k = 0; k + 32 <= K; k += 32) {
    a0 = _mm256_fmadd_ps(BITNET_F16_LOAD(k), _mm256_loadu_ps(x + k), a0);
    a1 = _mm256_fmadd_ps(BITNET_F16_LOAD(k + 8), _mm256_loadu_ps(x + k + 8), a1);
    a2 = _mm256_fmadd_ps(BITNET_F16_LOAD(k + 16), _mm256_loadu_ps(x + k + 16), a2);
    a3 = _mm256_fmadd_ps(BITNET_F16_LOAD(k + 24), _mm256_loadu_ps(x + k + 24), a3);
  }
  for (; k + 8 <= K; k += 8)
    a0 = _mm256_fmadd_ps(BITNET_F16_LOAD(k), _mm256_loadu_ps(x + k), a0);
#undef BITNET_F16_LOAD
  bitnet_f16_store(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)), x, w, k, K, y);
}

/* The Halide extern stage: x is [k, m] f32, w is [k, n] f16 bits, y the
 * [n, m] region to compute (any rows, every token it asks for). In a bounds
 * query (a buffer without memory; the pipeline's own bounds inference passes
 * y so), asks for all of k of those rows and tokens and computes nothing.
 * Rows read for one token (the last token of a pair, rows past the last
 * tile of 4) go through bitnet_f16_row_one. */
BITNET_WEAK BITNET_F16C int bitnet_f16_matmul(halide_buffer_t *x, halide_buffer_t *w,
                                              int32_t K, halide_buffer_t *y) {
  bitnet_f16_matmul_view v;
  int32_t n, m;
  if (!bitnet_f16_matmul_view_of(x, w, K, y, &v))
    return 0;
  for (n = v.n0; n + 4 <= v.n0 + v.N; n += 4) {
    for (m = v.m0; m + 2 <= v.m0 + v.M; m += 2)
      bitnet_f16_rows4(v.x + m * v.xs, v.x + (m + 1) * v.xs, v.w + n * v.ws, v.ws, K,
                       v.y + m * v.ys + n, v.y + (m + 1) * v.ys + n);
    if (m < v.m0 + v.M) {
      int32_t r;
      for (r = 0; r < 4; ++r)
        bitnet_f16_row_one(v.x + m * v.xs, v.w + (n + r) * v.ws, K, v.y + m * v.ys + n + r);
    }
  }
  for (; n < v.n0 + v.N; ++n)
    for (m = v.m0; m < v.m0 + v.M; ++m)
      bitnet_f16_row_one(v.x + m * v.xs, v.w + n * v.ws, K, v.y + m * v.ys + n);
  return 0;
}

