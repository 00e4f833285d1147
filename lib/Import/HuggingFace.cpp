//===- HuggingFace.cpp - Hugging Face checkpoint directories --------------===//
//
// Tensor names and the packed layout follow the Hugging Face BitNet and
// LLaMA checkpoints as BITNET.md describes them.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/HuggingFace.h"
#include "bitnet/Tokenizer/Vocabulary.h"
#include "bitnet/Import/Importers.h"
#include "bitnet/Support/LLVMInput.h"
#include "bitnet/Import/SafeTensors.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <map>

namespace bitnet {
namespace import {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

std::string join(llvm::StringRef dir, llvm::StringRef file) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  return std::string(path);
}

/// The parsed config.json: the model config plus what the importer needs.
struct HFConfig {
  ref::ModelConfig model;
  bool llama = false;      // 1bitLLM names
  bool scaleIsInverse = false; // linear_class "bitlinear"
  bool hasLinearClass = false;
  bool tiedConfig = true; // tie_word_embeddings (default true)
};

/// Typed reads of one JSON object's keys: a key of the wrong type is an
/// error naming the key and the type it must have, never a silent default.
class ConfigKeys {
public:
  ConfigKeys(const std::string &path, const llvm::json::Object &object,
             llvm::StringRef prefix = "")
      : path(path), object(object), prefix(prefix.str()) {}

