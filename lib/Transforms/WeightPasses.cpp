//===- WeightPasses.cpp - Compile-time weight quantization and packing ----===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Target/TargetTable.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_TERNARIZEWEIGHTS
#define GEN_PASS_DEF_CHOOSELAYOUT
#define GEN_PASS_DEF_PACKWEIGHTS
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
      std::string why;
      int64_t n = type.getDimSize(0), k = type.getDimSize(1);
      if (!::bitnet::target::chooseLayout(*target, toReference(kind), n, k, rule, why)) {
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

} // namespace
