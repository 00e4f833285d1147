//===- Vocabulary.cpp - Vocabularies from tokenizer.json and GGUF keys ----===//
//
// What is read follows Hugging Face tokenizers' tokenizer.json schema and
// llama.cpp's llama_vocab::load (GGUF keys, defaults, end-of-generation
// tokens); docs/Tokenizer.md lists what is not supported.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Tokenizer/Vocabulary.h"
#include "bitnet/Runtime/Tokenizer.h"
#include "bitnet/Support/LLVMInput.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstring>
#include <map>

namespace bitnet {
namespace tokenizer {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// The text of an id no token of the tokenizer has (a hole in its ids, or
/// past its last up to the model's vocabulary): llama.cpp's converter's.
std::string paddingToken(int64_t id) { return "[PAD" + std::to_string(id) + "]"; }

/// tokenizer.json files are megabytes (Llama 3's: 9 MB); this bounds a
/// hostile one.
constexpr uint64_t kMaxTokenizerJsonBytes = 256ull << 20;
/// Token ids beyond this are refused rather than allocated.
constexpr int64_t kMaxTokens = 1 << 24;

/// U+2581, SentencePiece's space.
constexpr llvm::StringLiteral kSpace = "\xE2\x96\x81";

/// Control tokens that end a turn although the vocabulary does not call
/// them eos: the texts llama.cpp's llama_vocab::load treats as
/// end-of-generation.
constexpr const char *kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|end|>",
    "<end_of_turn>", "<|endoftext|>", "<EOT>", "</s>"};

bool isByteTokenText(llvm::StringRef text) {
  return text.size() == 6 && text.starts_with("<0x") && text.ends_with(">") &&
         llvm::isHexDigit(text[3]) && llvm::isHexDigit(text[4]);
}

bool mergeable(TokenType type) {
  return type == TokenType::Normal || type == TokenType::UserDefined;
}

/// eos, eot and the control tokens of kEndOfGenerationTexts.
void addEndOfGeneration(Vocabulary &vocab, int32_t eot) {
  auto add = [&](int32_t id) {
    if (id >= 0 && id != vocab.eos && !llvm::is_contained(vocab.eog, id))
      vocab.eog.push_back(id);
  };
  add(eot);
  for (size_t id = 0; id < vocab.tokens.size(); ++id)
    if (vocab.types[id] == TokenType::Control)
      for (const char *text : kEndOfGenerationTexts)
        if (vocab.tokens[id] == text)
          add(static_cast<int32_t>(id));
}

/// Typed reads of a JSON document's keys; errors name the file and the key
/// path ("model.vocab").
class Reader {
public:
  explicit Reader(std::string path) : path(std::move(path)) {}

  llvm::Error error(const llvm::Twine &key, const llvm::Twine &message) const {
    return fail(path + ": key " + quoted(key.str()) + " " + message);
  }
  llvm::Error wrongType(const llvm::Twine &key, const char *expected,
                        const llvm::json::Value &v) const {
    return error(key, llvm::Twine("must be ") + expected + ", not " + jsonKind(v));
  }

  /// An optional object member of `object`: nullptr when absent or null.
  llvm::Expected<const llvm::json::Object *>
  object(const llvm::json::Object &object, llvm::StringRef key, const llvm::Twine &name) const {
    const llvm::json::Value *v = object.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return nullptr;
    if (const llvm::json::Object *o = v->getAsObject())
      return o;
    return wrongType(name, "an object", *v);
  }
  llvm::Expected<std::optional<std::string>>
  string(const llvm::json::Object &object, llvm::StringRef key, const llvm::Twine &name) const {
    const llvm::json::Value *v = object.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return std::nullopt;
    if (std::optional<llvm::StringRef> s = v->getAsString())
      return std::optional<std::string>(s->str());
    return wrongType(name, "a string", *v);
  }
  llvm::Expected<std::optional<bool>>
  boolean(const llvm::json::Object &object, llvm::StringRef key, const llvm::Twine &name) const {
    const llvm::json::Value *v = object.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return std::nullopt;
    if (std::optional<bool> b = v->getAsBoolean())
      return b;
    return wrongType(name, "true or false", *v);
  }
  /// A token id: an integer in [0, kMaxTokens).
  llvm::Expected<int32_t> id(const llvm::json::Value &v, const llvm::Twine &name) const {
    std::optional<int64_t> n = v.getAsInteger();
    if (!n)
      return wrongType(name, "an integer", v);
    if (*n < 0 || *n >= kMaxTokens)
      return error(name, "is " + llvm::Twine(*n) + ", not a token id in [0, " +
                             llvm::Twine(kMaxTokens) + ")");
    return static_cast<int32_t>(*n);
  }

