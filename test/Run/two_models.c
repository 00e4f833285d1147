/* Two compiled models in one process (Run/two-models.test): the first
 * loaded RTLD_GLOBAL, as plugin hosts do, the second RTLD_LOCAL. Each
 * library's glue and kernels must call its own runtime: bound to the
 * first's, the second's create() installed its thread-pool hooks into the
 * first, whose one-thread states then ran on Halide's pool (their profile
 * empty), and the first crashed once the second was unloaded.
 * argv: first.so first_name second.so second_name second.weights */
#include "bitnet/Runtime/ModelAPI.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  void *library;
  const bitnet_model *model;
  bitnet_state *(*create)(const bitnet_model *, int32_t, int32_t);
  int32_t (*forward)(bitnet_state *, const int32_t *, int32_t, int32_t, int32_t, float *);
  void (*reset)(bitnet_state *);
  void (*destroy)(bitnet_state *);
  int32_t (*profile)(bitnet_state *, int32_t);
  int32_t (*profile_read)(const bitnet_state *, const bitnet_profile_entry **);
  int32_t (*load_weights)(const bitnet_model *, const char *);
} model_api;

static int open_model(model_api *api, const char *path, const char *name, int mode) {
  char symbol[256];
  api->library = dlopen(path, RTLD_NOW | mode);
  if (!api->library) {
    printf("dlopen failed: %s\n", dlerror());
    return 0;
  }
  snprintf(symbol, sizeof symbol, "%s_model", name);
  api->model = (const bitnet_model *)dlsym(api->library, symbol);
  *(void **)&api->create = dlsym(api->library, "bitnet_rt2_create");
  *(void **)&api->forward = dlsym(api->library, "bitnet_rt2_forward");
  *(void **)&api->reset = dlsym(api->library, "bitnet_rt2_reset");
  *(void **)&api->destroy = dlsym(api->library, "bitnet_rt2_destroy");
  *(void **)&api->profile = dlsym(api->library, "bitnet_rt2_profile");
  *(void **)&api->profile_read = dlsym(api->library, "bitnet_rt2_profile_read");
  *(void **)&api->load_weights = dlsym(api->library, "bitnet_rt2_load_weights");
  if (!api->model || !api->create || !api->forward || !api->reset || !api->destroy ||
      !api->profile || !api->profile_read || !api->load_weights) {
    printf("%s: no %s or model API\n", path, symbol);
    return 0;
  }
  return 1;
}

/* Logits of a fixed prompt on a one-thread state, and whether the state's
 * profile saw its parallel loops (it sees none when the loops ran on
 * another runtime's pool). */
static int run(model_api *api, bitnet_state *s, float *logits, int *profiled) {
  static const int32_t tokens[10] = {1, 5, 9, 200, 17, 33, 2, 250, 100, 7};
  const bitnet_profile_entry *entries;
  api->reset(s);
  api->profile(s, 1);
  if (api->forward(s, tokens, 10, 0, BITNET_LOGITS_LAST, logits) != 0)
    return 0;
  *profiled = api->profile_read(s, &entries);
  api->profile(s, 0);
  return 1;
}

/* Runs the first model again and prints, after `when`, its profile and
 * whether its logits are still `before`; 0 when it does not run. */
static int rerun_first(model_api *first, bitnet_state *s, const float *before, float *after,
                       const char *when) {
  int profiled = 0;
  if (!run(first, s, after, &profiled)) {
    printf("the first model does not run %s\n", when);
    return 0;
  }
  printf("first %s: %d loops profiled, logits %s\n", when, profiled,
         memcmp(before, after, sizeof(float) * (size_t)first->model->vocab) ? "differ" : "same");
  return 1;
}

int main(int argc, char **argv) {
  model_api first, second;
  bitnet_state *s1, *s2;
  float *before, *after, *other;
  int profiled = 0;
  if (argc != 6) {
    fprintf(stderr, "usage: %s first.so name second.so name second.weights\n", argv[0]);
    return 2;
  }
  if (!open_model(&first, argv[1], argv[2], RTLD_GLOBAL) ||
      !open_model(&second, argv[3], argv[4], RTLD_LOCAL))
    return 1;
  if (second.load_weights(second.model, argv[5]) != 0) {
    printf("cannot load %s\n", argv[5]);
    return 1;
  }
  before = malloc(sizeof(float) * (size_t)first.model->vocab);
  after = malloc(sizeof(float) * (size_t)first.model->vocab);
  other = malloc(sizeof(float) * (size_t)second.model->vocab);
  s1 = first.create(first.model, 0, 1);
  if (!before || !after || !other || !s1 || !run(&first, s1, before, &profiled)) {
    printf("the first model does not run\n");
    return 1;
  }
  printf("first alone: %d loops profiled\n", profiled);
  s2 = second.create(second.model, 0, 1);
  if (!s2 || !run(&second, s2, other, &profiled)) {
    printf("the second model does not run\n");
    return 1;
  }
  printf("second: %d loops profiled\n", profiled);
  if (!rerun_first(&first, s1, before, after, "after the second"))
    return 1;
  second.destroy(s2);
  dlclose(second.library);
  if (!rerun_first(&first, s1, before, after, "after the second is unloaded"))
    return 1;
  first.destroy(s1);
  free(before);
  free(after);
  free(other);
  return 0;
}
