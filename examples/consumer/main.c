/* Runs the two models that bitnet_add_model() compiled: `tiny` (weights in
 * the object) and `tiny_file` (weights in a file, int8 LM head), each on a
 * prompt and then greedily; prints the generated token ids of each. */
#include "tiny.h"      /* written by bitnet-compile, on the include path of `tiny` */
#include "tiny_file.h" /* and of `tiny_file` */

#include <stdio.h>

typedef int32_t (*forward_fn)(bitnet_state *, const int32_t *, int32_t, int32_t, int32_t,
                              float *);

static int generate(const char *label, bitnet_state *state, forward_fn forward) {
  const int32_t prompt[] = {1, 42, 7};
  static float logits[TINY_VOCAB];
  if (!state) {
    fprintf(stderr, "%s: cannot create a state\n", label);
    return 1;
  }
  int32_t status = forward(state, prompt, 3, 0, BITNET_LOGITS_LAST, logits);
  printf("%s generated token ids:", label);
  for (int32_t pos = 3; pos < 11 && status == 0; ++pos) {
    int32_t next = 0;
    for (int32_t v = 1; v < TINY_VOCAB; ++v)
      if (logits[v] > logits[next])
        next = v;
    printf(" %d", next);
    status = forward(state, &next, 1, pos, BITNET_LOGITS_LAST, logits);
  }
  printf("\n");
  bitnet_rt2_destroy(state);
  return status == 0 ? 0 : 1;
}

int main(void) {
  if (tiny_file_load_weights(TINY_FILE_WEIGHTS) != 0) {
    fprintf(stderr, "cannot load %s\n", TINY_FILE_WEIGHTS);
    return 1;
  }
  return generate("tiny", tiny_create(0, 1), tiny_forward) |
         generate("tiny_file", tiny_file_create(0, 1), tiny_file_forward);
}
