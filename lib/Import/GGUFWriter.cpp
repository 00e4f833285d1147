//===- GGUFWriter.cpp - GGUF v3 files of generated models ------------------===//
//
// Writes the random models of the reference (ref::makeRandomModel) as GGUF
// v3, the container of llama.cpp's GGUF specification, with ggml's TQ1_0 /
// TQ2_0 block layouts and bitnet.cpp's I2_S (BITNET.md describes each), plus
// a synthetic vocabulary so that those runtimes load the files. Nothing here
// is copied from those projects.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/GGUF.h"
#include "bitnet/Reference/Packing.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace bitnet {
namespace import {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

// The vocabulary every written file carries: SentencePiece-style ("llama"
// tokenizer model) so that llama.cpp and bitnet.cpp accept it. Ids 0-2 are
// <unk>, <s>, </s>; then the 256 byte pieces <0x00>..<0xFF> (byte fallback:
// any text can be spelled), as many as the vocabulary holds; every further id
// is a word piece "\u2581" followed by the id's letters in bijective base 26
// (a, b, ..., z, aa, ab, ...), scored so that lower ids are preferred.
constexpr uint32_t kUnknownToken = 0, kBeginToken = 1, kEndToken = 2;

struct SyntheticVocabulary {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types; // llama.cpp's token types
};

SyntheticVocabulary syntheticVocabulary(int64_t size) {
  enum : int32_t { Normal = 1, Unknown = 2, Control = 3, Byte = 6 };
  SyntheticVocabulary v;
  auto add = [&](std::string piece, float score, int32_t type) {
    if (int64_t(v.pieces.size()) >= size)
      return;
    v.pieces.push_back(std::move(piece));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, Unknown);
  add("<s>", 0, Control);
  add("</s>", 0, Control);
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    add(name, 0, Byte);
  }
  for (int64_t word = 1; int64_t(v.pieces.size()) < size; ++word) {
    std::string letters;
    for (int64_t n = word; n > 0; n = (n - 1) / 26)
      letters.insert(letters.begin(), char('a' + (n - 1) % 26));
    add("\xE2\x96\x81" + letters, -float(word), Normal);
  }
  return v;
}

class ByteWriter {
public:
  explicit ByteWriter(llvm::raw_ostream &out) : out(out) {}
  template <typename T> void put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.write(b, sizeof(T));
    written += sizeof(T);
  }
  void string(const std::string &s) {
    put<uint64_t>(s.size());
    out << s;
    written += s.size();
  }
  void bytes(const std::vector<uint8_t> &b) {
    out.write(reinterpret_cast<const char *>(b.data()), b.size());
    written += b.size();
  }
  void padTo(uint64_t alignment) {
    while (written % alignment != 0) {
      out << '\0';
      ++written;
    }
  }
  uint64_t written = 0;

private:
  llvm::raw_ostream &out;
};

std::string ggufName(ref::TensorRole role, int64_t layer) {
  std::string p = "blk." + std::to_string(layer) + ".";
  switch (role) {
  case ref::TensorRole::Embedding: return "token_embd.weight";
  case ref::TensorRole::InputNorm: return p + "attn_norm.weight";
  case ref::TensorRole::Q: return p + "attn_q.weight";
  case ref::TensorRole::K: return p + "attn_k.weight";
  case ref::TensorRole::V: return p + "attn_v.weight";
  case ref::TensorRole::AttnSubNorm: return p + "attn_sub_norm.weight";
  case ref::TensorRole::O: return p + "attn_output.weight";
  case ref::TensorRole::PostAttnNorm: return p + "ffn_norm.weight";
  case ref::TensorRole::Gate: return p + "ffn_gate.weight";
  case ref::TensorRole::Up: return p + "ffn_up.weight";
  case ref::TensorRole::FfnSubNorm: return p + "ffn_sub_norm.weight";
  case ref::TensorRole::Down: return p + "ffn_down.weight";
  case ref::TensorRole::FinalNorm: return "output_norm.weight";
  case ref::TensorRole::LMHead: return "output.weight";
  }
  return "";
}

