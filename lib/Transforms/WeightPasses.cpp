//===- WeightPasses.cpp - Compile-time weight quantization and packing ----===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Target/TargetTable.h"

#include "bitnet/Reference/Reference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_TERNARIZEWEIGHTS
#define GEN_PASS_DEF_CHOOSELAYOUT
#define GEN_PASS_DEF_PACKWEIGHTS
#define GEN_PASS_DEF_QUANTIZELMHEAD
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

constexpr llvm::StringLiteral kLayoutAttr = "bitnet.layout";

/// The weights operand and kind of a BitLinear-like op, or null.
std::pair<OpOperand *, WeightKind> quantizedWeights(Operation *op) {
  if (auto bl = dyn_cast<BitLinearOp>(op))
    return {&bl.getWeightsMutable(), bl.getKind()};
  if (auto fused = dyn_cast<BitLinearFusedOp>(op))
    return {&fused.getWeightsMutable(), fused.getKind()};
  return {nullptr, WeightKind::Ternary};
}

PackFormat toDialect(ref::PackFormat format) {
  switch (format) {
  case ref::PackFormat::Offset2:
    return PackFormat::Offset2;
  case ref::PackFormat::Base3:
    return PackFormat::Base3;
  case ref::PackFormat::Bits1:
    return PackFormat::Bits1;
  }
  return PackFormat::Offset2;
}

