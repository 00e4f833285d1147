/* TernaryDotAVXVNNI.c - ternary weights times int8 activations with AVX-VNNI.
 *
 * x86 CPUs with AVX2 and AVX-VNNI but no AVX-512 (Intel Alder Lake and
 * later client cores, Sierra Forest) have the 4-way u8 x s8 dot product
 * vpdpbusd on 256-bit vectors. Halide 14 has no target feature for it, so
 * the BitLinear kernels of the x86-64-avxvnni target compute their integer
 * dot products here, as a Halide extern stage over each parallel task's
 * rows (lib/Kernels/KernelGen.cpp); the kernel applies the scales as on
 * every other target. Linked into every x86-64-avxvnni model with the rest
 * of the run-time support; weak, like the model API, so that several models
 * link into one program.
 *
 * Weights are offset2-packed (bitnet/Reference/Packing.h) in tiles of tn rows
 * x 128 columns: each row of a tile is 32 bytes, and bits 2s..2s+1 of byte j
 * hold the code u = w + 1 (0..2) of column 32 s + j of the tile. So one
 * 32-byte load, shifted by 2s and masked, is the codes of 32 consecutive
 * columns: exactly the operand vpdpbusd multiplies with 32 consecutive
 * activation bytes. dot[n][m] = sum_k u[n][k] * q[m][k], exact in int32
 * (|dot| <= 2 * 128 * K); the kernel subtracts sum_k q[m][k].
 */
#include "ExternStage.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define BITNET_WEAK __attribute__((weak))
#define BITNET_AVXVNNI __attribute__((target("avx2,avxvnni")))

enum { kTileCols = 128, kRowBytes = 32 };

BITNET_AVXVNNI static inline int32_t bitnet_vnni_sum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/* The codes of slot s of a 32-byte tile row: 32 bytes of 0..2. */
#define BITNET_VNNI_CODES(bytes, s)                                                        \
  _mm256_and_si256(_mm256_srli_epi16((bytes), 2 * (s)), _mm256_set1_epi8(3))

/* Up to 4 tokens of one row: the row's codes are decoded once per tile for
 * all of them. `q[t]` are the tokens' activations (column tiles of 128,
 * the last one padded with zeros), `w` the row's first tile row and
 * `stride` the bytes from one of its tile rows to the next. Two
 * accumulators a token (16 vpdpbusd a tile for 4 tokens, as many as this
 * Zen 5 core issues in the chains' latency; products into fresh registers
 * and added measured 11% slower). */
BITNET_AVXVNNI static void bitnet_vnni_row(const uint8_t *w, int64_t stride, int32_t tiles,
                                           const int8_t *const q[4], int32_t tokens,
                                           int32_t dot[4]) {
  __m256i a[4][2];
  int32_t t, c;
  for (t = 0; t < 4; ++t)
    a[t][0] = a[t][1] = _mm256_setzero_si256();
  for (c = 0; c < tiles; ++c) {
    const __m256i bytes = _mm256_loadu_si256((const __m256i *)(w + c * stride));
    const __m256i u0 = BITNET_VNNI_CODES(bytes, 0), u1 = BITNET_VNNI_CODES(bytes, 1);
    const __m256i u2 = BITNET_VNNI_CODES(bytes, 2), u3 = BITNET_VNNI_CODES(bytes, 3);
    for (t = 0; t < tokens; ++t) {
      const int8_t *x = q[t] + (int64_t)c * kTileCols;
      a[t][0] = _mm256_dpbusd_avx_epi32(a[t][0], u0, _mm256_loadu_si256((const __m256i *)x));
      a[t][1] =
          _mm256_dpbusd_avx_epi32(a[t][1], u1, _mm256_loadu_si256((const __m256i *)(x + 32)));
      a[t][0] =
          _mm256_dpbusd_avx_epi32(a[t][0], u2, _mm256_loadu_si256((const __m256i *)(x + 64)));
      a[t][1] =
          _mm256_dpbusd_avx_epi32(a[t][1], u3, _mm256_loadu_si256((const __m256i *)(x + 96)));
    }
  }
  for (t = 0; t < tokens; ++t)
    dot[t] = bitnet_vnni_sum(_mm256_add_epi32(a[t][0], a[t][1]));
}

/* Adds one tile of a row (32 bytes at w) times one token's 128 activations
 * at x to four accumulators, one per code slot. */
BITNET_AVXVNNI static inline void bitnet_vnni_tile(__m256i a[4], const uint8_t *w,
                                                   const int8_t *x) {
  const __m256i u = _mm256_loadu_si256((const __m256i *)w);
  a[0] = _mm256_dpbusd_avx_epi32(a[0], BITNET_VNNI_CODES(u, 0),
                                 _mm256_loadu_si256((const __m256i *)x));
  a[1] = _mm256_dpbusd_avx_epi32(a[1], BITNET_VNNI_CODES(u, 1),
                                 _mm256_loadu_si256((const __m256i *)(x + 32)));
  a[2] = _mm256_dpbusd_avx_epi32(a[2], BITNET_VNNI_CODES(u, 2),
                                 _mm256_loadu_si256((const __m256i *)(x + 64)));
  a[3] = _mm256_dpbusd_avx_epi32(a[3], BITNET_VNNI_CODES(u, 3),
                                 _mm256_loadu_si256((const __m256i *)(x + 96)));
}

/* One token, one row: two tiles an iteration into eight accumulators (one
 * per code slot and tile parity), so that the vpdpbusd chains, not their
 * latency, set the pace and a single token's rows stream at memory speed. */
