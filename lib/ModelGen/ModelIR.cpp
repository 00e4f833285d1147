//===- ModelIR.cpp - bitnet-dialect IR for a whole model ------------------===//

#include "bitnet/ModelGen/ModelIR.h"
#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// Emits the body of one forward function; constants are created once per
/// function (CSE across functions is not needed for correctness).
class ForwardBuilder {
public:
  ForwardBuilder(OpBuilder &b, Location loc, const ref::ModelWeights &model,
                 int64_t tokens)
      : b(b), loc(loc), model(model), cfg(model.config), tokens(tokens) {}

  RankedTensorType f32Matrix(int64_t cols) {
    return RankedTensorType::get({tokens, cols}, b.getF32Type());
  }

  Value f32Vector(const std::vector<float> &values) {
    auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      b.getF32Type());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, llvm::ArrayRef<float>(values)));
  }

  /// An f16 table: its bits, or the checkpoint tensor they stay in.
  Value f16Table(RankedTensorType type, const std::vector<uint16_t> &bits,
                 const std::shared_ptr<const ref::TensorSource> &source) {
    if (source)
      return arith::ConstantOp::create(b, loc, ExternalWeightsAttr::get(type, source->name));
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::getFromRawBuffer(
            type, ArrayRef<char>(reinterpret_cast<const char *>(bits.data()),
                                 bits.size() * sizeof(uint16_t))));
  }

  Value rmsNorm(Value x, const std::vector<float> &weight) {
    return RMSNormOp::create(b, loc, x.getType(), x, f32Vector(weight),
                             b.getF32FloatAttr(cfg.rmsEps));
  }

  /// Full-precision weights in the narrowest float type that holds every
  /// value exactly (bf16, then f16, else f32): a bf16 checkpoint stays two
  /// bytes per weight, and nothing is rounded. A lazy import chose the type
  /// on import and names its tensor.
  Value floatWeights(const ref::LinearWeights &w) {
    auto elementOf = [&](ref::FloatStorage storage) -> Type {
      switch (storage) {
      case ref::FloatStorage::BF16:
        return b.getBF16Type();
      case ref::FloatStorage::F16:
        return b.getF16Type();
      case ref::FloatStorage::F32:
        break;
      }
      return b.getF32Type();
    };
    if (w.source) {
      auto type = RankedTensorType::get({w.out, w.in}, elementOf(w.floatStorage));
      return arith::ConstantOp::create(b, loc, ExternalWeightsAttr::get(type, w.source->name));
    }
    ref::FloatStorage storage = ref::narrowestFloatStorage(w.floats);
    auto type = RankedTensorType::get({w.out, w.in}, elementOf(storage));
    std::vector<uint8_t> bytes = ref::encodeFloats(w.floats, storage);
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::getFromRawBuffer(
            type, ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()), bytes.size())));
  }

  /// A linear layer on an already normalised input: quantize + bitlinear for
  /// quantized kinds (`quantized` caches the shared activation codes), a
  /// float matmul otherwise.
  Value linear(Value x, const ref::LinearWeights &w,
               std::pair<Value, Value> &quantized) {
    RankedTensorType resultType = f32Matrix(w.out);
    if (cfg.weightKind == ref::WeightKind::Float)
      return FloatLinearOp::create(b, loc, resultType, x, floatWeights(w));
    if (!quantized.first) {
      auto q = QuantizeActivationsOp::create(
          b, loc,
          RankedTensorType::get({tokens, w.in}, b.getIntegerType(8)),
          RankedTensorType::get({tokens}, b.getF32Type()), x);
      quantized = {q.getQuantized(), q.getScales()};
    }
    auto type = RankedTensorType::get({w.out, w.in}, b.getIntegerType(2));
    Value weights = ConstantOp::create(
        b, loc,
        w.source ? ElementsAttr(ExternalWeightsAttr::get(type, w.source->name))
                 : ElementsAttr(makeLogicalWeightsAttr(type, w.values)));
    Value scale = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(w.scale));
    WeightKind kind = cfg.weightKind == ref::WeightKind::Binary
                          ? WeightKind::Binary
                          : WeightKind::Ternary;
    return BitLinearOp::create(b, loc, resultType, kind, quantized.first,
                               quantized.second, weights, scale);
  }

  Value linear(Value x, const ref::LinearWeights &w) {
    std::pair<Value, Value> quantized;
    return linear(x, w, quantized);
  }

  /// Emits the whole forward pass; returns {logits, kCache, vCache}.
  SmallVector<Value> build(Value tokenIds, Value pos, Value kCache,
                           Value vCache) {
    int64_t hidden = cfg.hidden;
    auto embType = RankedTensorType::get({cfg.vocab, hidden}, b.getF16Type());
    Value embedding = f16Table(embType, model.embedding, model.embeddingSource);
    Value x = EmbeddingOp::create(b, loc, f32Matrix(hidden), embedding, tokenIds);
    GluActivation act = cfg.glu == ref::GluActivation::Silu
                            ? GluActivation::Silu
                            : GluActivation::Relu2;
    for (size_t layer = 0; layer < model.layers.size(); ++layer) {
      const ref::LayerWeights &lw = model.layers[layer];
      IntegerAttr layerAttr = b.getI64IntegerAttr(layer);
      // Attention.
      Value a = rmsNorm(x, lw.inputNorm);
      std::pair<Value, Value> qa;
      Value q = linear(a, lw.q, qa);
      Value k = linear(a, lw.k, qa);
      Value v = linear(a, lw.v, qa);
      IntegerAttr headDim = b.getI64IntegerAttr(cfg.headDim());
      FloatAttr theta = b.getF32FloatAttr(cfg.ropeTheta);
      q = RoPEOp::create(b, loc, q.getType(), q, pos, headDim, theta);
      k = RoPEOp::create(b, loc, k.getType(), k, pos, headDim, theta);
      kCache = KVAppendOp::create(b, loc, kCache.getType(), kCache, k, pos,
                                  layerAttr);
      vCache = KVAppendOp::create(b, loc, vCache.getType(), vCache, v, pos,
                                  layerAttr);
      Value attn = AttentionOp::create(
          b, loc, q.getType(), q, kCache, vCache, pos, layerAttr,
          b.getI64IntegerAttr(cfg.heads), b.getI64IntegerAttr(cfg.kvHeads));
      Value o = linear(rmsNorm(attn, lw.attnSubNorm), lw.o);
      x = AddOp::create(b, loc, x, o);
      // Feed-forward.
      Value h = rmsNorm(x, lw.postAttnNorm);
      std::pair<Value, Value> qh;
      Value gate = linear(h, lw.gate, qh);
      Value up = linear(h, lw.up, qh);
      Value m = GLUOp::create(b, loc, gate.getType(), act, gate, up);
      Value down = linear(rmsNorm(m, lw.ffnSubNorm), lw.down);
      x = AddOp::create(b, loc, x, down);
    }
    Value head = embedding;
    if (!model.lmHead.empty() || model.lmHeadSource)
      head = f16Table(embType, model.lmHead, model.lmHeadSource);
    Value logits = FloatLinearOp::create(b, loc, f32Matrix(cfg.vocab),
                                         rmsNorm(x, model.finalNorm), head);
    return {logits, kCache, vCache};
  }