  llvm::Error integer(const char *key, int64_t &field, std::optional<int64_t> fallback) {
    const llvm::json::Value *v = object.get(key);
    std::optional<int64_t> n = v ? v->getAsInteger() : fallback;
    if (!v && !n)
      return missing(key);
    if (!n)
      return wrongType(key, "an integer", *v);
    if (*n <= 0)
      return fail(path + ": key " + quoted(prefix + key) + " must be positive, not " +
                  llvm::Twine(*n));
    field = *n;
    return llvm::Error::success();
  }
  llvm::Error number(const char *key, float &field, double fallback) {
    const llvm::json::Value *v = object.get(key);
    std::optional<double> d = v ? v->getAsNumber() : fallback;
    if (!d)
      return wrongType(key, "a number", *v);
    field = static_cast<float>(*d);
    return llvm::Error::success();
  }
  llvm::Error boolean(const char *key, bool &field, bool fallback) {
    const llvm::json::Value *v = object.get(key);
    std::optional<bool> b = v ? v->getAsBoolean() : fallback;
    if (!b)
      return wrongType(key, "true or false", *v);
    field = *b;
    return llvm::Error::success();
  }
  /// A string key; absent and optional: std::nullopt.
  llvm::Error string(const char *key, std::optional<llvm::StringRef> &field, bool required) {
    const llvm::json::Value *v = object.get(key);
    if (!v)
      return required ? missing(key) : llvm::Error::success();
    field = v->getAsString();
    if (!field)
      return wrongType(key, "a string", *v);
    return llvm::Error::success();
  }
  /// An object key; absent: nullptr.
  llvm::Error subObject(const char *key, const llvm::json::Object *&field) {
    const llvm::json::Value *v = object.get(key);
    field = v ? v->getAsObject() : nullptr;
    if (v && !field)
      return wrongType(key, "an object", *v);
    return llvm::Error::success();
  }

private:
  llvm::Error missing(const char *key) {
    return fail(path + ": missing key " + quoted(prefix + key));
  }
  llvm::Error wrongType(const char *key, const char *expected, const llvm::json::Value &v) {
    return fail(path + ": key " + quoted(prefix + key) + " must be " + expected + ", not " +
                jsonKind(v));
  }
  const std::string &path;
  const llvm::json::Object &object;
  std::string prefix;
};

/// config.json's keys of the model's sizes (Hugging Face's LlamaConfig
/// and BitNetConfig names).
ref::ModelConfigKeys configKeys() {
  ref::ModelConfigKeys keys;
  keys.hidden = "hidden_size";
  keys.intermediate = "intermediate_size";
  keys.layers = "num_hidden_layers";
  keys.heads = "num_attention_heads";
  keys.kvHeads = "num_key_value_heads";
  keys.vocab = "vocab_size";
  keys.context = "max_position_embeddings";
  keys.ropeTheta = "rope_theta";
  keys.rmsEps = "rms_norm_eps";
  return keys;
}

llvm::Expected<HFConfig> parseConfig(const std::string &path,
                                     const ImportOptions &options) {
  llvm::Expected<llvm::json::Value> json = readJsonFile(path, kMaxConfigBytes);
  if (!json)
    return json.takeError();
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fail(path + ": not a JSON object");
  ConfigKeys keys(path, *root);
  HFConfig c;
  std::optional<llvm::StringRef> type;
  if (llvm::Error e = keys.string("model_type", type, /*required=*/true))
    return std::move(e);
  if (*type == "bitnet") {
    c.llama = false;
  } else if (*type == "llama") {
    c.llama = true;
  } else {
    return fail(path + ": model_type " + quoted(*type) +
                " is not supported (expected bitnet or llama)");
  }
  ref::ModelConfig &m = c.model;
  const ref::ModelConfigKeys fileNames = configKeys();
  const std::pair<const std::string &, int64_t *> required[] = {
      {fileNames.hidden, &m.hidden}, {fileNames.intermediate, &m.intermediate},
      {fileNames.layers, &m.layers}, {fileNames.heads, &m.heads},
      {fileNames.vocab, &m.vocab},   {fileNames.context, &m.context}};
  for (const auto &[key, field] : required)
    if (llvm::Error e = keys.integer(key.c_str(), *field, std::nullopt))
      return std::move(e);
  if (llvm::Error e = keys.integer(fileNames.kvHeads.c_str(), m.kvHeads, m.heads))
    return std::move(e);
  if (options.context > 0)
    m.context = options.context;
  if (llvm::Error e = keys.number(fileNames.ropeTheta.c_str(), m.ropeTheta, 10000.0))
    return std::move(e);
  if (llvm::Error e = keys.number(fileNames.rmsEps.c_str(), m.rmsEps, 1e-5))
    return std::move(e);
  std::optional<llvm::StringRef> act;
  if (llvm::Error e = keys.string("hidden_act", act, /*required=*/true))
    return std::move(e);
  if (*act == "relu2")
    m.glu = ref::GluActivation::Relu2;
  else if (*act == "silu")
    m.glu = ref::GluActivation::Silu;
  else
    return fail(path + ": hidden_act " + quoted(*act) + " is not supported (relu2 or silu)");
  m.weightKind = options.kind;
  if (llvm::Error e = keys.boolean("tie_word_embeddings", c.tiedConfig, true))
    return std::move(e);
  const llvm::json::Object *q = nullptr;
  if (llvm::Error e = keys.subObject("quantization_config", q))
    return std::move(e);
  if (q) {
    ConfigKeys quantization(path, *q, "quantization_config.");
    std::optional<llvm::StringRef> cls;
    if (llvm::Error e = quantization.string("linear_class", cls, /*required=*/false))
      return std::move(e);
    if (cls) {
      if (*cls != "autobitlinear" && *cls != "bitlinear")
        return fail(path + ": quantization_config.linear_class " + quoted(*cls) +
                    " is not supported (autobitlinear or bitlinear)");
      c.hasLinearClass = true;
      c.scaleIsInverse = *cls == "bitlinear";
    }
  }
  ref::ModelConfigKeys names = fileNames;
  if (options.context > 0)
    names.context = "the context (--context)";
  std::string invalid = m.validate(names);
  if (!invalid.empty())
    return fail(path + ": " + invalid);
  return c;
}

/// Every tensor of the checkpoint by name, across shards.
class Checkpoint {
public:
  llvm::Error open(const std::string &dir) {
    std::string single = join(dir, "model.safetensors");
    std::string index = join(dir, "model.safetensors.index.json");
    if (llvm::sys::fs::exists(index)) {
      llvm::Expected<llvm::json::Value> json = readJsonFile(index, kMaxIndexBytes);
      if (!json)
        return json.takeError();
      const llvm::json::Object *root = json->getAsObject();
      const llvm::json::Object *map = root ? root->getObject("weight_map") : nullptr;
      if (!map)
        return fail(index + ": missing object 'weight_map'");
      if (map->empty())
        return fail(index + ": 'weight_map' names no tensor");
      for (const auto &[name, file] : *map) {
        std::optional<llvm::StringRef> shard = file.getAsString();
        if (!shard || shard->contains('/') || shard->contains('\\'))
          return fail(index + ": tensor " + quoted(name.str()) +
                      " maps to something other than a file name in the directory");
        if (!files_.count(shard->str())) {
          auto opened = SafeTensorsFile::open(join(dir, *shard));
          if (!opened)
            return opened.takeError();
          files_[shard->str()] = std::move(*opened);
        }
        const SafeTensorsFile &f = *files_[shard->str()];
        const TensorView *view = f.find(name);
        if (!view)
          return fail(index + ": tensor " + quoted(name.str()) + " is not in " + f.path());
        where_[name.str()] = {view, f.path(), &f};
      }
      return llvm::Error::success();
    }
    auto opened = SafeTensorsFile::open(single);
    if (!opened)
      return opened.takeError();
    for (const auto &[name, view] : (*opened)->tensors())
      where_[name] = {&view, (*opened)->path(), opened->get()};
    files_["model.safetensors"] = std::move(*opened);
    return llvm::Error::success();
  }