  std::string path;
};

/// A token string in tokenizer_config.json: "text" or {"content": "text"}.
llvm::Expected<std::optional<std::string>>
configToken(const Reader &reader, const llvm::json::Object &config, llvm::StringRef key) {
  const llvm::json::Value *v = config.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return std::nullopt;
  if (std::optional<llvm::StringRef> s = v->getAsString())
    return std::optional<std::string>(s->str());
  if (const llvm::json::Object *o = v->getAsObject())
    if (std::optional<llvm::StringRef> s = o->getString("content"))
      return std::optional<std::string>(s->str());
  return reader.wrongType(key, "a string or an object with a string 'content'", *v);
}

/// The special tokens a TemplateProcessing post-processor puts before and
/// after a single sequence (what adds BOS in Llama 3's tokenizer.json).
struct Template {
  std::optional<std::string> first, last;
};

Template templateTokens(const llvm::json::Object *processor) {
  Template result;
  if (!processor)
    return result;
  std::optional<llvm::StringRef> type = processor->getString("type");
  if (type && *type == "Sequence") {
    if (const llvm::json::Array *all = processor->getArray("processors"))
      for (const llvm::json::Value &p : *all) {
        Template t = templateTokens(p.getAsObject());
        if (t.first || t.last)
          return t;
      }
    return result;
  }
  if (!type || *type != "TemplateProcessing")
    return result;
  const llvm::json::Array *single = processor->getArray("single");
  if (!single || single->empty())
    return result;
  auto special = [](const llvm::json::Value &item) -> std::optional<std::string> {
    const llvm::json::Object *o = item.getAsObject();
    const llvm::json::Object *s = o ? o->getObject("SpecialToken") : nullptr;
    std::optional<llvm::StringRef> id = s ? s->getString("id") : std::nullopt;
    return id ? std::optional<std::string>(id->str()) : std::nullopt;
  };
  result.first = special(single->front());
  if (single->size() > 1)
    result.last = special(single->back());
  return result;
}

/// The normalizer of a SentencePiece-style tokenizer.json: Replace " " by
/// U+2581, optionally after Prepend U+2581. Returns whether it is one (and
/// whether it prepends).
llvm::Expected<bool> spaceNormalizer(const Reader &reader, const llvm::json::Object *normalizer,
                                     bool &prepend) {
  if (!normalizer)
    return false;
  std::vector<const llvm::json::Object *> steps;
  std::optional<llvm::StringRef> type = normalizer->getString("type");
  if (type && *type == "Sequence") {
    const llvm::json::Array *all = normalizer->getArray("normalizers");
    if (!all)
      return reader.error("normalizer.normalizers", "is missing");
    for (const llvm::json::Value &step : *all)
      steps.push_back(step.getAsObject());
  } else {
    steps.push_back(normalizer);
  }
  bool replace = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const llvm::json::Object *step = steps[i];
    std::optional<llvm::StringRef> kind = step ? step->getString("type") : std::nullopt;
    if (kind && *kind == "Prepend" && step->getString("prepend") == kSpace) {
      prepend = true;
      continue;
    }
    if (kind && *kind == "Replace") {
      const llvm::json::Object *pattern = step->getObject("pattern");
      if (pattern && pattern->getString("String") == llvm::StringRef(" ") &&
          step->getString("content") == kSpace) {
        replace = true;
        continue;
      }
    }
    return reader.error(steps.size() > 1 ? "normalizer.normalizers[" + llvm::Twine(i) + "]"
                                         : llvm::Twine("normalizer"),
                        "is " + (kind ? quoted(*kind) : std::string("untyped")) +
                            ": only Replace ' ' -> U+2581 and Prepend U+2581 are supported");
  }
  return replace;
}

