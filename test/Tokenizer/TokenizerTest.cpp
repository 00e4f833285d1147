//===- TokenizerTest.cpp - Vocabularies, blobs and the C tokenizer --------===//
//
// Small hand-written vocabularies of both kinds, serialized and run through
// the C API (include/bitnet/Runtime/Tokenizer.h) with the ids worked out by
// hand; round trips over multi-byte and invalid UTF-8; every truncation and
// every flipped byte of a blob refused; tokenizer.json fixtures and GGUF
// keys read. argv[1]: a scratch directory.
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"
#include "bitnet/Runtime/Tokenizer.h"
#include "bitnet/Tokenizer/Vocabulary.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace tk = bitnet::tokenizer;
using Ids = std::vector<int32_t>;

namespace {
bitnet::test::Checks checks;

void expect(bool ok, const std::string &what) { checks.expect(ok, what); }

std::string show(const Ids &ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? " " : "") + std::to_string(ids[i]);
  return s + "]";
}

std::string escaped(const std::string &text) {
  std::string s;
  for (unsigned char c : text) {
    char buf[8];
    std::snprintf(buf, sizeof buf, c >= 0x20 && c < 0x7F ? "%c" : "\\x%02X", c);
    s += buf;
  }
  return s;
}

/// A handle over a serialized vocabulary, closed at scope end.
struct Handle {
  explicit Handle(const tk::Vocabulary &vocab) {
    if (llvm::Error e = tk::verifyVocabulary(vocab)) {
      expect(false, "verifyVocabulary: " + llvm::toString(std::move(e)));
      return;
    }
    std::vector<uint8_t> blob = tk::serializeVocabulary(vocab);
    char err[256];
    tok = bitnet_tokenizer_open(blob.data(), blob.size(), err, sizeof err);
    expect(tok != nullptr, std::string("open: ") + err);
  }
  ~Handle() { bitnet_tokenizer_close(tok); }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;

  Ids tokenize(const std::string &text, bool addSpecial = false, bool parseSpecial = false) {
    int32_t n = bitnet_tokenizer_tokenize(tok, text.data(), static_cast<int32_t>(text.size()),
                                          nullptr, 0, addSpecial, parseSpecial);
    if (n == BITNET_TOKENIZER_ERROR) {
      expect(false, "tokenize " + escaped(text) + ": " + bitnet_tokenizer_error(tok));
      return {};
    }
    Ids ids(static_cast<size_t>(n < 0 ? -n : n));
    int32_t m = bitnet_tokenizer_tokenize(tok, text.data(), static_cast<int32_t>(text.size()),
                                          ids.data(), static_cast<int32_t>(ids.size()),
                                          addSpecial, parseSpecial);
    expect(m == static_cast<int32_t>(ids.size()),
           "tokenize " + escaped(text) + " a second time gives the same count");
    return ids;
  }
  std::string detokenize(const Ids &ids, bool removeSpecial = false) {
    int32_t n = bitnet_tokenizer_detokenize(tok, ids.data(), static_cast<int32_t>(ids.size()),
                                            nullptr, 0, removeSpecial);
    if (n == BITNET_TOKENIZER_ERROR) {
      expect(false, "detokenize " + show(ids) + ": " + bitnet_tokenizer_error(tok));
      return {};
    }
    std::string text(static_cast<size_t>(n < 0 ? -n : n), '\0');
    int32_t m = bitnet_tokenizer_detokenize(tok, ids.data(), static_cast<int32_t>(ids.size()),
                                            text.data(), static_cast<int32_t>(text.size()),
                                            removeSpecial);
    expect(m == static_cast<int32_t>(text.size()), "detokenize " + show(ids) + " twice");
    return text;
  }
  void expectIds(const std::string &text, const Ids &want, const std::string &what,
                 bool addSpecial = false, bool parseSpecial = false) {
    Ids got = tokenize(text, addSpecial, parseSpecial);
    expect(got == want, what + ": " + escaped(text) + " -> " + show(got) + ", want " + show(want));
  }
  void expectRoundTrip(const std::string &text, const std::string &what) {
    std::string back = detokenize(tokenize(text));
    expect(back == text, what + ": " + escaped(text) + " comes back as " + escaped(back));
  }

  bitnet_tokenizer *tok = nullptr;
};