  struct Located {
    const TensorView *view = nullptr;
    std::string file;
    const SafeTensorsFile *owner = nullptr;
  };
  const Located *find(const std::string &name) const {
    auto it = where_.find(name);
    return it == where_.end() ? nullptr : &it->second;
  }
  std::string anyFile() const {
    return where_.empty() ? std::string("model.safetensors") : where_.begin()->second.file;
  }

private:
  std::map<std::string, std::unique_ptr<SafeTensorsFile>> files_;
  std::map<std::string, Located> where_;
};

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Floats of a float tensor (F32, F16, BF16), little-endian.
std::vector<float> toFloats(const TensorView &t) {
  std::vector<float> out(static_cast<size_t>(t.elements()));
  const uint8_t *p = t.bytes.data();
  for (size_t i = 0; i < out.size(); ++i) {
    if (t.dtype == DType::F32) {
      uint32_t bits = uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8 |
                      uint32_t(p[4 * i + 2]) << 16 | uint32_t(p[4 * i + 3]) << 24;
      std::memcpy(&out[i], &bits, 4);
    } else {
      uint16_t bits = uint16_t(p[2 * i] | p[2 * i + 1] << 8);
      out[i] = t.dtype == DType::F16 ? ref::halfToFloat(bits) : ref::bf16ToFloat(bits);
    }
  }
  return out;
}

/// A parsed config and its mapped files: what the sources of a lazy import
/// share, to read their tensors again while the file stays open.
struct OpenCheckpoint {
  HFConfig config;
  Checkpoint checkpoint;
};

class Importer {
public:
  Importer(std::shared_ptr<const OpenCheckpoint> open, bool lazy)
      : open(std::move(open)), c(this->open->config), cfg(c.model),
        ckpt(this->open->checkpoint), lazy(lazy) {}

  llvm::Error notFinite(const Checkpoint::Located &t, const std::string &name, uint64_t element,
                        float value) {
    return fail(t.file + ": tensor " + quoted(name) + ": element " + llvm::Twine(element) +
                " is " + std::to_string(value) + "; weights must be finite");
  }

  llvm::Expected<const Checkpoint::Located *> floatTensor(const std::string &name,
                                                        const std::vector<int64_t> &shape) {
    auto t = tensor(name, shape);
    if (!t)
      return t.takeError();
    if ((*t)->view->dtype != DType::F32 && (*t)->view->dtype != DType::F16 &&
        (*t)->view->dtype != DType::BF16)
      return fail((*t)->file + ": tensor " + quoted(name) + ": dtype " +
                  dtypeName((*t)->view->dtype) + " where F32, F16 or BF16 is expected");
    return t;
  }