/// The pre-tokenizer of a byte-level tokenizer.json, or std::nullopt when
/// there is no ByteLevel step (not byte-level).
llvm::Expected<std::optional<PreTokenizer>>
byteLevelPreTokenizer(const Reader &reader, const llvm::json::Object *pre) {
  if (!pre)
    return std::nullopt;
  std::vector<const llvm::json::Object *> steps;
  std::optional<llvm::StringRef> type = pre->getString("type");
  bool sequence = type && *type == "Sequence";
  if (sequence) {
    if (const llvm::json::Array *all = pre->getArray("pretokenizers"))
      for (const llvm::json::Value &step : *all)
        steps.push_back(step.getAsObject());
  } else {
    steps.push_back(pre);
  }
  auto name = [&](size_t i) {
    return sequence ? "pre_tokenizer.pretokenizers[" + std::to_string(i) + "]"
                    : std::string("pre_tokenizer");
  };
  auto stepType = [](const llvm::json::Object *step) {
    std::optional<llvm::StringRef> t = step ? step->getString("type") : std::nullopt;
    return t ? *t : llvm::StringRef();
  };
  if (steps.empty() || stepType(steps.back()) != "ByteLevel")
    return std::nullopt;
  const llvm::json::Object *byteLevel = steps.back();
  size_t last = steps.size() - 1;
  if (byteLevel->getBoolean("add_prefix_space").value_or(false))
    return reader.error(name(last) + ".add_prefix_space",
                        "is true: a byte-level prefix space is not supported");
  bool useRegex = byteLevel->getBoolean("use_regex").value_or(true);
  if (steps.size() == 1) {
    if (!useRegex)
      return reader.error(name(last) + ".use_regex",
                          "is false with no Split before it: a pre-tokenizer regex is needed");
    return std::optional<PreTokenizer>(PreTokenizer::Gpt2);
  }
  if (steps.size() != 2 || stepType(steps[0]) != "Split" || useRegex)
    return reader.error("pre_tokenizer",
                        "is not supported: byte-level tokenizers need ByteLevel alone or "
                        "one Split followed by ByteLevel with use_regex false");
  const llvm::json::Object *split = steps[0];
  const llvm::json::Object *pattern = split->getObject("pattern");
  std::optional<llvm::StringRef> regex = pattern ? pattern->getString("Regex") : std::nullopt;
  if (!regex)
    return reader.error(name(0) + ".pattern.Regex", "is missing (a string pattern is not supported)");
  if (split->getString("behavior").value_or("Isolated") != "Isolated" ||
      split->getBoolean("invert").value_or(false))
    return reader.error(name(0) + ".behavior",
                        "is not supported: only 'Isolated' without invert");
  if (*regex == BITNET_TOKENIZER_REGEX_LLAMA_BPE)
    return std::optional<PreTokenizer>(PreTokenizer::LlamaBpe);
  if (*regex == BITNET_TOKENIZER_REGEX_GPT2)
    return std::optional<PreTokenizer>(PreTokenizer::Gpt2);
  return reader.error(name(0) + ".pattern.Regex",
                      "is " + quoted(*regex) +
                          ", not a known pre-tokenizer regex (llama-bpe, gpt2)");
}

/// Token ids of the texts: the first id with that text.
llvm::StringMap<int32_t> textToId(const Vocabulary &vocab) {
  llvm::StringMap<int32_t> ids;
  for (size_t i = 0; i < vocab.tokens.size(); ++i)
    ids.try_emplace(vocab.tokens[i], static_cast<int32_t>(i));
  return ids;
}

} // namespace

llvm::Error verifyVocabulary(const Vocabulary &vocab) {
  size_t n = vocab.tokens.size();
  if (n == 0 || n >= static_cast<size_t>(INT32_MAX))
    return fail("vocabulary: " + llvm::Twine(n) + " tokens");
  if (vocab.scores.size() != n || vocab.types.size() != n)
    return fail("vocabulary: " + llvm::Twine(n) + " tokens but " +
                llvm::Twine(vocab.scores.size()) + " scores and " +
                llvm::Twine(vocab.types.size()) + " types");
  bool llama = vocab.kind == ModelKind::Llama;
  if (vocab.kind != ModelKind::Llama && vocab.kind != ModelKind::Gpt2)
    return fail("vocabulary: unknown kind " + llvm::Twine(static_cast<uint32_t>(vocab.kind)));
  if (llama ? vocab.pre != PreTokenizer::None
            : vocab.pre != PreTokenizer::LlamaBpe && vocab.pre != PreTokenizer::Gpt2)
    return fail("vocabulary: pre-tokenizer " + llvm::Twine(static_cast<uint32_t>(vocab.pre)) +
                " does not fit the " + (llama ? "Llama" : "Gpt2") + " kind");
  auto validId = [&](int32_t id) { return id >= -1 && id < static_cast<int64_t>(n); };
  if (!validId(vocab.bos) || !validId(vocab.eos) || !validId(vocab.unk) || !validId(vocab.pad))
    return fail(llvm::formatv("vocabulary: a special id out of range for {0} tokens (bos {1}, "
                              "eos {2}, unk {3}, pad {4})",
                              n, vocab.bos, vocab.eos, vocab.unk, vocab.pad)
                    .str());
  uint64_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    bytes += vocab.tokens[i].size();
    if (!std::isfinite(vocab.scores[i]))
      return fail("vocabulary: token " + llvm::Twine(i) + "'s score is not finite");
    auto type = static_cast<uint8_t>(vocab.types[i]);
    if (type < 1 || type > 6)
      return fail("vocabulary: token " + llvm::Twine(i) + " has type " + llvm::Twine(type));
    if (vocab.types[i] == TokenType::Byte && !isByteTokenText(vocab.tokens[i]))
      return fail("vocabulary: byte token " + llvm::Twine(i) + " is " +
                  quoted(vocab.tokens[i]) + ", not <0xXX>");
  }
  if (bytes >= UINT32_MAX)
    return fail("vocabulary: token strings of " + llvm::Twine(bytes) + " bytes");
  llvm::StringMap<int32_t> ids;
  for (size_t i = 0; i < n; ++i)
    if (mergeable(vocab.types[i]) && !vocab.tokens[i].empty())
      ids.try_emplace(vocab.tokens[i], static_cast<int32_t>(i));
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    auto [left, right] = vocab.merges[rank];
    if (left < 0 || right < 0 || left >= static_cast<int64_t>(n) || right >= static_cast<int64_t>(n))
      return fail(llvm::formatv("vocabulary: merge {0} ({1}, {2}) names a token out of range",
                                rank, left, right)
                      .str());
    if (vocab.tokens[left].empty() || vocab.tokens[right].empty() ||
        !ids.count(vocab.tokens[left] + vocab.tokens[right]))
      return fail(llvm::formatv("vocabulary: merge {0} ({1} {2}) does not make a token", rank,
                                quoted(vocab.tokens[left]), quoted(vocab.tokens[right]))
                      .str());
  }
  for (int32_t id : vocab.eog)
    if (id < 0 || id >= static_cast<int64_t>(n))
      return fail("vocabulary: end-of-generation id " + llvm::Twine(id) + " out of range");
  return llvm::Error::success();
}

