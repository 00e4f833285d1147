//===- TargetTable.h - What each compilation target wants -------*- C++ -*-===//
//
// Each target owns a table of packed layouts and tile sizes per op kind and
// shape range: plain data behind one lookup, so adding a target is adding a
// table (and a schedule family in lib/Kernels). No MLIR, no Halide.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_TARGET_TARGETTABLE_H
#define BITNET_TARGET_TARGETTABLE_H

#include "bitnet/Kernels/KernelSpec.h"
#include "bitnet/Target/Tuning.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitnet {
namespace target {

/// One row of a target's table: applies to BitLinear ops whose output rows N
/// and input features K fall in the inclusive ranges.
struct LayoutRule {
  ref::WeightKind kind; // ternary or binary weights
  int64_t minN, maxN, minK, maxK;
  ref::PackFormat format;
  int64_t tileN, tileK;
  /// A tuning table may choose tileN (rows whose tiles span whole vectors;
  /// the narrow-matrix rows keep their smallest legal tile).
  bool tunable;
};

struct TargetDescription {
  const char *name;                 // --target= spelling
  kernels::KernelTarget kernels;    // Halide schedule family and features
  const char *triple;               // LLVM triple of the glue
  const char *summary;              // for --help
  /// Layouts of quantized (ternary or binary) weights; first match wins.
  std::vector<LayoutRule> layouts;
  /// Tokens per prompt block (the GEMM kernels' m) where no tuning entry
  /// says otherwise: a block shares each read of the weights.
  int64_t promptBlock = 16;
  /// CUDA: the multiprocessors (SMs) a kernel's blocks should fill; 0
  /// elsewhere.
  int64_t gpuMultiprocessors = 0;
};

/// Rows per BitLinear task (CPU) or thread block (GPU) where no tuning
/// entry sets them: 0 (the kernel's default) on CPUs, for GPU GEMMs (32
/// rows x 16 tokens) and on OpenCL (a work-group per row); for a CUDA GEMV
/// (a warp per row) the most rows up to 8, a power of two, that still give
/// every SM two blocks (a 640-row projection on 132 SMs: 2 rows per block,
/// 320 blocks).
int64_t defaultRowsPerTask(const TargetDescription &target, int64_t n, int64_t m);

/// All targets, in --help order ("host" is resolved by resolveHost).
const std::vector<TargetDescription> &allTargets();

/// The description named `name`, or nullptr.
const TargetDescription *lookupTarget(const std::string &name);

/// The concrete target of the machine running this process (x86-64-avx512,
/// -avxvnni or -avx2 from cpuid, arm64-dotprod or arm64 from hwcaps); "" if
/// unsupported.
std::string resolveHost();

/// BITNET_CPU_* bits (ModelAPI.h) of the machine running this process.
int64_t hostCpuFeatures();

/// Whether this machine runs kernels of the CPU target `name`.
bool hostRuns(const std::string &name);

/// A fat target: one object holding the model compiled for several targets
/// of one architecture, the variant chosen when a state is created.
struct FatTarget {
  const char *name;    // --target= spelling
  const char *summary; // for --help
  struct Variant {
    const char *target;   // a TargetDescription's name
    const char *suffix;   // of the variant's symbols: <name>_<suffix>_...
    int64_t cpuFeatures;  // BITNET_CPU_* bits it needs (ModelAPI.h)
  };
  /// Best first; the last runs everywhere the fat target does, and its
  /// run-time copies are the ones linked (none needs what it lacks).
  std::vector<Variant> variants;
};

/// All fat targets.
const std::vector<FatTarget> &allFatTargets();

/// The fat target named `name`, or nullptr.
const FatTarget *lookupFatTarget(const std::string &name);

/// BITNET_CPU_* bits (ModelAPI.h) a CPU needs to run code for `target`: those
/// of the fat-target variant it is, 0 for targets that are none (GPUs).
int64_t cpuFeaturesOf(const TargetDescription &target);

/// The layout for a quantized BitLinear of `kind` weights, N outputs and K
/// inputs: the target's rule, its tile rows replaced by those of the first
/// matching entry of `tuning` (if any; set in `entry`, else nullptr). "" or,
/// when no rule matches, a message naming the shape and the target.
std::string chooseLayout(const TargetDescription &target, ref::WeightKind kind, int64_t n,
                         int64_t k, const TuningTable *tuning, LayoutRule &rule,
                         const TuningEntry *&entry);

} // namespace target
} // namespace bitnet

#endif // BITNET_TARGET_TARGETTABLE_H
