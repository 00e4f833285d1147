//===- KernelSpec.cpp - Kernel specs: parsing, validation, hashing --------===//

#include "bitnet/Kernels/KernelSpec.h"
#include "bitnet/Support/Input.h"

#include <cctype>
#include <cstring>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace bitnet {
namespace kernels {

namespace {

struct KindName {
  KernelKind kind;
  const char *name;
};
const KindName kKinds[] = {
    {KernelKind::BitLinear, "bitlinear"},
    {KernelKind::RMSNormQuant, "rmsnorm_quant"},
    {KernelKind::AddRMSNormQuant, "add_rmsnorm_quant"},
    {KernelKind::GLURMSNormQuant, "glu_rmsnorm_quant"},
    {KernelKind::RMSNorm, "rmsnorm"},
    {KernelKind::RoPE, "rope"},
    {KernelKind::RoPEQKV, "rope_qkv"},
    {KernelKind::Attention, "attention"},
    {KernelKind::GLU, "glu"},
    {KernelKind::Add, "add"},
    {KernelKind::Copy, "copy"},
    {KernelKind::Embedding, "embedding"},
    {KernelKind::FloatMatmul, "float_matmul"},
    {KernelKind::Int8Matmul, "int8_matmul"},
};

struct TargetName {
  KernelTarget target;
  const char *name;
  const char *halide;
  /// For kernels without int8 dot products, where that differs.
  const char *halideWithoutDotProducts;
};
// Halide 14 feature sets. avx512_sapphirerapids adds AVX512-VNNI (vpdpbusd)
// on top of Cannon Lake AVX-512 (Halide 14 has no AVX-VNNI feature), but it
// also makes Halide ask LLVM for -mcpu=sapphirerapids, which may then use
// AVX512-FP16 (vmovw for a 16-bit scalar load) that AMD's AVX-512 CPUs (Zen
// 4, Zen 5) lack. So only the kernels that use the dot products get it.
const TargetName kTargets[] = {
    {KernelTarget::X86AVX2, "x86-64-avx2", "x86-64-linux-avx-avx2-f16c-fma-sse41", nullptr},
    // Halide 14 has no AVX-VNNI: these are AVX2 kernels whose BitLinear dot
    // products come from lib/Runtime/TernaryDotAVXVNNI.c.
    {KernelTarget::X86AVXVNNI, "x86-64-avxvnni", "x86-64-linux-avx-avx2-f16c-fma-sse41",
     nullptr},
    {KernelTarget::X86AVX512, "x86-64-avx512",
     "x86-64-linux-avx-avx2-f16c-fma-sse41-avx512-avx512_skylake-"
     "avx512_cannonlake-avx512_sapphirerapids",
     "x86-64-linux-avx-avx2-f16c-fma-sse41-avx512-avx512_skylake-avx512_cannonlake"},
    {KernelTarget::ARM64, "arm64", "arm-64-linux", nullptr},
    {KernelTarget::ARM64DotProd, "arm64-dotprod", "arm-64-linux-arm_dot_prod", nullptr},
    {KernelTarget::CUDA, "cuda", "x86-64-linux-avx-avx2-f16c-fma-sse41-cuda-cuda_capability_80",
     nullptr},
    {KernelTarget::OpenCL, "opencl", "x86-64-linux-avx-avx2-f16c-fma-sse41-opencl", nullptr},
};

bool parseInt(const std::string &text, int64_t &out) { return parseInt64(text, out); }

bool parseFloat(const std::string &text, float &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  float v = std::strtof(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

bool isIdentifier(const std::string &s) {
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum((unsigned char)c) || c == '_'))
      return false;
  return true;
}

std::string formatFloat(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

constexpr int64_t kMaxExtent = std::numeric_limits<int32_t>::max();

} // namespace

const char *kernelKindName(KernelKind kind) {
  for (const KindName &k : kKinds)
    if (k.kind == kind)
      return k.name;
  return "?";
}

const char *kernelTargetName(KernelTarget target) {
  for (const TargetName &t : kTargets)
    if (t.target == target)
      return t.name;
  return "?";
}

bool parseKernelTarget(const std::string &name, KernelTarget &target) {
  for (const TargetName &t : kTargets)
    if (name == t.name) {
      target = t.target;
      return true;
    }
  return false;
}

std::string halideTargetString(KernelTarget target, bool withRuntime, bool dotProducts) {
  for (const TargetName &t : kTargets)
    if (t.target == target) {
      const char *features =
          !dotProducts && t.halideWithoutDotProducts ? t.halideWithoutDotProducts : t.halide;
      return std::string(features) + (withRuntime ? "" : "-no_runtime");
    }
  return "";
}

bool usesDotProducts(const KernelSpec &spec) {
  if (spec.kind == KernelKind::Int8Matmul)
    return true;
  if (spec.kind != KernelKind::BitLinear)
    return false;
  // Only tile rows of a whole 512-bit vector (64 bytes). Under Halide 14's
  // only VNNI CPU (sapphirerapids) LLVM encodes a 128- or 256-bit vpdpbusd
  // as AVX-VNNI ({vex}), which Zen 4 lacks (SIGILL there: 32-byte rows,
  // 4x128 offset2, 3x160 base3 and 4x256 bits1 tiles); and under 32 bytes,
  // at one token, it used AVX512-FP16 loads (vmovw), which AMD's AVX-512
  // CPUs lack (1x16, 1x32 and 1x64 offset2 tiles). The layouts lib/Target
  // picks for AVX-512 have 64-byte rows.
  const int64_t perByte = ref::codesPerByte(spec.layout.format);
  return perByte > 0 && spec.layout.tileK / perByte >= 64;
}

std::string setSpecField(KernelSpec &spec, const std::string &key,
                         const std::string &value) {
  auto badValue = [&](const char *expected) {
    return "bad value " + quoteForDiagnostic(value) + " for key " +
           quoteForDiagnostic(key) + " (expected " + expected + ")";
  };
  auto intField = [&](int64_t &field) -> std::string {
    return parseInt(value, field) ? "" : badValue("an integer");
  };
  if (key == "kind") {
    for (const KindName &k : kKinds)
      if (value == k.name) {
        spec.kind = k.kind;
        return "";
      }
    return badValue("bitlinear, rmsnorm_quant, add_rmsnorm_quant, glu_rmsnorm_quant, rmsnorm, "
                    "rope, rope_qkv, attention, glu, add, copy, embedding, float_matmul or "
                    "int8_matmul");
  }
  if (key == "target")
    return parseKernelTarget(value, spec.target)
               ? ""
               : badValue("x86-64-avx2, x86-64-avxvnni, x86-64-avx512, arm64, arm64-dotprod, "
                          "cuda or opencl");
  if (key == "name") {
    spec.name = value;
    return "";
  }
  if (key == "m")
    return intField(spec.m);
  if (key == "n")
    return intField(spec.n);
  if (key == "k")
    return intField(spec.k);
  if (key == "vocab")
    return intField(spec.vocab);
  if (key == "heads")
    return intField(spec.heads);
  if (key == "kv_heads")
    return intField(spec.kvHeads);
  if (key == "head_dim")
    return intField(spec.headDim);
  if (key == "context")
    return intField(spec.context);
  if (key == "rows_per_task")
    return intField(spec.rowsPerTask);
  if (key == "theta")
    return parseFloat(value, spec.theta) ? "" : badValue("a finite number");
  if (key == "eps")
    return parseFloat(value, spec.eps) ? "" : badValue("a finite number");
  if (key == "activation") {
    if (value == "relu2")
      spec.activation = ref::GluActivation::Relu2;
    else if (value == "silu")
      spec.activation = ref::GluActivation::Silu;
    else
      return badValue("relu2 or silu");
    return "";
  }
  if (key == "weights") {
    if (value == "f16")
      spec.floatWeights = KernelSpec::FloatWeights::F16;
    else if (value == "bf16")
      spec.floatWeights = KernelSpec::FloatWeights::BF16;
    else if (value == "f32")
      spec.floatWeights = KernelSpec::FloatWeights::F32;
    else
      return badValue("f16, bf16 or f32");
    return "";
  }
  if (key == "weight_kind") {
    if (value == "ternary")
      spec.weightKind = ref::WeightKind::Ternary;
    else if (value == "binary")
      spec.weightKind = ref::WeightKind::Binary;
    else
      return badValue("ternary or binary");
    return "";
  }
  if (key == "format") {
    std::optional<ref::PackFormat> format = ref::parsePackFormat(value);
    if (!format)
      return badValue("offset2, base3 or bits1");
    spec.layout.format = *format;
    return "";
  }
  if (key == "segments") {
    spec.segments.clear();
    size_t start = 0;
    while (start < value.size()) {
      size_t comma = value.find(',', start);
      std::string part = value.substr(start, comma == std::string::npos
                                                 ? std::string::npos
                                                 : comma - start);
      int64_t size = 0;
      if (!parseInt(part, size))
        return badValue("comma-separated row counts, e.g. 2560,640,640");
      spec.segments.push_back(size);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return "";
  }
  if (key == "tile") {
    size_t x = value.find('x');
    int64_t tn = 0, tk = 0;
    if (x == std::string::npos || !parseInt(value.substr(0, x), tn) ||
        !parseInt(value.substr(x + 1), tk))
      return badValue("<rows>x<cols>, e.g. 8x128");
    spec.layout.tileN = tn;
    spec.layout.tileK = tk;
    return "";
  }
  return "unknown key " + quoteForDiagnostic(key);
}

std::string KernelSpec::validate() const {
  if (!isIdentifier(name))
    return "name must be a C identifier, got " + quoteForDiagnostic(name);
  auto positive = [](const char *key, int64_t v) -> std::string {
    if (v < 1 || v > kMaxExtent)
      return std::string(key) + " must be in [1, 2^31), got " +
             std::to_string(v);
    return "";
  };
  auto check = [&](std::initializer_list<std::pair<const char *, int64_t>>
                       fields) -> std::string {
    for (const auto &[key, v] : fields) {
      std::string why = positive(key, v);
      if (!why.empty())
        return why;
    }
    return "";
  };
  auto fitsInt32 = [](int64_t a, int64_t b) {
    return a <= kMaxExtent / b;
  };
  std::string why;
  if (rowsPerTask < 0)
    return "rows_per_task must be >= 0 (0: the default), got " +
           std::to_string(rowsPerTask);
  switch (kind) {
  case KernelKind::BitLinear: {
    if (!(why = check({{"m", m}, {"n", n}, {"k", k}})).empty())
      return why;
    if (isGPUTarget(target) && rowsPerTask > maxGPURowsPerTask())
      return "rows_per_task must be at most " + std::to_string(maxGPURowsPerTask()) +
             " on " + kernelTargetName(target) +
             (m > 1 ? " for several tokens (the block's shared tiles within 32 KB)"
              : target == KernelTarget::CUDA ? " for one token (a warp per row)"
                                             : " for one token (64 threads per row)") +
             ", got " + std::to_string(rowsPerTask);
    why = ref::validateLayout(layout, weightKind);
    if (!why.empty())
      return "tile: " + why;
    if (!segments.empty()) {
      if (segments.size() > 16)
        return "at most 16 segments, got " + std::to_string(segments.size());
      int64_t total = 0;
      for (int64_t size : segments) {
        if (size < 1)
          return "segment sizes must be positive";
        total += size;
      }
      if (total != n)
        return "segments cover " + std::to_string(total) + " rows but n is " +
               std::to_string(n);
    }
    int64_t bytes = ref::packedStorageBytes(layout, n, k);
    if (bytes < 0 || bytes > kMaxExtent || !fitsInt32(m, k) || !fitsInt32(m, n))
      return "shape too large for 32-bit indexing";
    return "";
  }
  case KernelKind::RMSNormQuant:
  case KernelKind::AddRMSNormQuant:
  case KernelKind::GLURMSNormQuant:
  case KernelKind::RMSNorm:
  case KernelKind::GLU:
  case KernelKind::Add:
  case KernelKind::Copy:
    if (!(why = check({{"m", m}, {"n", n}})).empty())
      return why;
    if (!fitsInt32(m, n))
      return "shape too large for 32-bit indexing";
    if ((kind == KernelKind::RMSNormQuant || kind == KernelKind::AddRMSNormQuant ||
         kind == KernelKind::GLURMSNormQuant || kind == KernelKind::RMSNorm) &&
        !(eps > 0))
      return "eps must be positive";
    return "";
  case KernelKind::RoPE:
  case KernelKind::RoPEQKV: {
    // rope_qkv also rotates kv_heads heads of keys.
    const bool keys = kind == KernelKind::RoPEQKV;
    if (!(why = check({{"m", m}, {"heads", heads}, {"head_dim", headDim}})).empty() ||
        (keys && !(why = check({{"kv_heads", kvHeads}})).empty()))
      return why;
    if (headDim % 2 != 0)
      return "head_dim must be even, got " + std::to_string(headDim);
    if (!(theta > 0))
      return "theta must be positive";
    if (!fitsInt32(heads, headDim) || !fitsInt32(m, heads * headDim) ||
        (keys && (!fitsInt32(kvHeads, headDim) || !fitsInt32(m, kvHeads * headDim))))
      return "shape too large for 32-bit indexing";
    return "";
  }
  case KernelKind::Attention:
    if (!(why = check({{"m", m},
                       {"heads", heads},
                       {"kv_heads", kvHeads},
                       {"head_dim", headDim},
                       {"context", context}}))
             .empty())
      return why;
    if (heads % kvHeads != 0)
      return "heads (" + std::to_string(heads) +
             ") must be a multiple of kv_heads (" + std::to_string(kvHeads) + ")";
    if (m > context)
      return "m (" + std::to_string(m) + ") exceeds context (" +
             std::to_string(context) + ")";
    if (!fitsInt32(heads, headDim) || !fitsInt32(context, kvHeads * headDim) ||
        !fitsInt32(m * heads, context))
      return "shape too large for 32-bit indexing";
    return "";
  case KernelKind::Embedding:
    if (!(why = check({{"m", m}, {"n", n}, {"vocab", vocab}})).empty())
      return why;
    if (!fitsInt32(vocab, n) || !fitsInt32(m, n))
      return "shape too large for 32-bit indexing";
    return "";
  case KernelKind::FloatMatmul:
  case KernelKind::Int8Matmul:
    if (!(why = check({{"m", m}, {"n", n}, {"k", k}})).empty())
      return why;
    if (!fitsInt32(n, k) || !fitsInt32(m, k) || !fitsInt32(m, n))
      return "shape too large for 32-bit indexing";
    return "";
  }
  return "unknown kind";
}

std::string KernelSpec::canonical() const {
  std::string s;
  auto add = [&](const char *key, const std::string &value) {
    s += key;
    s += '=';
    s += value;
    s += '\n';
  };
  add("kind", kernelKindName(kind));
  add("target", kernelTargetName(target));
  add("name", name);
  add("m", std::to_string(m));
  add("n", std::to_string(n));
  add("k", std::to_string(k));
  add("vocab", std::to_string(vocab));
  add("heads", std::to_string(heads));
  add("kv_heads", std::to_string(kvHeads));
  add("head_dim", std::to_string(headDim));
  add("context", std::to_string(context));
  add("theta", formatFloat(theta));
  add("eps", formatFloat(eps));
  add("activation", ref::gluActivationName(activation));
  // Absent for f16, so that existing specs keep their hash.
  if (floatWeights == FloatWeights::BF16)
    add("weights", "bf16");
  else if (floatWeights == FloatWeights::F32)
    add("weights", "f32");
  add("weight_kind", ref::weightKindName(weightKind));
  add("format", ref::packFormatName(layout.format));
  add("tile", std::to_string(layout.tileN) + "x" + std::to_string(layout.tileK));
  std::string segmentList;
  for (int64_t size : segments)
    segmentList += (segmentList.empty() ? "" : ",") + std::to_string(size);
  if (!segmentList.empty())
    add("segments", segmentList);
  add("rows_per_task", std::to_string(rowsPerTask));
  return s;
}

std::string KernelSpec::hash() const {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : canonical()) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
  return buf;
}

int kernelOutputCount(KernelKind kind) {
  switch (kind) {
  case KernelKind::RMSNormQuant:
  case KernelKind::GLURMSNormQuant:
  case KernelKind::RoPEQKV:
    return 3;
  case KernelKind::AddRMSNormQuant:
    return 4;
  default:
    return 1;
  }
}

std::string KernelSpec::nameAfterHash(const std::string &prefix) {
  name = "kernel";
  name = prefix + "_" + kernelKindName(kind) + "_" + hash().substr(0, 12);
  return name;
}

std::string parseSpecJSON(KernelSpec &spec, const std::string &text) {
  size_t i = 0;
  auto error = [&](const std::string &what) {
    return "JSON spec, byte " + std::to_string(i) + ": " + what;
  };
  auto skipSpace = [&] {
    while (i < text.size() && std::isspace((unsigned char)text[i]))
      ++i;
  };
  auto parseString = [&](std::string &out) -> bool {
    if (i >= text.size() || text[i] != '"')
      return false;
    ++i;
    out.clear();
    while (i < text.size() && text[i] != '"') {
      if (text[i] == '\\' || (unsigned char)text[i] < 0x20)
        return false; // escapes are never needed in a spec
      out += text[i++];
    }
    if (i >= text.size())
      return false;
    ++i;
    return true;
  };
  auto parseNumber = [&](std::string &out) -> bool {
    size_t start = i;
    while (i < text.size() && (std::isdigit((unsigned char)text[i]) ||
                               std::strchr("+-.eE", text[i])))
      ++i;
    out = text.substr(start, i - start);
    return !out.empty();
  };
  skipSpace();
  if (i >= text.size() || text[i] != '{')
    return error("expected '{'");
  ++i;
  skipSpace();
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    while (true) {
      skipSpace();
      std::string key, value;
      if (!parseString(key))
        return error("expected a quoted key");
      skipSpace();
      if (i >= text.size() || text[i] != ':')
        return error("expected ':' after " + quoteForDiagnostic(key));
      ++i;
      skipSpace();
      if (i < text.size() && text[i] == '"') {
        if (!parseString(value))
          return error("unterminated string for " + quoteForDiagnostic(key));
      } else if (i < text.size() && text[i] == '[') {
        ++i;
        std::string a, b;
        skipSpace();
        if (!parseNumber(a))
          return error("expected a number in " + quoteForDiagnostic(key));
        skipSpace();
        if (i >= text.size() || text[i] != ',')
          return error("expected ',' in " + quoteForDiagnostic(key));
        ++i;
        skipSpace();
        if (!parseNumber(b))
          return error("expected a number in " + quoteForDiagnostic(key));
        skipSpace();
        if (i >= text.size() || text[i] != ']')
          return error("expected ']' in " + quoteForDiagnostic(key));
        ++i;
        value = a + "x" + b;
      } else if (!parseNumber(value)) {
        return error("expected a string, number or [a, b] for " + quoteForDiagnostic(key));
      }
      std::string why = setSpecField(spec, key, value);
      if (!why.empty())
        return error(why);
      skipSpace();
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      return error("expected ',' or '}'");
    }
  }
  skipSpace();
  if (i != text.size())
    return error("trailing characters after the object");
  return "";
}

} // namespace kernels
} // namespace bitnet
