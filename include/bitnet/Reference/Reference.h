//===- Reference.h - Golden scalar reference for BitNet ---------*- C++ -*-===//
//
// The project's correctness oracle, in plain C++ (no MLIR, no Halide). Every
// kernel and every compiled model is compared against these functions. They
// follow ../shared/BITNET.md to the letter and fix the order of every float
// operation so that the reference lowering (convert-bitnet-to-linalg), which
// performs the same operations in the same order, agrees bit for bit wherever
// libm is not involved. Build with -ffp-contract=off: a fused multiply-add
// would change the rounding of x * s before round-half-even.
//
// Layout conventions: matrices are row-major; weights are [N out, K in];
// activations are [M tokens, K features].
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_REFERENCE_REFERENCE_H
#define BITNET_REFERENCE_REFERENCE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <functional>
#include <memory>
#include <vector>

namespace bitnet {
namespace ref {

/// What a linear layer's weights are.
enum class WeightKind {
  Float,   // full precision ("vanilla"): y = x W^T in f32
  Binary,  // 1-bit BitNet: W in {-1, +1}, per-tensor scale
  Ternary, // BitNet b1.58: W in {-1, 0, +1}, per-tensor scale
};
const char *weightKindName(WeightKind kind);

/// Round half to even, as IEEE roundeven / nearbyint in the default mode.
float roundHalfEven(float x);

/// IEEE binary16 <-> binary32 (round to nearest even on the way down).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
/// bfloat16 <-> binary32 (round to nearest even; NaN stays NaN).
float bf16ToFloat(uint16_t h);
uint16_t floatToBf16(float f);

/// How full-precision weights are stored: the narrowest float type that
/// holds every value exactly (a bf16 checkpoint stays two bytes a weight,
/// and nothing is rounded).
enum class FloatStorage { BF16, F16, F32 };
FloatStorage narrowestFloatStorage(const std::vector<float> &values);
int64_t bytesPerFloat(FloatStorage storage);
/// `values` in `storage`, little-endian (exact: storage holds every value).
std::vector<uint8_t> encodeFloats(const std::vector<float> &values, FloatStorage storage);

//===--------------------------------------------------------------------===//
// Quantizers
//===--------------------------------------------------------------------===//

/// Per-tensor weight quantization. Ternary (absmean):
///   gamma = max(mean(|W|), 1e-5); T = clamp(roundHalfEven(W / gamma), -1, 1).
/// Binary: alpha = mean(W); T = W - alpha > 0 ? +1 : -1 (sign(0) = -1);
///   gamma = max(mean(|W|), 1e-5).
/// Means are accumulated in double in row-major order, then divided by the
/// element count in double and rounded to float; W / gamma is an f32 division.
struct QuantizedWeights {
  std::vector<int8_t> values; // N*K, each in {-1,0,1} (binary: {-1,1})
  float scale = 1.0f;         // gamma
};
QuantizedWeights quantizeWeights(const float *w, size_t count, WeightKind kind);

/// Per-token activation quantization (absmax) of an [M, K] matrix:
///   s[m] = 127.0f / max(max_k |x[m,k]|, 1e-5f);
///   q[m,k] = clamp(roundHalfEven(x[m,k] * s[m]), -128, 127).
void quantizeActivations(const float *x, int64_t M, int64_t K, int8_t *q,
                         float *s);

/// The linear layers below split their output rows over `threads` threads
/// (each output is computed by one thread in the documented order, so the
/// count changes no bit).

/// Exact int32 accumulation: acc[m,n] = sum_k w[n,k] * q[m,k].
void integerMatmul(const int8_t *q, const int8_t *w, int64_t M, int64_t N,
                   int64_t K, int32_t *acc, int threads = 1);

/// BitLinear: y[m,n] = ((float)acc[m,n] / s[m]) * gamma.
void bitLinear(const int8_t *q, const float *s, const int8_t *w, float gamma,
               int64_t M, int64_t N, int64_t K, float *y, int threads = 1);

/// Float linear (LM head, vanilla layers): y[m,n] = sum_k x[m,k] * w[n,k],
/// accumulated in f32 in k order. `w` is f32 here; see floatLinearF16.
void floatLinear(const float *x, const float *w, int64_t M, int64_t N,
                 int64_t K, float *y, int threads = 1);
/// Same with f16 weights (converted exactly to f32 before each multiply).
void floatLinearF16(const float *x, const uint16_t *w, int64_t M, int64_t N,
                    int64_t K, float *y, int threads = 1);

/// Int8 weights with one scale per output row: the LM head compiled with
/// --lm-head=int8, which reads half the bytes of the f16 head.
struct RowQuantizedWeights {
  std::vector<int8_t> values; // N*K
  std::vector<float> scales;  // N
};
/// Quantizes each row of an f16 [N, K] matrix with the activation quantizer
/// (absmax): codes as quantizeActivations computes them with its per-row s,
/// and scales[n] = 1.0f / s[n], so that W[n, k] ~= codes[n, k] * scales[n].
RowQuantizedWeights quantizeRowsF16(const uint16_t *w, int64_t N, int64_t K);
/// y[m,n] = ((float)acc[m,n] / s[m]) * scales[n], acc exact in int32.
void int8Linear(const int8_t *q, const float *s, const int8_t *w,
                const float *scales, int64_t M, int64_t N, int64_t K, float *y,
                int threads = 1);

//===--------------------------------------------------------------------===//
// The rest of a block
//===--------------------------------------------------------------------===//

/// RMSNorm's sum of squares runs in this many interleaved partial sums
/// (part of the numerical contract: the quantizer's integer codes depend on
/// the sum's rounding, so every kernel and lowering adds in this order).
constexpr int64_t kRMSNormPartialSums = 32;

/// RMSNorm over each row of [M, D], in f32:
///   p[j] = sum over d = j, j + 32, j + 64, ... < D of (x[m,d] * x[m,d]),
///          in that order, each square rounded before it is added;
///   ss = (((0 + p[0]) + p[1]) + ...) + p[31];
///   inv = 1.0f / sqrtf(ss / (float)D + eps); y[m,d] = (x[m,d] * inv) * w[d].
/// The 32 partial sums are a GPU warp's lanes, or four AVX2, two AVX-512
/// or eight NEON vectors: every target adds in the same order in parallel.
void rmsNorm(const float *x, const float *w, int64_t M, int64_t D, float eps,
             float *y);

/// RoPE, rotate-half (NeoX) form, in place on [M, numHeads * headDim]; token m
/// is at position startPos + m. For i < headDim/2:
///   invFreq = powf(theta, -(float)(2*i) / (float)headDim);
///   angle = (float)(startPos + m) * invFreq; c = cosf(angle), s = sinf(angle);
///   (a, b) = (x[i], x[i + headDim/2]) -> (a*c - b*s, b*c + a*s).
void rope(float *x, int64_t M, int64_t numHeads, int64_t headDim,
          int64_t startPos, float theta);

/// Causal grouped-query attention for M new query tokens at positions
/// startPos..startPos+M-1 over a cache whose rows 0..startPos+M-1 are valid.
/// q: [M, numHeads*headDim]; kCache, vCache: [ctx, numKvHeads*headDim];
/// out: [M, numHeads*headDim]. Query head h reads KV head h / (numHeads /
/// numKvHeads). score[t] = dot(q, k[t]) (f32, d order) * (1.0f /
/// sqrtf((float)headDim)); softmax in f32: mx = max over t <= startPos+m,
/// e[t] = expf(score[t] - mx), sum in t order, p = e / sum;
/// out = sum_t p[t] * v[t] in t order.
void attention(const float *q, const float *kCache, const float *vCache,
               int64_t M, int64_t numHeads, int64_t numKvHeads,
               int64_t headDim, int64_t startPos, float *out);

enum class GluActivation { Relu2, Silu };
const char *gluActivationName(GluActivation act);
/// out = act(gate) * up, element-wise; relu2(g) = (g > 0 ? g : 0)^2 computed
/// as r * r; silu(g) = g / (1 + expf(-g)).
void glu(const float *gate, const float *up, int64_t count, GluActivation act,
         float *out);

/// Embedding lookup from an f16 table [vocab, D]; returns false (and writes
/// nothing) when a token id is outside [0, vocab).
bool embedding(const uint16_t *tableF16, int64_t vocab, int64_t D,
               const int32_t *tokens, int64_t M, float *out);

/// y = a + b element-wise.
void add(const float *a, const float *b, int64_t count, float *y);

//===--------------------------------------------------------------------===//
// Whole models
//===--------------------------------------------------------------------===//

/// What a checkpoint format calls each ModelConfig field, so that
/// ModelConfig::validate names the key a user wrote (config.json's
/// "hidden_size", a GGUF's "bitnet-b1.58.embedding_length"); by default the
/// fields' own names.
struct ModelConfigKeys {
  std::string hidden = "hidden", intermediate = "intermediate", layers = "layers",
              heads = "heads", kvHeads = "kvHeads", vocab = "vocab", context = "context",
              ropeTheta = "ropeTheta", rmsEps = "rmsEps";
};

struct ModelConfig {
  int64_t hidden = 128;
  int64_t intermediate = 384;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t kvHeads = 2;
  int64_t vocab = 256;
  int64_t context = 64; // KV cache rows
  float ropeTheta = 500000.0f;
  float rmsEps = 1e-5f;
  GluActivation glu = GluActivation::Relu2;
  WeightKind weightKind = WeightKind::Ternary;
  bool tiedHead = true; // the LM head is the token embedding

