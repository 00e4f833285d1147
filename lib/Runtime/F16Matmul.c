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
 * y[m][n] = sum_k x[m][k] * float(w[n][k]), summed in f32 in 8 lanes of k,
 * then across lanes, then the tail of k: every f16 bit pattern (subnormals,
 * infinities, NaNs) converts exactly; the sum's association differs from the
 * reference's sequential one, so results match it to float rounding.
 */
#include "HalideRuntime.h"

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

/* Rows n0 .. n0 + R - 1 for tokens m0 .. m0 + T - 1 (R <= 4, T <= 2, both
 * constants after inlining): each weight vector is converted once for the T
 * tokens; R * T accumulators stay in registers. */
BITNET_F16C static inline __attribute__((always_inline)) void
bitnet_f16_tile(int R, int T, const float *x, int64_t xStride, const uint16_t *w,
                int64_t wStride, float *y, int64_t yStride, int32_t K, int32_t n0,
                int32_t m0) {
  __m256 acc[4][2];
  int32_t r, t, k;
  for (r = 0; r < R; ++r)
    for (t = 0; t < T; ++t)
      acc[r][t] = _mm256_setzero_ps();
  for (k = 0; k + 8 <= K; k += 8) {
    __m256 xv[2];
    for (t = 0; t < T; ++t)
      xv[t] = _mm256_loadu_ps(x + (int64_t)(m0 + t) * xStride + k);
    for (r = 0; r < R; ++r) {
      __m256 wv = _mm256_cvtph_ps(
          _mm_loadu_si128((const __m128i *)(w + (int64_t)(n0 + r) * wStride + k)));
      for (t = 0; t < T; ++t)
        acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  for (r = 0; r < R; ++r)
    for (t = 0; t < T; ++t) {
      const float *xr = x + (int64_t)(m0 + t) * xStride;
      const uint16_t *wr = w + (int64_t)(n0 + r) * wStride;
      float sum = bitnet_sum8(acc[r][t]);
      int32_t j;
      for (j = k; j < K; ++j)
        sum += xr[j] * _cvtsh_ss(wr[j]);
      y[(int64_t)(m0 + t) * yStride + (n0 + r)] = sum;
    }
}

static int bitnet_is_bounds_query(const halide_buffer_t *b) {
  return b->host == NULL && b->device == 0;
}

/* The Halide extern stage: x is [k, m] f32, w is [k, n] f16 bits, y the
 * [n, m] region to compute (any rows, every token it asks for). In a bounds
 * query (a buffer without memory; the pipeline's own bounds inference passes
 * y so), asks for all of k of those rows and tokens and computes nothing. */
BITNET_WEAK BITNET_F16C int bitnet_f16_matmul(halide_buffer_t *x, halide_buffer_t *w,
                                              int32_t K, halide_buffer_t *y) {
  const int32_t n0 = y->dim[0].min, N = y->dim[0].extent;
  const int32_t m0 = y->dim[1].min, M = y->dim[1].extent;
  int32_t n, m;
  if (bitnet_is_bounds_query(x) || bitnet_is_bounds_query(w) ||
      bitnet_is_bounds_query(y)) {
    if (bitnet_is_bounds_query(x)) {
      x->dim[0].min = 0;
      x->dim[0].extent = K;
      x->dim[1].min = m0;
      x->dim[1].extent = M;
    }
    if (bitnet_is_bounds_query(w)) {
      w->dim[0].min = 0;
      w->dim[0].extent = K;
      w->dim[1].min = n0;
      w->dim[1].extent = N;
    }
    return 0;
  }
  /* Element (k, i) of each buffer relative to its own origin. */
  const float *xp = (const float *)x->host - (int64_t)x->dim[1].min * x->dim[1].stride -
                    x->dim[0].min;
  const uint16_t *wp = (const uint16_t *)w->host -
                       (int64_t)w->dim[1].min * w->dim[1].stride - w->dim[0].min;
  float *yp = (float *)y->host - (int64_t)m0 * y->dim[1].stride - n0;
  const int64_t xs = x->dim[1].stride, ws = w->dim[1].stride, ys = y->dim[1].stride;
  for (n = n0; n + 4 <= n0 + N; n += 4) {
    for (m = m0; m + 2 <= m0 + M; m += 2)
      bitnet_f16_tile(4, 2, xp, xs, wp, ws, yp, ys, K, n, m);
    if (m < m0 + M)
      bitnet_f16_tile(4, 1, xp, xs, wp, ws, yp, ys, K, n, m);
  }
  for (; n < n0 + N; ++n)
    for (m = m0; m < m0 + M; ++m)
      bitnet_f16_tile(1, 1, xp, xs, wp, ws, yp, ys, K, n, m);
  return 0;
}
