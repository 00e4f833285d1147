/*===- CpuFeatures.c - Run-time CPU feature checks for Halide -------------===*/

#include "bitnet/Runtime/CpuFeatures.h"

#include "HalideRuntime.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

static int has_feature(const uint64_t *features, int count, int feature) {
  int word = feature / 64;
  return word < count && ((features[word] >> (feature % 64)) & 1);
}

int bitnet_can_use_target_features(int count, const uint64_t *features) {
  if (has_feature(features, count, halide_target_feature_arm_dot_prod)) {
#if defined(__aarch64__) && defined(__linux__)
    if (!(getauxval(AT_HWCAP) & HWCAP_ASIMDDP))
      return 0;
#else
    return 0;
#endif
  }
  return halide_default_can_use_target_features(count, features);
}
