//===- DropArgumentResults.cpp - Drop results that return an argument -----===//

#include "bitnet/Transforms/Passes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/BitVector.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_DROPARGUMENTRESULTS
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;

namespace {
struct DropArgumentResultsPass
    : bitnet::impl::DropArgumentResultsBase<DropArgumentResultsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(func, module);
      if (!uses || !uses->empty())
        continue;
      SmallVector<func::ReturnOp> returns;
      func.walk([&](func::ReturnOp r) { returns.push_back(r); });
      llvm::BitVector drop(func.getNumResults());
      for (unsigned i = 0; i < func.getNumResults(); ++i) {
        if (!isa<BaseMemRefType>(func.getResultTypes()[i]))
          continue;
        drop.set(i);
        for (func::ReturnOp r : returns) {
          auto arg = dyn_cast<BlockArgument>(r.getOperand(i));
          if (!arg || arg.getOwner() != &func.getBody().front())
            drop.reset(i);
        }
      }
      if (drop.none())
        continue;
      for (func::ReturnOp r : returns)
        r->eraseOperands(drop);
      if (failed(func.eraseResults(drop))) {
        func.emitError("cannot drop results that alias arguments");
        return signalPassFailure();
      }
      numDropped += drop.count();
    }
  }
};
} // namespace
