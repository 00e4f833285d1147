/* Runs the bundled tiny model, compiled through the reference pipeline:
 * feeds a prompt one token at a time, then generates greedily, and prints
 * the generated token ids and the speed. Usage: bitnet-example-tiny [N]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The compiled forward function (bare-pointer ABI of the reference pipeline):
 * tokens[1], position, K cache, V cache (updated in place), logits[VOCAB]. */
void tiny_m1(const int32_t *tokens, int32_t pos, float *k_cache,
             float *v_cache, float *logits);

static int32_t argmax(const float *v, int n) {
  int32_t best = 0;
  for (int i = 1; i < n; ++i)
    if (v[i] > v[best])
      best = i;
  return best;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  const int32_t prompt[] = {1, 42, 7};
  const int n_prompt = sizeof(prompt) / sizeof(prompt[0]);
  int n_generate = argc > 1 ? atoi(argv[1]) : 16;
  if (n_generate < 1 || n_prompt + n_generate > TINY_CONTEXT) {
    fprintf(stderr, "usage: %s [N], 1 <= N <= %d\n", argv[0],
            TINY_CONTEXT - n_prompt);
    return 2;
  }
  size_t cache_floats = (size_t)TINY_LAYERS * TINY_CONTEXT * (TINY_KV_DIM);
  float *k_cache = calloc(cache_floats, sizeof(float));
  float *v_cache = calloc(cache_floats, sizeof(float));
  float logits[TINY_VOCAB];
  if (!k_cache || !v_cache) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  printf("prompt token ids:");
  for (int i = 0; i < n_prompt; ++i)
    printf(" %d", prompt[i]);
  printf("\n");

  double start = now();
  int32_t pos = 0, next = 0;
  for (; pos < n_prompt; ++pos)
    tiny_m1(&prompt[pos], pos, k_cache, v_cache, logits);
  next = argmax(logits, TINY_VOCAB);
  double prompt_done = now();
  printf("generated token ids:");
  for (int i = 0; i < n_generate; ++i, ++pos) {
    printf(" %d", next);
    tiny_m1(&next, pos, k_cache, v_cache, logits);
    next = argmax(logits, TINY_VOCAB);
  }
  double end = now();
  printf("\nprompt: %d tokens, %.1f tokens/s; generation: %d tokens, %.1f "
         "tokens/s (reference pipeline: unoptimised loops)\n",
         n_prompt, n_prompt / (prompt_done - start), n_generate,
         n_generate / (end - prompt_done));
  free(k_cache);
  free(v_cache);
  return 0;
}
