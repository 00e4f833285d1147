//===- GGUF.cpp - GGUF v3 model files --------------------------------------===//
//
// The container follows the GGUF v3 specification of llama.cpp; the TQ1_0 and
// TQ2_0 block layouts are ggml's, I2_S is bitnet.cpp's (BITNET.md describes
// each). Nothing here is copied from those projects.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/GGUF.h"
#include "bitnet/Import/Importers.h"
#include "bitnet/Reference/Packing.h"
#include "bitnet/Support/LLVMInput.h"
#include "bitnet/Tokenizer/Vocabulary.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace bitnet {
namespace import {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

constexpr uint64_t kMaxString = 1u << 20;
constexpr uint64_t kMaxTensors = 1u << 20;

/// Bounds-checked little-endian reads; the first failure is kept.
class Cursor {
public:
  Cursor(const uint8_t *begin, size_t size) : begin_(begin), p_(begin), end_(begin + size) {}
  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }

  template <typename T> T read(const char *what) {
    T value{};
    if (!take(sizeof(T), what))
      return value;
    std::memcpy(&value, p_ - sizeof(T), sizeof(T)); // little-endian host
    return value;
  }
  std::string string(const char *what) {
    uint64_t n = read<uint64_t>(what);
    if (!ok())
      return "";
    if (n > kMaxString) {
      setError(std::string(what) + " has length " + std::to_string(n) + " (over 1 MiB)");
      return "";
    }
    if (!take(n, what))
      return "";
    return std::string(reinterpret_cast<const char *>(p_ - n), n);
  }
  bool take(uint64_t n, const char *what) {
    if (!ok())
      return false;
    if (n > static_cast<uint64_t>(end_ - p_)) {
      setError(std::string(what) + " runs past the end of the file (offset " +
               std::to_string(position()) + ")");
      return false;
    }
    p_ += n;
    return true;
  }
  void setError(const std::string &message) {
    if (error_.empty())
      error_ = message;
  }

private:
  const uint8_t *begin_, *p_, *end_;
  std::string error_;
};

/// Scalar sizes of the value types (0 for string and array).
int valueSize(uint32_t type) {
  switch (type) {
  case 0: case 1: case 7: return 1;
  case 2: case 3: return 2;
  case 4: case 5: case 6: return 4;
  case 10: case 11: case 12: return 8;
  default: return 0;
  }
}

GGUFValue readValue(Cursor &c, uint32_t type, const std::string &key, int depth) {
  GGUFValue v;
  switch (type) {
  case 0: v.kind = GGUFValue::Kind::Unsigned; v.u = c.read<uint8_t>("a value"); break;
  case 1: v.kind = GGUFValue::Kind::Signed; v.i = c.read<int8_t>("a value"); break;
  case 2: v.kind = GGUFValue::Kind::Unsigned; v.u = c.read<uint16_t>("a value"); break;
  case 3: v.kind = GGUFValue::Kind::Signed; v.i = c.read<int16_t>("a value"); break;
  case 4: v.kind = GGUFValue::Kind::Unsigned; v.u = c.read<uint32_t>("a value"); break;
  case 5: v.kind = GGUFValue::Kind::Signed; v.i = c.read<int32_t>("a value"); break;
  case 6: v.kind = GGUFValue::Kind::Float; v.f = c.read<float>("a value"); break;
  case 7: v.kind = GGUFValue::Kind::Bool; v.u = c.read<uint8_t>("a value"); break;
  case 8: v.kind = GGUFValue::Kind::String; v.s = c.string("a string value"); break;
  case 10: v.kind = GGUFValue::Kind::Unsigned; v.u = c.read<uint64_t>("a value"); break;
  case 11: v.kind = GGUFValue::Kind::Signed; v.i = c.read<int64_t>("a value"); break;
  case 12: v.kind = GGUFValue::Kind::Float; v.f = c.read<double>("a value"); break;
  case 9: {
    v.kind = GGUFValue::Kind::Array;
    uint32_t element = c.read<uint32_t>("an array type");
    v.count = c.read<uint64_t>("an array length");
    v.elementType = element;
    v.dataOffset = c.position();
    if (!c.ok())
      break;
    if (depth > 4) {
      c.setError("key " + quoted(key) + ": arrays nested too deeply");
      break;
    }
    if (int size = valueSize(element)) {
      if (v.count > (uint64_t(1) << 40) / size) {
        c.setError("key " + quoted(key) + ": array of " + std::to_string(v.count) +
                   " elements is too long");
        break;
      }
      c.take(v.count * size, "an array");
    } else if (element == 8 || element == 9) {
      for (uint64_t i = 0; i < v.count && c.ok(); ++i)
        readValue(c, element, key, depth + 1);
    } else {
      c.setError("key " + quoted(key) + ": unknown array element type " + std::to_string(element));
    }
    break;
  }
  default:
    c.setError("key " + quoted(key) + ": unknown value type " + std::to_string(type));
  }
  return v;
}

bool knownType(uint32_t t) {
  return t == 0 || t == 1 || t == 2 || t == 3 || (t >= 6 && t <= 8) || (t >= 10 && t <= 14) ||
         t == 30 || t == 34 || t == 35 || t == 36;
}

/// Values and bytes of one block of the block-quantized float types.
struct FloatBlock {
  int64_t values, bytes;
};
std::optional<FloatBlock> floatBlockOf(GGUFType type) {
  switch (type) {
  case GGUFType::Q4_0: return FloatBlock{32, 18};
  case GGUFType::Q4_1: return FloatBlock{32, 20};
  case GGUFType::Q5_0: return FloatBlock{32, 22};
  case GGUFType::Q5_1: return FloatBlock{32, 24};
  case GGUFType::Q8_0: return FloatBlock{32, 34};
  case GGUFType::Q2_K: return FloatBlock{256, 84};
  case GGUFType::Q3_K: return FloatBlock{256, 110};
  case GGUFType::Q4_K: return FloatBlock{256, 144};
  case GGUFType::Q5_K: return FloatBlock{256, 176};
  case GGUFType::Q6_K: return FloatBlock{256, 210};
  default: return std::nullopt;
  }
}

} // namespace

