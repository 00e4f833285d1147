//===- ImportTest.cpp - Hugging Face importer against generated files -----===//
//
// Checkpoints written by the generator (packed U8 + weight_scale, bf16
// masters; single file and shards) import to exactly makeRandomModel's
// weights; hand-made malformed files get an error naming the file, the
// tensor and the problem. argv[1]: a scratch directory.
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"
#include "bitnet/Import/GGUF.h"
#include "bitnet/Import/HuggingFace.h"
#include "bitnet/Import/SafeTensors.h"
#include "bitnet/Support/LLVMInput.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace ref = bitnet::ref;
namespace imp = bitnet::import;

namespace {
bitnet::test::Checks checks;

void expect(bool ok, const std::string &what) { checks.expect(ok, what); }

bool sameLinear(const ref::LinearWeights &a, const ref::LinearWeights &b) {
  return a.out == b.out && a.in == b.in && a.values == b.values &&
         a.scale == b.scale && a.floats == b.floats;
}

bool sameModel(const ref::ModelWeights &a, const ref::ModelWeights &b) {
  if (a.embedding != b.embedding || a.lmHead != b.lmHead || a.finalNorm != b.finalNorm ||
      a.layers.size() != b.layers.size())
    return false;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const ref::LayerWeights &x = a.layers[i], &y = b.layers[i];
    if (x.inputNorm != y.inputNorm || x.attnSubNorm != y.attnSubNorm ||
        x.postAttnNorm != y.postAttnNorm || x.ffnSubNorm != y.ffnSubNorm ||
        !sameLinear(x.q, y.q) || !sameLinear(x.k, y.k) || !sameLinear(x.v, y.v) ||
        !sameLinear(x.o, y.o) || !sameLinear(x.gate, y.gate) ||
        !sameLinear(x.up, y.up) || !sameLinear(x.down, y.down))
      return false;
  }
  const ref::ModelConfig &p = a.config, &q = b.config;
  return p.hidden == q.hidden && p.intermediate == q.intermediate &&
         p.layers == q.layers && p.heads == q.heads && p.kvHeads == q.kvHeads &&
         p.vocab == q.vocab && p.context == q.context && p.ropeTheta == q.ropeTheta &&
         p.rmsEps == q.rmsEps && p.glu == q.glu && p.weightKind == q.weightKind &&
         p.tiedHead == q.tiedHead;
}

std::string path(const std::string &dir, const std::string &file) {
  return dir + "/" + file;
}

