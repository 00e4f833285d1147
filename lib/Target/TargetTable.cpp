//===- TargetTable.cpp - Layout and tile tables per target ----------------===//

#include "bitnet/Target/TargetTable.h"
#include "bitnet/Runtime/ModelAPI.h"

#include <limits>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace bitnet {
namespace target {

namespace {

constexpr int64_t kAny = std::numeric_limits<int64_t>::max();
using ref::PackFormat;
using kernels::KernelTarget;

// Tiles: tileK covers 32 bytes of 2-bit codes per row (one AVX2 register,
// two NEON registers) and tileN the rows that share one activation load
// (NEON, VNNI). The AVX2 kernel decodes a row at a time and keeps the
// activations in L1 instead, so there one-row tiles make each row's codes
// one sequential stream (measured: bench/). Matrices narrower than a tile
// use the smallest legal tile so that padding stays small.
std::vector<LayoutRule> cpuRules(int64_t rowBytes, int64_t tileN) {
  using ref::WeightKind;
  return {
      {WeightKind::Ternary, 1, kAny, 4 * rowBytes, kAny, PackFormat::Offset2, tileN,
       4 * rowBytes, true},
      {WeightKind::Ternary, 1, kAny, 1, 4 * rowBytes - 1, PackFormat::Offset2, 1, 4, false},
      // Binary weights: 8 per byte, the same bytes per tile row.
      {WeightKind::Binary, 1, kAny, 8 * rowBytes, kAny, PackFormat::Bits1, tileN,
       8 * rowBytes, true},
      {WeightKind::Binary, 1, kAny, 1, 8 * rowBytes - 1, PackFormat::Bits1, 1, 8, false},
  };
}

// GPUs: one-row tiles of 4 bytes per row (a thread's dp4a word; a warp's
// 32 lanes read 128 neighbouring bytes of a row in the GEMV).
std::vector<LayoutRule> gpuRules() {
  using ref::WeightKind;
  return {{WeightKind::Ternary, 1, kAny, 1, kAny, PackFormat::Offset2, 1, 16, true},
          {WeightKind::Binary, 1, kAny, 1, kAny, PackFormat::Bits1, 1, 32, true}};
}

// GPU prompts in blocks of 64 tokens: eight of the GEMM's 8-token tiles
// per read of the weights from memory (the rest from L2).
constexpr int64_t kGPUPromptBlock = 64;

} // namespace

const std::vector<TargetDescription> &allTargets() {
  static const std::vector<TargetDescription> targets = {
      {"x86-64-avx2", KernelTarget::X86AVX2, "x86_64-unknown-linux-gnu",
       "x86-64 with AVX2, FMA and F16C", cpuRules(32, 1)},
      {"x86-64-avxvnni", KernelTarget::X86AVXVNNI, "x86_64-unknown-linux-gnu",
       "x86-64 with AVX2, FMA, F16C and AVX-VNNI (256-bit vpdpbusd; Intel Alder Lake "
       "and later client cores)",
       cpuRules(32, 1)},
      {"x86-64-avx512", KernelTarget::X86AVX512, "x86_64-unknown-linux-gnu",
       "x86-64 with AVX-512 and VNNI (vpdpbusd)", cpuRules(64, 4)},
      {"arm64", KernelTarget::ARM64, "aarch64-unknown-linux-gnu",
       "ARM64 with NEON", cpuRules(16, 4)},
      {"arm64-dotprod", KernelTarget::ARM64DotProd, "aarch64-unknown-linux-gnu",
       "ARM64 with the dot-product extension (sdot), NEON fallback",
       cpuRules(16, 4)},
      // Multiprocessors: A100 (sm_80) 108 SMs, H100/H200 (sm_90) 132.
      {"cuda-sm80", KernelTarget::CUDA, "x86_64-unknown-linux-gnu",
       "NVIDIA GPUs, PTX for sm_80 (runs on sm_80 and newer)", gpuRules(),
       kGPUPromptBlock, 108},
      {"cuda-sm90", KernelTarget::CUDA, "x86_64-unknown-linux-gnu",
       "NVIDIA GPUs, PTX assembled for sm_90 (Halide 14 emits sm_80 PTX)",
       gpuRules(), kGPUPromptBlock, 132},
      {"opencl", KernelTarget::OpenCL, "x86_64-unknown-linux-gnu",
       "OpenCL devices", gpuRules(), kGPUPromptBlock},
  };
  return targets;
}

const std::vector<FatTarget> &allFatTargets() {
  static const std::vector<FatTarget> fat = {
      {"x86-64",
       "x86-64 with AVX2, FMA and F16C: kernels for AVX-512 VNNI, AVX-VNNI and AVX2 "
       "in one object, the best this CPU runs chosen at create",
       {{"x86-64-avx512", "avx512", BITNET_CPU_AVX2 | BITNET_CPU_AVX512},
        {"x86-64-avxvnni", "avxvnni", BITNET_CPU_AVX2 | BITNET_CPU_AVXVNNI},
        {"x86-64-avx2", "avx2", BITNET_CPU_AVX2}}},
      {"aarch64",
       "ARM64: kernels for the dot-product extension and for NEON alone in one object, "
       "chosen at create",
       {{"arm64-dotprod", "dotprod", BITNET_CPU_ARM_DOTPROD}, {"arm64", "neon", 0}}},
  };
  return fat;
}

const FatTarget *lookupFatTarget(const std::string &name) {
  for (const FatTarget &t : allFatTargets())
    if (name == t.name)
      return &t;
  return nullptr;
}

int64_t cpuFeaturesOf(const TargetDescription &target) {
  for (const FatTarget &fat : allFatTargets())
    for (const FatTarget::Variant &v : fat.variants)
      if (target.name == std::string(v.target))
        return v.cpuFeatures;
  return 0;
}

const TargetDescription *lookupTarget(const std::string &name) {
  std::string resolved = name == "host" ? resolveHost() : name;
  for (const TargetDescription &t : allTargets())
    if (resolved == t.name)
      return &t;
  return nullptr;
}

int64_t hostCpuFeatures() {
  int64_t features = 0;
#if defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    bool avx512f = ebx & (1u << 16), avx512bw = ebx & (1u << 30);
    if (ebx & (1u << 5))
      features |= BITNET_CPU_AVX2;
    if (avx512f && avx512bw && (ecx & (1u << 11)))
      features |= BITNET_CPU_AVX512;
    // CPUID.(EAX=7, ECX=1):EAX bit 4: AVX-VNNI.
    if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)))
      features |= BITNET_CPU_AVXVNNI;
  }
