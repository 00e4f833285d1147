/* F16MatmulNeon.c - f32 activations times f16 weights on AArch64.
 *
 * Halide 14 converts f16 to f32 with integer operations on ARM as on x86
 * (it keeps the hardware conversion for targets with FP16 arithmetic, whose
 * instructions ARMv8.0 cores lack). Every AArch64 core converts four f16
 * values to f32 in one instruction (fcvtl, vcvt_f32_f16), so the f16
 * float_matmul kernels of ARM targets (the LM head) call this function, as
 * a Halide extern stage over each parallel task's rows
 * (lib/Kernels/KernelGen.cpp). Linked into every ARM model with the rest of
 * the run-time support; weak, so that several models link into one program.
 *
 * y[m][n] = sum_k x[m][k] * float(w[n][k]), summed in f32 in four vectors of
 * 4 lanes, then across them, then the tail of k: every f16 bit pattern
 * converts exactly (fcvtl quiets a signalling NaN, which stays a NaN); the
 * sum's association differs from the reference's sequential one, so results
 * match it to float rounding.
 */
#include "ExternStage.h"

#include <arm_neon.h>
#include <string.h>

#define BITNET_WEAK __attribute__((weak))

static inline float bitnet_neon_half(uint16_t bits) {
  float16_t h;
  memcpy(&h, &bits, sizeof h);
  return (float)h;
}

/* One row for one token: 16 weights an iteration into four accumulators. */
static void bitnet_f16_row_neon(const float *x, const uint16_t *w, int32_t K, float *y) {
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
  int32_t k;
  for (k = 0; k + 16 <= K; k += 16) {
    const float16x8_t h0 = vreinterpretq_f16_u16(vld1q_u16(w + k));
    const float16x8_t h1 = vreinterpretq_f16_u16(vld1q_u16(w + k + 8));
    a0 = vfmaq_f32(a0, vcvt_f32_f16(vget_low_f16(h0)), vld1q_f32(x + k));
    a1 = vfmaq_f32(a1, vcvt_high_f32_f16(h0), vld1q_f32(x + k + 4));
    a2 = vfmaq_f32(a2, vcvt_f32_f16(vget_low_f16(h1)), vld1q_f32(x + k + 8));
    a3 = vfmaq_f32(a3, vcvt_high_f32_f16(h1), vld1q_f32(x + k + 12));
  }
  for (; k + 4 <= K; k += 4)
    a0 = vfmaq_f32(a0, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(w + k))), vld1q_f32(x + k));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
  for (; k < K; ++k)
    sum += x[k] * bitnet_neon_half(w[k]);
  *y = sum;
}

/* The Halide extern stage: x is [k, m] f32, w is [k, n] f16 bits, y the
 * [n, m] region to compute (any rows, every token it asks for). C linkage
 * also where a test builds this file as C++. */
#ifdef __cplusplus
extern "C"
#endif
BITNET_WEAK int bitnet_f16_matmul_neon(halide_buffer_t *x, halide_buffer_t *w, int32_t K,
                                       halide_buffer_t *y) {
  bitnet_f16_matmul_view v;
  int32_t n, m;
  if (!bitnet_f16_matmul_view_of(x, w, K, y, &v))
    return 0;
  for (n = v.n0; n < v.n0 + v.N; ++n)
    for (m = v.m0; m < v.m0 + v.M; ++m)
      bitnet_f16_row_neon(v.x + m * v.xs, v.w + n * v.ws, K, v.y + m * v.ys + n);
  return 0;
}