  /// Bounds far above any real model keep every product of sizes (caches,
  /// tables) inside int64 and every position inside the C API's int32.
  static constexpr int64_t kMaxExtent = int64_t(1) << 24;
  static constexpr int64_t kMaxLayers = 4096;

  int64_t headDim() const { return hidden / heads; }
  int64_t kvDim() const { return kvHeads * headDim(); }
  /// Empty when valid, else a message naming the offending field by its
  /// key in `keys`.
  std::string validate(const ModelConfigKeys &keys = {}) const;
  /// The 2B-4T family (relu2 GLU, GQA) and the 1bitLLM family (SiLU, MHA),
  /// at a tiny size.
  static ModelConfig tinyB158();
  static ModelConfig tiny1bitLLM();
  /// Full-size shapes: BitNet b1.58 2B-4T, and the 700M 1bitLLM model
  /// (bitnet_b1_58-large: SiLU, MHA, vocab 32002).
  static ModelConfig b158_2B4T();
  static ModelConfig bitnet700M();
};

/// A tensor left in its checkpoint until a compiler writes its output: the
/// importer's promise to produce the tensor's bytes on demand (logical
/// weights one int8 per element, f16 tables as IEEE half bits, little
/// endian), so that compiling a model holds one tensor at a time, never the
/// model.
struct TensorSource {
  /// The checkpoint's name for the tensor, unique in its model.
  std::string name;
  /// Bytes `read` writes.
  int64_t bytes = 0;
  /// Writes the tensor's bytes to out[0 .. bytes); returns an error message
  /// naming the file and the tensor, or "" on success.
  std::function<std::string(uint8_t *out)> read;
};

/// One linear layer: logical weights [out, in]. For Binary/Ternary, `values`
/// holds {-1,0,1} and `scale` is gamma; for Float, `floats` holds the weights.
/// A lazily imported layer has a `source` of its values instead (and its
/// scale).
struct LinearWeights {
  int64_t out = 0, in = 0;
  std::vector<int8_t> values;
  float scale = 1.0f;
  std::vector<float> floats;
  /// A lazily imported layer: the source of its values (one int8 each), or
  /// for Float layers of its floats encoded in `floatStorage`.
  std::shared_ptr<const TensorSource> source;
  FloatStorage floatStorage = FloatStorage::F32;
};

struct LayerWeights {
  std::vector<float> inputNorm, attnSubNorm, postAttnNorm, ffnSubNorm;
  LinearWeights q, k, v, o, gate, up, down;
};

struct ModelWeights {
  ModelConfig config;
  std::vector<uint16_t> embedding; // f16 [vocab, hidden]; also the LM head
  std::vector<uint16_t> lmHead;    // f16 [vocab, hidden] when untied, else empty
  std::vector<LayerWeights> layers;
  std::vector<float> finalNorm;
  /// A lazy import's f16 tables, in place of `embedding` / `lmHead`.
  std::shared_ptr<const TensorSource> embeddingSource, lmHeadSource;
  /// The checkpoint's tokenizer, serialized (the blob of
  /// include/bitnet/Runtime/Tokenizer.h); empty when it has none.
  std::vector<uint8_t> tokenizer;
  /// The checkpoint's chat template (Jinja text; empty: none).
  std::string chatTemplate;