const char *ggufTypeName(GGUFType type) {
  switch (type) {
  case GGUFType::F32: return "F32";
  case GGUFType::F16: return "F16";
  case GGUFType::BF16: return "BF16";
  case GGUFType::Q4_0: return "Q4_0";
  case GGUFType::Q4_1: return "Q4_1";
  case GGUFType::Q5_0: return "Q5_0";
  case GGUFType::Q5_1: return "Q5_1";
  case GGUFType::Q8_0: return "Q8_0";
  case GGUFType::Q2_K: return "Q2_K";
  case GGUFType::Q3_K: return "Q3_K";
  case GGUFType::Q4_K: return "Q4_K";
  case GGUFType::Q5_K: return "Q5_K";
  case GGUFType::Q6_K: return "Q6_K";
  case GGUFType::TQ1_0: return "TQ1_0";
  case GGUFType::TQ2_0: return "TQ2_0";
  case GGUFType::I2_S: return "I2_S";
  }
  return "?";
}

std::string ggufTensorBytes(GGUFType type, const std::vector<int64_t> &dims, uint64_t &bytes) {
  uint64_t n = 1;
  for (int64_t d : dims)
    n *= uint64_t(d);
  switch (type) {
  case GGUFType::F32: bytes = 4 * n; return "";
  case GGUFType::F16:
  case GGUFType::BF16: bytes = 2 * n; return "";
  case GGUFType::TQ1_0:
  case GGUFType::TQ2_0:
    if (dims[0] % 256 != 0)
      return std::string("rows of ") + std::to_string(dims[0]) + " elements are not whole " +
             ggufTypeName(type) + " blocks of 256";
    bytes = n / 256 * (type == GGUFType::TQ2_0 ? 66 : 54);
    return "";
  case GGUFType::I2_S:
    if (dims[0] % 128 != 0)
      return "rows of " + std::to_string(dims[0]) + " elements are not whole I2_S runs of 128";
    bytes = n / 4 + 32;
    return "";
  case GGUFType::Q4_0:
  case GGUFType::Q4_1:
  case GGUFType::Q5_0:
  case GGUFType::Q5_1:
  case GGUFType::Q8_0:
  case GGUFType::Q2_K:
  case GGUFType::Q3_K:
  case GGUFType::Q4_K:
  case GGUFType::Q5_K:
  case GGUFType::Q6_K: {
    FloatBlock block = *floatBlockOf(type);
    if (dims[0] % block.values != 0)
      return "rows of " + std::to_string(dims[0]) + " elements are not whole " +
             ggufTypeName(type) + " blocks of " + std::to_string(block.values);
    bytes = n / uint64_t(block.values) * uint64_t(block.bytes);
    return "";
  }
  }
  return "unknown type";
}