llvm::Error fitVocabularyToModel(Vocabulary &vocab, int64_t rows) {
  int64_t n = static_cast<int64_t>(vocab.tokens.size());
  if (n > rows)
    return fail(llvm::formatv("{0} tokens but the model's embedding has only {1} rows", n,
                              rows)
                    .str());
  vocab.tokens.reserve(rows);
  for (int64_t id = n; id < rows; ++id)
    vocab.tokens.push_back(paddingToken(id));
  vocab.scores.resize(rows, 0.0f);
  vocab.types.resize(rows, TokenType::Unused);
  return llvm::Error::success();
}

std::vector<uint8_t> serializeVocabulary(const Vocabulary &vocab) {
  const llvm::StringRef magic = BITNET_TOKENIZER_MAGIC;
  std::vector<uint8_t> blob(magic.begin(), magic.end());
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i)
      blob.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto u64 = [&](uint64_t v) {
    u32(static_cast<uint32_t>(v));
    u32(static_cast<uint32_t>(v >> 32));
  };
  auto pad4 = [&] {
    while (blob.size() % 4)
      blob.push_back(0);
  };
  uint32_t n = static_cast<uint32_t>(vocab.tokens.size());
  uint32_t stringBytes = 0;
  for (const std::string &t : vocab.tokens)
    stringBytes += static_cast<uint32_t>(t.size());
  uint32_t flags = (vocab.addBos ? BITNET_TOKENIZER_ADD_BOS : 0) |
                   (vocab.addEos ? BITNET_TOKENIZER_ADD_EOS : 0) |
                   (vocab.addSpacePrefix && vocab.kind == ModelKind::Llama
                        ? BITNET_TOKENIZER_ADD_SPACE_PREFIX
                        : 0) |
                   (vocab.ignoreMerges ? BITNET_TOKENIZER_IGNORE_MERGES : 0);

  u32(BITNET_TOKENIZER_VERSION);
  u32(BITNET_TOKENIZER_HEADER_BYTES);
  u32(static_cast<uint32_t>(vocab.kind));
  u32(static_cast<uint32_t>(vocab.pre));
  u32(flags);
  for (int32_t id : {vocab.bos, vocab.eos, vocab.unk, vocab.pad})
    u32(static_cast<uint32_t>(id));
  u32(n);
  u32(static_cast<uint32_t>(vocab.merges.size()));
  u32(static_cast<uint32_t>(vocab.eog.size()));
  u32(stringBytes);
  size_t totalAt = blob.size();
  u64(0); // total bytes, patched below
  u64(0); // checksum, patched below

  uint32_t offset = 0;
  u32(0);
  for (const std::string &t : vocab.tokens)
    u32(offset += static_cast<uint32_t>(t.size()));
  for (float score : vocab.scores) {
    uint32_t bits;
    std::memcpy(&bits, &score, sizeof bits);
    u32(bits);
  }
  for (TokenType type : vocab.types)
    blob.push_back(static_cast<uint8_t>(type));
  pad4();
  for (auto [left, right] : vocab.merges) {
    u32(static_cast<uint32_t>(left));
    u32(static_cast<uint32_t>(right));
  }
  for (int32_t id : vocab.eog)
    u32(static_cast<uint32_t>(id));
  for (const std::string &t : vocab.tokens)
    blob.insert(blob.end(), t.begin(), t.end());
  pad4();

  auto patch = [&](size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i)
      blob[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  patch(totalAt, blob.size());
  uint64_t h = 14695981039346656037ull; // FNV-1a 64; the checksum field reads as 0
  for (uint8_t b : blob)
    h = (h ^ b) * 1099511628211ull;
  patch(totalAt + 8, h);
  return blob;
}