private:
  OpBuilder &b;
  Location loc;
  const ref::ModelWeights &model;
  const ref::ModelConfig &cfg;
  int64_t tokens;
};

} // namespace

OwningOpRef<ModuleOp>
mlir::bitnet::buildModelModule(MLIRContext *context,
                               const ref::ModelWeights &model, StringRef name,
                               ArrayRef<int64_t> tokenCounts) {
  context->loadDialect<BitNetDialect, arith::ArithDialect, func::FuncDialect>();
  const ref::ModelConfig &cfg = model.config;
  OpBuilder b(context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto cacheType = RankedTensorType::get({cfg.layers, cfg.context, cfg.kvDim()},
                                         b.getF32Type());
  for (int64_t tokens : tokenCounts) {
    auto tokenType = RankedTensorType::get({tokens}, b.getI32Type());
    auto logitsType =
        RankedTensorType::get({tokens, cfg.vocab}, b.getF32Type());
    auto type = b.getFunctionType(
        {tokenType, b.getI32Type(), cacheType, cacheType},
        {logitsType, cacheType, cacheType});
    auto func = func::FuncOp::create(
        b, loc, (name + "_m" + std::to_string(tokens)).str(), type);
    OpBuilder::InsertionGuard guard(b);
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    ForwardBuilder forward(b, loc, model, tokens);
    SmallVector<Value> results =
        forward.build(entry->getArgument(0), entry->getArgument(1),
                      entry->getArgument(2), entry->getArgument(3));
    func::ReturnOp::create(b, loc, results);
  }
  return module;
}
