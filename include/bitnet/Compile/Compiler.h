//===- Compiler.h - bitnet-compile as a library -----------------*- C++ -*-===//
//
// Model-level bitnet IR in; for one target, ONE relocatable object (glue +
// Halide kernels + one Halide runtime + packed weights) and a C header out.
// tools/bitnet-compile is a thin main over compileModel.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_COMPILE_COMPILER_H
#define BITNET_COMPILE_COMPILER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace bitnet {

enum class EmitKind { BitNet, MLIR, LLVM, Assembly, Object, Shared, Header };

struct CompileOptions {
  std::string input = "-";   // bitnet-dialect MLIR file, "-" for stdin, or a
                             // Hugging Face checkpoint directory
  std::string output;        // "" = derived from --name and the emit kind
  std::string target = "host";
  std::string name = "model"; // prefix of every exported symbol
  EmitKind emit = EmitKind::Object;
  std::string kernelCache;   // directory of generated kernels, by spec hash
  std::string kernelgen;     // path of bitnet-kernelgen
  std::string runtimeDir;    // lib/bitnet-runtime: per-architecture support objects
  unsigned jobs = 1;         // kernels generated in parallel
  bool printPipeline = false;
  /// Large constants go to <output stem>.weights instead of the object;
  /// the header's <name>_load_weights reads them (WeightData.h).
  bool externalWeights = false;
  /// Imported checkpoints only: the token counts to compile an entry point
  /// for, the KV-cache rows (0: the config's) and what master weights become
  /// ("ternary", "binary" or "float").
  /// Empty: 1 (generation) and a prompt block (prompts, and the padded
  /// rest of a prompt): the tuning table's for the target and hidden size,
  /// else 16; the context if it is shorter.
  std::vector<int64_t> tokenCounts;
  int64_t context = 0;
  std::string weightKind; // "" = ternary
  /// A tuning table (bitnet-tune's output) consulted before the built-in
  /// one; "" = the built-in alone, "none" = no table (the target's rules).
  std::string tuning;
  /// The tokenizer the object carries: "" = the checkpoint's (none for IR
  /// input), "none" = none, else a Hugging Face tokenizer.json.
  std::string tokenizer;
  /// How the LM head is stored: "f16" (as in the checkpoint) or "int8" (one
  /// scale per row; half the bytes read per generated token).
  std::string lmHead = "f16";
};

/// Runs the whole compilation; diagnostics and progress go to `log`.
/// Returns 0 on success; on failure nothing is left at the output path.
int compileModel(const CompileOptions &options, llvm::raw_ostream &log);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_COMPILE_COMPILER_H
