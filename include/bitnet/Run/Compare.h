//===- Compare.h - The three model families of one shape side by side -*- C++ -*-===//
//
// The figures bitnet-compare measures for the vanilla (float), 1-bit (binary)
// and ternary (b1.58) model of one shape, and their reports: the table, the
// gnuplot .dat file and the gnuplot script. Formatting only: running the
// tools, benchmarking and writing files is bitnet-compare's
// (tools/bitnet-compare/ComparisonDriver.cpp). docs/compare.md describes the
// figures.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_RUN_COMPARE_H
#define BITNET_RUN_COMPARE_H

#include "bitnet/Run/Runner.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitnet {
namespace run {

/// One family's figures.
struct FamilyFigures {
  std::string family; // vanilla, binary or ternary
  int64_t weightBytes = 0;
  /// Weight bytes plus the KV-cache rows attention reads, averaged over the
  /// generated tokens of the generation test (positions 0 .. n-1).
  double readBytesPerToken = 0;
  std::vector<BenchRow> rows;
  /// Perplexity over bitnet-compare --text, with its standard error (0:
  /// not measured).
  double perplexity = 0, perplexityError = 0;
};

struct Comparison {
  std::string source; // "preset X" or the masters directory
  /// The models' bitnet-compile --target, and whether it is a GPU's (the
  /// probed bandwidth is then the host's, not the models' bound).
  std::string target = "host";
  bool gpu = false;
  int64_t vocab = 0, layers = 0, context = 0, kvDim = 0;
  BenchOptions bench;
  /// Read bandwidth in GB/s per entry of bench.threads: the mean of the
  /// families' generation rows (probed between their repetitions).
  std::vector<double> bandwidthGBs;
  std::vector<FamilyFigures> families; // vanilla first
  /// bitnet-compare --text: the file, its tokens scored per family and the
  /// chunk (empty / 0 without).
  std::string textFile;
  int64_t textTokens = 0;
  int32_t chunk = 0;
};

/// The families in table order and the bitnet-compile --weight-kind of each.
struct Family {
  const char *name;
  const char *weightKind;
};
const std::vector<Family> &families();

/// The row of `figures` for `threads` and `test` (measureThroughput gives one
/// per pair it was asked for).
const BenchRow &benchRow(const FamilyFigures &figures, int32_t threads, BenchTest test);

/// `text` as a single-quoted gnuplot string.
std::string gnuplotString(llvm::StringRef text);

/// The table: absolute figures, then each figure divided by vanilla's.
void printComparison(const Comparison &comparison, llvm::raw_ostream &out);
/// The same figures for gnuplot, one line per family.
void writeComparisonData(const Comparison &comparison, llvm::raw_ostream &out);
/// A gnuplot script that reads `dataPath` and writes `pngPath`.
std::string comparisonPlotScript(const Comparison &comparison, llvm::StringRef dataPath,
                                 llvm::StringRef pngPath);

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_COMPARE_H
