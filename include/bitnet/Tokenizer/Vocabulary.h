//===- Vocabulary.h - The tokenizer a compiled model carries ----*- C++ -*-===//
//
// The compile-time half of the tokenizer: a vocabulary read from a Hugging
// Face tokenizer.json or from a GGUF file's tokenizer.ggml.* keys, checked,
// and serialized into the blob that the run-time half
// (include/bitnet/Runtime/Tokenizer.h, which documents the layout) reads
// inside a compiled model. docs/Tokenizer.md says what is supported.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_TOKENIZER_VOCABULARY_H
#define BITNET_TOKENIZER_VOCABULARY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bitnet {
namespace tokenizer {

/// How text becomes tokens (values as in the blob).
enum class ModelKind : uint32_t {
  /// SentencePiece-style BPE (llama.cpp's "llama" / SPM): scores (or
  /// merges), byte-fallback tokens <0xXX>, U+2581 for spaces.
  Llama = 1,
  /// Byte-level BPE (llama.cpp's "gpt2"): tokens in GPT-2's byte-to-unicode
  /// alphabet, merges by rank, a regex pre-tokenizer.
  Gpt2 = 2,
};

/// The regex a Gpt2 vocabulary splits text with (values as in the blob);
/// the patterns are BITNET_TOKENIZER_REGEX_* in Tokenizer.h.
enum class PreTokenizer : uint32_t {
  None = 0,     // Llama
  LlamaBpe = 1, // Llama 3 / BitNet b1.58 2B-4T (llama.cpp "llama-bpe")
  Gpt2 = 2,     // the original GPT-2 pattern (llama.cpp "gpt2")
};

/// GGUF's tokenizer.ggml.token_type values.
enum class TokenType : uint8_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct Vocabulary {
  ModelKind kind = ModelKind::Llama;
  PreTokenizer pre = PreTokenizer::None;
  /// Per token, indexed by id: the text (UTF-8 bytes; Llama byte tokens
  /// are "<0xXX>"), the score (Llama without merges: higher merges
  /// first), the type.
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<TokenType> types;
  /// Merges as (left id, right id), rank 0 first; the merged token is the
  /// concatenation of the two texts. Required for Gpt2; for Llama, when
  /// present they decide the merge order instead of the scores (Hugging
  /// Face's BPE model).
  std::vector<std::pair<int32_t, int32_t>> merges;
  int32_t bos = -1, eos = -1, unk = -1, pad = -1; // -1: none
  /// End-of-generation tokens besides eos (e.g. Llama 3's <|eot_id|>).
  std::vector<int32_t> eog;
  bool addBos = false, addEos = false;
  /// Llama: a space (U+2581) before the text and after each special token.
  bool addSpacePrefix = true;
  /// A pre-tokenized word that is a token as a whole is that token (Llama
  /// 3's tokenizer.json "ignore_merges"; llama.cpp for llama-bpe).
  bool ignoreMerges = false;
  /// The chat template (Jinja text) the checkpoint ships, if any: not part
  /// of the blob; bitnet-compile keeps it beside (ModelAPI.h chat_template).
  std::string chatTemplate;
};

/// Checks what the run-time reader checks (sizes, ids, types, byte tokens,
/// merges making tokens) plus that kind and pre-tokenizer fit; a vocabulary
/// that passes serializes to a blob bitnet_tokenizer_open accepts.
llvm::Error verifyVocabulary(const Vocabulary &vocab);

/// Fits `vocab` to a model whose embedding has `rows` rows. More tokens
/// than rows is an error ("N tokens but the model's embedding has only R
/// rows"; the caller names the file). Fewer are padded with unused tokens
/// "[PAD<id>]", as llama.cpp's converter pads a vocabulary to the model's
/// vocab_size (checkpoints often round it up): tokenizing never produces
/// them and detokenizing renders them as nothing, so every id the model
/// can generate has a token.
llvm::Error fitVocabularyToModel(Vocabulary &vocab, int64_t rows);

/// The blob (layout in include/bitnet/Runtime/Tokenizer.h). `vocab` must
/// pass verifyVocabulary.
std::vector<uint8_t> serializeVocabulary(const Vocabulary &vocab);

/// A Hugging Face tokenizer.json: model.type "BPE" (vocab, merges as "a b"
/// strings or [a, b] pairs, byte_fallback, ignore_merges), added_tokens
/// (special: control, else user-defined), the normalizer / pre-tokenizer
/// (Replace " " -> U+2581 or Metaspace: Llama; ByteLevel, alone or after a
/// Split with a known regex: Gpt2). bos/eos/pad and add_bos/add_eos from
/// the tokenizer_config.json beside it when there is one. Errors name the
/// file and the key.
llvm::Expected<Vocabulary> vocabularyFromTokenizerJson(llvm::StringRef path);

/// What a GGUF file says about its tokenizer (the tokenizer.ggml.* keys),
/// filled by the GGUF importer; absent keys stay empty / std::nullopt.
struct GGUFTokenizerKeys {
  std::string model;              // tokenizer.ggml.model: "llama" or "gpt2"
  std::optional<std::string> pre; // tokenizer.ggml.pre
  std::vector<std::string> tokens;  // tokenizer.ggml.tokens
  std::vector<float> scores;        // tokenizer.ggml.scores (empty: all 0)
  std::vector<int32_t> tokenTypes;  // tokenizer.ggml.token_type (empty: all normal)
  std::vector<std::string> merges;  // tokenizer.ggml.merges, "a b"
  std::optional<int64_t> bos, eos, unk, pad, eot; // tokenizer.ggml.*_token_id
  std::optional<bool> addBos, addEos, addSpacePrefix; // tokenizer.ggml.add_*
  std::string chatTemplate; // tokenizer.chat_template
};

/// Checks the keys (model "llama" or "gpt2"; pre "llama-bpe", "llama3",
/// "default", "gpt2" or absent; ids in range; merges naming tokens) the way
/// llama.cpp's llama_vocab::load reads them. Errors name the key and value.
llvm::Expected<Vocabulary> vocabularyFromGGUFKeys(const GGUFTokenizerKeys &keys);

} // namespace tokenizer
} // namespace bitnet

#endif // BITNET_TOKENIZER_VOCABULARY_H