  /// A float tensor of exactly `shape`.
  llvm::Expected<std::vector<float>> floats(const std::string &name,
                                            std::vector<int64_t> shape) {
    auto t = floatTensor(name, shape);
    if (!t)
      return t.takeError();
    std::vector<float> values = toFloats(*(*t)->view);
    if (int64_t bad = firstNonFinite(values); bad >= 0)
      return notFinite(**t, name, static_cast<uint64_t>(bad), values[static_cast<size_t>(bad)]);
    return values;
  }

  /// A float table as f16 bits (the embedding, the LM head), element by
  /// element: no float copy of the table.
  llvm::Error halfBits(const Checkpoint::Located &t, const std::string &name, uint16_t *out) {
    const TensorView &v = *t.view;
    const uint8_t *p = v.bytes.data();
    const uint64_t n = static_cast<uint64_t>(v.elements());
    for (uint64_t i = 0; i < n; ++i) {
      float value;
      if (v.dtype == DType::F32) {
        uint32_t bits = uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8 |
                        uint32_t(p[4 * i + 2]) << 16 | uint32_t(p[4 * i + 3]) << 24;
        std::memcpy(&value, &bits, 4);
      } else {
        uint16_t bits = uint16_t(p[2 * i] | p[2 * i + 1] << 8);
        if (v.dtype == DType::F16) {
          // Already f16: the bits as they are (through float and back they
          // would come out the same).
          out[i] = bits;
          if ((bits & 0x7C00) == 0x7C00)
            return notFinite(t, name, i, ref::halfToFloat(bits));
          continue;
        }
        value = ref::bf16ToFloat(bits);
      }
      if (!std::isfinite(value))
        return notFinite(t, name, i, value);
      out[i] = ref::floatToHalf(value);
    }
    return llvm::Error::success();
  }

  /// An f16 table [rows, cols]: its bits in `values`, or for a lazy import
  /// a source of them.
  llvm::Error table(const std::string &name, int64_t rows, int64_t cols,
                    std::vector<uint16_t> &values,
                    std::shared_ptr<const ref::TensorSource> &source) {
    auto t = floatTensor(name, {rows, cols});
    if (!t)
      return t.takeError();
    if (!lazy) {
      values.resize(static_cast<size_t>(rows * cols));
      return halfBits(**t, name, values.data());
    }
    source = lazySource(name, rows * cols * 2, [name](Importer &importer, uint8_t *out) {
      return importer.halfBits(*importer.ckpt.find(name), name,
                               reinterpret_cast<uint16_t *>(out));
    });
    return llvm::Error::success();
  }

  /// A source whose bytes `read` produces with an importer of this
  /// checkpoint, which stays open while the source lives.
  template <typename Read>
  std::shared_ptr<const ref::TensorSource> lazySource(const std::string &name, int64_t bytes,
                                                      Read read) {
    return makeTensorSource(name, bytes, [open = open, name, read](uint8_t *out) {
      Importer importer(open, /*lazy=*/false);
      llvm::Error e = read(importer, out);
      const Checkpoint::Located *t = open->checkpoint.find(name);
      t->owner->releasePages(*t->view);
      return e;
    });
  }

  /// Packed ternary U8 [out/4, in] to logical values [out, in]: quarter
  /// blocks along the output axis.
  llvm::Error packedValues(const Checkpoint::Located &w, const std::string &name, int64_t out,
                           int64_t in, int8_t *values) {
    const int64_t quarter = out / 4;
    const uint8_t *bytes = w.view->bytes.data();
    for (int64_t r = 0; r < quarter; ++r)
      for (int64_t k = 0; k < in; ++k) {
        uint8_t b = bytes[r * in + k];
        for (int64_t i = 0; i < 4; ++i) {
          int code = (b >> (2 * i)) & 3;
          if (code == 3)
            return fail(w.file + ": tensor " + quoted(name) +
                        ": invalid ternary code 3 at packed row " + llvm::Twine(r) +
                        ", column " + llvm::Twine(k) + " (bits " + llvm::Twine(2 * i) + "-" +
                        llvm::Twine(2 * i + 1) + ")");
          values[(i * quarter + r) * in + k] = static_cast<int8_t>(code - 1);
        }
      }
    return llvm::Error::success();
  }

