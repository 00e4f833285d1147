/*===- CpuFeatures.h - Run-time CPU feature checks for Halide ----*- C -*-===*
 *
 * Halide 14's runtime cannot detect ARM's dot-product extension on Linux (it
 * assumes every feature is present), so a multi-variant kernel would run its
 * sdot variant on a CPU without sdot. bitnet_can_use_target_features asks the
 * kernel (getauxval(AT_HWCAP)) instead; install it once with
 *   halide_set_custom_can_use_target_features(bitnet_can_use_target_features);
 * before the first kernel call.
 *
 *===----------------------------------------------------------------------===*/
#ifndef BITNET_RUNTIME_CPUFEATURES_H
#define BITNET_RUNTIME_CPUFEATURES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int bitnet_can_use_target_features(int count, const uint64_t *features);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_RUNTIME_CPUFEATURES_H */
