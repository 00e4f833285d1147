//===- GGUF.h - GGUF v3 model files ----------------------------*- C++ -*-===//
//
// GGUF v3 as llama.cpp and bitnet.cpp write it (BITNET.md): magic "GGUF",
// u32 version, u64 tensor count, u64 key/value count, the key/value pairs
// (13 value types), the tensor infos (name, dims innermost first, type,
// offset), padding to general.alignment (default 32), the data. The reader
// maps the file and checks every length, count, type and offset against the
// file before handing out a tensor.
//
// Architectures: "bitnet-b1.58" (bitnet.cpp; BitNet b1.58 2B-4T: relu2 GLU)
// and "bitnet" (llama.cpp; SiLU GLU as the 1bitLLM models unless
// `<arch>.hidden_activation` says "relu2", as upstream llama.cpp writes for
// 2B-4T). Tensor types F32, F16, BF16, TQ1_0, TQ2_0 and bitnet.cpp's I2_S
// (type 36); Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q2_K..Q6_K for float
// tensors (the embedding and the
// output matrix that llama-quantize and bitnet.cpp's --quant-embd write).
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_IMPORT_GGUF_H
#define BITNET_IMPORT_GGUF_H

#include "bitnet/Import/HuggingFace.h"
#include "bitnet/Reference/Reference.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bitnet {
namespace import {

enum class GGUFType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  I2_S = 36, // bitnet.cpp's id (upstream ggml uses 36-39 for other types)
};
const char *ggufTypeName(GGUFType type);
/// The values of one block of a block-quantized float type (Q4_0, Q4_1,
/// Q5_0, Q5_1, Q8_0: 32 values; Q2_K..Q6_K: 256), decoded exactly to
/// f32 by ggml's definitions; false for other types.
bool decodeGGUFBlock(GGUFType type, const uint8_t *block, float *values);
/// Bytes of a tensor of `type` with these dims (innermost first), or the
/// reason its rows are not whole blocks of the type.
std::string ggufTensorBytes(GGUFType type, const std::vector<int64_t> &dims, uint64_t &bytes);

struct GGUFTensor {
  std::string name;
  GGUFType type = GGUFType::F32;
  std::vector<int64_t> dims; // innermost first (ne[0] = row length)
  uint64_t offset = 0;       // from the start of the data section
  uint64_t fileOffset = 0;   // from the start of the file
  llvm::ArrayRef<uint8_t> bytes;
  int64_t elements() const;
};

/// One key's value: numbers widened, strings kept, arrays counted only.
struct GGUFValue {
  enum class Kind { Unsigned, Signed, Float, Bool, String, Array } kind = Kind::Unsigned;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string s;
  uint64_t count = 0;        // arrays
  uint32_t elementType = 0;  // arrays: GGUF's value type of the elements
  uint64_t dataOffset = 0;   // arrays: file offset of the first element
  std::optional<int64_t> asInteger() const;
  std::optional<double> asNumber() const;
};

class GGUFFile {
public:
  static llvm::Expected<std::unique_ptr<GGUFFile>> open(llvm::StringRef path);
  const std::string &path() const { return path_; }
  const GGUFValue *value(llvm::StringRef key) const;
  /// The elements of an array of strings (at most `maxCount`); an error
  /// naming the key when it is absent, not such an array or too long.
  llvm::Expected<std::vector<std::string>> strings(llvm::StringRef key,
                                                   uint64_t maxCount) const;
  /// The elements of an array of numbers (any integer or float type).
  llvm::Expected<std::vector<double>> numbers(llvm::StringRef key, uint64_t maxCount) const;
  const GGUFTensor *tensor(llvm::StringRef name) const;
  const std::map<std::string, GGUFTensor> &tensors() const { return tensors_; }
  /// Lets the system drop the mapped pages of `tensor` from memory (they are
  /// read from the file again if touched): a compile reads each tensor once.
  void releasePages(const GGUFTensor &tensor) const;
  /// The same for bytes [0, end) of `tensor`: a reader streaming through a
  /// large table (the embedding) keeps only what it has not read yet.
  void releasePages(const GGUFTensor &tensor, uint64_t end) const;

private:
  llvm::Expected<size_t> arrayData(llvm::StringRef key, uint64_t maxCount,
                                   bool strings) const;
  std::string path_;
  std::unique_ptr<llvm::MemoryBuffer> buffer_;
  std::map<std::string, GGUFValue> values_;
  std::map<std::string, GGUFTensor> tensors_;
};

/// Errors name the file, the tensor or key, and the problem.
llvm::Expected<ref::ModelWeights> importGGUF(llvm::StringRef path,
                                             const ImportOptions &options = {});

/// Which runtime's architecture names a written file uses.
enum class GGUFArchNames {
  /// bitnet.cpp: "bitnet-b1.58" for relu2 models, "bitnet" for SiLU ones.
  BitnetCpp,
  /// Upstream llama.cpp: "bitnet" with bitnet.hidden_activation "relu2" or
  /// "silu".
  Upstream,
};

struct GGUFWriteOptions {
  /// I2_S, TQ2_0, TQ1_0, or F16 masters.
  GGUFType linearType = GGUFType::I2_S;
  GGUFArchNames archNames = GGUFArchNames::BitnetCpp;
  /// The token embedding's (and an untied LM head's) type: F16, or Q8_0 as
  /// llama-quantize writes it (then the file holds the table's Q8_0 rounding,
  /// not makeRandomModel's values).
  GGUFType tableType = GGUFType::F16;
};

/// Writes the random model (config, seed) of makeRandomModel as GGUF v3 with
/// linear layers of options.linearType; embedding options.tableType, norms
/// F32; and the
/// synthetic SentencePiece-style vocabulary of writeSyntheticVocabulary, so
/// that llama.cpp and bitnet.cpp load the file. Importing it gives exactly
/// makeRandomModel(config, seed). Defined in GGUFWriter.cpp.
llvm::Error writeGGUF(llvm::StringRef path, const ref::ModelConfig &config,
                      uint64_t seed, const GGUFWriteOptions &options);

} // namespace import
} // namespace bitnet

#endif // BITNET_IMPORT_GGUF_H