/// Encodes ternary codes (T + 1) of one tensor with scale gamma.
/// Q8_0 blocks of 32 values as ggml's quantize_row_q8_0_ref writes them:
/// d = max |x| / 127 (stored as f16), q = round(x / d) half away from zero,
/// computed with 1 / d in f32.
std::vector<uint8_t> encodeQ8_0(const std::vector<float> &x) {
  std::vector<uint8_t> out;
  out.reserve(x.size() / 32 * 34);
  for (size_t b = 0; b + 32 <= x.size(); b += 32) {
    float amax = 0.0f;
    for (size_t j = 0; j < 32; ++j)
      amax = std::max(amax, std::fabs(x[b + j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t h = ref::floatToHalf(d);
    out.push_back(uint8_t(h));
    out.push_back(uint8_t(h >> 8));
    for (size_t j = 0; j < 32; ++j)
      out.push_back(uint8_t(int8_t(std::lround(x[b + j] * id))));
  }
  return out;
}

std::vector<uint8_t> encodeTernary(GGUFType type, const std::vector<int8_t> &t, float gamma) {
  const size_t n = t.size();
  std::vector<uint8_t> out;
  auto code = [&](size_t i) { return uint8_t(t[i] + 1); };
  uint16_t d = ref::floatToHalf(gamma);
  if (type == GGUFType::TQ2_0) {
    out.assign(n / 256 * 66, 0);
    for (size_t b = 0; b < n / 256; ++b) {
      uint8_t *blk = &out[b * 66];
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 4; ++l)
          for (int m = 0; m < 32; ++m)
            blk[h * 32 + m] |= uint8_t(code(b * 256 + h * 128 + l * 32 + m) << (2 * l));
      blk[64] = uint8_t(d);
      blk[65] = uint8_t(d >> 8);
    }
  } else if (type == GGUFType::TQ1_0) {
    // Byte m of a group holds trits `bytes` apart, first most significant, as
    // a base-3 byte; the last group's 4 bytes hold 4 trits each.
    auto packGroup = [&](size_t first, int bytes, int trits, uint8_t *dst) {
      for (int m = 0; m < bytes; ++m) {
        uint8_t group[ref::kTritsPerBase3Byte];
        for (int k = 0; k < trits; ++k)
          group[k] = code(first + size_t(k * bytes + m));
        dst[m] = ref::encodeBase3Byte(group, trits);
      }
    };
    out.assign(n / 256 * 54, 0);
    for (size_t b = 0; b < n / 256; ++b) {
      uint8_t *blk = &out[b * 54];
      size_t e = b * 256;
      packGroup(e, 32, 5, blk);
      packGroup(e + 160, 16, 5, blk + 32);
      packGroup(e + 240, 4, 4, blk + 48);
      blk[52] = uint8_t(d);
      blk[53] = uint8_t(d >> 8);
    }
  } else { // I2_S
    out.assign(n / 4 + 32, 0);
    for (size_t r = 0; r < n / 128; ++r)
      for (int b = 0; b < 32; ++b)
        out[r * 32 + b] = uint8_t(code(r * 128 + b) << 6 | code(r * 128 + b + 32) << 4 |
                                  code(r * 128 + b + 64) << 2 | code(r * 128 + b + 96));
    std::memcpy(&out[n / 4], &gamma, 4);
  }
  return out;
}

} // namespace

llvm::Error writeGGUF(llvm::StringRef path, const ref::ModelConfig &config, uint64_t seed,
                      const GGUFWriteOptions &options) {
  std::string invalid = config.validate();
  if (!invalid.empty())
    return fail("invalid model shape: " + invalid);
  const GGUFType type = options.linearType;
  if (type == GGUFType::F32 || type == GGUFType::BF16)
    return fail(path + ": linear layers can be written as I2_S, TQ2_0, TQ1_0 or F16");
  if (options.tableType != GGUFType::F16 && options.tableType != GGUFType::Q8_0)
    return fail(path + ": the token embedding can be written as F16 or Q8_0");
  const std::string arch = config.glu == ref::GluActivation::Relu2 &&
                                   options.archNames == GGUFArchNames::BitnetCpp
                               ? "bitnet-b1.58"
                               : "bitnet";
  struct Info {
    std::string name;
    GGUFType type;
    std::vector<int64_t> dims;
    uint64_t offset, bytes;
  };
  std::vector<Info> infos;
  uint64_t offset = 0;
  auto add = [&](ref::TensorRole role, int64_t layer, int64_t rows, int64_t cols) -> llvm::Error {
    Info i;
    i.name = ggufName(role, layer);
    i.type = role == ref::TensorRole::Embedding || role == ref::TensorRole::LMHead
                 ? options.tableType
             : ref::isLinear(role)               ? type
                                                : GGUFType::F32;
    i.dims = rows == 1 ? std::vector<int64_t>{cols} : std::vector<int64_t>{cols, rows};
    std::string why = ggufTensorBytes(i.type, i.dims, i.bytes);
    if (!why.empty())
      return fail(path + ": tensor '" + i.name + "' (" + ggufTypeName(i.type) + "): " + why);
    i.offset = offset;
    offset = (offset + i.bytes + 31) / 32 * 32;
    infos.push_back(i);
    return llvm::Error::success();
  };
  for (const ref::TensorShape &t : ref::modelTensors(config))
    if (llvm::Error e = add(t.role, t.layer, t.rows, t.cols))
      return e;

  std::string temporary = (path + ".tmp").str();
  std::error_code ec;
  llvm::raw_fd_ostream file(temporary, ec);
  if (ec)
    return fail(path + ": cannot write: " + ec.message());
  ByteWriter w(file);
  w.put<uint32_t>(0x46554747); // "GGUF"
  w.put<uint32_t>(3);
  w.put<uint64_t>(infos.size());
  // GGUF value types (llama.cpp's gguf_type).
  enum : uint32_t { U32 = 4, I32 = 5, F32 = 6, String = 8, Array = 9 };
  struct KV {
    std::string key;
    uint32_t type;
    uint32_t u = 0;
    float f = 0;
    std::string s;
  };
  std::vector<KV> kvs = {
      {"general.architecture", String, 0, 0, arch},
      {"general.alignment", U32, 32},
      {"general.name", String, 0, 0, "bitnet-model-gen seed " + std::to_string(seed)},
      {arch + ".context_length", U32, uint32_t(config.context)},
      {arch + ".embedding_length", U32, uint32_t(config.hidden)},
      {arch + ".feed_forward_length", U32, uint32_t(config.intermediate)},
      {arch + ".block_count", U32, uint32_t(config.layers)},
      {arch + ".attention.head_count", U32, uint32_t(config.heads)},
      {arch + ".attention.head_count_kv", U32, uint32_t(config.kvHeads)},
      {arch + ".rope.freq_base", F32, 0, config.ropeTheta},
      {arch + ".attention.layer_norm_rms_epsilon", F32, 0, config.rmsEps},
      {arch + ".vocab_size", U32, uint32_t(config.vocab)},
      {"tokenizer.ggml.model", String, 0, 0, "llama"},
      {"tokenizer.ggml.unknown_token_id", U32, kUnknownToken},
      {"tokenizer.ggml.bos_token_id", U32, kBeginToken},
      {"tokenizer.ggml.eos_token_id", U32, kEndToken},
  };
  if (options.archNames == GGUFArchNames::Upstream)
    kvs.push_back({arch + ".hidden_activation", String, 0, 0,
                   config.glu == ref::GluActivation::Relu2 ? "relu2" : "silu"});
  const SyntheticVocabulary vocabulary = syntheticVocabulary(config.vocab);
  w.put<uint64_t>(kvs.size() + 3);
  for (const KV &kv : kvs) {
    w.string(kv.key);
    w.put<uint32_t>(kv.type);
    if (kv.type == U32)
      w.put<uint32_t>(kv.u);
    else if (kv.type == F32)
      w.put<float>(kv.f);
    else
      w.string(kv.s);
  }
  auto arrayHeader = [&](const char *key, uint32_t element, uint64_t count) {
    w.string(key);
    w.put<uint32_t>(Array);
    w.put<uint32_t>(element);
    w.put<uint64_t>(count);
  };
  arrayHeader("tokenizer.ggml.tokens", String, vocabulary.pieces.size());
  for (const std::string &piece : vocabulary.pieces)
    w.string(piece);
  arrayHeader("tokenizer.ggml.scores", F32, vocabulary.scores.size());
  for (float score : vocabulary.scores)
    w.put<float>(score);
  arrayHeader("tokenizer.ggml.token_type", I32, vocabulary.types.size());
  for (int32_t type : vocabulary.types)
    w.put<int32_t>(type);
  for (const Info &i : infos) {
    w.string(i.name);
    w.put<uint32_t>(i.dims.size());
    for (int64_t d : i.dims)
      w.put<uint64_t>(uint64_t(d));
    w.put<uint32_t>(uint32_t(i.type));
    w.put<uint64_t>(i.offset);
  }
  w.padTo(32);
  size_t next = 0;
  ref::forEachRandomTensor(config, seed, [&](ref::RandomTensor &t) {
    const Info &info = infos[next++];
    std::vector<uint8_t> bytes;
    if (info.type == GGUFType::F16) {
      for (float v : t.values) {
        uint16_t h = ref::floatToHalf(v);
        bytes.push_back(uint8_t(h));
        bytes.push_back(uint8_t(h >> 8));
      }
    } else if (info.type == GGUFType::Q8_0) {
      bytes = encodeQ8_0(t.values);
    } else if (info.type == GGUFType::F32) {
      bytes.resize(t.values.size() * 4);
      std::memcpy(bytes.data(), t.values.data(), bytes.size());
    } else {
      ref::QuantizedWeights q =
          ref::quantizeWeights(t.values.data(), t.values.size(), ref::WeightKind::Ternary);
      bytes = encodeTernary(info.type, q.values, q.scale);
    }
    w.bytes(bytes);
    w.padTo(32);
  });
  file.close();
  if (file.has_error()) {
    file.clear_error();
    llvm::sys::fs::remove(temporary);
    return fail(path + ": write error");
  }
  if (std::error_code rc = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return fail(path + ": cannot rename into place: " + rc.message());
  }
  return llvm::Error::success();
}

} // namespace import
} // namespace bitnet