llvm::Expected<Vocabulary> vocabularyFromTokenizerJson(llvm::StringRef pathRef) {
  std::string path = pathRef.str();
  llvm::Expected<llvm::json::Value> json = readJsonFile(path, kMaxTokenizerJsonBytes);
  if (!json)
    return json.takeError();
  Reader reader(path);
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fail(path + ": must be a JSON object, not " + jsonKind(*json));

  llvm::Expected<const llvm::json::Object *> model = reader.object(*root, "model", "model");
  if (!model)
    return model.takeError();
  if (!*model)
    return reader.error("model", "is missing");
  const llvm::json::Object &m = **model;
  llvm::Expected<std::optional<std::string>> type = reader.string(m, "type", "model.type");
  if (!type)
    return type.takeError();
  if (*type != std::optional<std::string>("BPE"))
    return reader.error("model.type", "is " + (*type ? quoted(**type) : std::string("missing")) +
                                          ": only 'BPE' is supported");
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    llvm::Expected<std::optional<std::string>> affix =
        reader.string(m, key, llvm::Twine("model.") + key);
    if (!affix)
      return affix.takeError();
    if (*affix && !(*affix)->empty())
      return reader.error(llvm::Twine("model.") + key,
                          "is " + quoted(**affix) + ": subword affixes are not supported");
  }
  llvm::Expected<std::optional<bool>> byteFallback =
      reader.boolean(m, "byte_fallback", "model.byte_fallback");
  llvm::Expected<std::optional<bool>> ignoreMerges =
      reader.boolean(m, "ignore_merges", "model.ignore_merges");
  llvm::Expected<std::optional<std::string>> unkToken =
      reader.string(m, "unk_token", "model.unk_token");
  if (!byteFallback || !ignoreMerges || !unkToken)
    return llvm::joinErrors(llvm::joinErrors(byteFallback.takeError(), ignoreMerges.takeError()),
                            unkToken.takeError());

  // Kind and pre-tokenizer.
  Vocabulary vocab;
  llvm::Expected<const llvm::json::Object *> normalizer =
      reader.object(*root, "normalizer", "normalizer");
  llvm::Expected<const llvm::json::Object *> pre =
      reader.object(*root, "pre_tokenizer", "pre_tokenizer");
  llvm::Expected<const llvm::json::Object *> post =
      reader.object(*root, "post_processor", "post_processor");
  if (!normalizer || !pre || !post)
    return llvm::joinErrors(llvm::joinErrors(normalizer.takeError(), pre.takeError()),
                            post.takeError());
  llvm::Expected<std::optional<PreTokenizer>> byteLevel = byteLevelPreTokenizer(reader, *pre);
  if (!byteLevel)
    return byteLevel.takeError();
  if (*byteLevel) {
    vocab.kind = ModelKind::Gpt2;
    vocab.pre = **byteLevel;
    vocab.addSpacePrefix = false;
    if (*normalizer)
      return reader.error("normalizer", "must be null for a byte-level tokenizer");
    if (byteFallback->value_or(false))
      return reader.error("model.byte_fallback", "is true for a byte-level tokenizer");
  } else {
    bool prepend = false;
    llvm::Expected<bool> replaces = spaceNormalizer(reader, *normalizer, prepend);
    if (!replaces)
      return replaces.takeError();
    bool metaspace = false;
    if (*pre) {
      std::optional<llvm::StringRef> preType = (*pre)->getString("type");
      if (!preType || *preType != "Metaspace" || (*pre)->getString("replacement") != kSpace)
        return reader.error("pre_tokenizer",
                            "is " + (preType ? quoted(*preType) : std::string("untyped")) +
                                ": neither ByteLevel (byte-level BPE) nor Metaspace "
                                "U+2581 (SentencePiece-style BPE)");
      metaspace = true;
      std::optional<llvm::StringRef> scheme = (*pre)->getString("prepend_scheme");
      prepend = scheme ? *scheme != "never"
                       : (*pre)->getBoolean("add_prefix_space").value_or(true);
    }
    if (!*replaces && !metaspace)
      return reader.error("pre_tokenizer",
                          "is missing, and the normalizer does not replace spaces by U+2581: "
                          "neither a byte-level nor a SentencePiece-style BPE");
    vocab.kind = ModelKind::Llama;
    vocab.pre = PreTokenizer::None;
    vocab.addSpacePrefix = prepend;
  }
  vocab.ignoreMerges = ignoreMerges->value_or(false);

  // Tokens: model.vocab, then added_tokens (which may repeat vocab entries).
  const llvm::json::Object *vocabObject = m.getObject("vocab");
  if (!vocabObject)
    return m.get("vocab") ? reader.wrongType("model.vocab", "an object", *m.get("vocab"))
                          : reader.error("model.vocab", "is missing");
  std::vector<std::optional<std::string>> texts;
  auto place = [&](int32_t id, llvm::StringRef text, const llvm::Twine &name) -> llvm::Error {
    if (static_cast<size_t>(id) >= texts.size())
      texts.resize(static_cast<size_t>(id) + 1);
    if (texts[id] && *texts[id] != text)
      return reader.error(name, "gives id " + llvm::Twine(id) + " to " + quoted(text) +
                                    ", which " + quoted(*texts[id]) + " already has");
    texts[id] = text.str();
    return llvm::Error::success();
  };
  llvm::StringMap<int32_t> modelIds; // what merges may name
  for (const auto &entry : *vocabObject) {
    llvm::StringRef text = entry.first;
    llvm::Expected<int32_t> id = reader.id(entry.second, "model.vocab." + text);
    if (!id)
      return id.takeError();
    if (llvm::Error e = place(*id, text, "model.vocab." + text))
      return std::move(e);
    modelIds[text] = *id;
  }
  struct Added {
    int32_t id;
    bool special;
  };
  std::vector<Added> added;
  if (const llvm::json::Value *list = root->get("added_tokens")) {
    const llvm::json::Array *array = list->getAsArray();
    if (!array)
      return reader.wrongType("added_tokens", "an array", *list);
    for (size_t i = 0; i < array->size(); ++i) {
      std::string name = "added_tokens[" + std::to_string(i) + "]";
      const llvm::json::Object *token = (*array)[i].getAsObject();
      if (!token)
        return reader.wrongType(name, "an object", (*array)[i]);
      const llvm::json::Value *idValue = token->get("id");
      if (!idValue)
        return reader.error(name + ".id", "is missing");
      llvm::Expected<int32_t> id = reader.id(*idValue, name + ".id");
      llvm::Expected<std::optional<std::string>> content =
          reader.string(*token, "content", name + ".content");
      llvm::Expected<std::optional<bool>> special =
          reader.boolean(*token, "special", name + ".special");
      if (!id || !content || !special)
        return llvm::joinErrors(llvm::joinErrors(id.takeError(), content.takeError()),
                                special.takeError());
      if (!*content || (*content)->empty())
        return reader.error(name + ".content", "is missing or empty");
      if (llvm::Error e = place(*id, **content, name + ".content"))
        return std::move(e);
      added.push_back({*id, special->value_or(false)});
    }
  }
  if (texts.empty())
    return reader.error("model.vocab", "is empty");

  size_t n = texts.size();
  vocab.tokens.resize(n);
  vocab.types.assign(n, TokenType::Normal);
  vocab.scores.assign(n, 0.0f);
  for (size_t id = 0; id < n; ++id) {
    if (!texts[id]) {
      // A hole in the ids: a placeholder no text turns into, as
      // llama.cpp's converter pads vocabularies.
      vocab.tokens[id] = paddingToken(id);
      vocab.types[id] = TokenType::Unused;
      continue;
    }
    vocab.tokens[id] = *texts[id];
    if (vocab.kind == ModelKind::Llama && byteFallback->value_or(false) &&
        isByteTokenText(vocab.tokens[id]))
      vocab.types[id] = TokenType::Byte;
  }
  for (const Added &a : added)
    vocab.types[a.id] = a.special ? TokenType::Control : TokenType::UserDefined;

  // Merges: "a b" strings or ["a", "b"] pairs, in rank order.
  if (const llvm::json::Value *list = m.get("merges")) {
    const llvm::json::Array *array = list->getAsArray();
    if (!array)
      return reader.wrongType("model.merges", "an array", *list);
    vocab.merges.reserve(array->size());
    for (size_t rank = 0; rank < array->size(); ++rank) {
      std::string name = "model.merges[" + std::to_string(rank) + "]";
      const llvm::json::Value &item = (*array)[rank];
      llvm::StringRef left, right;
      if (std::optional<llvm::StringRef> s = item.getAsString()) {
        size_t space = s->find(' ', 1);
        if (space == llvm::StringRef::npos)
          return reader.error(name, "is " + quoted(*s) + ", not 'left right'");
        left = s->take_front(space);
        right = s->drop_front(space + 1);
      } else if (const llvm::json::Array *pair = item.getAsArray();
                 pair && pair->size() == 2 && (*pair)[0].getAsString() &&
                 (*pair)[1].getAsString()) {
        left = *(*pair)[0].getAsString();
        right = *(*pair)[1].getAsString();
      } else {
        return reader.wrongType(name, "a 'left right' string or a [left, right] pair", item);
      }
      auto l = modelIds.find(left), r = modelIds.find(right);
      auto joined = modelIds.find((left + right).str());
      if (l == modelIds.end() || r == modelIds.end() || joined == modelIds.end())
        return reader.error(name, "(" + quoted(left) + " " + quoted(right) +
                                      ") names or makes a token not in model.vocab");
      vocab.merges.push_back({l->second, r->second});
      // Llama scores mirror the ranks (the merges decide; scores only
      // matter to a reader that drops them).
      float &score = vocab.scores[joined->second];
      if (score == 0.0f)
        score = -static_cast<float>(rank + 1);
    }
  }
  if (vocab.kind == ModelKind::Gpt2 && vocab.merges.empty())
    return reader.error("model.merges", "is missing or empty for a byte-level tokenizer");
  if (*unkToken) {
    auto it = modelIds.find(**unkToken);
    if (it == modelIds.end())
      return reader.error("model.unk_token", "is " + quoted(**unkToken) + ", not in model.vocab");
    vocab.unk = it->second;
    vocab.types[vocab.unk] = TokenType::Unknown;
  }

  // BOS / EOS: tokenizer_config.json beside it, else the post-processor.
  llvm::StringMap<int32_t> ids = textToId(vocab);
  Template tmpl = templateTokens(*post);
  std::optional<std::string> bosText = tmpl.first, eosText = tmpl.last, padText;
  std::optional<bool> addBos, addEos;
  llvm::SmallString<256> configPath(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(configPath, "tokenizer_config.json");
  if (llvm::sys::fs::exists(configPath)) {
    std::string configName = std::string(configPath);
    llvm::Expected<llvm::json::Value> config = readJsonFile(configName, kMaxConfigBytes);
    if (!config)
      return config.takeError();
    Reader configReader(configName);
    const llvm::json::Object *c = config->getAsObject();
    if (!c)
      return fail(configName + ": must be a JSON object, not " + jsonKind(*config));
    llvm::Expected<std::optional<std::string>> bos = configToken(configReader, *c, "bos_token");
    llvm::Expected<std::optional<std::string>> eos = configToken(configReader, *c, "eos_token");
    llvm::Expected<std::optional<std::string>> pad = configToken(configReader, *c, "pad_token");
    llvm::Expected<std::optional<bool>> addB =
        configReader.boolean(*c, "add_bos_token", "add_bos_token");
    llvm::Expected<std::optional<bool>> addE =
        configReader.boolean(*c, "add_eos_token", "add_eos_token");
    if (!bos || !eos || !pad || !addB || !addE)
      return llvm::joinErrors(
          llvm::joinErrors(llvm::joinErrors(bos.takeError(), eos.takeError()),
                           llvm::joinErrors(pad.takeError(), addB.takeError())),
          addE.takeError());
    for (auto [text, key] : {std::pair{&*bos, "bos_token"}, std::pair{&*eos, "eos_token"},
                             std::pair{&*pad, "pad_token"}})
      if (*text && !ids.count(**text))
        return configReader.error(key, "is " + quoted(**text) + ", not a token of " + path);
    // The chat template: a string, or Hugging Face's list of named ones
    // ({"name": ..., "template": ...}), of which the "default" one.
    if (const llvm::json::Value *chat = c->get("chat_template")) {
      if (std::optional<llvm::StringRef> text = chat->getAsString()) {
        vocab.chatTemplate = text->str();
      } else if (const llvm::json::Array *named = chat->getAsArray()) {
        for (const llvm::json::Value &entry : *named)
          if (const llvm::json::Object *o = entry.getAsObject())
            if (o->getString("name") == std::optional<llvm::StringRef>("default"))
              if (std::optional<llvm::StringRef> text = o->getString("template"))
                vocab.chatTemplate = text->str();
      } else if (!chat->getAsNull()) {
        return configReader.error("chat_template",
                                  "is not a string or a list of named templates");
      }
    }
    if (*bos)
      bosText = *bos;
    if (*eos)
      eosText = *eos;
    padText = *pad;
    addBos = *addB;
    addEos = *addE;
  }
  auto idOf = [&](const std::optional<std::string> &text) {
    auto it = text ? ids.find(*text) : ids.end();
    return it == ids.end() ? -1 : it->second;
  };
  if (!bosText)
    for (const char *guess : {"<s>", "<|begin_of_text|>"})
      if (ids.count(guess) && !bosText)
        bosText = guess;
  if (!eosText)
    for (const char *guess : {"</s>", "<|end_of_text|>", "<|endoftext|>"})
      if (ids.count(guess) && !eosText)
        eosText = guess;
  vocab.bos = idOf(bosText);
  vocab.eos = idOf(eosText);
  vocab.pad = idOf(padText);
  // Without a setting, BOS is added when the post-processor adds it, and
  // for SentencePiece-style models (LlamaTokenizer's default).
  vocab.addBos = vocab.bos >= 0 && addBos.value_or(tmpl.first.has_value() ||
                                                   vocab.kind == ModelKind::Llama);
  vocab.addEos = vocab.eos >= 0 && addEos.value_or(tmpl.last.has_value());
  addEndOfGeneration(vocab, -1);
  if (llvm::Error e = verifyVocabulary(vocab))
    return fail(path + ": " + llvm::toString(std::move(e)));
  return vocab;
}