BITNET_AVXVNNI static int32_t bitnet_vnni_row1(const uint8_t *w, int64_t stride, int32_t tiles,
                                               const int8_t *x) {
  __m256i a[4], b[4];
  int32_t c;
  for (c = 0; c < 4; ++c)
    a[c] = b[c] = _mm256_setzero_si256();
  for (c = 0; c + 2 <= tiles; c += 2) {
    bitnet_vnni_tile(a, w + c * stride, x + (int64_t)c * kTileCols);
    bitnet_vnni_tile(b, w + (c + 1) * stride, x + (int64_t)(c + 1) * kTileCols);
  }
  if (c < tiles)
    bitnet_vnni_tile(a, w + c * stride, x + (int64_t)c * kTileCols);
  for (c = 0; c < 4; ++c)
    a[c] = _mm256_add_epi32(a[c], b[c]);
  return bitnet_vnni_sum(
      _mm256_add_epi32(_mm256_add_epi32(a[0], a[1]), _mm256_add_epi32(a[2], a[3])));
}

/* The Halide extern stage. q is [k, m] int8 activations, w the packed
 * weights (1-D bytes), N and K the matrix's logical size and tn its tile
 * rows; dot is the [n, m] region to compute (any rows, any tokens; rows at
 * or past N get 0). In a bounds query (a buffer without memory) it asks for
 * all of k of those tokens and the bytes of those rows' tiles. */
BITNET_WEAK BITNET_AVXVNNI int bitnet_ternary_dot_avxvnni(halide_buffer_t *q,
                                                          halide_buffer_t *w, int32_t N,
                                                          int32_t K, int32_t tn,
                                                          halide_buffer_t *dot) {
  const int32_t n0 = dot->dim[0].min, rows = dot->dim[0].extent;
  const int32_t m0 = dot->dim[1].min, M = dot->dim[1].extent;
  const int32_t tiles = (K + kTileCols - 1) / kTileCols;
  const int64_t tileBytes = (int64_t)tn * kRowBytes;
  const int64_t bandBytes = tileBytes * tiles; /* one row of tiles */
  const int32_t stored = (N + tn - 1) / tn * tn;
  /* The rows of the region that exist, and the tile rows that hold them. */
  const int32_t first = n0 < stored ? n0 : stored;
  const int32_t last = n0 + rows < stored ? n0 + rows : stored;
  if (bitnet_is_bounds_query(q) || bitnet_is_bounds_query(w) ||
      bitnet_is_bounds_query(dot)) {
    if (bitnet_is_bounds_query(q)) {
      q->dim[0].min = 0;
      q->dim[0].extent = K;
      q->dim[1].min = m0;
      q->dim[1].extent = M;
    }
    if (bitnet_is_bounds_query(w)) {
      const int64_t begin = first / tn * bandBytes;
      const int64_t end = last > first ? (int64_t)((last - 1) / tn + 1) * bandBytes : begin;
      w->dim[0].min = (int32_t)begin;
      w->dim[0].extent = (int32_t)(end - begin > 0 ? end - begin : 1);
    }
    return 0;
  }
  const int8_t *qp = (const int8_t *)q->host - (int64_t)q->dim[1].min * q->dim[1].stride -
                     q->dim[0].min;
  const uint8_t *wp = (const uint8_t *)w->host - w->dim[0].min;
  int32_t *dp = (int32_t *)dot->host - (int64_t)m0 * dot->dim[1].stride - n0;
  const int64_t qs = q->dim[1].stride, ds = dot->dim[1].stride;
  /* Activations in whole tiles: a token whose K is not a multiple of 128 is
   * copied with zeros after it (padded columns hold the code of a zero
   * weight, 1, which must meet a zero activation). */
  const int padded = K % kTileCols != 0;
  int8_t *copies = NULL;
  if (padded) {
    copies = (int8_t *)halide_malloc(NULL, (size_t)4 * tiles * kTileCols);
    if (!copies)
      return -1;
  }
  int32_t m, n, t;
  for (m = m0; m < m0 + M; m += 4) {
    const int32_t tokens = m0 + M - m < 4 ? m0 + M - m : 4;
    const int8_t *x[4];
    for (t = 0; t < tokens; ++t) {
      x[t] = qp + (int64_t)(m + t) * qs;
      if (padded) {
        int8_t *copy = copies + (int64_t)t * tiles * kTileCols;
        memset(copy, 0, (size_t)tiles * kTileCols);
        memcpy(copy, x[t], (size_t)K);
        x[t] = copy;
      }
    }
    if (tokens == 1) {
      for (n = n0; n < n0 + rows; ++n)
        dp[(int64_t)m * ds + n] =
            n < stored ? bitnet_vnni_row1(wp + (int64_t)(n / tn) * bandBytes +
                                              (int64_t)(n % tn) * kRowBytes,
                                          tileBytes, tiles, x[0])
                       : 0;
      continue;
    }
    for (n = n0; n < n0 + rows; ++n) {
      int32_t sums[4] = {0, 0, 0, 0};
      if (n < stored) {
        const uint8_t *row = wp + (int64_t)(n / tn) * bandBytes + (int64_t)(n % tn) * kRowBytes;
        bitnet_vnni_row(row, tileBytes, tiles, x, tokens, sums);
      }
      for (t = 0; t < tokens; ++t)
        dp[(int64_t)(m + t) * ds + n] = sums[t];
    }
  }
  if (copies)
    halide_free(NULL, copies);
  return 0;
}
