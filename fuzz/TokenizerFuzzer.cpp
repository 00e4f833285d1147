//===- TokenizerFuzzer.cpp - libFuzzer harness for the run-time tokenizer -===//
//
// The tokenizer a compiled model carries reads two untrusted inputs: the
// blob (checked when opened: a corrupt one must be refused, never crash)
// and the text users type. Each input is tried both ways: as a blob, which
// when accepted must tokenize and detokenize a sample; and as text, through
// a SentencePiece-style and a byte-level vocabulary that both cover every
// byte, where detokenize(tokenize(text)) must give the text back (the
// Llama one drops the space it adds in front; text holding U+2581 itself is
// exempt, as that character decodes to a space). With
// BITNET_FUZZ_WRITE_SEED=<dir> set, the harness writes the two blobs there
// (scripts/fuzz-seeds.sh) and exits.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Runtime/Tokenizer.h"
#include "bitnet/Tokenizer/Vocabulary.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace tk = bitnet::tokenizer;

namespace {

/// Byte pieces <0x00>..<0xFF> and a few words, merged by score.
tk::Vocabulary llamaVocabulary() {
  tk::Vocabulary v;
  v.kind = tk::ModelKind::Llama;
  auto add = [&](std::string text, float score, tk::TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, tk::TokenType::Unknown);
  add("<s>", 0, tk::TokenType::Control);
  add("</s>", 0, tk::TokenType::Control);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    add(name, 0, tk::TokenType::Byte);
  }
  float score = -1;
  for (const char *word : {"\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a", "ab",
                           "\xE2\x96\x81" "ab", "\xC3\xA9", "\xE2\x96\x81" "\xC3\xA9"})
    add(word, score--, tk::TokenType::Normal);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.addBos = true;
  return v;
}

/// GPT-2's byte alphabet: byte b is U+0100 + b unless printable Latin-1.
std::string byteSymbol(int b) {
  bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
  int code = b;
  if (!printable) {
    int n = 0;
    for (int c = 0; c < b; ++c)
      if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE)))
        ++n;
    code = 0x100 + n;
  }
  std::string s;
  if (code < 0x80) {
    s += char(code);
  } else {
    s += char(0xC0 | (code >> 6));
    s += char(0x80 | (code & 0x3F));
  }
  return s;
}

/// Every byte a token, a few merges, the Llama 3 pre-tokenizer.
tk::Vocabulary gpt2Vocabulary() {
  tk::Vocabulary v;
  v.kind = tk::ModelKind::Gpt2;
  v.pre = tk::PreTokenizer::LlamaBpe;
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(byteSymbol(b));
    v.scores.push_back(0);
    v.types.push_back(tk::TokenType::Normal);
  }
  auto id = [&](const std::string &t) {
    for (size_t i = 0; i < v.tokens.size(); ++i)
      if (v.tokens[i] == t)
        return int32_t(i);
    return int32_t(-1);
  };
  auto merge = [&](const std::string &a, const std::string &b) {
    v.merges.push_back({id(a), id(b)});
    v.tokens.push_back(a + b);
    v.scores.push_back(0);
    v.types.push_back(tk::TokenType::Normal);
  };
  const std::string space = byteSymbol(' ');
  merge("a", "b");
  merge(space, "ab");
  merge("t", "h");
  merge("th", "e");
  v.tokens.push_back("<|end_of_text|>");
  v.scores.push_back(0);
  v.types.push_back(tk::TokenType::Control);
  v.eos = int32_t(v.tokens.size()) - 1;
  return v;
}

struct Fixture {
  std::vector<uint8_t> llamaBlob, gpt2Blob;
  bitnet_tokenizer *llama = nullptr, *gpt2 = nullptr;
  Fixture() {
    llamaBlob = tk::serializeVocabulary(llamaVocabulary());
    gpt2Blob = tk::serializeVocabulary(gpt2Vocabulary());
    char err[256];
    llama = bitnet_tokenizer_open(llamaBlob.data(), llamaBlob.size(), err, sizeof err);
    gpt2 = bitnet_tokenizer_open(gpt2Blob.data(), gpt2Blob.size(), err, sizeof err);
    if (!llama || !gpt2) {
      std::fprintf(stderr, "the harness's own vocabularies do not open: %s\n", err);
      std::abort();
    }
  }
};

const Fixture &fixture() {
  static const Fixture f;
  return f;
}

/// Tokenizes `text` and detokenizes the ids; false if the text does not come
/// back (an error from the Gpt2 regex, e.g. no PCRE2, counts as "skip").
bool roundTrips(bitnet_tokenizer *tok, const std::string &text) {
  std::vector<int32_t> ids(text.size() * 4 + 8);
  int32_t n = bitnet_tokenizer_tokenize(tok, text.data(), int32_t(text.size()), ids.data(),
                                        int32_t(ids.size()), 0, 0);
  if (n == BITNET_TOKENIZER_ERROR)
    return true;
  if (n < 0)
    return false; // 4 ids per byte always suffice
  std::vector<char> out(text.size() * 4 + 16);
  int32_t bytes = bitnet_tokenizer_detokenize(tok, ids.data(), n, out.data(),
                                              int32_t(out.size()), 1);
  if (bytes < 0)
    return false;
  return std::string(out.data(), size_t(bytes)) == text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const Fixture &f = fixture();
  if (const char *dir = std::getenv("BITNET_FUZZ_WRITE_SEED")) {
    for (auto [name, blob] : {std::pair{"/llama.blob", &f.llamaBlob},
                              std::pair{"/gpt2.blob", &f.gpt2Blob}}) {
      std::string path = std::string(dir) + name;
      if (FILE *out = std::fopen(path.c_str(), "wb")) {
        std::fwrite(blob->data(), 1, blob->size(), out);
        std::fclose(out);
      }
    }
    std::exit(0);
  }
  // The input as a blob.
  char err[256];
  if (bitnet_tokenizer *tok = bitnet_tokenizer_open(data, size, err, sizeof err)) {
    static const char sample[] = "Hello, world! \xC3\xA9\xF0\x9F\x98\x80 \xFF 123456";
    int32_t ids[256];
    int32_t n = bitnet_tokenizer_tokenize(tok, sample, int32_t(sizeof sample - 1), ids, 256, 1, 1);
    if (n > 0) {
      char out[1024];
      bitnet_tokenizer_detokenize(tok, ids, n, out, sizeof out, 0);
      for (int32_t i = 0; i < n; ++i)
        bitnet_tokenizer_token_to_piece(tok, ids[i], out, sizeof out);
    }
    bitnet_tokenizer_close(tok);
  }
  // The input as text.
  std::string text(reinterpret_cast<const char *>(data), size);
  if (text.size() > 4096)
    text.resize(4096);
  if (!roundTrips(f.gpt2, text))
    std::abort();
  // The Llama kind writes spaces as U+2581 and decodes U+2581 to a space;
  // the space it adds in front is dropped again.
  if (text.find("\xE2\x96\x81") == std::string::npos && !roundTrips(f.llama, text))
    std::abort();
  return 0;
}
