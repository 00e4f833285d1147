/* ModelAPI.c - the model API linked into every compiled object.
 *
 * Built for each architecture bitnet-compile targets and joined into the
 * object with ld -r. Definitions are weak: two models in one program carry
 * identical copies and the linker keeps one.
 */
#include "bitnet/Runtime/ModelAPI.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BITNET_WEAK __attribute__((weak))

/* From the Halide runtime linked into the same object (HalideRuntime.h). */
typedef int (*halide_task_t)(void *user_context, int task_number, uint8_t *closure);
typedef int (*halide_do_par_for_t)(void *, halide_task_t, int, int, uint8_t *);
halide_do_par_for_t halide_set_custom_do_par_for(halide_do_par_for_t do_par_for);
int halide_default_do_par_for(void *user_context, halide_task_t task, int min, int size,
                              uint8_t *closure);

/* The thread budget of the forward pass running on this thread. Halide calls
 * do_par_for without anything that identifies the state, and the kernels'
 * top-level parallel loops run on the thread that called forward, so a
 * thread-local is how the budget reaches them (0: no limit). */
static _Thread_local int32_t bitnet_thread_budget;

typedef struct bitnet_chunks {
  halide_task_t task;
  uint8_t *closure;
  int min, size, groups;
} bitnet_chunks;

/* Group g of a loop split into `groups` contiguous ranges, run serially. */
static int bitnet_run_chunk(void *user_context, int g, uint8_t *closure) {
  const bitnet_chunks *k = (const bitnet_chunks *)closure;
  int begin = k->min + (int)((int64_t)k->size * g / k->groups);
  int end = k->min + (int)((int64_t)k->size * (g + 1) / k->groups);
  int i;
  for (i = begin; i < end; ++i) {
    int status = k->task(user_context, i, k->closure);
    if (status != 0)
      return status;
  }
  return 0;
}

/* A parallel loop of `size` tasks on at most the budget's threads: as many
 * groups as threads, each a serial run of tasks. */
static int bitnet_do_par_for(void *user_context, halide_task_t task, int min, int size,
                             uint8_t *closure) {
  int32_t budget = bitnet_thread_budget;
  bitnet_chunks k;
  if (budget != 1 && (budget <= 0 || size <= budget))
    return halide_default_do_par_for(user_context, task, min, size, closure);
  k.task = task;
  k.closure = closure;
  k.min = min;
  k.size = size;
  k.groups = budget;
  if (budget == 1) /* the calling thread alone, without the pool */
    return bitnet_run_chunk(user_context, 0, (uint8_t *)&k);
  return halide_default_do_par_for(user_context, bitnet_run_chunk, 0, budget, (uint8_t *)&k);
}

BITNET_WEAK bitnet_state *bitnet_rt1_create(const bitnet_model *model, int32_t context,
                                            int32_t threads) {
  bitnet_state *s;
  size_t floats;
  if (!model || model->abi_version != BITNET_MODEL_ABI)
    return NULL;
  if (model->weights_loaded && !*model->weights_loaded)
    return NULL;
  s = (bitnet_state *)calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  s->model = model;
  s->context = (context <= 0 || context > model->context) ? (int32_t)model->context : context;
  floats = (size_t)model->layers * (size_t)model->context * (size_t)model->kv_dim;
  s->k_cache = (float *)calloc(floats, sizeof(float));
  s->v_cache = (float *)calloc(floats, sizeof(float));
  if (!s->k_cache || !s->v_cache) {
    free(s->k_cache);
    free(s->v_cache);
    free(s);
    return NULL;
  }
  s->threads = threads > 0 ? threads : 0;
  halide_set_custom_do_par_for(bitnet_do_par_for);
  return s;
}

BITNET_WEAK int32_t bitnet_rt1_forward(bitnet_state *s, const int32_t *tokens, int32_t count,
                                       int32_t pos, float *logits) {
  const bitnet_model *m = s->model;
  int32_t i, left;
  int64_t e;
  if (count < 0 || pos < 0 || pos > s->context - count)
    return -1;
  for (i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= m->vocab)
      return -1;
  /* Check that the chunking covers `count` before running anything. */
  for (left = count; left > 0;) {
    for (e = 0; e < m->entry_count && m->entries[e].tokens > left; ++e) {
    }
    if (e == m->entry_count)
      return -1;
    left -= (int32_t)m->entries[e].tokens;
  }
  while (count > 0) {
    int32_t status, n, outer = bitnet_thread_budget;
    for (e = 0; m->entries[e].tokens > count; ++e) {
    }
    n = (int32_t)m->entries[e].tokens;
    bitnet_thread_budget = s->threads;
    status = m->entries[e].fn(tokens, pos, s->k_cache, s->v_cache, logits);
    bitnet_thread_budget = outer;
    if (status != 0)
      return status;
    tokens += n;
    pos += n;
    count -= n;
    logits += (size_t)n * (size_t)m->vocab;
  }
  return 0;
}

BITNET_WEAK void bitnet_rt1_reset(bitnet_state *s) {
  size_t floats = (size_t)s->model->layers * (size_t)s->model->context * (size_t)s->model->kv_dim;
  memset(s->k_cache, 0, sizeof(float) * floats);
  memset(s->v_cache, 0, sizeof(float) * floats);
}

BITNET_WEAK void bitnet_rt1_destroy(bitnet_state *s) {
  if (!s)
    return;
  free(s->k_cache);
  free(s->v_cache);
  free(s);
}

BITNET_WEAK int32_t bitnet_rt1_load_weights(const bitnet_model *m, const char *path) {
  unsigned char head[64];
  uint64_t info[3];
  int64_t i;
  FILE *f;
  if (!m->weights_loaded)
    return -1;
  f = fopen(path, "rb");
  if (!f)
    return -2;
  if (fread(head, 1, 64, f) != 64 || memcmp(head, "BITNETW\1", 8) != 0) {
    fclose(f);
    return -3;
  }
  for (i = 0; i < 3; ++i) {
    int b;
    info[i] = 0;
    for (b = 7; b >= 0; --b)
      info[i] = (info[i] << 8) | head[8 + 8 * i + b];
    if (info[i] != m->weights_info[i]) {
      fclose(f);
      return -4;
    }
  }
  for (i = 0; i < (int64_t)info[1]; ++i) {
    const bitnet_weight_slot *slot = &m->weight_slots[i];
    if (fseek(f, (long)slot->offset, SEEK_SET) != 0 ||
        fread(slot->data, 1, (size_t)slot->bytes, f) != (size_t)slot->bytes) {
      fclose(f);
      return -5;
    }
  }
  fclose(f);
  *m->weights_loaded = 1;
  return 0;
}