llvm::Expected<Vocabulary> vocabularyFromGGUFKeys(const GGUFTokenizerKeys &keys) {
  Vocabulary vocab;
  vocab.chatTemplate = keys.chatTemplate;
  if (keys.model == "llama") {
    vocab.kind = ModelKind::Llama;
  } else if (keys.model == "gpt2") {
    vocab.kind = ModelKind::Gpt2;
  } else {
    return fail("GGUF key tokenizer.ggml.model is " + quoted(keys.model) +
                ": only 'llama' and 'gpt2' are supported");
  }
  bool llamaBpe = false;
  if (keys.pre) {
    if (*keys.pre == "llama-bpe" || *keys.pre == "llama3")
      llamaBpe = true;
    else if (*keys.pre != "default" && *keys.pre != "gpt2")
      return fail("GGUF key tokenizer.ggml.pre is " + quoted(*keys.pre) +
                  ": only 'llama-bpe', 'llama3', 'default' and 'gpt2' are supported");
  }
  bool llama = vocab.kind == ModelKind::Llama;
  // llama.cpp ignores the pre-tokenizer of SentencePiece vocabularies.
  vocab.pre = llama ? PreTokenizer::None : llamaBpe ? PreTokenizer::LlamaBpe : PreTokenizer::Gpt2;
  vocab.ignoreMerges = !llama && llamaBpe; // as llama.cpp sets for llama-bpe

  size_t n = keys.tokens.size();
  if (n == 0 || n >= static_cast<size_t>(kMaxTokens))
    return fail("GGUF key tokenizer.ggml.tokens has " + llvm::Twine(n) + " tokens");
  if (!keys.scores.empty() && keys.scores.size() != n)
    return fail("GGUF key tokenizer.ggml.scores has " + llvm::Twine(keys.scores.size()) +
                " values for " + llvm::Twine(n) + " tokens");
  if (!keys.tokenTypes.empty() && keys.tokenTypes.size() != n)
    return fail("GGUF key tokenizer.ggml.token_type has " + llvm::Twine(keys.tokenTypes.size()) +
                " values for " + llvm::Twine(n) + " tokens");
  vocab.tokens = keys.tokens;
  vocab.scores = keys.scores.empty() ? std::vector<float>(n, 0.0f) : keys.scores;
  vocab.types.assign(n, TokenType::Normal);
  for (size_t i = 0; i < keys.tokenTypes.size(); ++i) {
    int32_t t = keys.tokenTypes[i];
    if (t < 1 || t > 6)
      return fail("GGUF key tokenizer.ggml.token_type: token " + llvm::Twine(i) + " has type " +
                  llvm::Twine(t) + ", not 1..6");
    vocab.types[i] = static_cast<TokenType>(t);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(vocab.scores[i]))
      return fail("GGUF key tokenizer.ggml.scores: token " + llvm::Twine(i) +
                  "'s score is not finite");
    if (vocab.types[i] == TokenType::Byte && !isByteTokenText(vocab.tokens[i]))
      return fail("GGUF key tokenizer.ggml.tokens: byte token " + llvm::Twine(i) + " is " +
                  quoted(vocab.tokens[i]) + ", not <0xXX>");
  }

  // Merges name tokens by text; SentencePiece vocabularies merge by score
  // and llama.cpp does not read merges for them.
  if (!llama) {
    llvm::StringMap<int32_t> ids = textToId(vocab);
    for (size_t rank = 0; rank < keys.merges.size(); ++rank) {
      llvm::StringRef merge = keys.merges[rank];
      size_t space = merge.find(' ', 1);
      auto l = space == llvm::StringRef::npos ? ids.end() : ids.find(merge.take_front(space));
      auto r = space == llvm::StringRef::npos ? ids.end() : ids.find(merge.drop_front(space + 1));
      if (l == ids.end() || r == ids.end())
        return fail("GGUF key tokenizer.ggml.merges[" + llvm::Twine(rank) + "] is " +
                    quoted(merge) + ": not two tokens of tokenizer.ggml.tokens");
      vocab.merges.push_back({l->second, r->second});
    }
  }

  auto id = [&](const std::optional<int64_t> &value, const char *key,
                int32_t &field) -> llvm::Error {
    if (!value)
      return llvm::Error::success();
    // llama.cpp writes -1 / UINT32_MAX-style values for "none" rarely; only
    // -1 is taken as that.
    if (*value < -1 || *value >= static_cast<int64_t>(n))
      return fail(llvm::Twine("GGUF key tokenizer.ggml.") + key + " is " + llvm::Twine(*value) +
                  ", not a token id below " + llvm::Twine(n));
    field = static_cast<int32_t>(*value);
    return llvm::Error::success();
  };
  int32_t eot = -1;
  if (llvm::Error e = id(keys.bos, "bos_token_id", vocab.bos))
    return std::move(e);
  if (llvm::Error e = id(keys.eos, "eos_token_id", vocab.eos))
    return std::move(e);
  if (llvm::Error e = id(keys.unk, "unknown_token_id", vocab.unk))
    return std::move(e);
  if (llvm::Error e = id(keys.pad, "padding_token_id", vocab.pad))
    return std::move(e);
  if (llvm::Error e = id(keys.eot, "eot_token_id", eot))
    return std::move(e);
  // llama.cpp's defaults: SentencePiece adds BOS and a space prefix;
  // llama-bpe adds BOS; plain GPT-2 neither.
  vocab.addBos = keys.addBos.value_or(llama || llamaBpe) && vocab.bos >= 0;
  vocab.addEos = keys.addEos.value_or(false) && vocab.eos >= 0;
  vocab.addSpacePrefix = llama && keys.addSpacePrefix.value_or(true);
  addEndOfGeneration(vocab, eot);
  if (llvm::Error e = verifyVocabulary(vocab))
    return fail("GGUF tokenizer keys: " + llvm::toString(std::move(e)));
  return vocab;
}

} // namespace tokenizer
} // namespace bitnet
