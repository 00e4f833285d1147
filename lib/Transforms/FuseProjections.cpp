//===- FuseProjections.cpp - q/k/v and gate/up into one BitLinear ---------===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"

#include "mlir/IR/Matchers.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_FUSEPROJECTIONS
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// The candidate's constant logical weights, or null when it cannot join.
ElementsAttr constantWeights(BitLinearOp op) {
  auto type = cast<RankedTensorType>(op.getWeights().getType());
  if (type.getEncoding() || !type.hasStaticShape())
    return {};
  ElementsAttr attr;
  if (!matchPattern(op.getWeights(), m_Constant(&attr)))
    return {};
  return attr;
}

/// The stacked weights of `members`: their values when every member's are
/// in the IR, else a #bitnet.weights concatenation produced with the output.
ElementsAttr stackWeights(ArrayRef<ElementsAttr> members, RankedTensorType type) {
  if (llvm::any_of(members, [](ElementsAttr a) { return isa<ExternalWeightsAttr>(a); }))
    return ExternalWeightsAttr::get(type, WeightsTransform::Concat, members);
  std::vector<int8_t> stacked;
  for (ElementsAttr member : members) {
    std::optional<std::vector<int8_t>> values = readLogicalWeights(member);
    if (!values)
      return {};
    stacked.insert(stacked.end(), values->begin(), values->end());
  }
  return makeLogicalWeightsAttr(type, stacked);
}

struct FuseProjectionsPass
    : mlir::bitnet::impl::FuseProjectionsBase<FuseProjectionsPass> {
  void runOnOperation() override {
    getOperation().walk([&](Block *block) {
      // Group by (activations, scales, kind, width), in block order.
      llvm::MapVector<std::tuple<Value, Value, unsigned, int64_t>,
                      SmallVector<BitLinearOp>>
          groups;
      for (auto op : block->getOps<BitLinearOp>()) {
        auto type = cast<RankedTensorType>(op.getWeights().getType());
        if (type.getEncoding() || !type.hasStaticShape() ||
            !cast<RankedTensorType>(op.getResult().getType()).hasStaticShape())
          continue;
        groups[{op.getInput(), op.getInputScales(),
                static_cast<unsigned>(op.getKind()), type.getDimSize(1)}]
            .push_back(op);
      }
      for (auto &[key, ops] : groups)
        if (ops.size() >= 2)
          fuse(ops);
    });
  }

  void fuse(SmallVector<BitLinearOp> ops) {
    BitLinearOp last = ops.back();
    // Every result must be used only after the last member (where the fused
    // op goes).
    for (BitLinearOp op : ArrayRef<BitLinearOp>(ops).drop_back())
      for (Operation *user : op->getUsers())
        if (user->getBlock() == last->getBlock() && user->isBeforeInBlock(last))
          return;
    SmallVector<ElementsAttr> members;
    SmallVector<int64_t> segments;
    SmallVector<Value> scales;
    for (BitLinearOp op : ops) {
      ElementsAttr values = constantWeights(op);
      if (!values)
        return;
      members.push_back(values);
      segments.push_back(
          cast<RankedTensorType>(op.getWeights().getType()).getDimSize(0));
      scales.push_back(op.getWeightScale());
    }
    OpBuilder b(last);
    b.setInsertionPointAfter(last);
    Location loc = last.getLoc();
    int64_t rows = 0;
    for (int64_t s : segments)
      rows += s;
    int64_t width = cast<RankedTensorType>(last.getWeights().getType()).getDimSize(1);
    auto weightsType = RankedTensorType::get({rows, width}, b.getIntegerType(2));
    ElementsAttr stacked = stackWeights(members, weightsType);
    if (!stacked)
      return;
    Value weights = ConstantOp::create(b, loc, stacked);
    Value gammas = tensor::FromElementsOp::create(
        b, loc, RankedTensorType::get({(int64_t)scales.size()}, b.getF32Type()),
        scales);
    int64_t tokens = cast<RankedTensorType>(last.getResult().getType()).getDimSize(0);
    auto resultType = RankedTensorType::get({tokens, rows}, b.getF32Type());
    Value fused = BitLinearFusedOp::create(b, loc, resultType, last.getKind(),
                                           last.getInput(), last.getInputScales(),
                                           weights, gammas,
                                           b.getDenseI64ArrayAttr(segments));
    int64_t offset = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      BitLinearOp op = ops[i];
      int64_t size = segments[i];
      Value slice = tensor::ExtractSliceOp::create(
          b, loc, cast<RankedTensorType>(op.getResult().getType()), fused,
          ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(tokens), b.getIndexAttr(size)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
      op.getResult().replaceAllUsesWith(slice);
      offset += size;
    }
    for (BitLinearOp op : ops)
      op->erase();
    ++numFused;
  }
};

} // namespace
