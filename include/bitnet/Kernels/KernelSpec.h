//===- KernelSpec.h - What bitnet-kernelgen generates -----------*- C++ -*-===//
//
// A kernel spec names one kernel exactly: its kind, its shapes, its weight
// layout, its tile parameters and its target. It is plain data (no MLIR, no
// Halide) shared by bitnet-kernelgen and its callers. Specs are read from
// `key=value` arguments or from a flat JSON object with the same keys, and
// have one canonical text form whose hash names cached results.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_KERNELS_KERNELSPEC_H
#define BITNET_KERNELS_KERNELSPEC_H

#include "bitnet/Reference/Packing.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitnet {
namespace kernels {

enum class KernelKind {
  BitLinear,    // int8 activations x packed quantized weights -> f32
  RMSNormQuant, // RMSNorm fused with per-token int8 quantization
  AddRMSNormQuant, // residual add, then RMSNormQuant of the sum (sum kept)
  GLURMSNormQuant, // RMSNormQuant of a GLU computed in place
  RMSNorm,      // RMSNorm alone (f32 out: the final norm before the LM head)
  RoPE,         // rotate-half rotary embedding
  RoPEQKV,      // RoPE of queries and keys, the values copied beside them
  Attention,    // causal GQA over one layer's KV cache
  GLU,          // relu2 / silu gated linear unit
  Add,          // residual add
  Copy,         // f32 rows between views (a GPU glue's splits, KV-cache appends)
  Embedding,    // f16 table gather
  FloatMatmul,  // f32 activations x f16 or f32 weights (LM head, vanilla)
  Int8Matmul,   // int8 activations x int8 weights with per-row scales
};

enum class KernelTarget {
  X86AVX2,
  X86AVXVNNI, // AVX2 + AVX-VNNI (256-bit vpdpbusd), no AVX-512
  X86AVX512,
  ARM64,
  ARM64DotProd,
  CUDA,
  OpenCL,
};

const char *kernelKindName(KernelKind kind);
/// How many of a kernel's buffer arguments are outputs: its last ones (the
/// RMSNorm-quantizer's codes, scales and sums, after the sum where it adds
/// the residual; every other kind's one).
int kernelOutputCount(KernelKind kind);
const char *kernelTargetName(KernelTarget target);
/// Whether kernels of `target` run on a GPU (CUDA, OpenCL).
inline bool isGPUTarget(KernelTarget target) {
  return target == KernelTarget::CUDA || target == KernelTarget::OpenCL;
}

struct KernelSpec {
  KernelKind kind = KernelKind::BitLinear;
  KernelTarget target = KernelTarget::X86AVX2;
  std::string name;

  // Shapes. Matmuls: m tokens (1 = GEMV), n outputs, k inputs. Element-wise
  // kernels: m tokens, n features. Embedding: m tokens, n width, vocab rows.
  int64_t m = 1, n = 0, k = 0;
  int64_t vocab = 0;
  // Attention and RoPE.
  int64_t heads = 0, kvHeads = 0, headDim = 0, context = 0;
  float theta = 500000.0f;
  float eps = 1e-5f;
  ref::GluActivation activation = ref::GluActivation::Relu2;

  // BitLinear over stacked projections: rows per segment, each with its own
  // weight scale (empty: one scale for all rows).
  std::vector<int64_t> segments;

  // Float matmul weights: f16 (the LM head; the default), bf16 or f32 (the
  // linear layers of full-precision models, in the checkpoint's precision).
  enum class FloatWeights { F16, BF16, F32 };
  FloatWeights floatWeights = FloatWeights::F16;

  // Quantized weights: kind and packed layout (tiles are part of the layout).
  ref::WeightKind weightKind = ref::WeightKind::Ternary;
  ref::PackedLayout layout;

  // Schedule parameters (0 = the target family's default).
  /// BitLinear output rows per parallel task (CPU) or per thread block
  /// (GPU; see maxGPURowsPerTask).
  int64_t rowsPerTask = 0;
  /// The most rows per GPU block: blocks of at most 1024 threads on CUDA,
  /// 256 on OpenCL (a size every OpenCL GPU takes). One token: a warp (32
  /// threads) per row on CUDA, a work-group of 64 per row on OpenCL
  /// (KernelGen's kTargets); GEMMs: 4 threads per row (a group of 4 tokens
  /// each), rows up to an eighth of the threads, so that a block's shared
  /// tiles (128 bytes of decoded weights and 64 of int32 sums a row, 2 KB of
  /// activations) stay within 32 KB.
  int64_t maxGPURowsPerTask() const {
    const int64_t threads = target == KernelTarget::CUDA ? 1024 : 256;
    return threads / (m > 1 ? 8 : target == KernelTarget::CUDA ? 32 : 64);
  }
  /// Rows per task the BitLinear kernels use: rowsPerTask, or by default
  /// 8 tiles of rows on CPUs (whole tiles either way); on GPUs 8 rows (8
  /// warps) for one CUDA token, 4 on OpenCL (256 threads), 32 rows x 16
  /// tokens for GEMMs.
  int64_t effectiveRowsPerTask() const {
    if (isGPUTarget(target))
      return rowsPerTask > 0                  ? rowsPerTask
             : m > 1                          ? 32
             : target == KernelTarget::CUDA ? 8
                                              : 4;
    int64_t tn = layout.tileN > 0 ? layout.tileN : 1;
    int64_t rows = rowsPerTask > 0 ? rowsPerTask : tn * 8;
    return (rows + tn - 1) / tn * tn;
  }

  /// Empty when the spec is complete and consistent, else why not (names
  /// the offending key).
  std::string validate() const;
  /// Canonical `key=value` lines in a fixed order: equal specs have equal
  /// text, so its hash can name cached outputs.
  std::string canonical() const;
  /// 16 hex digits of FNV-1a over canonical().
  std::string hash() const;
  /// Names the kernel `<prefix>_<kind>_<12 hex digits of the hash of the
  /// spec without its name>` (equal shapes share one kernel) and returns
  /// the name.
  std::string nameAfterHash(const std::string &prefix);
};

/// Sets one key of `spec` from text. Returns an error message naming the key
/// (unknown key, malformed number, unknown enum value), or "".
std::string setSpecField(KernelSpec &spec, const std::string &key,
                         const std::string &value);

/// Parses a flat JSON object {"key": value, ...} (strings, numbers, arrays
/// of two numbers for "tile") into `spec`. Returns an error with the byte
/// offset of the problem, or "".
std::string parseSpecJSON(KernelSpec &spec, const std::string &text);

/// ".o", or ".a" for targets whose kernels are multi-variant libraries
/// (arm64-dotprod: dotprod and NEON variants with a run-time dispatcher).
inline const char *kernelObjectSuffixFor(KernelTarget target) {
  return target == KernelTarget::ARM64DotProd ? ".a" : ".o";
}

/// Halide's target string for a kernel target, with no_runtime unless asked
/// (one runtime per target is generated separately). `dotProducts`: the
/// kernel uses int8 dot products (usesDotProducts); without them some
/// targets take a narrower feature set (see KernelSpec.cpp).
std::string halideTargetString(KernelTarget target, bool withRuntime, bool dotProducts);
/// Int8 matmuls, and BitLinear kernels whose tile rows hold at least 32
/// bytes: the kernels that sum int8 products in full vectors.
bool usesDotProducts(const KernelSpec &spec);
bool parseKernelTarget(const std::string &name, KernelTarget &target);

} // namespace kernels
} // namespace bitnet

#endif // BITNET_KERNELS_KERNELSPEC_H
