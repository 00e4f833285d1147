//===- Importers.h - Checkpoint formats by name -----------------*- C++ -*-===//
//
// One table of the checkpoint formats bitnet-compile reads: each recognises
// its input (a directory, a file's magic) and imports it into reference
// model weights. Adding a format is one row here and its importer.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_IMPORT_IMPORTERS_H
#define BITNET_IMPORT_IMPORTERS_H

#include "bitnet/Import/HuggingFace.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>

namespace bitnet {
namespace import {

struct CheckpointFormat {
  /// Shown in messages, e.g. "GGUF".
  llvm::StringLiteral name;
  /// Whether `path` is in this format (cheap: a directory test or a magic).
  bool (*recognizes)(llvm::StringRef path);
  llvm::Expected<ref::ModelWeights> (*import)(llvm::StringRef path,
                                              const ImportOptions &options);
};

/// Every checkpoint format, in the order they are tried.
llvm::ArrayRef<CheckpointFormat> checkpointFormats();

/// The format `path` is in, or null (then it is read as bitnet-dialect IR).
const CheckpointFormat *findCheckpointFormat(llvm::StringRef path);

/// Index of the first NaN or infinity in `values`, or -1. Every float a
/// checkpoint holds must be finite: quantizing a NaN weight is undefined and
/// a non-finite norm or scale poisons every logit.
int64_t firstNonFinite(llvm::ArrayRef<float> values);

/// A tensor left in its checkpoint: `read` writes its `bytes` bytes (a lazy
/// import's decoder, which keeps what it needs alive); its errors become the
/// source's message.
std::shared_ptr<const ref::TensorSource>
makeTensorSource(std::string name, int64_t bytes,
                 std::function<llvm::Error(uint8_t *out)> read);

/// Writes the logical values of master weights to `values` (out x in
/// bytes), quantized as on import (ref::linearFromMaster): what a lazy
/// import's source of master weights produces when the output is written.
llvm::Error quantizeMasterInto(llvm::Expected<std::vector<float>> master, int64_t out,
                               int64_t in, ref::WeightKind kind, uint8_t *values);

/// Full-precision weights (`--weight-kind=float`) encoded in `storage` into
/// `bytes`: what a lazy import's source of them produces.
llvm::Error encodeMasterInto(llvm::Expected<std::vector<float>> master,
                             ref::FloatStorage storage, uint8_t *bytes);

} // namespace import
} // namespace bitnet

#endif // BITNET_IMPORT_IMPORTERS_H
