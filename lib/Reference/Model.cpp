//===- Model.cpp - Reference model configs, weights and forward pass ------===//

#include "bitnet/Reference/Reference.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace bitnet {
namespace ref {

//===--------------------------------------------------------------------===//
// ModelConfig
//===--------------------------------------------------------------------===//

std::string ModelConfig::validate(const ModelConfigKeys &keys) const {
  struct {
    const std::string &name;
    int64_t value, bound;
  } sizes[] = {{keys.hidden, hidden, kMaxExtent}, {keys.intermediate, intermediate, kMaxExtent},
               {keys.layers, layers, kMaxLayers}, {keys.heads, heads, kMaxExtent},
               {keys.kvHeads, kvHeads, kMaxExtent}, {keys.vocab, vocab, kMaxExtent},
               {keys.context, context, kMaxExtent}};
  for (const auto &s : sizes) {
    if (s.value <= 0)
      return s.name + " must be positive, got " + std::to_string(s.value);
    if (s.value > s.bound)
      return s.name + " is " + std::to_string(s.value) + ", more than the " +
             std::to_string(s.bound) + " a model may have";
  }
  if (hidden % heads != 0)
    return keys.hidden + " (" + std::to_string(hidden) + ") must be divisible by " +
           keys.heads + " (" + std::to_string(heads) + ")";
  if (heads % kvHeads != 0)
    return keys.heads + " (" + std::to_string(heads) + ") must be divisible by " +
           keys.kvHeads + " (" + std::to_string(kvHeads) + ")";
  if (headDim() % 2 != 0)
    return "the head dimension (" + keys.hidden + " / " + keys.heads + " = " +
           std::to_string(headDim()) + ") must be even for RoPE";
  if (!(ropeTheta > 0.0f) || !std::isfinite(ropeTheta))
    return keys.ropeTheta + " must be positive and finite";
  // The dialect's norms require it too: a zero-valued row would divide by 0.
  if (!(rmsEps > 0.0f) || !std::isfinite(rmsEps))
    return keys.rmsEps + " (the RMSNorm epsilon) must be positive and finite, got " +
           std::to_string(rmsEps);
  return "";
}

std::vector<std::shared_ptr<const TensorSource>> ModelWeights::sources() const {
  std::vector<std::shared_ptr<const TensorSource>> all;
  for (const auto &table : {embeddingSource, lmHeadSource})
    if (table)
      all.push_back(table);
  for (const LayerWeights &layer : layers)
    for (const LinearWeights *linear :
         {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      if (linear->source)
        all.push_back(linear->source);
  return all;
}

ModelConfig ModelConfig::tinyB158() {
  ModelConfig c;
  c.hidden = 128;
  c.intermediate = 384;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 2;
  c.vocab = 256;
  c.context = 64;
  c.ropeTheta = 500000.0f;
  c.rmsEps = 1e-5f;
  c.glu = GluActivation::Relu2;
  c.weightKind = WeightKind::Ternary;
  return c;
}

ModelConfig ModelConfig::b158_2B4T() {
  ModelConfig c; // BitNet b1.58 2B-4T (BITNET.md)
  c.hidden = 2560;
  c.intermediate = 6912;
  c.layers = 30;
  c.heads = 20;
  c.kvHeads = 5;
  c.vocab = 128256;
  c.context = 4096;
  c.ropeTheta = 500000.0f;
  c.glu = GluActivation::Relu2;
  return c;
}

ModelConfig ModelConfig::bitnet700M() {
  ModelConfig c; // 1bitLLM bitnet_b1_58-large
  c.hidden = 1536;
  c.intermediate = 4096;
  c.layers = 24;
  c.heads = 16;
  c.kvHeads = 16;
  c.vocab = 32002;
  c.context = 2048;
  c.ropeTheta = 10000.0f;
  c.glu = GluActivation::Silu;
  return c;
}

ModelConfig ModelConfig::tiny1bitLLM() {
  ModelConfig c;
  c.hidden = 128;
  c.intermediate = 352;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 4;
  c.vocab = 256;
  c.context = 64;
  c.ropeTheta = 10000.0f;
  c.rmsEps = 1e-5f;
  c.glu = GluActivation::Silu;
  c.weightKind = WeightKind::Ternary;
  return c;
}

//===--------------------------------------------------------------------===//
// makeRandomModel
//===--------------------------------------------------------------------===//

namespace {

std::vector<float> randomNorm(Rng &rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto &x : v)
    x = rng.uniform(0.8f, 1.2f);
  return v;
}

/// Master weights [out, in] built so that every checkpoint format holds the
/// model exactly: a ternary pattern T with exactly half of the weights
/// non-zero (random positions and signs) times 2 * gamma, with gamma of 8
/// significant bits. Then the absmean rule gives back T and gamma exactly
/// (mean |W| = 2 * gamma * (n / 2) / n = gamma, W / gamma = 2 T, clamped to
/// T), the masters are exact in bf16, and gamma is exact in f16, the scale
/// type of GGUF's TQ1_0 / TQ2_0 blocks.
std::vector<float> randomMaster(Rng &rng, int64_t out, int64_t in) {
  const size_t n = static_cast<size_t>(out * in);
  float magnitude = 1.0f / sqrtf(static_cast<float>(in));
  float gamma = bf16ToFloat(floatToBf16(rng.uniform(0.5f, 1.0f) * magnitude));
  std::vector<float> master(n, 0.0f);
  for (size_t i = 0; i < n / 2; ++i)
    master[i] = rng.range(0, 1) ? 2.0f * gamma : -2.0f * gamma;
  for (size_t i = n; i > 1; --i) { // Fisher-Yates
    size_t j = static_cast<size_t>(rng.range(0, static_cast<int64_t>(i) - 1));
    std::swap(master[i - 1], master[j]);
  }
  return master;
}

bool linearOk(const LinearWeights &lw, int64_t out, int64_t in,
              WeightKind kind) {
  if (lw.out != out || lw.in != in)
    return false;
  size_t n = static_cast<size_t>(out * in);
  return kind == WeightKind::Float ? lw.floats.size() == n
                                   : lw.values.size() == n;
}

/// The weights match their config (sizes only), so forward cannot read out
/// of bounds.
bool weightsConsistent(const ModelWeights &w) {
  const ModelConfig &c = w.config;
  if (!c.validate().empty())
    return false;
  size_t D = static_cast<size_t>(c.hidden);
  size_t I = static_cast<size_t>(c.intermediate);
  if (w.lmHead.size() != (c.tiedHead ? 0 : static_cast<size_t>(c.vocab) * D))
    return false;
  if (w.embedding.size() != static_cast<size_t>(c.vocab) * D ||
      w.finalNorm.size() != D ||
      w.layers.size() != static_cast<size_t>(c.layers))
    return false;
  WeightKind kind = c.weightKind;
  for (const LayerWeights &l : w.layers) {
    if (l.inputNorm.size() != D || l.attnSubNorm.size() != D ||
        l.postAttnNorm.size() != D || l.ffnSubNorm.size() != I)
      return false;
    if (!linearOk(l.q, c.hidden, c.hidden, kind) ||
        !linearOk(l.k, c.kvDim(), c.hidden, kind) ||
        !linearOk(l.v, c.kvDim(), c.hidden, kind) ||
        !linearOk(l.o, c.hidden, c.hidden, kind) ||
        !linearOk(l.gate, c.intermediate, c.hidden, kind) ||
        !linearOk(l.up, c.intermediate, c.hidden, kind) ||
        !linearOk(l.down, c.hidden, c.intermediate, kind))
      return false;
  }
  return true;
}

} // namespace

LinearWeights linearFromMaster(std::vector<float> master, int64_t out,
                               int64_t in, WeightKind kind) {
  LinearWeights lw;
  lw.out = out;
  lw.in = in;
  if (kind == WeightKind::Float) {
    lw.floats = std::move(master);
    lw.scale = 1.0f;
  } else {
    QuantizedWeights qw = quantizeWeights(master.data(), master.size(), kind);
    lw.values = std::move(qw.values);
    lw.scale = qw.scale;
  }
  return lw;
}

std::vector<TensorShape> modelTensors(const ModelConfig &config) {
  using R = TensorRole;
  const int64_t D = config.hidden, I = config.intermediate, KV = config.kvDim();
  std::vector<TensorShape> shapes = {{R::Embedding, -1, config.vocab, D}};
  for (int64_t l = 0; l < config.layers; ++l)
    for (TensorShape t : {TensorShape{R::InputNorm, l, 1, D}, TensorShape{R::Q, l, D, D},
                          TensorShape{R::K, l, KV, D}, TensorShape{R::V, l, KV, D},
                          TensorShape{R::AttnSubNorm, l, 1, D}, TensorShape{R::O, l, D, D},
                          TensorShape{R::PostAttnNorm, l, 1, D}, TensorShape{R::Gate, l, I, D},
                          TensorShape{R::Up, l, I, D}, TensorShape{R::FfnSubNorm, l, 1, I},
                          TensorShape{R::Down, l, D, I}})
      shapes.push_back(t);
  shapes.push_back({R::FinalNorm, -1, 1, D});
  if (!config.tiedHead) // last: tied models keep their values
    shapes.push_back({R::LMHead, -1, config.vocab, D});
  return shapes;
}

bool isLinear(TensorRole role) {
  using R = TensorRole;
  return role == R::Q || role == R::K || role == R::V || role == R::O || role == R::Gate ||
         role == R::Up || role == R::Down;
}

std::vector<uint16_t> toHalfBits(const std::vector<float> &values) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    bits[i] = floatToHalf(values[i]);
  return bits;
}

bool forEachRandomTensor(const ModelConfig &config, uint64_t seed,
                         const std::function<void(RandomTensor &)> &fn) {
  if (!config.validate().empty())
    return false;
  Rng rng(seed);
  for (const TensorShape &shape : modelTensors(config)) {
    RandomTensor t{shape.role, shape.layer, shape.rows, shape.cols, {}};
    if (isLinear(shape.role)) {
      t.values = randomMaster(rng, shape.rows, shape.cols);
    } else if (shape.rows == 1) { // a norm
      t.values = randomNorm(rng, shape.cols);
    } else { // embedding, LM head: f16 values
      t.values.resize(static_cast<size_t>(shape.rows * shape.cols));
      for (float &e : t.values)
        e = halfToFloat(floatToHalf(rng.uniform(-1.0f, 1.0f)));
    }
    fn(t);
  }
  return true;
}

ModelWeights makeRandomModel(const ModelConfig &config, uint64_t seed) {
  ModelWeights w;
  w.config = config;
  w.layers.resize(static_cast<size_t>(std::max<int64_t>(config.layers, 0)));
  forEachRandomTensor(config, seed, [&](RandomTensor &t) {
    LayerWeights *l = t.layer >= 0 ? &w.layers[static_cast<size_t>(t.layer)] : nullptr;
    auto linear = [&](LinearWeights &lw) {
      lw = linearFromMaster(std::move(t.values), t.rows, t.cols, config.weightKind);
    };
    switch (t.role) {
    case TensorRole::Embedding: w.embedding = toHalfBits(t.values); break;
    case TensorRole::InputNorm: l->inputNorm = std::move(t.values); break;
    case TensorRole::Q: linear(l->q); break;
    case TensorRole::K: linear(l->k); break;
    case TensorRole::V: linear(l->v); break;
    case TensorRole::AttnSubNorm: l->attnSubNorm = std::move(t.values); break;
    case TensorRole::O: linear(l->o); break;
    case TensorRole::PostAttnNorm: l->postAttnNorm = std::move(t.values); break;
    case TensorRole::Gate: linear(l->gate); break;
    case TensorRole::Up: linear(l->up); break;
    case TensorRole::FfnSubNorm: l->ffnSubNorm = std::move(t.values); break;
    case TensorRole::Down: linear(l->down); break;
    case TensorRole::FinalNorm: w.finalNorm = std::move(t.values); break;
    case TensorRole::LMHead: w.lmHead = toHalfBits(t.values); break;
    }
  });
  if (!config.validate().empty())
    w.layers.clear();
  return w;
}

//===--------------------------------------------------------------------===//
// ReferenceModel
//===--------------------------------------------------------------------===//

namespace {

/// An activation matrix ready to feed linear layers: for Binary/Ternary it is
/// quantized once and shared by every layer that reads it.
struct LinearInput {
  const float *x = nullptr;
  int64_t M = 0, K = 0;
  std::vector<int8_t> q;
  std::vector<float> s;
};

void prepareInput(WeightKind kind, const float *x, int64_t M, int64_t K,
                  LinearInput &in) {
  in.x = x;
  in.M = M;
  in.K = K;
  if (kind == WeightKind::Float)
    return;
  in.q.resize(static_cast<size_t>(M * K));
  in.s.resize(static_cast<size_t>(M));
  quantizeActivations(x, M, K, in.q.data(), in.s.data());
}

void applyLinear(WeightKind kind, const LinearWeights &lw,
                 const LinearInput &in, float *y, int threads) {
  if (kind == WeightKind::Float)
    floatLinear(in.x, lw.floats.data(), in.M, lw.out, in.K, y, threads);
  else
    bitLinear(in.q.data(), in.s.data(), lw.values.data(), lw.scale, in.M,
              lw.out, in.K, y, threads);
}

} // namespace

const char *headFormatName(HeadFormat format) {
  return format == HeadFormat::Int8 ? "int8" : "f16";
}

ReferenceModel::ReferenceModel(const ModelWeights &weights, HeadFormat head,
                               int threads)
    : w_(weights), headFormat_(head), threads_(threads) {
  if (head == HeadFormat::Int8 && weightsConsistent(w_)) {
    const std::vector<uint16_t> &f16 = w_.lmHead.empty() ? w_.embedding : w_.lmHead;
    int8Head_ = quantizeRowsF16(f16.data(), w_.config.vocab, w_.config.hidden);
  }
  reset();
}

void ReferenceModel::reset() {
  const ModelConfig &c = w_.config;
  size_t n = 0;
  if (c.validate().empty())
    n = static_cast<size_t>(c.layers * c.context * c.kvDim());
  kCache_.assign(n, 0.0f);
  vCache_.assign(n, 0.0f);
}

bool ReferenceModel::forward(const int32_t *tokens, int64_t M, int64_t pos,
                             float *logits) {
  const ModelConfig &c = w_.config;
  if (!weightsConsistent(w_))
    return false;
  if (M < 0 || pos < 0 || pos > c.context - M)
    return false;
  for (int64_t m = 0; m < M; ++m)
    if (tokens[m] < 0 || tokens[m] >= c.vocab)
      return false;
  if (M == 0)
    return true;

  const WeightKind kind = c.weightKind;
  const int64_t D = c.hidden, I = c.intermediate, KV = c.kvDim();
  const int64_t hd = c.headDim();
  const size_t MD = static_cast<size_t>(M * D);
  const size_t MKV = static_cast<size_t>(M * KV);
  const size_t MI = static_cast<size_t>(M * I);

  std::vector<float> x(MD), a(MD), q(MD), attn(MD), y(MD);
  std::vector<float> k(MKV), v(MKV);
  std::vector<float> gate(MI), up(MI), mlp(MI), mlpNorm(MI);
  LinearInput in;

  embedding(w_.embedding.data(), c.vocab, D, tokens, M, x.data());

  for (int64_t li = 0; li < c.layers; ++li) {
    const LayerWeights &L = w_.layers[static_cast<size_t>(li)];
    float *kc = kCache_.data() + li * c.context * KV;
    float *vc = vCache_.data() + li * c.context * KV;

    // Attention.
    rmsNorm(x.data(), L.inputNorm.data(), M, D, c.rmsEps, a.data());
    prepareInput(kind, a.data(), M, D, in);
    applyLinear(kind, L.q, in, q.data(), threads_);
    applyLinear(kind, L.k, in, k.data(), threads_);
    applyLinear(kind, L.v, in, v.data(), threads_);
    rope(q.data(), M, c.heads, hd, pos, c.ropeTheta);
    rope(k.data(), M, c.kvHeads, hd, pos, c.ropeTheta);
    for (size_t i = 0; i < MKV; ++i) {
      kc[pos * KV + static_cast<int64_t>(i)] = k[i];
      vc[pos * KV + static_cast<int64_t>(i)] = v[i];
    }
    attention(q.data(), kc, vc, M, c.heads, c.kvHeads, hd, pos, attn.data());
    rmsNorm(attn.data(), L.attnSubNorm.data(), M, D, c.rmsEps, a.data());
    prepareInput(kind, a.data(), M, D, in);
    applyLinear(kind, L.o, in, y.data(), threads_);
    add(x.data(), y.data(), static_cast<int64_t>(MD), x.data());

    // Feed-forward.
    rmsNorm(x.data(), L.postAttnNorm.data(), M, D, c.rmsEps, a.data());
    prepareInput(kind, a.data(), M, D, in);
    applyLinear(kind, L.gate, in, gate.data(), threads_);
    applyLinear(kind, L.up, in, up.data(), threads_);
    glu(gate.data(), up.data(), static_cast<int64_t>(MI), c.glu, mlp.data());
    rmsNorm(mlp.data(), L.ffnSubNorm.data(), M, I, c.rmsEps, mlpNorm.data());
    prepareInput(kind, mlpNorm.data(), M, I, in);
    applyLinear(kind, L.down, in, y.data(), threads_);
    add(x.data(), y.data(), static_cast<int64_t>(MD), x.data());
  }

  rmsNorm(x.data(), w_.finalNorm.data(), M, D, c.rmsEps, a.data());
  if (headFormat_ == HeadFormat::Int8) {
    std::vector<int8_t> codes(MD);
    std::vector<float> scales(static_cast<size_t>(M));
    quantizeActivations(a.data(), M, D, codes.data(), scales.data());
    int8Linear(codes.data(), scales.data(), int8Head_.values.data(),
               int8Head_.scales.data(), M, c.vocab, D, logits, threads_);
    return true;
  }
  const std::vector<uint16_t> &head = w_.lmHead.empty() ? w_.embedding : w_.lmHead;
  floatLinearF16(a.data(), head.data(), M, c.vocab, D, logits, threads_);
  return true;
}

} // namespace ref
} // namespace bitnet