std::string readText(const std::string &file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeText(const std::string &file, const std::string &text) {
  std::ofstream(file, std::ios::binary).write(text.data(), text.size());
}

/// A safetensors file from a raw JSON header and data bytes.
std::string safetensors(const std::string &header, const std::string &data,
                        uint64_t lengthField = UINT64_MAX) {
  uint64_t n = lengthField == UINT64_MAX ? header.size() : lengthField;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

/// Expects importing `dir` to fail with a message containing every needle.
void expectError(const std::string &dir, const std::vector<std::string> &needles,
                 const std::string &what, imp::ImportOptions options = {}) {
  llvm::Expected<ref::ModelWeights> w = imp::importHuggingFace(dir, options);
  if (w) {
    expect(false, what + ": imported without an error");
    return;
  }
  std::string message = llvm::toString(w.takeError());
  bool all = true;
  for (const std::string &n : needles)
    all = all && message.find(n) != std::string::npos;
  expect(all, what + ": message '" + message + "'");
}

/// Expects SafeTensorsFile::open on the bytes to fail mentioning `needle`.
void expectFileError(const std::string &dir, const std::string &name,
                     const std::string &bytes, const std::string &needle) {
  std::string file = path(dir, name);
  writeText(file, bytes);
  auto opened = imp::SafeTensorsFile::open(file);
  if (opened) {
    expect(false, name + ": opened without an error");
    return;
  }
  std::string message = llvm::toString(opened.takeError());
  expect(message.find(file) != std::string::npos &&
             message.find(needle) != std::string::npos,
         name + ": message '" + message + "' lacks the file or '" + needle + "'");
}

/// Copies a generated checkpoint into `dst` with `edit` applied to config.json.
void copyWithConfig(const std::string &src, const std::string &dst,
                    const std::string &from, const std::string &to) {
  llvm::sys::fs::create_directories(dst);
  llvm::sys::fs::copy_file(path(src, "model.safetensors"), path(dst, "model.safetensors"));
  std::string config = readText(path(src, "config.json"));
  size_t at = config.find(from);
  if (at != std::string::npos)
    config.replace(at, from.size(), to);
  writeText(path(dst, "config.json"), config);
}

/// A hand-made GGUF v3 file: keys and tensor infos as given, data appended.
class GGUFBytes {
public:
  GGUFBytes &u32(uint32_t v) { return raw(&v, 4); }
  GGUFBytes &u64(uint64_t v) { return raw(&v, 8); }
  GGUFBytes &str(const std::string &s) {
    u64(s.size());
    bytes += s;
    return *this;
  }
  GGUFBytes &raw(const void *p, size_t n) {
    bytes.append(static_cast<const char *>(p), n);
    return *this;
  }
  GGUFBytes &pad() {
    while (bytes.size() % 32)
      bytes.push_back('\0');
    return *this;
  }
  std::string bytes;
};

/// Header, the keys of a 1-layer model without tensors, and `tensors` infos.
GGUFBytes ggufHeader(uint32_t version, uint64_t tensors) {
  GGUFBytes g;
  g.raw("GGUF", 4).u32(version).u64(tensors).u64(2);
  g.str("general.architecture").u32(8).str("bitnet-b1.58");
  g.str("general.alignment").u32(4).u32(32);
  return g;
}

void expectGGUFError(const std::string &dir, const std::string &name, const std::string &bytes,
                     const std::vector<std::string> &needles) {
  std::string file = path(dir, name);
  writeText(file, bytes);
  llvm::Expected<ref::ModelWeights> w = imp::importGGUF(file);
  if (w) {
    expect(false, name + ": imported without an error");
    return;
  }
  std::string message = llvm::toString(w.takeError());
  bool all = message.find(file) != std::string::npos;
  for (const std::string &n : needles)
    all = all && message.find(n) != std::string::npos;
  expect(all, name + ": message '" + message + "'");
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <scratch dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  llvm::sys::fs::create_directories(dir);

  // Generated checkpoints import to exactly the generator's model.
  for (ref::ModelConfig config : {ref::ModelConfig::tinyB158(), ref::ModelConfig::tiny1bitLLM()}) {
    std::string family = config.glu == ref::GluActivation::Silu ? "llama" : "b158";
    std::string packed = path(dir, family + "-packed"), bf16 = path(dir, family + "-bf16");
    expect(!imp::writeHuggingFace(packed, config, 5, imp::HFWeightFormat::Packed),
           family + ": write packed");
    expect(!imp::writeHuggingFace(bf16, config, 5, imp::HFWeightFormat::BF16),
           family + ": write bf16");
    ref::ModelWeights want = ref::makeRandomModel(config, 5);
    for (const std::string &d : {packed, bf16}) {
      llvm::Expected<ref::ModelWeights> got = imp::importHuggingFace(d);
      if (!got) {
        expect(false, d + ": " + llvm::toString(got.takeError()));
        continue;
      }
      expect(sameModel(*got, want), d + " imports to makeRandomModel's weights");
    }
    // Masters as the other weight kinds.
    for (ref::WeightKind kind : {ref::WeightKind::Binary, ref::WeightKind::Float}) {
      ref::ModelConfig c = config;
      c.weightKind = kind;
      imp::ImportOptions options;
      options.kind = kind;
      llvm::Expected<ref::ModelWeights> got = imp::importHuggingFace(bf16, options);
      expect(got && sameModel(*got, ref::makeRandomModel(c, 5)),
             bf16 + " as " + ref::weightKindName(kind));
      if (!got)
        llvm::consumeError(got.takeError());
    }
    expectError(packed, {"model.safetensors", "q_proj.weight", "cannot be imported as binary"},
                family + ": packed weights as binary",
                imp::ImportOptions{ref::WeightKind::Binary, 0});
  }

  const std::string good = path(dir, "b158-packed");
  const ref::ModelWeights want = ref::makeRandomModel(ref::ModelConfig::tinyB158(), 5);

  // Shards: the same tensors split over two files with an index.
  {
    auto single = imp::SafeTensorsFile::open(path(good, "model.safetensors"));
    expect(bool(single), "open the single file");
    std::string sharded = path(dir, "sharded");
    llvm::sys::fs::create_directories(sharded);
    llvm::sys::fs::copy_file(path(good, "config.json"), path(sharded, "config.json"));
    imp::SafeTensorsWriter first, second;
    std::string index = "{\"metadata\": {}, \"weight_map\": {";
    int i = 0;
    for (const auto &[name, view] : (*single)->tensors()) {
      bool one = (i++ % 2) == 0;
      (one ? first : second).add(name, view.dtype, view.shape);
      index += std::string(i > 1 ? ", " : "") + "\"" + name + "\": \"" +
               (one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors") +
               "\"";
    }
    index += "}}";
    expect(!first.begin(path(sharded, "model-00001-of-00002.safetensors")) &&
               !second.begin(path(sharded, "model-00002-of-00002.safetensors")),
           "begin shards");
    i = 0;
    for (const auto &[name, view] : (*single)->tensors()) {
      bool one = (i++ % 2) == 0;
      expect(!(one ? first : second).write(view.bytes), "write " + name);
    }
    expect(!first.finish() && !second.finish(), "finish shards");
    writeText(path(sharded, "model.safetensors.index.json"), index);
    llvm::Expected<ref::ModelWeights> got = imp::importHuggingFace(sharded);
    expect(got && sameModel(*got, want), "sharded checkpoint imports to the same weights");
    if (!got)
      std::printf("  %s\n", llvm::toString(got.takeError()).c_str());
  }

  // Untied LM heads: lm_head.weight (Hugging Face), output.weight (GGUF).
  {
    ref::ModelConfig config = ref::ModelConfig::tinyB158();
    config.hidden = 256;
    config.intermediate = 512;
    config.tiedHead = false;
    ref::ModelWeights model = ref::makeRandomModel(config, 4);
    expect(model.lmHead.size() == size_t(config.vocab * config.hidden) &&
               model.lmHead != model.embedding,
           "an untied random model has its own LM head");
    std::string hf = path(dir, "untied-hf"), gguf = path(dir, "untied.gguf");
    llvm::Error e1 = imp::writeHuggingFace(hf, config, 4, imp::HFWeightFormat::Packed);
    llvm::Error e2 = imp::writeGGUF(gguf, config, 4, {imp::GGUFType::I2_S});
    expect(!e1 && !e2, "write untied checkpoints");
    llvm::consumeError(std::move(e1));
    llvm::consumeError(std::move(e2));
    llvm::Expected<ref::ModelWeights> fromHF = imp::importHuggingFace(hf);
    llvm::Expected<ref::ModelWeights> fromGGUF = imp::importGGUF(gguf);
    expect(fromHF && sameModel(*fromHF, model), "untied Hugging Face checkpoint");
    expect(fromGGUF && sameModel(*fromGGUF, model), "untied GGUF file");
    if (!fromHF)
      llvm::consumeError(fromHF.takeError());
    if (!fromGGUF)
      llvm::consumeError(fromGGUF.takeError());
    // Untied in config.json without the tensor.
    copyWithConfig(good, path(dir, "nohead"), "\"tie_word_embeddings\": true",
                   "\"tie_word_embeddings\": false");
    expectError(path(dir, "nohead"),
                {"model.safetensors", "'lm_head.weight' is missing",
                 "tie_word_embeddings: false"},
                "untied config without lm_head.weight");
  }

  // Malformed safetensors files.
  const std::string bad = path(dir, "bad");
  llvm::sys::fs::create_directories(bad);
  expectFileError(bad, "short.safetensors", "abc", "truncated");
  expectFileError(bad, "length.safetensors", safetensors("{}", "", 1000000),
                  "runs beyond the file");
  expectFileError(bad, "json.safetensors", safetensors("{not json", ""), "not valid JSON");
  expectFileError(bad, "dtype.safetensors",
                  safetensors(R"({"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}})",
                              "xx"),
                  "tensor 't': unknown dtype 'Q4'");
  expectFileError(bad, "bytes.safetensors",
                  safetensors(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})",
                              "xxxx"),
                  "tensor 't': 4 bytes of data but F32 x 2 elements needs 8");
  expectFileError(bad, "range.safetensors",
                  safetensors(R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
                              "xxxx"),
                  "tensor 't': data_offsets [0, 8) run beyond the data (4 bytes)");
  expectFileError(bad, "overlap.safetensors",
                  safetensors(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                              R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                              "xxxxxx"),
                  "tensor 'b' overlaps");
  expectFileError(bad, "gap.safetensors",
                  safetensors(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
                              "xxxx"),
                  "gap of 2 bytes before tensor 'a'");
  expectFileError(bad, "negative.safetensors",
                  safetensors(R"({"a":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})",
                              "xx"),
                  "negative extent");

  // Malformed checkpoints.
  {
    // Invalid code 3 in a packed weight: set both low bits of the first byte
    // of layer 0's q_proj (found through the header).
    std::string d = path(dir, "code3");
    copyWithConfig(good, d, "", "");
    std::string bytes = readText(path(d, "model.safetensors"));
    uint64_t headerBytes = 0;
    for (int i = 7; i >= 0; --i)
      headerBytes = (headerBytes << 8) | static_cast<uint8_t>(bytes[i]);
    llvm::Expected<llvm::json::Value> header =
        llvm::json::parse(llvm::StringRef(bytes).substr(8, headerBytes));
    const llvm::json::Object *q =
        header ? header->getAsObject()->getObject("model.layers.0.self_attn.q_proj.weight")
               : nullptr;
    expect(q != nullptr, "code 3: find q_proj in the header");
    if (!header)
      llvm::consumeError(header.takeError());
    if (q) {
      int64_t begin = *(*q->getArray("data_offsets"))[0].getAsInteger();
      bytes[8 + headerBytes + begin] |= 0x3;
    }
    writeText(path(d, "model.safetensors"), bytes);
    expectError(d, {"model.safetensors", "model.layers.0.self_attn.q_proj.weight",
                    "invalid ternary code 3 at packed row 0, column 0"},
                "code 3");
  }
  copyWithConfig(good, path(dir, "nohidden"), "\"hidden_size\"", "\"hidden_sizes\"");
  expectError(path(dir, "nohidden"), {"config.json", "missing key 'hidden_size'"},
              "config without hidden_size");
  copyWithConfig(good, path(dir, "inconsistent"), "\"intermediate_size\": 384",
                 "\"intermediate_size\": 256");
  expectError(path(dir, "inconsistent"),
              {"model.safetensors", "tensor 'model.layers.0.mlp.ffn_sub_norm.weight'",
               "has shape [384] but config.json implies [256]"},
              "config inconsistent with the tensors");
  copyWithConfig(good, path(dir, "noclass"), "\"linear_class\": \"autobitlinear\"",
                 "\"other\": 1");
  expectError(path(dir, "noclass"), {"q_proj.weight", "linear_class"},
              "packed weights without linear_class");
  copyWithConfig(good, path(dir, "family"), "\"model_type\": \"bitnet\"",
                 "\"model_type\": \"gpt2\"");
  expectError(path(dir, "family"), {"config.json", "model_type 'gpt2' is not supported"},
              "unknown model_type");
  expectError(path(dir, "nowhere"), {"config.json", "cannot open"}, "missing directory");
  {
    // linear_class "bitlinear": weight_scale is 1/gamma.
    copyWithConfig(good, path(dir, "inverse"), "\"autobitlinear\"", "\"bitlinear\"");
    llvm::Expected<ref::ModelWeights> got = imp::importHuggingFace(path(dir, "inverse"));
    expect(got && got->layers[0].q.scale == 1.0f / want.layers[0].q.scale &&
               got->layers[0].q.values == want.layers[0].q.values,
           "bitlinear: gamma = 1 / weight_scale");
    if (!got)
      llvm::consumeError(got.takeError());
  }
  // GGUF: every linear-layer type of a model whose rows are whole blocks
  // imports to the same weights as the Hugging Face formats.
  {
    ref::ModelConfig config = ref::ModelConfig::tinyB158();
    config.hidden = 256;
    config.intermediate = 512;
    ref::ModelWeights model = ref::makeRandomModel(config, 9);
    for (auto [type, name] : {std::pair{imp::GGUFType::I2_S, "i2s"},
                              std::pair{imp::GGUFType::TQ2_0, "tq2"},
                              std::pair{imp::GGUFType::TQ1_0, "tq1"},
                              std::pair{imp::GGUFType::F16, "f16"}}) {
      std::string file = path(dir, std::string("model-") + name + ".gguf");
      llvm::Error written = imp::writeGGUF(file, config, 9, {type});
      expect(!written, std::string("write GGUF ") + name);
      llvm::consumeError(std::move(written));
      llvm::Expected<ref::ModelWeights> got = imp::importGGUF(file);
      if (!got) {
        expect(false, file + ": " + llvm::toString(got.takeError()));
        continue;
      }
      expect(sameModel(*got, model), std::string("GGUF ") + name +
                                         " imports to makeRandomModel's weights");
    }
    // The same model as Hugging Face checkpoints: one model, six formats.
    for (auto [format, name] : {std::pair{imp::HFWeightFormat::Packed, "hf-packed-256"},
                                std::pair{imp::HFWeightFormat::BF16, "hf-bf16-256"}}) {
      llvm::Error written = imp::writeHuggingFace(path(dir, name), config, 9, format);
      expect(!written, std::string("write ") + name);
      llvm::consumeError(std::move(written));
      llvm::Expected<ref::ModelWeights> got = imp::importHuggingFace(path(dir, name));
      expect(got && sameModel(*got, model),
             std::string(name) + " holds the same weights as the GGUF files");
      if (!got)
        llvm::consumeError(got.takeError());
    }
    ref::ModelConfig llama = ref::ModelConfig::tiny1bitLLM();
    llama.hidden = 256;
    llama.intermediate = 512;
    std::string file = path(dir, "llama-tq2.gguf");
    llvm::Error written = imp::writeGGUF(file, llama, 9, {imp::GGUFType::TQ2_0});
    expect(!written, "write GGUF llama");
    llvm::consumeError(std::move(written));
    llvm::Expected<ref::ModelWeights> got = imp::importGGUF(file);
    expect(got && sameModel(*got, ref::makeRandomModel(llama, 9)),
           "GGUF architecture 'bitnet' (SiLU) imports to makeRandomModel's weights");
    if (!got)
      llvm::consumeError(got.takeError());
    llvm::Error narrow = imp::writeGGUF(path(dir, "narrow.gguf"), ref::ModelConfig::tinyB158(),
                                        9, {imp::GGUFType::TQ2_0});
    std::string message = narrow ? llvm::toString(std::move(narrow)) : "";
    expect(message.find("rows of 128 elements are not whole TQ2_0 blocks of 256") !=
               std::string::npos,
           "TQ2_0 needs rows of whole blocks: '" + message + "'");

    // Upstream llama.cpp's names: arch "bitnet" with bitnet.hidden_activation.
    std::string upstream = path(dir, "upstream-i2s.gguf");
    llvm::Error up = imp::writeGGUF(upstream, config, 9,
                                    {imp::GGUFType::I2_S, imp::GGUFArchNames::Upstream});
    expect(!up, "write GGUF with upstream names");
    llvm::consumeError(std::move(up));
    llvm::Expected<std::unique_ptr<imp::GGUFFile>> opened = imp::GGUFFile::open(upstream);
    if (opened) {
      const imp::GGUFValue *arch = (*opened)->value("general.architecture");
      const imp::GGUFValue *activation = (*opened)->value("bitnet.hidden_activation");
      expect(arch && arch->s == "bitnet" && activation && activation->s == "relu2",
             "upstream names: arch 'bitnet' with hidden_activation 'relu2'");
      // Every written file carries a vocabulary of the model's size.
      const imp::GGUFValue *tokens = (*opened)->value("tokenizer.ggml.tokens");
      const imp::GGUFValue *scores = (*opened)->value("tokenizer.ggml.scores");
      const imp::GGUFValue *types = (*opened)->value("tokenizer.ggml.token_type");
      const imp::GGUFValue *tokenizer = (*opened)->value("tokenizer.ggml.model");
      const uint64_t vocab = uint64_t(config.vocab);
      expect(tokens && tokens->count == vocab && scores && scores->count == vocab && types &&
                 types->count == vocab && tokenizer && tokenizer->s == "llama",
             "the vocabulary has one token, score and type per embedding row");
    } else {
      expect(false, llvm::toString(opened.takeError()));
    }
    llvm::Expected<ref::ModelWeights> relu2 = imp::importGGUF(upstream);
    expect(relu2 && sameModel(*relu2, model),
           "arch 'bitnet' with hidden_activation 'relu2' imports as the relu2 model");
    if (!relu2)
      llvm::consumeError(relu2.takeError());
    // An activation the compiler does not know is refused by name.
    std::string bytes = readText(upstream);
    size_t key = bytes.find("bitnet.hidden_activation");
    size_t value = key == std::string::npos ? key : bytes.find("relu2", key);
    expect(value != std::string::npos, "the written file holds 'relu2'");
    if (value != std::string::npos) {
      bytes.replace(value, 5, "gelu7");
      expectGGUFError(bad, "activation.gguf", bytes,
                      {"key 'bitnet.hidden_activation' is 'gelu7'", "relu2 and silu"});
    }
  }

  // Block-quantized float types (the embedding / output matrix of
  // llama-quantize and bitnet.cpp files), from blocks set byte by byte here
  // and values worked out by hand from ggml's definitions (ggml-common.h
  // block_q8_0 / block_q4_K / block_q6_K, ggml-quants.c dequantize_row_*),
  // not from any writer of this project.
  {
    float y[256];
    // Q8_0: f16 d, then 32 int8 codes; y = d * q.
    uint8_t q8[34] = {0x00, 0x38}; // d = 0.5
    q8[2 + 0] = 0xFD;              // -3 -> -1.5
    q8[2 + 31] = 0x7F;             // 127 -> 63.5
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q8_0, q8, y) && y[0] == -1.5f &&
               y[31] == 63.5f && y[5] == 0.0f,
           "Q8_0 block: d * q");
    // Q6_K: ql[128], qh[64], int8 scales[16], f16 d. Value l of a half
    // (l < 32) takes its low 4 bits from ql (l: low nibble, l+32: low nibble
    // of ql[l+32], l+64: high nibble of ql[l], l+96: high nibble of
    // ql[l+32]) and its high 2 bits from qh[l] (bits 0-1, 2-3, 4-5, 6-7),
    // minus 32, times d * scales[l/16 + 0, 2, 4, 6].
    uint8_t q6[210] = {};
    q6[208] = 0x00, q6[209] = 0x3C; // d = 1
    q6[192 + 0] = 2, q6[192 + 2] = 0xFF, q6[192 + 4] = 3, q6[192 + 6] = 1; // scales 2, -1, 3, 1
    q6[0] = 0x5A;   // low nibble 10, high nibble 5
    q6[32] = 0x0F;  // low nibble 15, high nibble 0
    q6[128] = 0xE4; // 2-bit fields 0, 1, 2, 3
    q6[64 + 17] = 0x03, q6[128 + 32 + 17] = 0x00, q6[192 + 8 + 1] = 4; // second half, l = 17
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q6_K, q6, y) &&
               y[0] == 2.0f * (10 - 32) &&        // -44
               y[32] == -1.0f * ((15 | 16) - 32) && // 1
               y[64] == 3.0f * ((5 | 32) - 32) &&   // 15
               y[96] == 1.0f * ((0 | 48) - 32) &&   // 16
               y[128 + 17] == 4.0f * (3 - 32) &&    // -116
               y[1] == 2.0f * (0 - 32),             // all-zero codes: q - 32 = -32
           "Q6_K block: d * scale * (q - 32) for hand-set codes");
    // Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit (scale, min) for 8 sub-blocks
    // of 32, then 128 bytes of nibbles; chunk j of 64 values uses sub-block
    // 2j for the low nibbles of qs[32j..] and 2j+1 for the high ones;
    // y = d * scale * q - dmin * min. Sub-blocks 0-3 keep scale and min in
    // the low 6 bits of bytes 0-3 and 4-7; 4-7 in the nibbles of bytes 8-11
    // with their top 2 bits in the top bits of bytes 0-3 (scale) and 4-7 (min).
    uint8_t q4[144] = {0x00, 0x3C, 0x00, 0x38}; // d = 1, dmin = 0.5
    q4[4 + 0] = 3 | 1 << 6; // sub-block 0 scale 3; top bits of sub-block 4's scale: 1
    q4[4 + 4] = 2;          // sub-block 0 min 2
    q4[4 + 1] = 5, q4[4 + 5] = 6; // sub-block 1: scale 5, min 6
    q4[4 + 8] = 0x21;       // sub-block 4: scale low 4 bits 1, min low 4 bits 2
    q4[16 + 0] = 0x47;      // value 0: 7 (sub-block 0); value 32: 4 (sub-block 1)
    q4[16 + 64] = 0x02;     // value 128: 2 (sub-block 4: scale 1 | 1 << 4 = 17, min 2)
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q4_K, q4, y) && y[0] == 3.0f * 7 - 0.5f * 2 &&
               y[32] == 5.0f * 4 - 0.5f * 6 && y[128] == 17.0f * 2 - 0.5f * 2 &&
               y[1] == -0.5f * 2,
           "Q4_K block: d * scale * q - dmin * min for hand-set codes");
    // Q4_0: f16 d, 16 bytes; value j < 16 = low nibble of byte j, j + 16 its
    // high nibble; y = d * (q - 8).
    uint8_t q40[18] = {0x00, 0x3C}; // d = 1
    q40[2 + 0] = 0x2F;
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q4_0, q40, y) && y[0] == 15 - 8 &&
               y[16] == 2 - 8 && y[1] == -8,
           "Q4_0 block: d * (q - 8)");
    // Q4_1: f16 d, f16 m, 16 bytes; y = d * q + m.
    uint8_t q41[20] = {0x00, 0x38, 0x00, 0xBC}; // d = 0.5, m = -1
    q41[4 + 3] = 0x91;
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q4_1, q41, y) && y[3] == 0.5f * 1 - 1 &&
               y[19] == 0.5f * 9 - 1,
           "Q4_1 block: d * q + m");
    // Q5_0: f16 d, 32 fifth bits (little-endian u32; bit j for value j, bit
    // j + 16 for value j + 16), 16 bytes of nibbles; y = d * (q - 16).
    uint8_t q50[22] = {0x00, 0x40, 0x01, 0x00, 0x01, 0x00}; // d = 2, bits 0 and 16
    q50[6 + 0] = 0x3A;
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q5_0, q50, y) && y[0] == 2.0f * ((0xA | 16) - 16) &&
               y[16] == 2.0f * ((3 | 16) - 16) && y[1] == 2.0f * (0 - 16),
           "Q5_0 block: d * (q - 16) with the fifth bits");
    // Q5_1: f16 d, f16 m, 32 fifth bits, 16 bytes; y = d * q + m.
    uint8_t q51[24] = {0x00, 0x3C, 0x00, 0x34, 0x00, 0x00, 0x00, 0x80}; // d = 1, m = 0.25, bit 31
    q51[8 + 15] = 0x70;
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q5_1, q51, y) && y[31] == (7 | 16) + 0.25f &&
               y[15] == 0.25f,
           "Q5_1 block: d * q + m with the fifth bits");
    // Q5_K: Q4_K's header, then qh[32] (bit 2j / 2j + 1 of qh[l]: the fifth
    // bit of value l of chunk j's low / high sub-block), then qs[128].
    uint8_t q5k[176] = {0x00, 0x3C, 0x00, 0x38}; // d = 1, dmin = 0.5
    q5k[4 + 0] = 3, q5k[4 + 4] = 2;              // sub-block 0: scale 3, min 2
    q5k[4 + 3] = 4;                              // sub-block 3: scale 4, min 0
    q5k[16 + 0] = 0x01;                          // value 0: fifth bit (chunk 0, low)
    q5k[16 + 2] = 0x08;                          // value 2 of chunk 1, high: fifth bit
    q5k[48 + 0] = 0x05;
    q5k[48 + 32 + 2] = 0x10;
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q5_K, q5k, y) &&
               y[0] == 3.0f * (5 | 16) - 0.5f * 2 && y[64 + 32 + 2] == 4.0f * (1 | 16) &&
               y[1] == -0.5f * 2,
           "Q5_K block: d * scale * q - dmin * min with the fifth bits");
    // Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], f16 d,
    // f16 dmin. Half h (128 values), pair j (32 values), sub-block of 16 s =
    // 8h + 2j + (l >= 16): value = d * scale * ((qs[32h + l] >> 2j) & 3) -
    // dmin * min.
    uint8_t q2k[84] = {};
    q2k[80] = 0x00, q2k[81] = 0x3C, q2k[82] = 0x00, q2k[83] = 0x38; // d = 1, dmin = 0.5
    q2k[0] = 0x23;         // sub-block 0: scale 3, min 2
    q2k[2] = 0x10;         // sub-block 2: scale 0, min 1
    q2k[15] = 0x05;        // sub-block 15: scale 5, min 0
    q2k[16 + 0] = 0x09;    // value 0: code 1 (bits 0-1); value 32: code 2 (bits 2-3)
    q2k[16 + 49] = 0xC0;   // value 128 + 96 + 17: code 3 (bits 6-7 of qs[32 + 17])
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q2_K, q2k, y) && y[0] == 3.0f * 1 - 0.5f * 2 &&
               y[32] == 0.0f * 2 - 0.5f * 1 && y[241] == 5.0f * 3,
           "Q2_K block: d * scale * q - dmin * min for hand-set codes");
    // Q3_K: hmask[32], qs[64], 12 bytes of scales, f16 d. Scale i (6 bits,
    // minus 32): low 4 bits from byte i (i < 8) or the high nibble of byte
    // i - 8, top 2 bits from byte 8 + i % 4 at bits 2 * (i / 4). Code =
    // ((qs[32h + l] >> 2j) & 3), minus 4 unless bit 4h + j of hmask[l % 32]
    // is set; value = d * scale * code.
    uint8_t q3k[110] = {};
    q3k[108] = 0x00, q3k[109] = 0x3C; // d = 1
    q3k[96 + 0] = 0x01, q3k[96 + 8] = 0x02; // scale 0 = (1 | 2 << 4) - 32 = 1
    q3k[96 + 1] = 0x70, q3k[96 + 9] = 0x30; // scale 9 = (7 | 3 << 4) - 32 = 23; scale 1 = -32
    q3k[0] = 0x01;                          // value 0: mask bit 0 set
    q3k[32 + 0] = 0x03;                     // value 0: code 3
    q3k[18] = 0x10;                         // value 128 + 16 + 2: mask bit 4 set
    q3k[32 + 32 + 18] = 0x02;               // its code 2
    expect(imp::decodeGGUFBlock(imp::GGUFType::Q3_K, q3k, y) && y[0] == 1.0f * 3 &&
               y[1] == 1.0f * (0 - 4) && y[146] == 23.0f * 2 && y[16] == -32.0f * (0 - 4),
           "Q3_K block: d * (scale - 32) * (q - 4 unless masked) for hand-set codes");
    uint64_t bytes = 0;
    std::string why = imp::ggufTensorBytes(imp::GGUFType::Q6_K, {2560, 3}, bytes);
    expect(why.empty() && bytes == 10 * 3 * 210, "Q6_K tensor size: 210 bytes a block of 256");
    why = imp::ggufTensorBytes(imp::GGUFType::Q4_K, {100, 2}, bytes);
    expect(why == "rows of 100 elements are not whole Q4_K blocks of 256",
           "Q4_K rows must be whole blocks: '" + why + "'");
  }

  // Malformed GGUF files.
  {
    std::string good = readText(path(dir, "model-tq2.gguf"));
    expectGGUFError(bad, "short.gguf", "GGU", {"not a GGUF file"});
    expectGGUFError(bad, "magic.gguf", "GGUX" + good.substr(4), {"not a GGUF file"});
    expectGGUFError(bad, "version.gguf", ggufHeader(2, 0).bytes, {"GGUF version 2"});
    expectGGUFError(bad, "truncated.gguf", good.substr(0, 100), {"runs past the end of the file"});
    expectGGUFError(bad, "notensors.gguf", ggufHeader(3, 0).bytes,
                    {"missing or non-integer key 'bitnet-b1.58.embedding_length'"});
    GGUFBytes type = ggufHeader(3, 1);
    type.str("t").u32(1).u64(32).u32(9).u64(0).pad(); // 9: Q8_1 (never in files)
    expectGGUFError(bad, "type.gguf", type.bytes, {"tensor 't': unknown tensor type 9"});
    GGUFBytes range = ggufHeader(3, 1);
    range.str("t").u32(1).u64(32).u32(0).u64(0).pad();
    range.bytes += std::string(64, '\0');
    expectGGUFError(bad, "range.gguf", range.bytes,
                    {"tensor 't': 128 bytes of F32 at offset 0 run beyond the data (64 bytes)"});
    GGUFBytes overlap = ggufHeader(3, 2);
    overlap.str("a").u32(1).u64(16).u32(0).u64(0);
    overlap.str("b").u32(1).u64(16).u32(0).u64(32).pad();
    overlap.bytes += std::string(128, '\0');
    expectGGUFError(bad, "overlap.gguf", overlap.bytes, {"tensor 'b' overlaps tensor 'a'"});
    GGUFBytes misaligned = ggufHeader(3, 1);
    misaligned.str("t").u32(1).u64(4).u32(0).u64(4).pad();
    misaligned.bytes += std::string(64, '\0');
    expectGGUFError(bad, "misaligned.gguf", misaligned.bytes,
                    {"tensor 't': offset 4 is not a multiple of the alignment 32"});
    // Regression (gguf-duplicate-key): a repeated key silently won.
    GGUFBytes duplicate;
    duplicate.raw("GGUF", 4).u32(3).u64(0).u64(2);
    duplicate.str("general.architecture").u32(8).str("bitnet-b1.58");
    duplicate.str("general.architecture").u32(8).str("bitnet");
    expectGGUFError(bad, "duplicate.gguf", duplicate.bytes,
                    {"key 'general.architecture' appears twice"});
    // Regression (gguf-huge-block-count): the layers were allocated before
    // any tensor was looked at; context_length was unbounded.
    auto withU32 = [&](const std::string &key, uint32_t value) {
      std::string bytes = good;
      size_t at = bytes.find(key);
      if (at == std::string::npos)
        return std::string();
      std::memcpy(&bytes[at + key.size() + 4], &value, 4); // after the u32 type
      return bytes;
    };
    expectGGUFError(bad, "layers-huge.gguf", withU32("bitnet-b1.58.block_count", 10000000),
                    {"bitnet-b1.58.block_count is 10000000, more than the 4096 a model may have"});
    expectGGUFError(bad, "layers-missing.gguf", withU32("bitnet-b1.58.block_count", 3),
                    {"key 'bitnet-b1.58.block_count' is 3 but the file has no tensor "
                     "'blk.2.attn_norm.weight'"});
    expectGGUFError(bad, "context-huge.gguf", withU32("bitnet-b1.58.context_length", 0xFFFFFFFFu),
                    {"bitnet-b1.58.context_length is 4294967295, more than the 16777216 a model may have"});
    // Shape errors name the file's keys, not the importer's fields.
    expectGGUFError(bad, "heads-indivisible.gguf", withU32("bitnet-b1.58.attention.head_count", 3),
                    {"bitnet-b1.58.embedding_length (256) must be divisible by "
                     "bitnet-b1.58.attention.head_count (3)"});
    GGUFBytes longString;
    longString.raw("GGUF", 4).u32(3).u64(0).u64(1).u64(uint64_t(1) << 40);
    expectGGUFError(bad, "string.gguf", longString.bytes, {"a key has length"});

    // Regression (import-nan-master-weight, found by fuzz/gguf): a NaN f16
    // master weight reached the ternary quantizer (undefined conversion).
    {
      std::string f16 = readText(path(dir, "model-f16.gguf"));
      auto opened = imp::GGUFFile::open(path(dir, "model-f16.gguf"));
      size_t q = (*opened)->tensor("blk.0.attn_q.weight")->fileOffset;
      opened->reset();
      f16[q + 2] = 0x00; // element 1: f16 0x7e00, a NaN
      f16[q + 3] = 0x7e;
      expectGGUFError(bad, "nan.gguf", f16,
                      {"tensor 'blk.0.attn_q.weight'", "element 1 is nan; weights must be finite"});
    }
    // Code 3 and inconsistent block scales in blk.0.attn_q (TQ2_0).
    auto data = imp::GGUFFile::open(path(dir, "model-tq2.gguf"));
    size_t at = (*data)->tensor("blk.0.attn_q.weight")->fileOffset;
    data->reset();
    std::string code3 = good;
    code3[at] = static_cast<char>(code3[at] | 0x03);
    expectGGUFError(bad, "code3.gguf", code3,
                    {"tensor 'blk.0.attn_q.weight'", "invalid ternary code 3 in TQ2_0 block 0"});
    std::string scales = good;
    scales[at + 66 + 64] ^= 0x01; // block 1's f16 scale
    expectGGUFError(bad, "scales.gguf", scales,
                    {"tensor 'blk.0.attn_q.weight'", "block 1 has scale",
                     "per-block scales are not a per-tensor ternary model"});
  }

  // Regression (mlir-input-not-null-terminated): bitnet-compile mapped a
  // .mlir input without a NUL after it, and the MLIR lexer reads one byte
  // past the end: a file whose size is a multiple of the page size ended its
  // mapping there, and the lexer read the next mapping (or faulted). Source
  // text now always has its terminator, whatever the size.
  {
    const uint64_t page = llvm::sys::Process::getPageSizeEstimate();
    for (uint64_t size : {page * 16, page * 16 + 5}) {
      std::string file = path(dir, "source-" + std::to_string(size) + ".mlir");
      writeText(file, "// " + std::string(size - 3, 'x'));
      auto buffer = bitnet::openInputBufferOrStdin(file, bitnet::kMaxStdinModelBytes);
      if (!buffer) {
        expect(false, file + ": " + llvm::toString(buffer.takeError()));
        continue;
      }
      // A mapping ending on a page boundary has no byte after the text.
      bool mappedToPageEnd = (*buffer)->getBufferKind() == llvm::MemoryBuffer::MemoryBuffer_MMap &&
                             size % page == 0;
      expect((*buffer)->getBufferSize() == size && !mappedToPageEnd &&
                 (*buffer)->getBufferEnd()[0] == '\0',
             file + ": a NUL follows the source text");
    }
  }

  return checks.finish();
}
