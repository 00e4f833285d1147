//===- LowerStridedCopies.cpp - Strided memref.copy as linalg -------------===//

#include "bitnet/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIES
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;

namespace {

/// Whether a memref.copy of this type lowers to memcpy: identity layout, or
/// a static shape laid out row-major without gaps (a slice of rows).
bool contiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref &&
         (memref.getLayout().isIdentity() || memref::isStaticShapeAndContiguousRowMajor(memref));
}

/// How many innermost dimensions of `type` are laid out row-major without
/// gaps; 0 for a dynamic shape, whose rows copyRows cannot count.
unsigned contiguousInnerDims(MemRefType type) {
  return type.hasStaticShape() ? static_cast<unsigned>(type.getNumContiguousTrailingDims()) : 0;
}

/// A copy of whole contiguous rows (the `inner` innermost dimensions, a
/// slice of a fused projection's result, say): a loop over the outer
/// dimensions copying one row at a time, each a contiguous memref.copy that
/// becomes memcpy. The element loops of a linalg copy ran one scalar at a
/// time (the glue is not vectorized): at the 2B shape they were 2% of a
/// prompt's time.
void copyRows(memref::CopyOp op, MemRefType source, MemRefType target, unsigned inner,
              PatternRewriter &rewriter) {
  const unsigned rank = target.getRank();
  Location loc = op.getLoc();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> outer;
  for (unsigned d = 0; d + inner < rank; ++d) {
    Value bound = arith::ConstantIndexOp::create(rewriter, loc, target.getDimSize(d));
    auto loop = scf::ForOp::create(rewriter, loc, zero, bound, one);
    rewriter.setInsertionPointToStart(loop.getBody());
    outer.push_back(loop.getInductionVar());
  }
  SmallVector<OpFoldResult> offsets(outer.begin(), outer.end());
  SmallVector<OpFoldResult> sizes(outer.size(), rewriter.getIndexAttr(1));
  SmallVector<int64_t> rowShape;
  for (unsigned d = outer.size(); d < rank; ++d) {
    offsets.push_back(rewriter.getIndexAttr(0));
    sizes.push_back(rewriter.getIndexAttr(target.getDimSize(d)));
    rowShape.push_back(target.getDimSize(d));
  }
  SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
  auto row = [&](Value whole, MemRefType type) -> Value {
    MemRefType rowType =
        memref::SubViewOp::inferRankReducedResultType(rowShape, type, offsets, sizes, strides);
    return memref::SubViewOp::create(rewriter, loc, rowType, whole, offsets, sizes, strides);
  };
  Value from = row(op.getSource(), source);
  Value to = row(op.getTarget(), target);
  memref::CopyOp::create(rewriter, loc, from, to);
  rewriter.eraseOp(op);
}

/// A strided copy: whole rows where both sides have contiguous innermost
/// rows (copyRows), otherwise a linalg copy, which convert-linalg-to-loops
/// turns into element loops.
struct LowerStridedCopy : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op, PatternRewriter &rewriter) const override {
    if (contiguous(op.getSource().getType()) && contiguous(op.getTarget().getType()))
      return rewriter.notifyMatchFailure(op, "contiguous copy (memcpy)");
    auto source = dyn_cast<MemRefType>(op.getSource().getType());
    auto target = dyn_cast<MemRefType>(op.getTarget().getType());
    if (!source || !target)
      return rewriter.notifyMatchFailure(op, "unranked copy");
    const unsigned rank = target.getRank();
    const unsigned inner = std::min(contiguousInnerDims(source), contiguousInnerDims(target));
    if (inner > 0 && inner < rank) {
      copyRows(op, source, target, inner, rewriter);
      return success();
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, op.getSource(), op.getTarget(), ArrayRef<AffineMap>{identity, identity}, iterators,
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });
    return success();
  }
};

struct LowerStridedCopiesPass
    : mlir::bitnet::impl::LowerStridedCopiesBase<LowerStridedCopiesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerStridedCopy>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
