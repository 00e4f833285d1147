//===- FuseRoPE.cpp - An attention layer's RoPE and new cache rows --------===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_FUSEROPE
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// Whether `value` is available at `op`: a block argument of its block or
/// of an enclosing one, or defined before it in its block or outside it.
bool availableAt(Value value, Operation *op) {
  Block *block = value.getParentBlock();
  if (!block->getParentOp()->isAncestor(op))
    return false;
  Operation *def = value.getDefiningOp();
  if (!def)
    return true;
  Operation *ancestor = block->findAncestorOpInBlock(*op);
  return ancestor && def->isBeforeInBlock(ancestor);
}

/// attention(rope(q), kv_append(kc, rope(k)), kv_append(vc, v)) at one
/// position: the RoPEs and the values become one bitnet.rope_qkv.
struct JoinRoPEAndValues : OpRewritePattern<AttentionOp> {
  JoinRoPEAndValues(MLIRContext *ctx, llvm::Statistic &fused)
      : OpRewritePattern(ctx), fused(fused) {}
  LogicalResult matchAndRewrite(AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    auto queryRope = attention.getQuery().getDefiningOp<RoPEOp>();
    auto keyAppend = attention.getKeyCache().getDefiningOp<KVAppendOp>();
    auto valueAppend = attention.getValueCache().getDefiningOp<KVAppendOp>();
    if (!queryRope || !keyAppend || !valueAppend)
      return rewriter.notifyMatchFailure(attention, "not RoPE and fresh cache rows");
    auto keyRope = keyAppend.getValues().getDefiningOp<RoPEOp>();
    if (!keyRope || !keyRope->hasOneUse())
      return rewriter.notifyMatchFailure(attention, "the key append is not of a RoPE alone");
    Value position = attention.getPosition();
    if (queryRope.getPosition() != position || keyRope.getPosition() != position ||
        keyAppend.getPosition() != position || valueAppend.getPosition() != position ||
        keyAppend.getLayer() != attention.getLayer() ||
        valueAppend.getLayer() != attention.getLayer())
      return rewriter.notifyMatchFailure(attention, "positions or layers differ");
    if (queryRope.getHeadDim() != keyRope.getHeadDim() ||
        queryRope.getTheta() != keyRope.getTheta())
      return rewriter.notifyMatchFailure(attention, "the RoPEs differ");
    Value value = valueAppend.getValues();
    if (value.getType() != keyRope.getType())
      return rewriter.notifyMatchFailure(attention, "keys and values differ in shape");
    // The joined op takes the place of the first of the ops it replaces.
    Operation *first = queryRope;
    for (Operation *op : {keyRope.getOperation(), valueAppend.getOperation()})
      if (op->getBlock() != first->getBlock())
        return rewriter.notifyMatchFailure(attention, "the ops are in different blocks");
      else if (op->isBeforeInBlock(first))
        first = op;
    for (Value operand : std::initializer_list<Value>{queryRope.getInput(), keyRope.getInput(),
                                                      value, position})
      if (!availableAt(operand, first))
        return rewriter.notifyMatchFailure(attention, "an operand is defined too late");
    rewriter.setInsertionPoint(first);
    auto joined = RoPEQKVOp::create(rewriter, queryRope.getLoc(), queryRope.getType(),
                                    keyRope.getType(), value.getType(), queryRope.getInput(),
                                    keyRope.getInput(), value, position,
                                    queryRope.getHeadDimAttr(), queryRope.getThetaAttr());
    rewriter.replaceOp(queryRope, joined.getQueryRotated());
    rewriter.replaceOp(keyRope, joined.getKeyRotated());
    rewriter.modifyOpInPlace(valueAppend,
                             [&] { valueAppend.getValuesMutable().assign(joined.getValueRows()); });
    ++fused;
    return success();
  }
  llvm::Statistic &fused;
};

struct FuseRoPEPass : mlir::bitnet::impl::FuseRoPEBase<FuseRoPEPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<JoinRoPEAndValues>(&getContext(), numFused);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
