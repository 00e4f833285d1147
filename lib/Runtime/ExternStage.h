/* ExternStage.h - what the run-time support's Halide extern stages share.
 *
 * An extern stage is called twice per region: first as a bounds query (its
 * buffers without memory), where it names the input regions it reads, then
 * to compute. Matmul stages read, for an output region [n0, n0 + N) x
 * [m0, m0 + M) of y[n][m], all K columns of those tokens of x[m][k] and of
 * those rows of w[n][k].
 */
#ifndef BITNET_RUNTIME_EXTERNSTAGE_H
#define BITNET_RUNTIME_EXTERNSTAGE_H

#include "HalideRuntime.h"

#include <stdint.h>

static inline int bitnet_is_bounds_query(const halide_buffer_t *b) {
  return b->host == NULL && b->device == 0;
}

/* For a matmul stage: 1 if this call is a bounds query (then the regions of
 * x and w it reads are filled in), 0 if it computes. */
static inline int bitnet_matmul_bounds_query(halide_buffer_t *x, halide_buffer_t *w,
                                             int32_t K, const halide_buffer_t *y) {
  if (!bitnet_is_bounds_query(x) && !bitnet_is_bounds_query(w) && !bitnet_is_bounds_query(y))
    return 0;
  if (bitnet_is_bounds_query(x)) {
    x->dim[0].min = 0;
    x->dim[0].extent = K;
    x->dim[1].min = y->dim[1].min;
    x->dim[1].extent = y->dim[1].extent;
  }
  if (bitnet_is_bounds_query(w)) {
    w->dim[0].min = 0;
    w->dim[0].extent = K;
    w->dim[1].min = y->dim[0].min;
    w->dim[1].extent = y->dim[0].extent;
  }
  return 1;
}

/* Element (k, i) of a [k, i] buffer, from its own origin: element k of row
 * i is at the result + i * dim[1].stride + k. */
static inline const void *bitnet_matmul_origin(const halide_buffer_t *b, int bytes) {
  return (const char *)b->host -
         ((int64_t)b->dim[1].min * b->dim[1].stride + b->dim[0].min) * bytes;
}

/* An f16 matmul stage's call (x [k, m] f32, w [k, n] f16 bits, y [n, m]):
 * the region of y to compute and each buffer from its own origin, row i of
 * one at base + i * stride. */
typedef struct bitnet_f16_matmul_view {
  int32_t n0, N, m0, M;
  const float *x;
  const uint16_t *w;
  float *y;
  int64_t xs, ws, ys;
} bitnet_f16_matmul_view;

/* 0 after a bounds query (the regions filled in: nothing to compute), else
 * 1 with `v` set. */
static inline int bitnet_f16_matmul_view_of(halide_buffer_t *x, halide_buffer_t *w, int32_t K,
                                            halide_buffer_t *y, bitnet_f16_matmul_view *v) {
  if (bitnet_matmul_bounds_query(x, w, K, y))
    return 0;
  v->n0 = y->dim[0].min;
  v->N = y->dim[0].extent;
  v->m0 = y->dim[1].min;
  v->M = y->dim[1].extent;
  v->x = (const float *)bitnet_matmul_origin(x, sizeof(float));
  v->w = (const uint16_t *)bitnet_matmul_origin(w, sizeof(uint16_t));
  v->y = (float *)bitnet_matmul_origin(y, sizeof(float));
  v->xs = x->dim[1].stride;
  v->ws = w->dim[1].stride;
  v->ys = y->dim[1].stride;
  return 1;
}

#endif /* BITNET_RUNTIME_EXTERNSTAGE_H */