  llvm::Expected<ref::LinearWeights> linear(const std::string &prefix, int64_t out,
                                            int64_t in) {
    std::string name = prefix + ".weight";
    const Checkpoint::Located *w = ckpt.find(name);
    if (!w)
      return fail(ckpt.anyFile() + ": tensor " + quoted(name) + " is missing");
    if (w->view->dtype != DType::U8) {
      auto master = floats(name, {out, in});
      if (!master)
        return master.takeError();
      ref::LinearWeights lw = ref::linearFromMaster(std::move(*master), out, in, cfg.weightKind);
      if (lazy && cfg.weightKind == ref::WeightKind::Float) {
        // The narrowest exact type needs every weight: chosen now, the
        // floats read again when they are written.
        lw.floatStorage = ref::narrowestFloatStorage(lw.floats);
        lw.floats = {};
        lw.source = lazySource(name, out * in * ref::bytesPerFloat(lw.floatStorage),
                               [name, out, in, storage = lw.floatStorage](Importer &importer,
                                                                          uint8_t *bytes) {
                                 return encodeMasterInto(importer.floats(name, {out, in}),
                                                         storage, bytes);
                               });
        w->owner->releasePages(*w->view);
      } else if (lazy) {
        // The scale needs every weight: computed now, the values again when
        // they are written.
        lw.values = {};
        lw.source = lazySource(name, out * in, [name, out, in](Importer &importer,
                                                                uint8_t *values) {
          return quantizeMasterInto(importer.floats(name, {out, in}), out, in,
                                    importer.cfg.weightKind, values);
        });
        w->owner->releasePages(*w->view);
      }
      return lw;
    }
    auto here = [&](const llvm::Twine &what) {
      return fail(w->file + ": tensor " + quoted(name) + ": " + what);
    };
    if (cfg.weightKind != ref::WeightKind::Ternary)
      return here("packed ternary weights cannot be imported as " +
                  llvm::Twine(ref::weightKindName(cfg.weightKind)));
    if (out % 4 != 0 || w->view->shape != std::vector<int64_t>{out / 4, in})
      return here("shape " + shapeText(w->view->shape) + " but the config implies U8 " +
                  shapeText({out / 4, in}) + " (packed " + shapeText({out, in}) + ")");
    if (!c.hasLinearClass)
      return here("packed weights need config.json quantization_config.linear_class "
                  "to say what weight_scale means");
    auto scale = floats(prefix + ".weight_scale", {1});
    if (!scale) {
      // A [] scalar is as good as [1].
      llvm::consumeError(scale.takeError());
      scale = floats(prefix + ".weight_scale", {});
      if (!scale)
        return scale.takeError();
    }
    ref::LinearWeights lw;
    lw.out = out;
    lw.in = in;
    lw.scale = c.scaleIsInverse ? 1.0f / (*scale)[0] : (*scale)[0];
    if (!std::isfinite(lw.scale) || lw.scale == 0.0f)
      return here("weight_scale " + std::to_string((*scale)[0]) +
                  " gives the scale " + std::to_string(lw.scale) +
                  "; it must be finite and non-zero");
    if (lazy) {
      lw.source = lazySource(name, out * in, [name, out, in](Importer &importer,
                                                              uint8_t *values) {
        return importer.packedValues(*importer.ckpt.find(name), name, out, in,
                                     reinterpret_cast<int8_t *>(values));
      });
      return lw;
    }
    lw.values.resize(static_cast<size_t>(out * in));
    if (llvm::Error e = packedValues(*w, name, out, in, lw.values.data()))
      return std::move(e);
    return lw;
  }

