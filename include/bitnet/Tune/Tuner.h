//===- Tuner.h - bitnet-tune as a library -----------------------*- C++ -*-===//
//
// Searches the BitLinear schedule parameters of a CPU target on this machine
// by measuring generated kernels, in the manner of T-MAC's and TVM's offline
// tuning: for each shape class of a model's BitLinear layers, every tile-row
// count and rows-per-task candidate at one token (decode) and at a prompt
// block, then every prompt block with the winners. The result is a tuning
// table (bitnet/Target/Tuning.h) for bitnet-compile --tuning, or for
// lib/Target/tuning.table.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_TUNE_TUNER_H
#define BITNET_TUNE_TUNER_H

#include "bitnet/Reference/Reference.h"
#include "bitnet/Target/Tuning.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitnet {
namespace tune {

/// One BitLinear a compiled model runs (per layer).
struct BitLinearShape {
  std::string what; // "qkv", "o", "gate+up", "down"
  ref::WeightKind weights = ref::WeightKind::Ternary;
  int64_t n = 0, k = 0;
};

/// The BitLinear shapes of a model of `config`, as bitnet-compile's kernel
/// pipeline leaves them: q, k and v stacked into one (bitnet-fuse-
/// projections), gate and up stacked, o and down alone. Empty for
/// full-precision models.
std::vector<BitLinearShape> bitLinearShapes(const ref::ModelConfig &config);

struct TuneOptions {
  std::string target;                 // a CPU target this machine runs
  std::vector<BitLinearShape> shapes; // what to tune for
  int64_t hidden = 0;                 // the model's, for the prompt entry
  std::vector<int> threads = {1};     // thread counts measured
  std::vector<int64_t> tileN;         // candidates (empty: the target's)
  std::vector<int64_t> rows;          // rows-per-task candidates
  std::vector<int64_t> blocks;        // prompt block candidates
  int64_t searchBlock = 16;           // the block the first search uses
  int reps = 9;                       // timed calls per kernel and thread count
  /// A candidate replaces the default only when it is this much faster.
  double margin = 0.02;
  std::string kernelgen;  // bitnet-kernelgen
  std::string runtimeDir; // lib/bitnet-runtime (support objects)
};

/// Runs the search; progress and the measured figures go to `log`.
llvm::Expected<target::TuningTable> tune(const TuneOptions &options,
                                         llvm::raw_ostream &log);

/// Default candidates of `target`: tile rows its kernels support well.
std::vector<int64_t> defaultTileCandidates(const std::string &target);

} // namespace tune
} // namespace bitnet

#endif // BITNET_TUNE_TUNER_H