  /// Every tensor left in the checkpoint (lazy imports), by name.
  std::vector<std::shared_ptr<const TensorSource>> sources() const;
};

/// The tensors of a model, in the order makeRandomModel draws them.
enum class TensorRole {
  Embedding, // [vocab, hidden], f16 values
  InputNorm, Q, K, V, AttnSubNorm, O, PostAttnNorm, Gate, Up, FfnSubNorm, Down,
  FinalNorm,
  LMHead, // [vocab, hidden], f16 values; only for untied heads
};
/// Where a tensor sits in a model and its shape: norms are vectors
/// (rows = 1), matrices are [rows, cols] = [out, in].
struct TensorShape {
  TensorRole role;
  int64_t layer = -1; // -1 outside the blocks
  int64_t rows = 1, cols = 0;
};

/// Every tensor of a model of `config` in one fixed order: the order
/// forEachRandomTensor draws them and the checkpoint writers store them.
std::vector<TensorShape> modelTensors(const ModelConfig &config);

/// Whether tensors of `role` are linear-layer weights (q, k, v, o, gate, up,
/// down).
bool isLinear(TensorRole role);

/// f32 values rounded to f16 bits.
std::vector<uint16_t> toHalfBits(const std::vector<float> &values);

/// One drawn tensor: norms are vectors (rows = 1); linear layers are the
/// master weights [out, in] before quantization: +-2 gamma on exactly half
/// of the entries, 0 elsewhere, so that bf16 masters, packed ternary codes
/// with an f32 scale and GGUF blocks with f16 scales all hold the same
/// ternary model exactly (Model.cpp).
struct RandomTensor {
  TensorRole role;
  int64_t layer = -1; // -1 outside the blocks
  int64_t rows = 1, cols = 0;
  std::vector<float> values;
};

/// Draws every tensor of a random model one at a time, so that writers of
/// big models never hold more than one tensor. Returns false (drawing
/// nothing) for an invalid config.
bool forEachRandomTensor(const ModelConfig &config, uint64_t seed,
                         const std::function<void(RandomTensor &)> &fn);

/// Deterministic pseudo-random model: the same (config, seed) gives the same
/// weights on every platform (splitmix64, no <random> distributions). Master
/// weights are drawn (forEachRandomTensor) and quantized with quantizeWeights
/// for the config's weight kind, so the three kinds differ only in that step.
ModelWeights makeRandomModel(const ModelConfig &config, uint64_t seed);

/// Fills a linear layer from its master weights for `kind` (quantizeWeights,
/// or the floats themselves).
LinearWeights linearFromMaster(std::vector<float> master, int64_t out, int64_t in,
                               WeightKind kind);

/// How the LM head is stored: f16 as in the checkpoint (floatLinearF16), or
/// int8 per row (quantizeRowsF16 once; the final norm's output quantized per
/// token; int8Linear).
enum class HeadFormat { F16, Int8 };
const char *headFormatName(HeadFormat format);

/// The forward pass of BITNET.md with a KV cache. Float layers skip the
/// activation quantizer and use floatLinear.
class ReferenceModel {
public:
  /// `threads` splits each linear layer's rows (no bit depends on it).
  explicit ReferenceModel(const ModelWeights &weights,
                          HeadFormat head = HeadFormat::F16, int threads = 1);
  /// Runs M tokens at positions pos..pos+M-1, appending to the KV cache;
  /// writes logits [M, vocab]. Returns false (changing nothing) if a token is
  /// out of range or pos + M exceeds the context.
  bool forward(const int32_t *tokens, int64_t M, int64_t pos, float *logits);
  void reset();
  /// Caches, [layers, context, kvDim] each.
  const std::vector<float> &kCache() const { return kCache_; }
  const std::vector<float> &vCache() const { return vCache_; }

private:
  const ModelWeights &w_;
  HeadFormat headFormat_;
  int threads_;
  RowQuantizedWeights int8Head_; // HeadFormat::Int8 only
  std::vector<float> kCache_, vCache_;
};

/// splitmix64-based generator shared by tests and the model generator.
class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi);
  /// Uniform integer in [lo, hi].
  int64_t range(int64_t lo, int64_t hi);

private:
  uint64_t state_;
};

} // namespace ref
} // namespace bitnet

#endif // BITNET_REFERENCE_REFERENCE_H
