//===- SplitLogits.cpp - Cut model entry points where the logits start ----===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_SPLITLOGITS
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// A public function with the model entry point's signature: (tokens,
/// position, K cache, V cache) -> (rank-2 logits, K cache, V cache).
bool isModelEntryPoint(func::FuncOp func) {
  if (!func.isPublic() || func.isExternal())
    return false;
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() != 4 || type.getNumResults() != 3)
    return false;
  auto logits = dyn_cast<RankedTensorType>(type.getResult(0));
  return logits && logits.getRank() == 2 && logits.hasStaticShape();
}

/// The ops from the final hidden states to the logits, last first: the head
/// (float_linear or int8_linear), any quantizer, and the final norm. Every
/// operand outside the chain is a constant. Returns the hidden-state value,
/// or null with `why` set.
Value findHeadChain(Value logits, SmallVectorImpl<Operation *> &chain,
                    std::string &why) {
  Operation *op = logits.getDefiningOp();
  if (!isa_and_nonnull<FloatLinearOp, Int8LinearOp>(op)) {
    why = "its logits are not computed by bitnet.float_linear or "
          "bitnet.int8_linear";
    return Value();
  }
  while (true) {
    chain.push_back(op);
    if (isa<RMSNormOp, RMSNormQuantizeOp>(op))
      return op->getOperand(0);
    if (!isa<FloatLinearOp, Int8LinearOp, QuantizeActivationsOp>(op)) {
      why = "the LM head's input comes from '" +
            op->getName().getStringRef().str() +
            "', not from the final bitnet.rms_norm";
      return Value();
    }
    // Every non-constant operand comes from one op: the next link.
    Operation *next = nullptr;
    for (Value operand : op->getOperands()) {
      if (matchPattern(operand, m_Constant()))
        continue;
      Operation *def = operand.getDefiningOp();
      if (!def || (next && def != next)) {
        why = "the LM head's input is not the final bitnet.rms_norm of one "
              "hidden state";
        return Value();
      }
      next = def;
    }
    if (!next) {
      why = "the logits do not depend on the hidden states";
      return Value();
    }
    op = next;
  }
}

/// Builds `name`: hidden states of `rows` rows -> logits, by cloning `chain`
/// (last first) and the constants it uses. Activation results (leading
/// dimension `fromRows`) get `rows` rows.
func::FuncOp buildHead(OpBuilder &b, Location loc, StringRef name,
                       ArrayRef<Operation *> chain, Value hidden,
                       int64_t fromRows, int64_t rows) {
  auto withRows = [&](Type type) -> Type {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.getRank() < 1 || tensor.getDimSize(0) != fromRows)
      return type;
    SmallVector<int64_t> shape(tensor.getShape());
    shape[0] = rows;
    return tensor.clone(shape);
  };
  Type hiddenType = withRows(hidden.getType());
  Type logitsType = withRows(chain.front()->getResult(0).getType());
  auto func = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType({hiddenType}, {logitsType}));
  OpBuilder::InsertionGuard guard(b);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping map;
  map.map(hidden, entry->getArgument(0));
  for (Operation *op : llvm::reverse(chain)) {
    for (Value operand : op->getOperands())
      if (!map.contains(operand))
        map.map(operand, b.clone(*operand.getDefiningOp())->getResult(0));
    Operation *copy = b.clone(*op, map);
    for (OpResult result : copy->getResults())
      result.setType(withRows(result.getType()));
  }
  func::ReturnOp::create(b, loc, map.lookup(chain.front()->getResult(0)));
  return func;
}

struct SplitLogitsPass : mlir::bitnet::impl::SplitLogitsBase<SplitLogitsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (isModelEntryPoint(func) && !func->hasAttr(BitNetDialect::kLogitsAttrName))
        entries.push_back(func);
    bool oneRowHead = llvm::any_of(module.getOps<func::FuncOp>(), [](func::FuncOp f) {
      return f->hasAttr(BitNetDialect::kLastLogitsAttrName);
    });
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    for (func::FuncOp func : entries) {
      auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
      Value logits = ret.getOperand(0);
      SmallVector<Operation *> chain;
      std::string why;
      Value hidden = findHeadChain(logits, chain, why);
      if (!hidden || hidden.getParentBlock() != ret->getBlock()) {
        func.emitOpError() << "cannot be split where its logits start: "
                           << (why.empty() ? "the hidden states are not in the "
                                             "function's body"
                                           : why);
        return signalPassFailure();
      }
      int64_t rows = cast<RankedTensorType>(logits.getType()).getDimSize(0);
      std::string headName = (func.getSymName() + "_logits").str();
      func::FuncOp head =
          buildHead(b, func.getLoc(), headName, chain, hidden, rows, rows);
      if (rows == 1 && !oneRowHead) {
        head->setAttr(BitNetDialect::kLastLogitsAttrName, b.getUnitAttr());
        oneRowHead = true;
      }
      if (!oneRowHead && func == entries.back()) {
        func::FuncOp last = buildHead(b, func.getLoc(),
                                      (func.getSymName() + "_last_logits").str(),
                                      chain, hidden, rows, 1);
        last->setAttr(BitNetDialect::kLastLogitsAttrName, b.getUnitAttr());
        oneRowHead = true;
      }
      // The body returns the hidden states; the head's ops go if unused.
      ret->setOperand(0, hidden);
      func.setFunctionType(b.getFunctionType(
          func.getArgumentTypes(), ret.getOperandTypes()));
      func->setAttr(BitNetDialect::kLogitsAttrName, FlatSymbolRefAttr::get(head.getSymNameAttr()));
      for (Operation *op : chain) {
        if (!op->use_empty())
          continue;
        SmallVector<Operation *> constants;
        for (Value operand : op->getOperands())
          if (Operation *def = operand.getDefiningOp();
              def && matchPattern(operand, m_Constant()))
            constants.push_back(def);
        op->erase();
        for (Operation *c : constants)
          if (c->use_empty())
            c->erase();
      }
    }
  }
};

} // namespace