  llvm::Expected<ref::ModelWeights> run() {
    ref::ModelWeights w;
    w.config = cfg;
    const int64_t D = cfg.hidden, I = cfg.intermediate, KV = cfg.kvDim();
    // The layer count sizes everything below: its last layer must exist.
    const std::string lastLayer =
        "model.layers." + std::to_string(cfg.layers - 1) + ".input_layernorm.weight";
    if (!ckpt.find(lastLayer))
      return fail(ckpt.anyFile() + ": num_hidden_layers is " + llvm::Twine(cfg.layers) +
                  " but the checkpoint has no tensor " + quoted(lastLayer));
    if (llvm::Error e = table("model.embed_tokens.weight", cfg.vocab, D, w.embedding,
                              w.embeddingSource))
      return std::move(e);
    w.layers.resize(static_cast<size_t>(cfg.layers));
    const char *attnSub = c.llama ? "self_attn.inner_attn_ln" : "self_attn.attn_sub_norm";
    const char *ffnSub = c.llama ? "mlp.ffn_layernorm" : "mlp.ffn_sub_norm";
    for (int64_t l = 0; l < cfg.layers; ++l) {
      std::string p = "model.layers." + std::to_string(l) + ".";
      ref::LayerWeights &lw = w.layers[static_cast<size_t>(l)];
      struct Norm {
        std::vector<float> *dst;
        std::string name;
        int64_t size;
      };
      for (const Norm &n : {Norm{&lw.inputNorm, p + "input_layernorm.weight", D},
                            Norm{&lw.attnSubNorm, p + attnSub + ".weight", D},
                            Norm{&lw.postAttnNorm, p + "post_attention_layernorm.weight", D},
                            Norm{&lw.ffnSubNorm, p + ffnSub + ".weight", I}}) {
        auto v = floats(n.name, {n.size});
        if (!v)
          return v.takeError();
        *n.dst = std::move(*v);
      }
      struct Linear {
        ref::LinearWeights *dst;
        std::string name;
        int64_t out, in;
      };
      for (const Linear &m : {Linear{&lw.q, p + "self_attn.q_proj", D, D},
                              Linear{&lw.k, p + "self_attn.k_proj", KV, D},
                              Linear{&lw.v, p + "self_attn.v_proj", KV, D},
                              Linear{&lw.o, p + "self_attn.o_proj", D, D},
                              Linear{&lw.gate, p + "mlp.gate_proj", I, D},
                              Linear{&lw.up, p + "mlp.up_proj", I, D},
                              Linear{&lw.down, p + "mlp.down_proj", D, I}}) {
        auto v = linear(m.name, m.out, m.in);
        if (!v)
          return v.takeError();
        *m.dst = std::move(*v);
      }
    }
    auto norm = floats("model.norm.weight", {D});
    if (!norm)
      return norm.takeError();
    w.finalNorm = std::move(*norm);
    // An untied LM head (f16 as the embedding); tied when absent.
    if (ckpt.find("lm_head.weight")) {
      if (llvm::Error e = table("lm_head.weight", cfg.vocab, D, w.lmHead, w.lmHeadSource))
        return std::move(e);
      w.config.tiedHead = false;
    } else if (!c.tiedConfig) {
      return fail(ckpt.anyFile() + ": tensor 'lm_head.weight' is missing but config.json "
                  "says tie_word_embeddings: false");
    }
    return w;
  }

private:
  llvm::Expected<const Checkpoint::Located *> tensor(const std::string &name,
                                                     const std::vector<int64_t> &shape) {
    const Checkpoint::Located *t = ckpt.find(name);
    if (!t)
      return fail(ckpt.anyFile() + ": tensor " + quoted(name) + " is missing");
    if (t->view->shape != shape)
      return fail(t->file + ": tensor " + quoted(name) + " has shape " +
                  shapeText(t->view->shape) + " but config.json implies " +
                  shapeText(shape));
    return t;
  }

  std::shared_ptr<const OpenCheckpoint> open;
  const HFConfig &c;
  const ref::ModelConfig &cfg;
  const Checkpoint &ckpt;
  const bool lazy;
};

} // namespace