struct TernarizeWeightsPass
    : mlir::bitnet::impl::TernarizeWeightsBase<TernarizeWeightsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    QuantizeWeightsOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult result = getOperation().walk([](QuantizeWeightsOp op) {
      op.emitOpError() << "weights are not a compile-time constant; a "
                          "compiled model quantizes nothing at run time";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

struct ChooseLayoutPass
    : mlir::bitnet::impl::ChooseLayoutBase<ChooseLayoutPass> {
  using ChooseLayoutBase::ChooseLayoutBase;
  void runOnOperation() override {
    const ::bitnet::target::TargetDescription *target =
        ::bitnet::target::lookupTarget(targetName);
    if (!target) {
      getOperation().emitError()
          << "unknown target '" << targetName
          << (targetName == "host" ? "' (this machine is not supported)" : "'");
      return signalPassFailure();
    }
    ::bitnet::target::TuningTable table;
    if (std::string why = ::bitnet::target::loadTuning(tuning, table); !why.empty()) {
      getOperation().emitError() << why;
      return signalPassFailure();
    }
    WalkResult result = getOperation().walk([&](Operation *op) {
      auto [weights, kind] = quantizedWeights(op);
      if (!weights)
        return WalkResult::advance();
      auto type = cast<RankedTensorType>(weights->get().getType());
      if (type.getEncoding())
        return WalkResult::advance(); // already packed
      if (!type.hasStaticShape()) {
        op->emitOpError() << "weights need a static shape to choose a layout";
        return WalkResult::interrupt();
      }
      ::bitnet::target::LayoutRule rule;
      const ::bitnet::target::TuningEntry *entry;
      int64_t n = type.getDimSize(0), k = type.getDimSize(1);
      if (std::string why = ::bitnet::target::chooseLayout(*target, toReference(kind), n, k,
                                                           &table, rule, entry);
          !why.empty()) {
        op->emitOpError() << why;
        return WalkResult::interrupt();
      }
      auto layout = PackedLayoutAttr::get(op->getContext(), toDialect(rule.format),
                                          kind, n, k, rule.tileN, rule.tileK);
      op->setAttr(kLayoutAttr, layout);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

struct PackWeightsPass
    : mlir::bitnet::impl::PackWeightsBase<PackWeightsPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](Operation *op) {
      auto [weights, kind] = quantizedWeights(op);
      auto layout = op->getAttrOfType<PackedLayoutAttr>(kLayoutAttr);
      if (!weights || !layout)
        return WalkResult::advance();
      if (!matchPattern(weights->get(), m_Constant())) {
        op->emitOpError() << "weights are not a compile-time constant; "
                             "nothing is packed at run time";
        return WalkResult::interrupt();
      }
      // The verifier checks this too, but a pipeline may run unverified.
      if (failed(verifyLayoutMatchesWeights(
              [&] { return op->emitOpError() << "'" << kLayoutAttr << "': "; },
              layout, weights->get().getType(), kind)))
        return WalkResult::interrupt();
      OpBuilder builder(op);
      Value packed = builder.createOrFold<PackOp>(
          op->getLoc(), layout.getStorageType(), kind, weights->get());
      if (!packed.getDefiningOp<ConstantOp>()) {
        op->emitOpError() << "weights could not be packed into " << layout;
        return WalkResult::interrupt();
      }
      weights->assign(packed);
      op->removeAttr(kLayoutAttr);
      ++numPacked;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

struct QuantizeLMHeadPass
    : mlir::bitnet::impl::QuantizeLMHeadBase<QuantizeLMHeadPass> {
  void runOnOperation() override {
    SmallVector<FloatLinearOp> heads;
    getOperation().walk([&](FloatLinearOp op) {
      if (op.isLMHead())
        heads.push_back(op);
    });
    QuantizedHeads cache;
    for (FloatLinearOp op : heads)
      if (failed(quantize(op, cache)))
        return signalPassFailure();
  }

  /// f16 table -> (int8 codes, row scales).
  using QuantizedHeads = DenseMap<Attribute, std::pair<ElementsAttr, ElementsAttr>>;

  LogicalResult quantize(FloatLinearOp op, QuantizedHeads &quantizedHeads) {
    auto type = cast<RankedTensorType>(op.getWeights().getType());
    ElementsAttr table;
    if (!type.getElementType().isF16() || !type.hasStaticShape() ||
        !matchPattern(op.getWeights(), m_Constant(&table)))
      return op.emitOpError()
             << "is the LM head but its weights (" << type
             << ") are not an f16 constant; an int8 head is quantized from "
                "f16 weights at compile time";
    const int64_t N = type.getDimSize(0), K = type.getDimSize(1);
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto codesType = RankedTensorType::get({N, K}, b.getI8Type());
    auto scalesType = RankedTensorType::get({N}, b.getF32Type());
    // Every entry point of a model has the same head: quantize it once.
    auto [cached, fresh] = quantizedHeads.try_emplace(table);
    if (fresh && isa<ExternalWeightsAttr>(table)) {
      // A checkpoint's table is quantized when the output is written.
      cached->second.first =
          ExternalWeightsAttr::get(codesType, WeightsTransform::Int8Rows, {table});
      cached->second.second =
          ExternalWeightsAttr::get(scalesType, WeightsTransform::RowScales, {table});
    } else if (fresh) {
      auto dense = dyn_cast<DenseElementsAttr>(table);
      if (!dense)
        return op.emitOpError() << "is the LM head but its f16 weights are not readable";
      // The f16 bits, without a copy unless the attribute is a splat.
      std::vector<uint16_t> splat;
      const uint16_t *bits;
      if (dense.isSplat()) {
        splat.assign(static_cast<size_t>(N * K),
                     static_cast<uint16_t>(dense.getSplatValue<APFloat>()
                                               .bitcastToAPInt()
                                               .getZExtValue()));
        bits = splat.data();
      } else {
        bits = reinterpret_cast<const uint16_t *>(dense.getRawData().data());
      }
      ::bitnet::ref::RowQuantizedWeights head =
          ::bitnet::ref::quantizeRowsF16(bits, N, K);
      cached->second.first = DenseElementsAttr::getFromRawBuffer(
          codesType,
          ArrayRef<char>(reinterpret_cast<const char *>(head.values.data()),
                         head.values.size()));
      cached->second.second =
          DenseElementsAttr::get(scalesType, ArrayRef<float>(head.scales));
    }
    Value codes = arith::ConstantOp::create(b, loc, cached->second.first);
    Value scales = arith::ConstantOp::create(b, loc, cached->second.second);
    auto input = cast<RankedTensorType>(op.getInput().getType());
    auto quant = QuantizeActivationsOp::create(
        b, loc, RankedTensorType::get(input.getShape(), b.getI8Type()),
        RankedTensorType::get({input.getDimSize(0)}, b.getF32Type()),
        op.getInput());
    Value logits = Int8LinearOp::create(b, loc, op.getResult().getType(),
                                        quant.getQuantized(), quant.getScales(),
                                        codes, scales);
    op.replaceAllUsesWith(logits);
    op.erase();
    ++numQuantized;
    return success();
  }
};

} // namespace
