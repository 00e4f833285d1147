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

#ifdef BITNET_REPLACE_HALIDE_DEFAULT
/* Every model object carries a copy: weak, so several models link together. */
__attribute__((weak))
#endif
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

#ifdef BITNET_REPLACE_HALIDE_DEFAULT
/* Linked into arm64-dotprod models by bitnet-compile ahead of the Halide
 * runtime, whose default is also weak: `ld -r` keeps the first definition,
 * so the model's dispatcher asks the kernel about the dot-product extension
 * without any set-up call. Halide 14 assumes every other ARM feature is
 * present; so does this. Weak, so that several models link together. */
__attribute__((weak)) int
halide_default_can_use_target_features(int count, const uint64_t *features) {
  if (has_feature(features, count, halide_target_feature_arm_dot_prod)) {
#if defined(__aarch64__) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    return 0;
#endif
  }
  return 1;
}
#endif
