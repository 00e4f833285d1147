//===- Tuning.h - Measured schedule parameters per target -------*- C++ -*-===//
//
// A tuning table holds schedule parameters that bitnet-tune measured on a
// machine, per target and shape class: the BitLinear row tile of the packed
// layout, output rows per parallel task for the decode GEMV and for prompt
// GEMMs, and the token block of the prompt entry point. The compiler reads
// the table committed in lib/Target/tuning.table (built in) and, before it,
// a user's table (bitnet-compile --tuning=FILE); where no entry matches,
// the target's rules in TargetTable.cpp and the kernels' defaults apply.
//
// Text format, one entry per line, '#' starts a comment:
//
//   bitlinear target=x86-64-avx512 weights=ternary n=2049..4096 k=2049..4096 \
//             tile_n=4 gemv_rows=32 gemm_rows=64
//   prompt target=x86-64-avx512 hidden=2049..4096 tokens=16
//
// Ranges are inclusive ("lo..hi", or one number); the first matching entry
// wins. Plain C++ like the rest of lib/Target (no LLVM: it sits beside
// bitnet-kernelgen's Halide), so errors are returned as text.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_TARGET_TUNING_H
#define BITNET_TARGET_TUNING_H

#include "bitnet/Reference/Packing.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitnet {
namespace target {

struct TuningEntry {
  enum class Kind { BitLinear, Prompt };
  Kind kind = Kind::BitLinear;
  std::string target; // a TargetDescription's name
  // BitLinear: weights of this kind with N outputs and K inputs in range.
  ref::WeightKind weights = ref::WeightKind::Ternary;
  int64_t minN = 1, maxN = 1, minK = 1, maxK = 1;
  int64_t tileN = 0;     // rows per tile of the packed layout (0: the rule's)
  int64_t gemvRows = 0;  // output rows per parallel task, one token (0: default)
  int64_t gemmRows = 0;  // the same for a block of tokens (0: default)
  // Prompt: models whose hidden size is in [minK, maxK] get an entry point
  // for blocks of `tokens` tokens.
  int64_t tokens = 0;
  /// Where the entry was read: "<table>:<line>".
  std::string origin;

  /// The entry as a table line (what bitnet-tune writes).
  std::string line() const;
  /// The entry's shape class in words, e.g. "ternary n 2049..4096 k 2049..4096".
  std::string shapeClass() const;
};

class TuningTable {
public:
  /// The table committed in lib/Target/tuning.table, compiled in.
  static const TuningTable &builtin();

  /// Appends the entries of `text`; "" or an error naming `origin`:line and
  /// the offending key.
  std::string parse(const std::string &text, const std::string &origin);
  /// Appends the entries of the file at `path`; "" or an error.
  std::string load(const std::string &path);
  /// Appends `other`'s entries (after this table's: they match later).
  void append(const TuningTable &other);

  /// The first BitLinear entry for `target` that matches, or nullptr.
  const TuningEntry *findBitLinear(const std::string &target, ref::WeightKind weights,
                                   int64_t n, int64_t k) const;
  /// The first prompt entry for `target` and a model of `hidden`, or nullptr.
  const TuningEntry *findPrompt(const std::string &target, int64_t hidden) const;

  const std::vector<TuningEntry> &entries() const { return entries_; }
  void add(TuningEntry entry) { entries_.push_back(std::move(entry)); }

private:
  std::vector<TuningEntry> entries_;
};

/// What the compiler consults: the table at `path` ahead of the built-in
/// one; "" = the built-in table alone, "none" = no table (the target's rules
/// and the kernels' defaults everywhere). "" or an error.
std::string loadTuning(const std::string &path, TuningTable &table);

/// Rows per parallel task of a BitLinear kernel over `m` tokens from
/// `entry` (0: the kernel's default), rounded up to whole tiles of `tileN`.
int64_t tunedRowsPerTask(const TuningEntry *entry, int64_t m, int64_t tileN);

/// The shape class bitnet-tune files a size under: (2^(e-1), 2^e], the
/// power-of-two bucket holding `size` (sizes 1 and 2 share [1, 2]).
void shapeBucket(int64_t size, int64_t &lo, int64_t &hi);

} // namespace target
} // namespace bitnet

#endif // BITNET_TARGET_TUNING_H
