//===- FuseRMSNormQuant.cpp - RMSNorm + activation quantization -----------===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_FUSERMSNORMQUANT
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// A fusion rooted at an `Op`, counting its rewrites in a statistic.
template <typename Op> struct CountedFusion : OpRewritePattern<Op> {
  CountedFusion(MLIRContext *ctx, llvm::Statistic &fused)
      : OpRewritePattern<Op>(ctx), fused(fused) {}
  llvm::Statistic &fused;
};

struct FuseNormAndQuantize : CountedFusion<QuantizeActivationsOp> {
  using CountedFusion::CountedFusion;
  LogicalResult matchAndRewrite(QuantizeActivationsOp op,
                                PatternRewriter &rewriter) const override {
    auto norm = op.getInput().getDefiningOp<RMSNormOp>();
    if (!norm)
      return rewriter.notifyMatchFailure(op, "input is not an RMSNorm");
    if (!norm->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the RMSNorm has other users");
    auto qType = cast<RankedTensorType>(op.getQuantized().getType());
    auto sumType = RankedTensorType::get({qType.getDimSize(0)},
                                         rewriter.getI32Type());
    auto fusedOp = RMSNormQuantizeOp::create(
        rewriter, op.getLoc(), qType, op.getScales().getType(), sumType,
        norm.getInput(), norm.getWeight(), norm.getEpsilonAttr());
    rewriter.replaceOp(op, {fusedOp.getQuantized(), fusedOp.getScales()});
    rewriter.eraseOp(norm);
    ++fused;
    return success();
  }
};

/// A residual add whose sum feeds a norm-quantizer: one op that returns the
/// sum too. It takes the norm's place, so the add's other users must come
/// after the norm in its block (in a BitNet block the next residual add).
struct FuseResidualAdd : CountedFusion<RMSNormQuantizeOp> {
  using CountedFusion::CountedFusion;
  LogicalResult matchAndRewrite(RMSNormQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto add = op.getInput().getDefiningOp<AddOp>();
    if (!add)
      return rewriter.notifyMatchFailure(op, "input is not a residual add");
    for (Operation *user : add->getUsers())
      if (user != op && (user->getBlock() != op->getBlock() || !op->isBeforeInBlock(user)))
        return rewriter.notifyMatchFailure(op, "the sum is used before the norm");
    auto fusedOp = AddRMSNormQuantizeOp::create(
        rewriter, op.getLoc(), add.getType(), op.getQuantized().getType(),
        op.getScales().getType(), op.getSums().getType(), add.getLhs(), add.getRhs(),
        op.getWeight(), op.getEpsilonAttr());
    rewriter.replaceAllUsesWith(add.getResult(), fusedOp.getSum());
    rewriter.replaceOp(op, fusedOp.getResults().drop_front()); // all but the sum
    rewriter.eraseOp(add);
    ++fused;
    return success();
  }
};

/// A GLU whose only user is a norm-quantizer: one op that computes the GLU
/// where it normalises it (the GLU's values are never stored).
struct FuseGLU : CountedFusion<RMSNormQuantizeOp> {
  using CountedFusion::CountedFusion;
  LogicalResult matchAndRewrite(RMSNormQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto glu = op.getInput().getDefiningOp<GLUOp>();
    if (!glu)
      return rewriter.notifyMatchFailure(op, "input is not a GLU");
    if (!glu->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the GLU has other users");
    auto fusedOp = GLURMSNormQuantizeOp::create(
        rewriter, op.getLoc(), op.getQuantized().getType(), op.getScales().getType(),
        op.getSums().getType(), glu.getActivationAttr(), glu.getGate(), glu.getUp(),
        op.getWeight(), op.getEpsilonAttr());
    rewriter.replaceOp(op, fusedOp.getResults());
    rewriter.eraseOp(glu);
    ++fused;
    return success();
  }
};

struct FuseRMSNormQuantPass
    : mlir::bitnet::impl::FuseRMSNormQuantBase<FuseRMSNormQuantPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNormAndQuantize>(&getContext(), numFused);
    patterns.add<FuseResidualAdd>(&getContext(), numAddsFused);
    patterns.add<FuseGLU>(&getContext(), numGLUsFused);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