/// GPT-2's byte-to-unicode table, written from its description (printable
/// Latin-1 stands for itself, the rest for U+0100.. in byte order) rather
/// than from the runtime's code.
std::string gpt2Char(uint8_t b) {
  std::vector<int> self;
  for (int c = '!'; c <= '~'; ++c)
    self.push_back(c);
  for (int c = 0xA1; c <= 0xAC; ++c)
    self.push_back(c);
  for (int c = 0xAE; c <= 0xFF; ++c)
    self.push_back(c);
  uint32_t cp = b;
  if (std::find(self.begin(), self.end(), b) == self.end()) {
    int n = 0;
    for (int c = 0; c < b; ++c)
      n += std::find(self.begin(), self.end(), c) == self.end();
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

void add(tk::Vocabulary &v, const std::string &text, float score = 0,
         tk::TokenType type = tk::TokenType::Normal) {
  v.tokens.push_back(text);
  v.scores.push_back(score);
  v.types.push_back(type);
}

int32_t idOf(const tk::Vocabulary &v, const std::string &text) {
  for (size_t i = 0; i < v.tokens.size(); ++i)
    if (v.tokens[i] == text)
      return static_cast<int32_t>(i);
  std::fprintf(stderr, "no token %s\n", text.c_str());
  return -1;
}

const std::string kSp = "\xE2\x96\x81"; // U+2581

/// A SentencePiece-style vocabulary merged by score:
///   0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then the pieces below.
tk::Vocabulary llamaVocab(bool byteTokens = true) {
  tk::Vocabulary v;
  v.kind = tk::ModelKind::Llama;
  add(v, "<unk>", 0, tk::TokenType::Unknown);
  add(v, "<s>", 0, tk::TokenType::Control);
  add(v, "</s>", 0, tk::TokenType::Control);
  if (byteTokens)
    for (int b = 0; b < 256; ++b) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      add(v, buf, 0, tk::TokenType::Byte);
    }
  for (const char *c : {"h", "e", "l", "o", "w", "r", "d", "a"})
    add(v, c, 0);
  add(v, kSp, 0);
  add(v, "ll", -1);
  add(v, "or", -1.5f);
  add(v, "he", -2);
  add(v, kSp + "w", -2.5f);
  add(v, "hell", -3);
  add(v, kSp + "wor", -3.5f);
  add(v, "hello", -4);
  add(v, kSp + "hello", -5);
  add(v, "ld", -6);
  add(v, kSp + "world", -7);
  add(v, "aa", -1);
  add(v, "<tool>", 0, tk::TokenType::UserDefined);
  v.bos = 1;
  v.eos = 2;
  v.unk = 0;
  v.addBos = true;
  v.eog = {};
  return v;
}

void testLlama() {
  tk::Vocabulary v = llamaVocab();
  Handle h(v);
  if (!h.tok)
    return;
  auto id = [&](const std::string &t) { return idOf(v, t); };
  expect(bitnet_tokenizer_vocab_size(h.tok) == static_cast<int32_t>(v.tokens.size()), "vocab size");
  expect(bitnet_tokenizer_bos(h.tok) == 1 && bitnet_tokenizer_eos(h.tok) == 2, "bos / eos");
  expect(bitnet_tokenizer_is_eog(h.tok, 2) && !bitnet_tokenizer_is_eog(h.tok, 1), "is_eog");

  // "hello world" -> "▁hello▁world": ▁ h e l l o ▁ w o r l d. Best pair by
  // the score of the merged token, leftmost on ties:
  //   ll (-1)      ▁ h e [ll] o ▁ w o r l d
  //   or (-1.5)    ▁ h e ll o ▁ w [or] l d
  //   he (-2)      ▁ [he] ll o ▁ w or l d
  //   ▁w (-2.5)    ▁ he ll o [▁w] or l d
  //   hell (-3)    ▁ [hell] o ▁w or l d
  //   ▁wor (-3.5)  ▁ hell o [▁wor] l d
  //   hello (-4)   ▁ [hello] ▁wor l d
  //   ▁hello (-5)  [▁hello] ▁wor l d
  //   ld (-6)      ▁hello ▁wor [ld]
  //   ▁world (-7)  ▁hello [▁world]
  Ids helloWorld = {id(kSp + "hello"), id(kSp + "world")};
  h.expectIds("hello world", helloWorld, "llama merges by score");
  Ids withBos = {1};
  withBos.insert(withBos.end(), helloWorld.begin(), helloWorld.end());
  h.expectIds("hello world", withBos, "llama add_special adds BOS", true);
  expect(h.detokenize(withBos, true) == "hello world", "llama detokenize drops BOS and the prefix space");
  expect(h.detokenize(withBos, false) == "<s>hello world", "llama detokenize keeps BOS when asked");

  // Ties go to the leftmost pair: ▁ a a a -> ▁ [aa] a, not ▁ a [aa].
  h.expectIds("aaa", {id(kSp), id("aa"), id("a")}, "llama ties merge leftmost");

  // Byte fallback: é (C3 A9) is no token -> <0xC3> <0xA9>.
  h.expectIds("h\xC3\xA9", {id(kSp), id("h"), 3 + 0xC3, 3 + 0xA9}, "llama byte fallback");

  // Leading space: " hello" -> ▁ ▁ h e l l o -> ▁ [▁hello].
  h.expectIds(" hello", {id(kSp), id(kSp + "hello")}, "llama leading space");
  h.expectRoundTrip(" hello", "llama leading space");
  h.expectIds("", {}, "llama empty text");
  h.expectIds("", {1}, "llama empty text with BOS", true);

  // Special tokens written in the text: a space is put after each, as
  // before the text (llama.cpp's add_space_prefix after a special token).
  h.expectIds("<s>hello", {1, id(kSp + "hello")}, "llama <s> parsed", false, true);
  // Not parsed: < s > are bytes; then h e l l o -> hello (no ▁ before it).
  h.expectIds("<s>hello", {id(kSp), 3 + '<', 3 + 's', 3 + '>', id("hello")},
              "llama <s> not parsed");
  // User-defined tokens are always matched.
  h.expectIds("hello<tool>hello", {id(kSp + "hello"), id("<tool>"), id(kSp + "hello")},
              "llama user-defined token");
  expect(h.detokenize({1, id(kSp + "hello"), 2}, false) == "<s>hello</s>",
         "llama detokenize special tokens");
  h.expectRoundTrip("hello<tool>hello", "llama user-defined round trip");

  // token_to_piece: ▁ becomes a space; byte tokens their byte; a buffer
  // too small gets the negated size and is not written.
  char buf[16];
  std::memset(buf, '#', sizeof buf);
  int32_t n = bitnet_tokenizer_token_to_piece(h.tok, id(kSp + "hello"), buf, 3);
  expect(n == -6 && buf[0] == '#', "token_to_piece too small: -6, nothing written (got " +
                                       std::to_string(n) + ")");
  n = bitnet_tokenizer_token_to_piece(h.tok, id(kSp + "hello"), buf, sizeof buf);
  expect(n == 6 && std::string(buf, 6) == " hello", "token_to_piece of ▁hello");
  n = bitnet_tokenizer_token_to_piece(h.tok, 3 + 0xA9, buf, sizeof buf);
  expect(n == 1 && static_cast<uint8_t>(buf[0]) == 0xA9, "token_to_piece of a byte token");
  expect(bitnet_tokenizer_token_to_piece(h.tok, 100000, buf, sizeof buf) == BITNET_TOKENIZER_ERROR,
         "token_to_piece of an id out of range");
  expect(bitnet_tokenizer_detokenize(h.tok, Ids{5, -1}.data(), 2, buf, sizeof buf, 0) ==
             BITNET_TOKENIZER_ERROR,
         "detokenize refuses an id out of range");

  // Too many ids: the negated count, nothing written.
  int32_t ids[2] = {-7, -7};
  n = bitnet_tokenizer_tokenize(h.tok, "hello world", 11, ids, 2, 1, 0);
  expect(n == -3 && ids[0] == -7 && ids[1] == -7, "tokenize into too few ids: -3, nothing written");
  std::memset(buf, '#', sizeof buf);
  n = bitnet_tokenizer_detokenize(h.tok, helloWorld.data(), 2, buf, 4, 0);
  expect(n == -11 && buf[0] == '#', "detokenize into too small a buffer: -11, nothing written");

  // Round trips over UTF-8 of 1 to 4 bytes (byte fallback), and invalid
  // sequences, which become byte tokens and come back as they were.
  for (const char *text :
       {"hello world", "  two  spaces ", "caf\xC3\xA9 \xC3\xBC" "ber", "\xE2\x82\xAC 5",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xF0\x9F\x98\x80 emoji \xF0\x9F\x91\x8D",
        "\x80 lone continuation", "trunc \xE2\x82", "\xF0\x9F\x98", "\xC0\xAF overlong",
        "\xED\xA0\x80 surrogate", "\xF4\x90\x80\x80 too big", "tab\tnew\nline"})
    h.expectRoundTrip(text, "llama round trip");
  h.expectRoundTrip(std::string("nul\0byte", 8), "llama round trip with NUL");
  h.expectIds("\x80", {id(kSp), 3 + 0x80}, "llama lone continuation byte is a byte token");
  // A truncated sequence does not swallow the ASCII after it.
  h.expectIds("\xE2" "a", {id(kSp), 3 + 0xE2, id("a")}, "llama truncated sequence");

  // Without byte tokens an unknown character is <unk>.
  tk::Vocabulary noBytes = llamaVocab(false);
  Handle u(noBytes);
  if (u.tok)
    u.expectIds("h\xC3\xA9", {idOf(noBytes, kSp), idOf(noBytes, "h"), 0}, "llama unk fallback");
}

/// A byte-level vocabulary: ids 0..255 the GPT-2 characters of bytes
/// 0..255, then merged tokens and specials.
tk::Vocabulary gpt2Vocab(tk::PreTokenizer pre) {
  tk::Vocabulary v;
  v.kind = tk::ModelKind::Gpt2;
  v.pre = pre;
  v.addSpacePrefix = false;
  for (int b = 0; b < 256; ++b)
    add(v, gpt2Char(static_cast<uint8_t>(b)));
  std::string G = gpt2Char(' '); // Ġ
  const std::pair<std::string, std::string> merges[] = {
      {"H", "e"},  {"l", "l"},  {"He", "ll"}, {"Hell", "o"}, {G, "w"},   {"o", "r"},
      {G + "w", "or"}, {"l", "d"}, {G + "wor", "ld"}, {"1", "2"}, {"3", "4"}};
  for (const auto &[a, b] : merges) {
    if (std::find(v.tokens.begin(), v.tokens.end(), a + b) == v.tokens.end())
      add(v, a + b);
    v.merges.push_back({idOf(v, a), idOf(v, b)});
  }
  add(v, "xyz"); // no merge makes it
  add(v, "<|begin_of_text|>", 0, tk::TokenType::Control);
  add(v, "<|end_of_text|>", 0, tk::TokenType::Control);
  add(v, "<|eot_id|>", 0, tk::TokenType::Control);
  v.bos = idOf(v, "<|begin_of_text|>");
  v.eos = idOf(v, "<|end_of_text|>");
  v.eog = {idOf(v, "<|eot_id|>")};
  v.addBos = true;
  return v;
}

bool havePcre2(std::string &why) {
  void *lib = dlopen("libpcre2-8.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    why = e ? e : "not found";
    return false;
  }
  dlclose(lib);
  return true;
}

void testGpt2() {
  tk::Vocabulary v = gpt2Vocab(tk::PreTokenizer::LlamaBpe);
  Handle h(v);
  if (!h.tok)
    return;
  std::string why;
  if (!havePcre2(why)) {
    std::printf("SKIP gpt2 tokenize tests: libpcre2-8.so.0 cannot be loaded (%s)\n", why.c_str());
    int32_t n = bitnet_tokenizer_tokenize(h.tok, "a", 1, nullptr, 0, 0, 0);
    expect(n == BITNET_TOKENIZER_ERROR &&
               std::strstr(bitnet_tokenizer_error(h.tok), "libpcre2-8.so.0"),
           "without PCRE2 tokenize fails naming libpcre2-8.so.0");
    return;
  }
  auto id = [&](const std::string &t) { return idOf(v, t); };
  std::string G = gpt2Char(' ');
  // "Hello world!" -> the llama-bpe regex: "Hello", " world", "!".
  //   Hello:  H e l l o: He (0) -> [He] l l o; ll (1) -> [He][ll] o;
  //           He ll (2) -> [Hell] o; Hell o (3) -> [Hello]
  //   " world": Ġ w o r l d: Ġw (4) -> [Ġw] o r l d; or (5) -> [Ġw][or] l d;
  //           Ġw or (6) -> [Ġwor] l d; ld (7) -> [Ġwor][ld]; (8) -> [Ġworld]
  //   "!": byte 0x21, token 33.
  Ids want = {id("Hello"), id(G + "world"), '!'};
  h.expectIds("Hello world!", want, "gpt2 merges by rank");
  Ids withBos = {v.bos};
  withBos.insert(withBos.end(), want.begin(), want.end());
  h.expectIds("Hello world!", withBos, "gpt2 add_special adds BOS", true);
  expect(h.detokenize(withBos, true) == "Hello world!", "gpt2 detokenize");
  expect(h.detokenize(withBos, false) == "<|begin_of_text|>Hello world!",
         "gpt2 detokenize keeps specials when asked");
  expect(bitnet_tokenizer_is_eog(h.tok, id("<|eot_id|>")) &&
             bitnet_tokenizer_is_eog(h.tok, v.eos) && !bitnet_tokenizer_is_eog(h.tok, v.bos),
         "gpt2 end of generation");
  // Equal ranks: leftmost. l l l -> [ll] l.
  h.expectIds("lll", {id("ll"), 'l'}, "gpt2 ties merge leftmost");
  // The llama-bpe regex splits digits in threes: "123" "45" -> [12] 3 | 4 5,
  // so 3 4 never merges; GPT-2's regex keeps "12345" whole: [12][34] 5.
  h.expectIds("12345", {id("12"), '3', '4', '5'}, "llama-bpe splits numbers in threes");
  tk::Vocabulary plain = gpt2Vocab(tk::PreTokenizer::Gpt2);
  Handle g(plain);
  if (g.tok)
    g.expectIds("12345", {id("12"), id("34"), '5'}, "gpt2 regex keeps a number whole");
  // Special tokens in text.
  h.expectIds("<|eot_id|>Hello", {id("<|eot_id|>"), id("Hello")}, "gpt2 special parsed", false,
              true);
  Ids literal = h.tokenize("<|eot_id|>", false, false);
  expect(literal.size() > 1 && h.detokenize(literal) == "<|eot_id|>",
         "gpt2 special not parsed is text");
  // ignore_merges: a word that is a token is that token.
  h.expectIds("xyz", {'x', 'y', 'z'}, "gpt2 without ignore_merges");
  tk::Vocabulary whole = v;
  whole.ignoreMerges = true;
  Handle w(whole);
  if (w.tok)
    w.expectIds("xyz", {id("xyz")}, "gpt2 ignore_merges");
  // Invalid UTF-8: the regex matches none of it; each run between matches
  // is a word of its own, and every byte has a token.
  h.expectIds("a\x80" "b", {'a', 0x80, 'b'}, "gpt2 lone continuation byte");
  h.expectIds("Hello\xE2\x82", {id("Hello"), 0xE2, 0x82}, "gpt2 truncated sequence");
  for (const char *text :
       {"Hello world!", "  two  spaces \n\n x", "caf\xC3\xA9 \xC3\xBC" "ber 123456789",
        "\xE2\x82\xAC 5", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "I'm \xF0\x9F\x98\x80!",
        "\x80\x81 lone", "trunc \xE2\x82", "\xF0\x9F\x98", "\xC0\xAF overlong",
        "\xED\xA0\x80 surrogate", "\xFF\xFE\xFD", "don't STOP'LL"})
    h.expectRoundTrip(text, "gpt2 round trip");
  std::string every;
  for (int b = 0; b < 256; ++b)
    every += static_cast<char>(b);
  h.expectRoundTrip(every, "gpt2 round trip of every byte");
  // The piece of Ġworld is " world".
  char buf[16];
  int32_t n = bitnet_tokenizer_token_to_piece(h.tok, id(G + "world"), buf, sizeof buf);
  expect(n == 6 && std::string(buf, 6) == " world", "gpt2 token_to_piece decodes the alphabet");
  expect(bitnet_tokenizer_token_to_piece(h.tok, id(G + "world"), buf, 5) == -6,
         "gpt2 token_to_piece too small");
}

/// Recomputes a blob's checksum after an edit, so that the field checks
/// behind it are reached.
void reseal(std::vector<uint8_t> &blob) {
  for (int i = 0; i < 8; ++i)
    blob[64 + i] = 0;
  uint64_t h = 14695981039346656037ull;
  for (uint8_t b : blob)
    h = (h ^ b) * 1099511628211ull;
  for (int i = 0; i < 8; ++i)
    blob[64 + i] = static_cast<uint8_t>(h >> (8 * i));
}

void put32(std::vector<uint8_t> &blob, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    blob[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

bool refused(const std::vector<uint8_t> &blob, size_t size, const std::string &what,
             const char *mentions = nullptr) {
  char err[256] = "unset";
  bitnet_tokenizer *tok = bitnet_tokenizer_open(blob.data(), size, err, sizeof err);
  bool ok = !tok && err[0] && std::strcmp(err, "unset") != 0 &&
            (!mentions || std::strstr(err, mentions));
  if (!ok)
    std::printf("  %s: %s\n", what.c_str(), tok ? "accepted" : err);
  bitnet_tokenizer_close(tok);
  return ok;
}

void testCorruptBlobs() {
  for (const tk::Vocabulary &v : {llamaVocab(), gpt2Vocab(tk::PreTokenizer::LlamaBpe)}) {
    std::vector<uint8_t> blob = tk::serializeVocabulary(v);
    std::string kind = v.kind == tk::ModelKind::Llama ? "llama" : "gpt2";
    int failures = 0;
    // Every truncation, from a heap copy of exactly that size (so that ASan
    // sees any read past it).
    for (size_t size = 0; size < blob.size(); ++size) {
      std::vector<uint8_t> part(blob.begin(), blob.begin() + size);
      failures += !refused(part, size, kind + " truncated to " + std::to_string(size));
    }
    expect(failures == 0, kind + ": every truncation refused (" + std::to_string(failures) +
                              " accepted)");
    failures = 0;
    for (size_t at = 0; at < blob.size(); ++at) {
      std::vector<uint8_t> flipped = blob;
      flipped[at] ^= 0x10;
      failures += !refused(flipped, flipped.size(), kind + " byte " + std::to_string(at) + " flipped");
    }
    expect(failures == 0, kind + ": every flipped byte refused (" + std::to_string(failures) +
                              " accepted)");
    std::vector<uint8_t> longer = blob;
    longer.push_back(0);
    expect(refused(longer, longer.size(), kind + " longer"), kind + ": a trailing byte refused");
    expect(!bitnet_tokenizer_open(nullptr, 0, nullptr, 0), "open(NULL) refused");
  }
  // Resealed edits reach the field checks.
  tk::Vocabulary v = llamaVocab();
  std::vector<uint8_t> good = tk::serializeVocabulary(v);
  uint32_t n = static_cast<uint32_t>(v.tokens.size());
  size_t types = 72 + 4 * (n + 1) + 4 * n;
  struct Edit {
    const char *what, *mentions;
    size_t at;
    uint32_t value;
  } edits[] = {
      {"version 2", "version", 4, 2},
      {"kind 7", "kind", 12, 7},
      {"llama with a regex", "pre-tokenizer", 16, 1},
      {"unknown flag", "flags", 20, 64},
      {"bos out of range", "range", 24, n},
      {"token count", "bytes", 40, n + 1},
      {"merge count", "bytes", 44, 1},
      {"offset out of order", "order", 72 + 4 * 5, 0xFFFF},
      {"score NaN", "finite", 72 + 4 * (n + 1), 0x7FC00000},
  };
  for (const Edit &e : edits) {
    std::vector<uint8_t> blob = good;
    put32(blob, e.at, e.value);
    reseal(blob);
    expect(refused(blob, blob.size(), e.what, e.mentions), std::string("refused: ") + e.what);
  }
  std::vector<uint8_t> badType = good;
  badType[types + 4] = 9;
  reseal(badType);
  expect(refused(badType, badType.size(), "type 9", "type"), "refused: token type 9");
  std::vector<uint8_t> badByte = good;
  badByte[types + 3] = static_cast<uint8_t>(tk::TokenType::Normal);
  badByte[types + 1] = static_cast<uint8_t>(tk::TokenType::Byte); // "<s>" as a byte token
  reseal(badByte);
  expect(refused(badByte, badByte.size(), "byte token <s>", "<0xXX>"), "refused: bad byte token");

  // A merge that makes no token, and ids out of range, before serializing.
  tk::Vocabulary bad = gpt2Vocab(tk::PreTokenizer::Gpt2);
  bad.merges.push_back({'q', 'q'});
  expect(static_cast<bool>(llvm::errorToBool(tk::verifyVocabulary(bad))),
         "verifyVocabulary refuses a merge making no token");
  bad = llamaVocab();
  bad.eos = 100000;
  expect(static_cast<bool>(llvm::errorToBool(tk::verifyVocabulary(bad))),
         "verifyVocabulary refuses eos out of range");
  bad = llamaVocab();
  bad.pre = tk::PreTokenizer::Gpt2;
  expect(static_cast<bool>(llvm::errorToBool(tk::verifyVocabulary(bad))),
         "verifyVocabulary refuses a Llama vocabulary with a regex");
}

//===----------------------------------------------------------------------===//
// tokenizer.json and GGUF keys
//===----------------------------------------------------------------------===//

std::string path(const std::string &dir, const std::string &name) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

void writeJson(const std::string &file, llvm::json::Value value) {
  std::error_code ec;
  llvm::raw_fd_ostream out(file, ec);
  expect(!ec, "write " + file);
  out << value;
}

std::string errorOf(llvm::Expected<tk::Vocabulary> v) {
  if (v)
    return "";
  return llvm::toString(v.takeError());
}

/// A SentencePiece-style tokenizer.json (Llama 2's shape): BPE with
/// byte_fallback, merges as strings, a Prepend + Replace normalizer.
llvm::json::Object llamaTokenizerJson() {
  llvm::json::Object vocab;
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    vocab[std::string(buf)] = 3 + b; // a char * key would be borrowed
  }
  int next = 259;
  for (std::string t : {kSp, std::string("h"), std::string("e"), std::string("l"),
                        std::string("o"), std::string("x"), std::string("ll"),
                        std::string("he"), std::string("hell"), std::string("hello"),
                        kSp + "hello", kSp + "h"})
    vocab[t] = next++;
  // Ranks make ▁ h merge last, so "hello" forms before ▁ joins it. (By
  // scores alone, a high-scoring ▁h would win instead.)
  llvm::json::Array merges{"l l", "h e", "he ll", "hell o", kSp + " hello", kSp + " h"};
  llvm::json::Array added;
  for (auto [id, text] : {std::pair{0, "<unk>"}, std::pair{1, "<s>"}, std::pair{2, "</s>"}})
    added.push_back(llvm::json::Object{{"id", id}, {"content", text}, {"special", true}});
  return llvm::json::Object{
      {"version", "1.0"},
      {"added_tokens", std::move(added)},
      {"normalizer",
       llvm::json::Object{
           {"type", "Sequence"},
           {"normalizers",
            llvm::json::Array{
                llvm::json::Object{{"type", "Prepend"}, {"prepend", kSp}},
                llvm::json::Object{{"type", "Replace"},
                                   {"pattern", llvm::json::Object{{"String", " "}}},
                                   {"content", kSp}}}}}},
      {"pre_tokenizer", nullptr},
      {"model", llvm::json::Object{{"type", "BPE"},
                                   {"byte_fallback", true},
                                   {"unk_token", "<unk>"},
                                   {"vocab", std::move(vocab)},
                                   {"merges", std::move(merges)}}}};
}

/// A Llama 3-shaped byte-level tokenizer.json: Split with the llama-bpe
/// regex + ByteLevel, merges as pairs, ignore_merges, special tokens added
/// after the vocabulary, BOS from the post-processor.
llvm::json::Object llama3TokenizerJson(const std::string &regex) {
  tk::Vocabulary v = gpt2Vocab(tk::PreTokenizer::LlamaBpe);
  llvm::json::Object vocab;
  llvm::json::Array merges;
  int32_t firstSpecial = idOf(v, "<|begin_of_text|>");
  for (int32_t i = 0; i < firstSpecial; ++i)
    vocab[v.tokens[i]] = i;
  for (auto [a, b] : v.merges)
    merges.push_back(llvm::json::Array{v.tokens[a], v.tokens[b]});
  llvm::json::Array added;
  for (int32_t i = firstSpecial; i < static_cast<int32_t>(v.tokens.size()); ++i)
    added.push_back(llvm::json::Object{{"id", i}, {"content", v.tokens[i]}, {"special", true}});
  return llvm::json::Object{
      {"added_tokens", std::move(added)},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       llvm::json::Object{
           {"type", "Sequence"},
           {"pretokenizers",
            llvm::json::Array{
                llvm::json::Object{{"type", "Split"},
                                   {"pattern", llvm::json::Object{{"Regex", regex}}},
                                   {"behavior", "Isolated"},
                                   {"invert", false}},
                llvm::json::Object{{"type", "ByteLevel"},
                                   {"add_prefix_space", false},
                                   {"trim_offsets", true},
                                   {"use_regex", false}}}}}},
      {"post_processor",
       llvm::json::Object{
           {"type", "Sequence"},
           {"processors",
            llvm::json::Array{
                llvm::json::Object{{"type", "ByteLevel"}},
                llvm::json::Object{
                    {"type", "TemplateProcessing"},
                    {"single",
                     llvm::json::Array{
                         llvm::json::Object{
                             {"SpecialToken",
                              llvm::json::Object{{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
                         llvm::json::Object{
                             {"Sequence",
                              llvm::json::Object{{"id", "A"}, {"type_id", 0}}}}}}}}}}},
      {"model", llvm::json::Object{{"type", "BPE"},
                                   {"byte_fallback", false},
                                   {"ignore_merges", true},
                                   {"vocab", std::move(vocab)},
                                   {"merges", std::move(merges)}}}};
}

void testTokenizerJson(const std::string &dir) {
  // SentencePiece-style, with a tokenizer_config.json beside it.
  std::string llamaDir = path(dir, "llama");
  llvm::sys::fs::create_directories(llamaDir);
  writeJson(path(llamaDir, "tokenizer.json"), llamaTokenizerJson());
  writeJson(path(llamaDir, "tokenizer_config.json"),
            llvm::json::Object{{"bos_token", llvm::json::Object{{"content", "<s>"}}},
                               {"eos_token", "</s>"},
                               {"add_bos_token", true},
                               {"add_eos_token", true}});
  llvm::Expected<tk::Vocabulary> llama = tk::vocabularyFromTokenizerJson(path(llamaDir, "tokenizer.json"));
  if (!llama) {
    expect(false, "llama tokenizer.json: " + llvm::toString(llama.takeError()));
  } else {
    expect(llama->kind == tk::ModelKind::Llama && llama->addSpacePrefix && llama->bos == 1 &&
               llama->eos == 2 && llama->unk == 0 && llama->addBos && llama->addEos &&
               llama->types[3] == tk::TokenType::Byte && llama->types[1] == tk::TokenType::Control &&
               llama->types[0] == tk::TokenType::Unknown,
           "llama tokenizer.json: kind, flags, specials, types");
    Handle h(*llama);
    if (h.tok) {
      auto id = [&](const std::string &t) { return idOf(*llama, t); };
      // ▁ h e l l o ▁ h e x: by rank: ll(0) he(1) -> ▁ [he][ll] o ▁ [he] x;
      // he ll(2), hell o(3), ▁ hello(4) -> [▁hello] ▁ he x; ▁ he is not
      // listed; x -> x.
      h.expectIds("hello hex", {1, id(kSp + "hello"), id(kSp), id("he"), id("x"), 2},
                  "llama tokenizer.json merges by rank", true);
      // y is no token: byte fallback.
      h.expectIds("hy", {id(kSp + "h"), 3 + 'y'}, "llama tokenizer.json byte fallback");
      h.expectRoundTrip("hello h\xC3\xA9llo \xF0\x9F\x98\x80", "llama tokenizer.json round trip");
    }
  }

  // Byte-level (Llama 3 / BitNet 2B-4T shape), no tokenizer_config.json.
  std::string l3Dir = path(dir, "llama3");
  llvm::sys::fs::create_directories(l3Dir);
  writeJson(path(l3Dir, "tokenizer.json"), llama3TokenizerJson(BITNET_TOKENIZER_REGEX_LLAMA_BPE));
  llvm::Expected<tk::Vocabulary> l3 = tk::vocabularyFromTokenizerJson(path(l3Dir, "tokenizer.json"));
  if (!l3) {
    expect(false, "llama3 tokenizer.json: " + llvm::toString(l3.takeError()));
  } else {
    auto id = [&](const std::string &t) { return idOf(*l3, t); };
    expect(l3->kind == tk::ModelKind::Gpt2 && l3->pre == tk::PreTokenizer::LlamaBpe &&
               l3->ignoreMerges && l3->addBos && l3->bos == id("<|begin_of_text|>") &&
               l3->eos == id("<|end_of_text|>") &&
               llvm::is_contained(l3->eog, id("<|eot_id|>")),
           "llama3 tokenizer.json: kind, pre-tokenizer, BOS from the template, EOG");
    std::string why;
    Handle h(*l3);
    if (h.tok && havePcre2(why)) {
      h.expectIds("Hello world!", {l3->bos, id("Hello"), id(gpt2Char(' ') + "world"), '!'},
                  "llama3 tokenizer.json tokenize", true);
      h.expectIds("<|begin_of_text|>Hello<|eot_id|>",
                  {l3->bos, id("Hello"), id("<|eot_id|>")}, "llama3 tokenizer.json specials",
                  false, true);
    }
  }

  // Refusals name the file and the key.
  std::string badDir = path(dir, "bad");
  llvm::sys::fs::create_directories(badDir);
  std::string bad = path(badDir, "tokenizer.json");
  llvm::json::Object unigram = llamaTokenizerJson();
  (*unigram.getObject("model"))["type"] = "Unigram";
  writeJson(bad, std::move(unigram));
  std::string e = errorOf(tk::vocabularyFromTokenizerJson(bad));
  expect(e.find(bad) != std::string::npos && e.find("model.type") != std::string::npos &&
             e.find("Unigram") != std::string::npos,
         "Unigram refused naming the file and model.type: " + e);
  writeJson(bad, llama3TokenizerJson("\\p{L}+|\\s+"));
  e = errorOf(tk::vocabularyFromTokenizerJson(bad));
  expect(e.find("pre_tokenizer.pretokenizers[0].pattern.Regex") != std::string::npos,
         "an unknown regex refused naming the key: " + e);
  llvm::json::Object badMerge = llamaTokenizerJson();
  (*badMerge.getObject("model"))["merges"] = llvm::json::Array{"l l", "q z"};
  writeJson(bad, std::move(badMerge));
  e = errorOf(tk::vocabularyFromTokenizerJson(bad));
  expect(e.find("model.merges[1]") != std::string::npos, "a merge of unknown tokens refused: " + e);
  writeJson(bad, llvm::json::Object{{"model", 3}});
  e = errorOf(tk::vocabularyFromTokenizerJson(bad));
  expect(e.find("'model'") != std::string::npos && e.find("an object") != std::string::npos,
         "model of the wrong type refused: " + e);
  e = errorOf(tk::vocabularyFromTokenizerJson(path(badDir, "missing.json")));
  expect(!e.empty(), "a missing file refused: " + e);
}

void testGGUFKeys() {
  // The hand-written byte-level vocabulary as GGUF keys gives the same blob.
  tk::Vocabulary v = gpt2Vocab(tk::PreTokenizer::LlamaBpe);
  tk::GGUFTokenizerKeys keys;
  keys.model = "gpt2";
  keys.pre = "llama-bpe";
  keys.tokens = v.tokens;
  for (tk::TokenType t : v.types)
    keys.tokenTypes.push_back(static_cast<int32_t>(t));
  for (auto [a, b] : v.merges)
    keys.merges.push_back(v.tokens[a] + " " + v.tokens[b]);
  keys.bos = v.bos;
  keys.eos = v.eos;
  llvm::Expected<tk::Vocabulary> got = tk::vocabularyFromGGUFKeys(keys);
  if (!got) {
    expect(false, "GGUF keys: " + llvm::toString(got.takeError()));
  } else {
    v.ignoreMerges = true; // llama.cpp's llama-bpe setting
    expect(tk::serializeVocabulary(*got) == tk::serializeVocabulary(v),
           "GGUF keys give the hand-written vocabulary");
  }
  tk::GGUFTokenizerKeys spm;
  spm.model = "llama";
  tk::Vocabulary l = llamaVocab();
  spm.tokens = l.tokens;
  spm.scores = l.scores;
  for (tk::TokenType t : l.types)
    spm.tokenTypes.push_back(static_cast<int32_t>(t));
  spm.bos = 1;
  spm.eos = 2;
  spm.unk = 0;
  got = tk::vocabularyFromGGUFKeys(spm);
  if (!got) {
    expect(false, "GGUF llama keys: " + llvm::toString(got.takeError()));
  } else {
    expect(tk::serializeVocabulary(*got) == tk::serializeVocabulary(l),
           "GGUF llama keys give the hand-written vocabulary (add_bos default on)");
  }

  auto refusal = [&](tk::GGUFTokenizerKeys k, const char *mentions, const std::string &what) {
    std::string e = errorOf(tk::vocabularyFromGGUFKeys(k));
    expect(e.find(mentions) != std::string::npos, what + ": " + e);
  };
  tk::GGUFTokenizerKeys k = keys;
  k.model = "bert";
  refusal(k, "'bert'", "model bert refused naming it");
  k = keys;
  k.pre = "qwen2";
  refusal(k, "'qwen2'", "pre qwen2 refused naming it");
  k = keys;
  k.merges.push_back("nosuch token");
  refusal(k, "tokenizer.ggml.merges[11]", "a merge of unknown tokens refused");
  k = keys;
  k.tokenTypes[3] = 9;
  refusal(k, "token_type", "token type 9 refused");
  k = keys;
  k.eos = static_cast<int64_t>(keys.tokens.size());
  refusal(k, "eos_token_id", "eos out of range refused");
  k = keys;
  k.scores = {1.0f};
  refusal(k, "tokenizer.ggml.scores", "a short score list refused");
}

/// fitVocabularyToModel: padding up to the model's rows with unused tokens
/// that text never becomes and that detokenize to nothing; more tokens than
/// rows refused.
void testFitToModel() {
  for (bool gpt2 : {false, true}) {
    const std::string kind = gpt2 ? "byte-level" : "SentencePiece";
    tk::Vocabulary plain = gpt2 ? gpt2Vocab(tk::PreTokenizer::LlamaBpe) : llamaVocab();
    const int64_t n = static_cast<int64_t>(plain.tokens.size());
    tk::Vocabulary same = plain;
    llvm::Error e = tk::fitVocabularyToModel(same, n);
    expect(!e && tk::serializeVocabulary(same) == tk::serializeVocabulary(plain),
           kind + ": a vocabulary of the model's size is left as it is");
    llvm::consumeError(std::move(e));

    tk::Vocabulary padded = plain;
    e = tk::fitVocabularyToModel(padded, n + 5);
    expect(!e, kind + ": padding to 5 more rows: " + (e ? llvm::toString(std::move(e)) : ""));
    if (padded.tokens.size() != size_t(n + 5) || padded.scores.size() != size_t(n + 5) ||
        padded.types.size() != size_t(n + 5)) {
      expect(false, kind + ": padded to n + 5 tokens, scores and types");
      continue;
    }
    expect(padded.tokens[n] == "[PAD" + std::to_string(n) + "]" &&
               padded.types[n + 4] == tk::TokenType::Unused,
           kind + ": the padding is unused [PAD<id>] tokens");
    Handle plainTok(plain), paddedTok(padded);
    if (!plainTok.tok || !paddedTok.tok)
      continue;
    expect(bitnet_tokenizer_vocab_size(paddedTok.tok) == n + 5, kind + ": vocab size n + 5");
    for (const std::string &text : {std::string("hello world"), "[PAD" + std::to_string(n) + "]"})
      paddedTok.expectIds(text, plainTok.tokenize(text),
                          kind + ": text tokenizes as without the padding");
    Ids withPad = {plain.bos >= 0 ? plain.bos : 0, int32_t(n), int32_t(n + 4)};
    Ids without = {withPad[0]};
    expect(paddedTok.detokenize(withPad) == plainTok.detokenize(without),
           kind + ": padding ids detokenize to nothing");
    char piece[16];
    expect(bitnet_tokenizer_token_to_piece(paddedTok.tok, int32_t(n + 2), piece, 16) == 0,
           kind + ": a padding id's piece is empty");

    tk::Vocabulary tooMany = plain;
    e = tk::fitVocabularyToModel(tooMany, n - 1);
    std::string message = e ? llvm::toString(std::move(e)) : "";
    expect(message == std::to_string(n) + " tokens but the model's embedding has only " +
                          std::to_string(n - 1) + " rows",
           kind + ": more tokens than rows refused: '" + message + "'");
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <scratch dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  llvm::sys::fs::create_directories(dir);
  testLlama();
  testGpt2();
  testCorruptBlobs();
  testTokenizerJson(dir);
  testGGUFKeys();
  testFitToModel();
  return checks.finish();
}