llvm::Expected<ref::ModelWeights> importHuggingFace(llvm::StringRef directory,
                                                   const ImportOptions &options) {
  std::string dir = directory.str();
  auto config = parseConfig(join(dir, "config.json"), options);
  if (!config)
    return config.takeError();
  auto open = std::make_shared<OpenCheckpoint>();
  open->config = std::move(*config);
  if (llvm::Error e = open->checkpoint.open(dir))
    return std::move(e);
  Importer importer(open, options.lazyTensors);
  llvm::Expected<ref::ModelWeights> weights = importer.run();
  if (!weights || !options.tokenizer)
    return weights;
  // The tokenizer beside the weights, as Hugging Face's from_pretrained
  // finds it; a checkpoint without one still imports.
  std::string tokenizerPath = join(dir, "tokenizer.json");
  if (llvm::sys::fs::exists(tokenizerPath)) {
    llvm::Expected<tokenizer::Vocabulary> vocab =
        tokenizer::vocabularyFromTokenizerJson(tokenizerPath);
    if (!vocab)
      return vocab.takeError();
    if (llvm::Error e = tokenizer::fitVocabularyToModel(*vocab, weights->config.vocab))
      return fail(tokenizerPath + ": " + llvm::toString(std::move(e)));
    weights->tokenizer = tokenizer::serializeVocabulary(*vocab);
    weights->chatTemplate = vocab->chatTemplate;
  }
  return weights;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

namespace {

std::string tensorName(const ref::TensorShape &t, bool llama) {
  std::string p = "model.layers." + std::to_string(t.layer) + ".";
  switch (t.role) {
  case ref::TensorRole::Embedding: return "model.embed_tokens.weight";
  case ref::TensorRole::InputNorm: return p + "input_layernorm.weight";
  case ref::TensorRole::Q: return p + "self_attn.q_proj.weight";
  case ref::TensorRole::K: return p + "self_attn.k_proj.weight";
  case ref::TensorRole::V: return p + "self_attn.v_proj.weight";
  case ref::TensorRole::AttnSubNorm:
    return p + (llama ? "self_attn.inner_attn_ln.weight" : "self_attn.attn_sub_norm.weight");
  case ref::TensorRole::O: return p + "self_attn.o_proj.weight";
  case ref::TensorRole::PostAttnNorm: return p + "post_attention_layernorm.weight";
  case ref::TensorRole::Gate: return p + "mlp.gate_proj.weight";
  case ref::TensorRole::Up: return p + "mlp.up_proj.weight";
  case ref::TensorRole::FfnSubNorm:
    return p + (llama ? "mlp.ffn_layernorm.weight" : "mlp.ffn_sub_norm.weight");
  case ref::TensorRole::Down: return p + "mlp.down_proj.weight";
  case ref::TensorRole::FinalNorm: return "model.norm.weight";
  case ref::TensorRole::LMHead: return "lm_head.weight";
  }
  return "";
}

} // namespace

llvm::Error writeHuggingFace(llvm::StringRef directory, const ref::ModelConfig &config,
                             uint64_t seed, HFWeightFormat format) {
  std::string invalid = config.validate();
  if (!invalid.empty())
    return fail("invalid model shape: " + invalid);
  const bool packed = format == HFWeightFormat::Packed;
  const bool llama = config.glu == ref::GluActivation::Silu;
  if (packed && (config.hidden % 4 != 0 || config.intermediate % 4 != 0 ||
                 config.kvDim() % 4 != 0))
    return fail("packed checkpoints need every output size to be a multiple of 4");
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return fail(directory + ": cannot create: " + ec.message());

  // Declare every tensor from the shapes alone (the drawing order of
  // forEachRandomTensor), then stream them.
  SafeTensorsWriter writer;
  for (const ref::TensorShape &t : ref::modelTensors(config)) {
    std::string name = tensorName(t, llama);
    if (t.role == ref::TensorRole::Embedding || t.role == ref::TensorRole::LMHead)
      writer.add(name, DType::F16, {t.rows, t.cols});
    else if (!ref::isLinear(t.role))
      writer.add(name, DType::F32, {t.cols});
    else if (packed) {
      writer.add(name, DType::U8, {t.rows / 4, t.cols});
      writer.add(name + "_scale", DType::F32, {1});
    } else {
      writer.add(name, DType::BF16, {t.rows, t.cols});
    }
  }
  std::string model = join(directory, "model.safetensors");
  if (llvm::Error e = writer.begin(model))
    return e;
  llvm::Error error = llvm::Error::success();
  auto put = [&](std::vector<uint8_t> bytes) {
    if (!error)
      error = writer.write(bytes);
  };
  auto le16 = [](std::vector<uint8_t> &out, uint16_t v) {
    out.push_back(uint8_t(v));
    out.push_back(uint8_t(v >> 8));
  };
  auto le32 = [](std::vector<uint8_t> &out, float f) {
    uint32_t v;
    std::memcpy(&v, &f, 4);
    for (int i = 0; i < 4; ++i)
      out.push_back(uint8_t(v >> (8 * i)));
  };
  ref::forEachRandomTensor(config, seed, [&](ref::RandomTensor &t) {
    std::vector<uint8_t> bytes;
    if (t.role == ref::TensorRole::Embedding || t.role == ref::TensorRole::LMHead) {
      for (float v : t.values)
        le16(bytes, ref::floatToHalf(v));
      put(std::move(bytes));
    } else if (!ref::isLinear(t.role)) {
      for (float v : t.values)
        le32(bytes, v);
      put(std::move(bytes));
    } else if (packed) {
      ref::QuantizedWeights q =
          ref::quantizeWeights(t.values.data(), t.values.size(), ref::WeightKind::Ternary);
      const int64_t quarter = t.rows / 4;
      bytes.assign(static_cast<size_t>(quarter * t.cols), 0);
      for (int64_t row = 0; row < t.rows; ++row)
        for (int64_t k = 0; k < t.cols; ++k) {
          int code = q.values[static_cast<size_t>(row * t.cols + k)] + 1;
          bytes[static_cast<size_t>((row % quarter) * t.cols + k)] |=
              static_cast<uint8_t>(code << (2 * (row / quarter)));
        }
      put(std::move(bytes));
      std::vector<uint8_t> scale;
      le32(scale, q.scale);
      put(std::move(scale));
    } else {
      for (float v : t.values)
        le16(bytes, ref::floatToBf16(v));
      put(std::move(bytes));
    }
  });
  if (error)
    return std::move(error);
  if (llvm::Error e = writer.finish())
    return e;

  llvm::json::Object cfg{
      {"model_type", llama ? "llama" : "bitnet"},
      {"hidden_size", config.hidden},
      {"intermediate_size", config.intermediate},
      {"num_hidden_layers", config.layers},
      {"num_attention_heads", config.heads},
      {"num_key_value_heads", config.kvHeads},
      {"vocab_size", config.vocab},
      {"max_position_embeddings", config.context},
      {"rope_theta", double(config.ropeTheta)},
      {"rms_norm_eps", double(config.rmsEps)},
      {"hidden_act", llama ? "silu" : "relu2"},
      {"tie_word_embeddings", config.tiedHead},
      {"torch_dtype", "bfloat16"},
  };
  if (packed)
    cfg["quantization_config"] =
        llvm::json::Object{{"quant_method", "bitnet"}, {"linear_class", "autobitlinear"}};
  std::string configPath = join(directory, "config.json");
  std::string temporary = configPath + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(temporary, ec);
    if (ec)
      return fail(configPath + ": cannot write: " + ec.message());
    out << llvm::formatv("{0:2}", llvm::json::Value(std::move(cfg))) << "\n";
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, configPath)) {
    llvm::sys::fs::remove(temporary);
    return fail(configPath + ": cannot write: " + ec.message());
  }
  return llvm::Error::success();
}

} // namespace import
} // namespace bitnet
