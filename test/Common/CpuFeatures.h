//===- CpuFeatures.h - What the x86 targets need of the CPU -----*- C++ -*-===//
//
// The checks bitnet-compile's host detection and the model API make for the
// x86 targets, for tests that run a target's code only where the CPU has
// it (x86 builds only).
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_TEST_COMMON_CPUFEATURES_H
#define BITNET_TEST_COMMON_CPUFEATURES_H

namespace bitnet {
namespace test {

/// x86-64-avxvnni: AVX2 and AVX-VNNI.
inline bool cpuHasAvxVnni() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni");
}

/// x86-64-avx512: AVX-512 F, BW, VL and VNNI.
inline bool cpuHasAvx512Vnni() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

} // namespace test
} // namespace bitnet

#endif // BITNET_TEST_COMMON_CPUFEATURES_H