// ggml's block layouts (ggml-common.h) and dequantization (ggml-quants.c,
// dequantize_row_q8_0 / _q4_K / _q6_K), written here from their definitions;
// every product is exact in f32 (an f16 scale times small integers).
bool decodeGGUFBlock(GGUFType type, const uint8_t *block, float *y) {
  auto half = [&](int at) { return ref::halfToFloat(uint16_t(block[at] | block[at + 1] << 8)); };
  switch (type) {
  case GGUFType::Q4_0:
  case GGUFType::Q4_1:
  case GGUFType::Q5_0:
  case GGUFType::Q5_1: {
    // f16 d, [f16 m (the _1 types)], [32 fifth bits (Q5)], 16 bytes of
    // nibbles: value j < 16 is the low nibble of byte j, j + 16 its high
    // nibble; Q5 adds bit j (resp. j + 16) of the fifth bits as bit 4. The
    // _0 types are symmetric: d * (q - 8), d * (q - 16); the _1 types
    // d * q + m.
    const bool withMin = type == GGUFType::Q4_1 || type == GGUFType::Q5_1;
    const bool fifth = type == GGUFType::Q5_0 || type == GGUFType::Q5_1;
    const float d = half(0), m = withMin ? half(2) : 0.0f;
    const uint8_t *qh = block + (withMin ? 4 : 2);
    const uint32_t high = fifth ? uint32_t(qh[0] | qh[1] << 8 | qh[2] << 16 | uint32_t(qh[3]) << 24) : 0;
    const uint8_t *qs = qh + (fifth ? 4 : 0);
    const int offset = withMin ? 0 : (fifth ? 16 : 8);
    for (int j = 0; j < 16; ++j) {
      const int lo = (qs[j] & 0xF) | int((high >> j) & 1) << 4;
      const int hi = (qs[j] >> 4) | int((high >> (j + 16)) & 1) << 4;
      y[j] = withMin ? d * float(lo) + m : d * float(lo - offset);
      y[j + 16] = withMin ? d * float(hi) + m : d * float(hi - offset);
    }
    return true;
  }
  case GGUFType::Q8_0: { // f16 d, int8 qs[32]: d * q
    const float d = half(0);
    for (int i = 0; i < 32; ++i)
      y[i] = d * float(int8_t(block[2 + i]));
    return true;
  }
  case GGUFType::Q2_K:
  case GGUFType::Q3_K: {
    // 2-bit codes qs[64]: value l of sub-block pair j (32 values) of half h
    // (128 values) is bits 2j..2j+1 of qs[32h + l]. Q2_K: scales[16] (low
    // nibble scale, high nibble min), qs, f16 d, f16 dmin: d * sc * q -
    // dmin * m. Q3_K: hmask[32] (bit 4h + j of hmask[l] set: no -4), qs,
    // 12 bytes of 6-bit scales (biased by 32), f16 d: d * (s - 32) * (q - 4
    // unless the mask bit is set).
    const bool q3 = type == GGUFType::Q3_K;
    const uint8_t *qs = block + (q3 ? 32 : 16);
    int scales[16];
    float d, dmin = 0;
    if (q3) {
      const uint8_t *packed = block + 96;
      // Scale i: low 4 bits from byte i % 8 (low nibble for i < 8, high for
      // i >= 8), high 2 bits from byte 8 + i % 4, bits 2 * (i / 4).
      for (int i = 0; i < 16; ++i) {
        const int low = i < 8 ? packed[i] & 0xF : packed[i - 8] >> 4;
        const int top = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
        scales[i] = (low | top << 4) - 32;
      }
      d = half(108);
    } else {
      for (int i = 0; i < 16; ++i)
        scales[i] = block[i];
      d = half(80);
      dmin = half(82);
    }
    for (int h = 0; h < 2; ++h)
      for (int j = 0; j < 4; ++j)
        for (int half16 = 0; half16 < 2; ++half16) {
          const int s = 8 * h + 2 * j + half16; // sub-block of 16
          for (int l = 0; l < 16; ++l) {
            const int at = 16 * half16 + l; // byte of qs within the half
            int q = (qs[32 * h + at] >> (2 * j)) & 3;
            float value;
            if (q3) {
              if (!((block[at] >> (4 * h + j)) & 1))
                q -= 4;
              value = d * float(scales[s]) * float(q);
            } else {
              value = d * float(scales[s] & 0xF) * float(q) - dmin * float(scales[s] >> 4);
            }
            y[128 * h + 32 * j + at] = value;
          }
        }
    return true;
  }
  case GGUFType::Q4_K:
  case GGUFType::Q5_K: {
    // f16 d, f16 dmin, 12 bytes of 6-bit (scale, min) pairs for 8
    // sub-blocks of 32, [Q5_K: 32 bytes of fifth bits], 128 bytes of 4-bit
    // codes: d * sc * q - dmin * m. Chunk j of 64 values: sub-block 2j from
    // the low nibbles of qs[32j..], 2j + 1 from the high ones; Q5_K's fifth
    // bit of value l of the chunk is bit 2j (low) or 2j + 1 (high) of qh[l].
    const bool fifth = type == GGUFType::Q5_K;
    const float d = half(0), dmin = half(2);
    const uint8_t *sm = block + 4, *qh = block + 16, *qs = block + (fifth ? 48 : 16);
    auto scaleMin = [&](int j, int &sc, int &m) {
      if (j < 4) {
        sc = sm[j] & 63;
        m = sm[j + 4] & 63;
      } else {
        sc = (sm[j + 4] & 0xF) | ((sm[j - 4] >> 6) << 4);
        m = (sm[j + 4] >> 4) | ((sm[j] >> 6) << 4);
      }
    };
    for (int j = 0; j < 4; ++j) {
      int sc0, m0, sc1, m1;
      scaleMin(2 * j, sc0, m0);
      scaleMin(2 * j + 1, sc1, m1);
      for (int l = 0; l < 32; ++l) {
        int lo = qs[32 * j + l] & 0xF, hi = qs[32 * j + l] >> 4;
        if (fifth) {
          lo |= ((qh[l] >> (2 * j)) & 1) << 4;
          hi |= ((qh[l] >> (2 * j + 1)) & 1) << 4;
        }
        y[64 * j + l] = d * float(sc0) * float(lo) - dmin * float(m0);
        y[64 * j + 32 + l] = d * float(sc1) * float(hi) - dmin * float(m1);
      }
    }
    return true;
  }
  case GGUFType::Q6_K: {
    // ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d:
    // d * scale * (q - 32), 16 sub-blocks of 16.
    const uint8_t *ql = block, *qh = block + 128;
    const int8_t *sc = reinterpret_cast<const int8_t *>(block + 192);
    const float d = half(208);
    for (int h = 0; h < 2; ++h) { // two halves of 128 values
      const uint8_t *l4 = ql + 64 * h, *h2 = qh + 32 * h;
      const int8_t *s = sc + 8 * h;
      float *out = y + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((l4[l] & 0xF) | (((h2[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((l4[l + 32] & 0xF) | (((h2[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4)) - 32;
        out[l] = d * float(s[is]) * float(q1);
        out[l + 32] = d * float(s[is + 2]) * float(q2);
        out[l + 64] = d * float(s[is + 4]) * float(q3);
        out[l + 96] = d * float(s[is + 6]) * float(q4);
      }
    }
    return true;
  }
  default:
    return false;
  }
}

int64_t GGUFTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::optional<int64_t> GGUFValue::asInteger() const {
  if (kind == Kind::Unsigned && u <= uint64_t(INT64_MAX))
    return int64_t(u);
  if (kind == Kind::Signed)
    return i;
  return std::nullopt;
}

std::optional<double> GGUFValue::asNumber() const {
  if (kind == Kind::Float)
    return f;
  if (std::optional<int64_t> v = asInteger())
    return double(*v);
  return std::nullopt;
}

const GGUFValue *GGUFFile::value(llvm::StringRef key) const {
  auto it = values_.find(key.str());
  return it == values_.end() ? nullptr : &it->second;
}

/// A cursor at the first element of array `key`, after checking that it is
/// an array of `elements` (strings, or numbers) of at most `maxCount`.
llvm::Expected<size_t> GGUFFile::arrayData(llvm::StringRef key, uint64_t maxCount,
                                           bool strings) const {
  const GGUFValue *v = value(key);
  auto bad = [&](const llvm::Twine &what) {
    return fail(path_ + ": key " + quoted(key.str()) + " " + what);
  };
  if (!v)
    return bad("is missing");
  bool fits = v->kind == GGUFValue::Kind::Array &&
              (strings ? v->elementType == 8
                       : valueSize(v->elementType) != 0 && v->elementType != 7);
  if (!fits)
    return bad(strings ? "is not an array of strings" : "is not an array of numbers");
  if (v->count > maxCount)
    return bad("has " + llvm::Twine(v->count) + " elements (at most " + llvm::Twine(maxCount) +
               ")");
  return static_cast<size_t>(v->dataOffset);
}

llvm::Expected<std::vector<std::string>> GGUFFile::strings(llvm::StringRef key,
                                                           uint64_t maxCount) const {
  llvm::Expected<size_t> at = arrayData(key, maxCount, /*strings=*/true);
  if (!at)
    return at.takeError();
  // The array was bounds-checked when the file was opened.
  Cursor c(reinterpret_cast<const uint8_t *>(buffer_->getBufferStart()),
           buffer_->getBufferSize());
  c.take(*at, "the array");
  std::vector<std::string> out;
  const uint64_t count = value(key)->count;
  out.reserve(count);
  for (uint64_t i = 0; i < count && c.ok(); ++i)
    out.push_back(c.string("an array element"));
  if (!c.ok())
    return fail(path_ + ": key " + quoted(key.str()) + " " + c.error());
  return out;
}

llvm::Expected<std::vector<double>> GGUFFile::numbers(llvm::StringRef key,
                                                      uint64_t maxCount) const {
  llvm::Expected<size_t> at = arrayData(key, maxCount, /*strings=*/false);
  if (!at)
    return at.takeError();
  Cursor c(reinterpret_cast<const uint8_t *>(buffer_->getBufferStart()),
           buffer_->getBufferSize());
  c.take(*at, "the array");
  const GGUFValue &v = *value(key);
  std::vector<double> out;
  out.reserve(v.count);
  for (uint64_t i = 0; i < v.count && c.ok(); ++i) {
    std::optional<double> number = readValue(c, v.elementType, key.str(), 1).asNumber();
    if (!number)
      return fail(path_ + ": key " + quoted(key.str()) + " element " + llvm::Twine(i) +
                  " is out of range");
    out.push_back(*number);
  }
  if (!c.ok())
    return fail(path_ + ": key " + quoted(key.str()) + " " + c.error());
  return out;
}

const GGUFTensor *GGUFFile::tensor(llvm::StringRef name) const {
  auto it = tensors_.find(name.str());
  return it == tensors_.end() ? nullptr : &it->second;
}

void GGUFFile::releasePages(const GGUFTensor &tensor) const {
  releaseMappedPages(*buffer_, tensor.bytes);
}

void GGUFFile::releasePages(const GGUFTensor &tensor, uint64_t end) const {
  releaseMappedPages(*buffer_, tensor.bytes.take_front(std::min<uint64_t>(end, tensor.bytes.size())));
}

llvm::Expected<std::unique_ptr<GGUFFile>> GGUFFile::open(llvm::StringRef path) {
  auto file = std::make_unique<GGUFFile>();
  file->path_ = path.str();
  auto here = [&](const llvm::Twine &message) { return fail(path + ": " + message); };
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      openInputBuffer(path.str(), kAnySize);
  if (!buffer)
    return buffer.takeError();
  file->buffer_ = std::move(*buffer);
  const auto *data = reinterpret_cast<const uint8_t *>(file->buffer_->getBufferStart());
  const size_t size = file->buffer_->getBufferSize();
  Cursor c(data, size);
  uint32_t magic = c.read<uint32_t>("the magic");
  if (!c.ok() || std::memcmp(data, "GGUF", 4) != 0)
    return here("not a GGUF file (no \"GGUF\" magic)");
  (void)magic;
  uint32_t version = c.read<uint32_t>("the version");
  uint64_t tensorCount = c.read<uint64_t>("the tensor count");
  uint64_t kvCount = c.read<uint64_t>("the key/value count");
  if (!c.ok())
    return here(c.error());
  if (version != 3)
    return here("GGUF version " + llvm::Twine(version) + " is not supported (expected 3)");
  if (tensorCount > kMaxTensors || kvCount > kMaxTensors)
    return here("implausible counts: " + llvm::Twine(tensorCount) + " tensors, " +
                llvm::Twine(kvCount) + " keys");
  for (uint64_t i = 0; i < kvCount && c.ok(); ++i) {
    std::string key = c.string("a key");
    uint32_t type = c.read<uint32_t>("a value type");
    if (!c.ok())
      break;
    GGUFValue value = readValue(c, type, key, 0);
    // A repeated key would silently win and, in some readers, shift the data.
    if (c.ok() && !file->values_.emplace(key, std::move(value)).second)
      return here("key " + quoted(key) + " appears twice");
  }
  if (!c.ok())
    return here(c.error());
  uint64_t alignment = 32;
  if (const GGUFValue *a = file->value("general.alignment")) {
    std::optional<int64_t> v = a->asInteger();
    if (!v || *v <= 0 || (*v & (*v - 1)) != 0)
      return here("general.alignment must be a power of two");
    alignment = uint64_t(*v);
  }
  std::vector<GGUFTensor> infos;
  for (uint64_t i = 0; i < tensorCount && c.ok(); ++i) {
    GGUFTensor t;
    t.name = c.string("a tensor name");
    uint32_t nDims = c.read<uint32_t>("a tensor's dimension count");
    if (!c.ok())
      break;
    if (nDims < 1 || nDims > 4)
      return here("tensor " + quoted(t.name) + ": " + llvm::Twine(nDims) + " dimensions (1 to 4)");
    uint64_t n = 1;
    for (uint32_t d = 0; d < nDims; ++d) {
      uint64_t extent = c.read<uint64_t>("a tensor dimension");
      if (!c.ok())
        break;
      if (extent == 0 || extent > (uint64_t(1) << 40) || n > (uint64_t(1) << 48) / extent)
        return here("tensor " + quoted(t.name) + ": dimension " + llvm::Twine(extent) +
                    " is zero or too large");
      n *= extent;
      t.dims.push_back(int64_t(extent));
    }
    uint32_t type = c.read<uint32_t>("a tensor type");
    t.offset = c.read<uint64_t>("a tensor offset");
    if (!c.ok())
      break;
    if (!knownType(type))
      return here("tensor " + quoted(t.name) + ": unknown tensor type " + llvm::Twine(type) +
                  " (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, TQ1_0, TQ2_0, I2_S = 36)");
    t.type = GGUFType(type);
    infos.push_back(std::move(t));
  }
  if (!c.ok())
    return here(c.error());
  uint64_t dataStart = (c.position() + alignment - 1) / alignment * alignment;
  // Without padding after the infos the data section is empty.
  const uint64_t dataSize = dataStart > size ? 0 : size - dataStart;
  struct Range {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  for (GGUFTensor &t : infos) {
    uint64_t bytes = 0;
    std::string why = ggufTensorBytes(t.type, t.dims, bytes);
    if (!why.empty())
      return here("tensor " + quoted(t.name) + " (" + ggufTypeName(t.type) + "): " + why);
    if (t.offset % alignment != 0)
      return here("tensor " + quoted(t.name) + ": offset " + llvm::Twine(t.offset) +
                  " is not a multiple of the alignment " + llvm::Twine(alignment));
    if (t.offset > dataSize || bytes > dataSize - t.offset)
      return here("tensor " + quoted(t.name) + ": " + llvm::Twine(bytes) + " bytes of " +
                  ggufTypeName(t.type) + " at offset " + llvm::Twine(t.offset) +
                  " run beyond the data (" + llvm::Twine(dataSize) + " bytes)");
    t.bytes = llvm::ArrayRef<uint8_t>(data + dataStart + t.offset, bytes);
    t.fileOffset = dataStart + t.offset;
    ranges.push_back({t.offset, t.offset + bytes, t.name});
    if (file->tensors_.count(t.name))
      return here("tensor " + quoted(t.name) + " appears twice");
    file->tensors_[t.name] = t;
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range &a, const Range &b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].begin < ranges[i - 1].end)
      return here("tensor " + quoted(ranges[i].name) + " overlaps tensor " +
                  quoted(ranges[i - 1].name));
  return std::move(file);
}

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

namespace {

float f32At(const uint8_t *p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}
uint16_t u16At(const uint8_t *p) { return uint16_t(p[0] | p[1] << 8); }

class GGUFImporter {
public:
  GGUFImporter(std::shared_ptr<const GGUFFile> file, const ImportOptions &options)
      : file(std::move(file)), f(*this->file), options(options) {}

  llvm::Error error(const std::string &tensor, const llvm::Twine &what) {
    return fail(f.path() + ": tensor " + quoted(tensor) + ": " + what);
  }

  llvm::Expected<const GGUFTensor *> find(const std::string &name,
                                          std::vector<int64_t> dims) {
    const GGUFTensor *t = f.tensor(name);
    if (!t)
      return fail(f.path() + ": tensor " + quoted(name) + " is missing");
    if (t->dims != dims) {
      auto text = [](const std::vector<int64_t> &d) {
        std::string s = "[";
        for (size_t i = 0; i < d.size(); ++i)
          s += (i ? ", " : "") + std::to_string(d[i]);
        return s + "]";
      };
      return error(name, "dims " + text(t->dims) + " (innermost first) but the metadata implies " +
                             text(dims));
    }
    return t;
  }

  static bool isFloatType(GGUFType type) {
    return type == GGUFType::F32 || type == GGUFType::F16 || type == GGUFType::BF16 ||
           floatBlockOf(type);
  }

  llvm::Error notFloat(const GGUFTensor &x) {
    return error(x.name, llvm::Twine("type ") + ggufTypeName(x.type) +
                             " where a float type (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, "
                             "Q8_0, Q2_K..Q6_K) is expected");
  }

  llvm::Error notFinite(const GGUFTensor &x, uint64_t element, float value) {
    return error(x.name, "element " + llvm::Twine(element) + " is " + std::to_string(value) +
                             "; weights must be finite");
  }

  /// Calls `row(first, values, count)` on the tensor's values as floats, a
  /// block (or a 256-value run) at a time, so that no float copy of a whole
  /// table is made; stops at the first error.
  template <typename Fn> llvm::Error forEachFloatRun(const GGUFTensor &x, Fn row) {
    const uint64_t n = static_cast<uint64_t>(x.elements());
    const uint8_t *p = x.bytes.data();
    std::optional<FloatBlock> block = floatBlockOf(x.type);
    const uint64_t run = block ? uint64_t(block->values) : 256;
    std::vector<float> values(run);
    for (uint64_t first = 0; first < n; first += run) {
      const uint64_t count = std::min(run, n - first);
      if (block) {
        // Whole blocks: ggufTensorBytes checked the rows against the block.
        decodeGGUFBlock(x.type, p + first / run * uint64_t(block->bytes), values.data());
      } else {
        for (uint64_t i = 0; i < count; ++i) {
          const uint8_t *at = p + (first + i) * (x.type == GGUFType::F32 ? 4 : 2);
          values[i] = x.type == GGUFType::F32   ? f32At(at)
                      : x.type == GGUFType::F16 ? ref::halfToFloat(u16At(at))
                                                : ref::bf16ToFloat(u16At(at));
        }
      }
      for (uint64_t i = 0; i < count; ++i)
        if (!std::isfinite(values[i]))
          return notFinite(x, first + i, values[i]);
      if (llvm::Error e = row(first, values.data(), count))
        return e;
    }
    return llvm::Error::success();
  }

  llvm::Expected<std::vector<float>> floats(const std::string &name, std::vector<int64_t> dims) {
    auto t = find(name, dims);
    if (!t)
      return t.takeError();
    const GGUFTensor &x = **t;
    if (!isFloatType(x.type))
      return notFloat(x);
    std::vector<float> out(static_cast<size_t>(x.elements()));
    if (llvm::Error e = forEachFloatRun(x, [&](uint64_t first, const float *v, uint64_t n) {
          std::copy(v, v + n, out.begin() + static_cast<std::ptrdiff_t>(first));
          return llvm::Error::success();
        }))
      return std::move(e);
    return out;
  }

  /// A float table as f16 bits (the embedding, the LM head). The file's
  /// pages are dropped every 64 MiB read, so that the table's f16 copy and
  /// its mapped bytes are not both whole in memory.
  llvm::Error halfBits(const GGUFTensor &x, uint16_t *out) {
    constexpr uint64_t kReleaseStep = uint64_t(64) << 20;
    const uint64_t n = static_cast<uint64_t>(x.elements());
    uint64_t released = 0;
    auto consumed = [&](uint64_t values) {
      // The bytes of the first `values` values (whole blocks: rounded down).
      uint64_t bytes = values * uint64_t(x.bytes.size()) / std::max<uint64_t>(n, 1);
      if (bytes >= released + kReleaseStep) {
        f.releasePages(x, bytes);
        released = bytes;
      }
    };
    if (x.type == GGUFType::F16) {
      // Already f16: the bits as they are (converting each through float and
      // back would give the same ones).
      const uint8_t *p = x.bytes.data();
      for (uint64_t i = 0; i < n; ++i) {
        out[i] = u16At(p + 2 * i);
        if ((out[i] & 0x7C00) == 0x7C00)
          return notFinite(x, i, ref::halfToFloat(out[i]));
        if ((i & 0xFFFFF) == 0xFFFFF)
          consumed(i + 1);
      }
      return llvm::Error::success();
    }
    return forEachFloatRun(x, [&](uint64_t first, const float *v, uint64_t count) {
      for (uint64_t i = 0; i < count; ++i)
        out[first + i] = ref::floatToHalf(v[i]);
      consumed(first + count);
      return llvm::Error::success();
    });
  }

  /// An f16 table [rows, cols] (ggml dims {cols, rows}): its bits in
  /// `values`, or for a lazy import a source of them.
  llvm::Error table(const std::string &name, int64_t rows, int64_t cols,
                    std::vector<uint16_t> &values,
                    std::shared_ptr<const ref::TensorSource> &source) {
    auto t = find(name, {cols, rows});
    if (!t)
      return t.takeError();
    const GGUFTensor *x = *t;
    if (!isFloatType(x->type))
      return notFloat(*x);
    if (!options.lazyTensors) {
      values.resize(static_cast<size_t>(rows * cols));
      return halfBits(*x, values.data());
    }
    source = lazySource(name, rows * cols * 2, [x](GGUFImporter &importer, uint8_t *out) {
      return importer.halfBits(*x, reinterpret_cast<uint16_t *>(out));
    });
    return llvm::Error::success();
  }

  /// A source whose bytes `read` produces with an importer of this file;
  /// the file stays open while the source lives.
  template <typename Read>
  std::shared_ptr<const ref::TensorSource> lazySource(const std::string &name, int64_t bytes,
                                                      Read read) {
    ImportOptions readOptions = options;
    return makeTensorSource(name, bytes, [file = file, readOptions, name, read](uint8_t *out) {
      GGUFImporter importer(file, readOptions);
      llvm::Error e = read(importer, out);
      file->releasePages(*file->tensor(name));
      return e;
    });
  }

  /// Logical values of a ternary tensor (TQ2_0, TQ1_0 or I2_S) into
  /// `values` (n of them) and its per-tensor scale.
  llvm::Error ternaryValues(const GGUFTensor &x, int8_t *values, std::optional<float> &scale) {
    const std::string &name = x.name;
    const int64_t n = x.elements();
    const uint8_t *p = x.bytes.data();
    int64_t scaleBlock = 0;
    // Ternary blocks carry their own f16 scale: a per-tensor model has one
    // scale in every block with a non-zero weight.
    auto blockScale = [&](int64_t block, uint16_t bits, bool nonZero) -> llvm::Error {
      if (!nonZero)
        return llvm::Error::success();
      float d = ref::halfToFloat(bits);
      if (!std::isfinite(d))
        return error(name, "block " + llvm::Twine(block) + " has the scale " +
                               std::to_string(d) + "; scales must be finite");
      if (scale && *scale != d)
        return error(name, "block " + llvm::Twine(block) + " has scale " + llvm::Twine(std::to_string(d)) +
                               " but block " + llvm::Twine(scaleBlock) + " has " +
                               llvm::Twine(std::to_string(*scale)) +
                               ": per-block scales are not a per-tensor ternary model");
      if (!scale) {
        scale = d;
        scaleBlock = block;
      }
      return llvm::Error::success();
    };
    if (x.type == GGUFType::TQ2_0) {
      for (int64_t b = 0; b < n / 256; ++b) {
        const uint8_t *blk = p + b * 66;
        bool nonZero = false;
        for (int h = 0; h < 2; ++h)
          for (int l = 0; l < 4; ++l)
            for (int m = 0; m < 32; ++m) {
              int code = (blk[h * 32 + m] >> (2 * l)) & 3;
              if (code == 3)
                return error(name, "invalid ternary code 3 in TQ2_0 block " + llvm::Twine(b) +
                                       ", byte " + llvm::Twine(h * 32 + m));
              nonZero |= code != 1;
              values[b * 256 + h * 128 + l * 32 + m] = static_cast<int8_t>(code - 1);
            }
        if (llvm::Error e = blockScale(b, u16At(blk + 64), nonZero))
          return e;
      }
    } else if (x.type == GGUFType::TQ1_0) {
      for (int64_t b = 0; b < n / 256; ++b) {
        const uint8_t *blk = p + b * 54;
        int8_t *v = values + b * 256;
        for (int t = 0; t < 5; ++t)
          for (int m = 0; m < 32; ++m)
            v[t * 32 + m] = static_cast<int8_t>(ref::base3Trit(blk[m], t) - 1);
        for (int t = 0; t < 5; ++t)
          for (int m = 0; m < 16; ++m)
            v[160 + t * 16 + m] = static_cast<int8_t>(ref::base3Trit(blk[32 + m], t) - 1);
        for (int t = 0; t < 4; ++t)
          for (int j = 0; j < 4; ++j)
            v[240 + t * 4 + j] = static_cast<int8_t>(ref::base3Trit(blk[48 + j], t) - 1);
        bool nonZero = std::any_of(v, v + 256, [](int8_t c) { return c != 0; });
        if (llvm::Error e = blockScale(b, u16At(blk + 52), nonZero))
          return e;
      }
    } else { // I2_S: rows of 128 values in 32 bytes; value b + 32 i of a row
             // is bits 6 - 2i .. 7 - 2i of byte b.
      for (int64_t r = 0; r < n / 128; ++r)
        for (int b = 0; b < 32; ++b) {
          uint8_t byte = p[r * 32 + b];
          if (byte & (byte >> 1) & 0x55) // a 2-bit field holds 3
            return error(name, "invalid ternary code 3 in I2_S byte " + llvm::Twine(r * 32 + b));
          int8_t *row = values + r * 128 + b;
          row[0] = static_cast<int8_t>((byte >> 6) - 1);
          row[32] = static_cast<int8_t>(((byte >> 4) & 3) - 1);
          row[64] = static_cast<int8_t>(((byte >> 2) & 3) - 1);
          row[96] = static_cast<int8_t>((byte & 3) - 1);
        }
      if (llvm::Error e = i2sScale(x, scale))
        return e;
    }
    return llvm::Error::success();
  }

  /// I2_S keeps one f32 scale after the codes.
  llvm::Error i2sScale(const GGUFTensor &x, std::optional<float> &scale) {
    scale = f32At(x.bytes.data() + x.elements() / 4);
    if (!std::isfinite(*scale))
      return error(x.name, "the I2_S scale is " + std::to_string(*scale) +
                               "; scales must be finite");
    return llvm::Error::success();
  }

  llvm::Expected<ref::LinearWeights> linear(const std::string &name, int64_t out, int64_t in) {
    auto t = find(name, {in, out});
    if (!t)
      return t.takeError();
    const GGUFTensor *x = *t;
    const bool lazy = options.lazyTensors;
    if (isFloatType(x->type)) {
      auto master = floats(name, {in, out});
      if (!master)
        return master.takeError();
      ref::LinearWeights lw = ref::linearFromMaster(std::move(*master), out, in, options.kind);
      if (lazy && options.kind == ref::WeightKind::Float) {
        // The narrowest exact type needs every weight: chosen now, the
        // floats read again when they are written.
        lw.floatStorage = ref::narrowestFloatStorage(lw.floats);
        lw.floats = {};
        lw.source = lazySource(name, out * in * ref::bytesPerFloat(lw.floatStorage),
                               [name, out, in, storage = lw.floatStorage](
                                   GGUFImporter &importer, uint8_t *bytes) {
                                 return encodeMasterInto(importer.floats(name, {in, out}),
                                                         storage, bytes);
                               });
        f.releasePages(*x);
      } else if (lazy) {
        // The scale needs every weight: computed now, the values again when
        // they are written.
        lw.values = {};
        lw.source = lazySource(name, out * in, [name, out, in](GGUFImporter &importer,
                                                                uint8_t *values) {
          return quantizeMasterInto(importer.floats(name, {in, out}), out, in,
                                    importer.options.kind, values);
        });
        f.releasePages(*x);
      }
      return lw;
    }
    if (options.kind != ref::WeightKind::Ternary)
      return error(name, llvm::Twine(ggufTypeName(x->type)) + " ternary weights cannot be imported as " +
                             ref::weightKindName(options.kind));
    ref::LinearWeights lw;
    lw.out = out;
    lw.in = in;
    std::optional<float> scale;
    if (!lazy) {
      lw.values.resize(static_cast<size_t>(out * in));
      if (llvm::Error e = ternaryValues(*x, lw.values.data(), scale))
        return std::move(e);
    } else {
      // I2_S stores its scale; block formats are decoded once now for it
      // (and to check that every block agrees), and again when written.
      if (x->type == GGUFType::I2_S) {
        if (llvm::Error e = i2sScale(*x, scale))
          return std::move(e);
      } else {
        std::vector<int8_t> values(static_cast<size_t>(out * in));
        if (llvm::Error e = ternaryValues(*x, values.data(), scale))
          return std::move(e);
        f.releasePages(*x);
      }
      lw.source = lazySource(name, out * in, [x](GGUFImporter &importer, uint8_t *values) {
        std::optional<float> scale;
        return importer.ternaryValues(*x, reinterpret_cast<int8_t *>(values), scale);
      });
    }
    lw.scale = scale.value_or(1.0f);
    return lw;
  }

  llvm::Expected<ref::ModelWeights> run() {
    const GGUFValue *archValue = f.value("general.architecture");
    if (!archValue || archValue->kind != GGUFValue::Kind::String)
      return fail(f.path() + ": missing string key 'general.architecture'");
    const std::string arch = archValue->s;
    ref::ModelConfig cfg;
    if (arch == "bitnet-b1.58")
      cfg.glu = ref::GluActivation::Relu2;
    else if (arch == "bitnet")
      cfg.glu = ref::GluActivation::Silu;
    else
      return fail(f.path() + ": architecture " + quoted(arch) +
                  " is not supported (expected bitnet-b1.58 or bitnet)");
    // Upstream llama.cpp names the GLU's activation for arch "bitnet" (relu2
    // for BitNet b1.58 2B-4T; SiLU when the key is absent).
    const std::string activationKey = arch + ".hidden_activation";
    if (const GGUFValue *activation = f.value(activationKey)) {
      if (activation->kind != GGUFValue::Kind::String)
        return fail(f.path() + ": key " + quoted(activationKey) + " is not a string");
      if (activation->s == "relu2")
        cfg.glu = ref::GluActivation::Relu2;
      else if (activation->s == "silu")
        cfg.glu = ref::GluActivation::Silu;
      else
        return fail(f.path() + ": key " + quoted(activationKey) + " is " +
                    quoted(activation->s) + "; supported activations are relu2 and silu");
    }
    auto integer = [&](const std::string &key, int64_t &field,
                       std::optional<int64_t> fallback) -> llvm::Error {
      const GGUFValue *v = f.value(key);
      std::optional<int64_t> n = v ? v->asInteger() : fallback;
      if (!n)
        return fail(f.path() + ": missing or non-integer key " + quoted(key));
      if (*n <= 0)
        return fail(f.path() + ": key " + quoted(key) + " must be positive");
      field = *n;
      return llvm::Error::success();
    };
    ref::ModelConfigKeys names;
    names.hidden = arch + ".embedding_length";
    names.intermediate = arch + ".feed_forward_length";
    names.layers = arch + ".block_count";
    names.heads = arch + ".attention.head_count";
    names.kvHeads = arch + ".attention.head_count_kv";
    names.vocab = "the rows of token_embd.weight";
    names.context = arch + ".context_length";
    names.ropeTheta = arch + ".rope.freq_base";
    names.rmsEps = arch + ".attention.layer_norm_rms_epsilon";
    if (llvm::Error e = integer(names.hidden, cfg.hidden, std::nullopt))
      return std::move(e);
    if (llvm::Error e = integer(names.intermediate, cfg.intermediate, std::nullopt))
      return std::move(e);
    if (llvm::Error e = integer(names.layers, cfg.layers, std::nullopt))
      return std::move(e);
    if (llvm::Error e = integer(names.heads, cfg.heads, std::nullopt))
      return std::move(e);
    if (llvm::Error e = integer(names.kvHeads, cfg.kvHeads, cfg.heads))
      return std::move(e);
    if (llvm::Error e = integer(names.context, cfg.context, std::nullopt))
      return std::move(e);
    if (options.context > 0) {
      cfg.context = options.context;
      names.context = "the context (--context)";
    }
    auto number = [&](const std::string &key, double fallback, float &field) -> llvm::Error {
      const GGUFValue *v = f.value(key);
      std::optional<double> d = v ? v->asNumber() : fallback;
      if (!d)
        return fail(f.path() + ": key " + quoted(key) + " must be a number");
      field = static_cast<float>(*d);
      return llvm::Error::success();
    };
    if (llvm::Error e = number(names.ropeTheta, 10000.0, cfg.ropeTheta))
      return std::move(e);
    if (llvm::Error e = number(names.rmsEps, 1e-5, cfg.rmsEps))
      return std::move(e);
    cfg.weightKind = options.kind;
    const GGUFTensor *embd = f.tensor("token_embd.weight");
    if (!embd || embd->dims.size() != 2)
      return fail(f.path() + ": tensor 'token_embd.weight' is missing or not 2-D");
    cfg.vocab = embd->dims[1];
    std::string invalid = cfg.validate(names);
    if (!invalid.empty())
      return fail(f.path() + ": " + invalid);
    // The layer count sizes everything below: its last layer must exist.
    const std::string lastLayer = "blk." + std::to_string(cfg.layers - 1) + ".attn_norm.weight";
    if (!f.tensor(lastLayer))
      return fail(f.path() + ": key " + quoted(arch + ".block_count") + " is " +
                  llvm::Twine(cfg.layers) + " but the file has no tensor " +
                  quoted(lastLayer));

    ref::ModelWeights w;
    w.config = cfg;
    const int64_t D = cfg.hidden, I = cfg.intermediate, KV = cfg.kvDim();
    if (llvm::Error e =
            table("token_embd.weight", cfg.vocab, D, w.embedding, w.embeddingSource))
      return std::move(e);
    w.layers.resize(static_cast<size_t>(cfg.layers));
    for (int64_t l = 0; l < cfg.layers; ++l) {
      std::string p = "blk." + std::to_string(l) + ".";
      ref::LayerWeights &lw = w.layers[static_cast<size_t>(l)];
      struct Norm {
        std::vector<float> *dst;
        const char *name;
        int64_t size;
      };
      for (const Norm &n : {Norm{&lw.inputNorm, "attn_norm", D},
                            Norm{&lw.attnSubNorm, "attn_sub_norm", D},
                            Norm{&lw.postAttnNorm, "ffn_norm", D},
                            Norm{&lw.ffnSubNorm, "ffn_sub_norm", I}}) {
        auto v = floats(p + n.name + ".weight", {n.size});
        if (!v)
          return v.takeError();
        *n.dst = std::move(*v);
      }
      struct Linear {
        ref::LinearWeights *dst;
        const char *name;
        int64_t out, in;
      };
      for (const Linear &m : {Linear{&lw.q, "attn_q", D, D}, Linear{&lw.k, "attn_k", KV, D},
                              Linear{&lw.v, "attn_v", KV, D},
                              Linear{&lw.o, "attn_output", D, D},
                              Linear{&lw.gate, "ffn_gate", I, D}, Linear{&lw.up, "ffn_up", I, D},
                              Linear{&lw.down, "ffn_down", D, I}}) {
        auto v = linear(p + m.name + ".weight", m.out, m.in);
        if (!v)
          return v.takeError();
        *m.dst = std::move(*v);
      }
    }
    auto norm = floats("output_norm.weight", {D});
    if (!norm)
      return norm.takeError();
    w.finalNorm = std::move(*norm);
    if (f.tensor("output.weight")) { // an untied LM head
      if (llvm::Error e = table("output.weight", cfg.vocab, D, w.lmHead, w.lmHeadSource))
        return std::move(e);
      w.config.tiedHead = false;
    }
    if (options.tokenizer) {
      llvm::Expected<std::vector<uint8_t>> blob = readTokenizer(cfg.vocab, w.chatTemplate);
      if (!blob)
        return blob.takeError();
      w.tokenizer = std::move(*blob);
    }
    return w;
  }

  /// The tokenizer.ggml.* keys as a serialized vocabulary; empty without
  /// tokenizer.ggml.model.
  llvm::Expected<std::vector<uint8_t>> readTokenizer(int64_t vocabRows,
                                                     std::string &chatTemplate) {
    const GGUFValue *model = f.value("tokenizer.ggml.model");
    if (!model)
      return std::vector<uint8_t>();
    auto keyError = [&](const char *key, const llvm::Twine &what) {
      return fail(f.path() + ": key " + quoted(key) + " " + what);
    };
    const uint64_t maxTokens = uint64_t(ref::ModelConfig::kMaxExtent);
    tokenizer::GGUFTokenizerKeys keys;
    if (model->kind != GGUFValue::Kind::String)
      return keyError("tokenizer.ggml.model", "is not a string");
    keys.model = model->s;
    if (const GGUFValue *pre = f.value("tokenizer.ggml.pre")) {
      if (pre->kind != GGUFValue::Kind::String)
        return keyError("tokenizer.ggml.pre", "is not a string");
      keys.pre = pre->s;
    }
    llvm::Expected<std::vector<std::string>> tokens = f.strings("tokenizer.ggml.tokens", maxTokens);
    if (!tokens)
      return tokens.takeError();
    keys.tokens = std::move(*tokens);
    if (f.value("tokenizer.ggml.scores")) {
      llvm::Expected<std::vector<double>> scores = f.numbers("tokenizer.ggml.scores", maxTokens);
      if (!scores)
        return scores.takeError();
      keys.scores.assign(scores->begin(), scores->end());
    }
    if (f.value("tokenizer.ggml.token_type")) {
      llvm::Expected<std::vector<double>> types = f.numbers("tokenizer.ggml.token_type", maxTokens);
      if (!types)
        return types.takeError();
      for (double t : *types)
        keys.tokenTypes.push_back(t >= -1e9 && t <= 1e9 ? int32_t(t) : -1);
    }
    if (f.value("tokenizer.ggml.merges")) {
      llvm::Expected<std::vector<std::string>> merges =
          f.strings("tokenizer.ggml.merges", 4 * maxTokens);
      if (!merges)
        return merges.takeError();
      keys.merges = std::move(*merges);
    }
    struct IdKey {
      const char *key;
      std::optional<int64_t> *field;
    };
    for (IdKey id : {IdKey{"tokenizer.ggml.bos_token_id", &keys.bos},
                     IdKey{"tokenizer.ggml.eos_token_id", &keys.eos},
                     IdKey{"tokenizer.ggml.unknown_token_id", &keys.unk},
                     IdKey{"tokenizer.ggml.padding_token_id", &keys.pad},
                     IdKey{"tokenizer.ggml.eot_token_id", &keys.eot}})
      if (const GGUFValue *v = f.value(id.key)) {
        std::optional<int64_t> n = v->asInteger();
        if (!n)
          return keyError(id.key, "is not an integer");
        *id.field = *n;
      }
    struct FlagKey {
      const char *key;
      std::optional<bool> *field;
    };
    for (FlagKey flag : {FlagKey{"tokenizer.ggml.add_bos_token", &keys.addBos},
                         FlagKey{"tokenizer.ggml.add_eos_token", &keys.addEos},
                         FlagKey{"tokenizer.ggml.add_space_prefix", &keys.addSpacePrefix}})
      if (const GGUFValue *v = f.value(flag.key)) {
        if (v->kind != GGUFValue::Kind::Bool)
          return keyError(flag.key, "is not a boolean");
        *flag.field = v->u != 0;
      }
    if (const GGUFValue *chat = f.value("tokenizer.chat_template")) {
      if (chat->kind != GGUFValue::Kind::String)
        return keyError("tokenizer.chat_template", "is not a string");
      keys.chatTemplate = chat->s;
    }
    llvm::Expected<tokenizer::Vocabulary> vocab = tokenizer::vocabularyFromGGUFKeys(keys);
    if (!vocab)
      return fail(f.path() + ": " + llvm::toString(vocab.takeError()));
    if (llvm::Error e = tokenizer::fitVocabularyToModel(*vocab, vocabRows))
      return keyError("tokenizer.ggml.tokens", "has " + llvm::toString(std::move(e)));
    chatTemplate = vocab->chatTemplate;
    return tokenizer::serializeVocabulary(*vocab);
  }

private:
  std::shared_ptr<const GGUFFile> file;
  const GGUFFile &f;
  const ImportOptions &options;
};

} // namespace

llvm::Expected<ref::ModelWeights> importGGUF(llvm::StringRef path, const ImportOptions &options) {
  auto file = GGUFFile::open(path);
  if (!file)
    return file.takeError();
  GGUFImporter importer(std::shared_ptr<const GGUFFile>(std::move(*file)), options);
  return importer.run();
}

} // namespace import
} // namespace bitnet