#elif defined(__aarch64__) && defined(__linux__)
  if (getauxval(AT_HWCAP) & (1 << 20))
    features |= BITNET_CPU_ARM_DOTPROD;
#endif
  return features;
}

std::string resolveHost() {
  const int64_t features = hostCpuFeatures();
#if defined(__x86_64__)
  if (features & BITNET_CPU_AVX512)
    return "x86-64-avx512";
  if ((features & BITNET_CPU_AVX2) && (features & BITNET_CPU_AVXVNNI))
    return "x86-64-avxvnni";
  return (features & BITNET_CPU_AVX2) ? "x86-64-avx2" : "";
#elif defined(__aarch64__) && defined(__linux__)
  return (features & BITNET_CPU_ARM_DOTPROD) ? "arm64-dotprod" : "arm64";
#else
  (void)features;
  return "";
#endif
}

bool hostRuns(const std::string &name) {
  const int64_t features = hostCpuFeatures();
  for (const FatTarget &fat : allFatTargets())
    for (const FatTarget::Variant &v : fat.variants)
      if (name == v.target) {
#if defined(__x86_64__)
        if (fat.name != std::string("x86-64"))
          return false;
#elif defined(__aarch64__)
        if (fat.name != std::string("aarch64"))
          return false;
#else
        return false;
#endif
        return (features & v.cpuFeatures) == v.cpuFeatures;
      }
  return false;
}

int64_t defaultRowsPerTask(const TargetDescription &target, int64_t n, int64_t m) {
  if (target.gpuMultiprocessors == 0 || m > 1)
    return 0;
  int64_t rows = 8;
  while (rows > 1 && (n + rows - 1) / rows < 2 * target.gpuMultiprocessors)
    rows /= 2;
  return rows;
}

std::string chooseLayout(const TargetDescription &target, ref::WeightKind kind, int64_t n,
                         int64_t k, const TuningTable *tuning, LayoutRule &rule,
                         const TuningEntry *&entry) {
  entry = nullptr;
  for (const LayoutRule &r : target.layouts)
    if (r.kind == kind && n >= r.minN && n <= r.maxN && k >= r.minK && k <= r.maxK) {
      rule = r;
      if (tuning && r.tunable)
        entry = tuning->findBitLinear(target.name, kind, n, k);
      if (entry && entry->tileN > 0)
        rule.tileN = entry->tileN;
      return "";
    }
  return "no layout of target " + std::string(target.name) + " fits a " +
         std::to_string(n) + "x" + std::to_string(k) + " " + ref::weightKindName(kind) +
         " BitLinear";
}

} // namespace target
} // namespace bitnet
