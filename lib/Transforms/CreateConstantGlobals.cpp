//===- CreateConstantGlobals.cpp - Tensor constants' globals in order -----===//

#include "bitnet/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/BufferUtils.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_CREATECONSTANTGLOBALS
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;

namespace {

struct CreateConstantGlobalsPass
    : mlir::bitnet::impl::CreateConstantGlobalsBase<CreateConstantGlobalsPass> {
  using CreateConstantGlobalsBase::CreateConstantGlobalsBase;

  void runOnOperation() override {
    SymbolTableCollection symbolTables;
    SmallVector<arith::ConstantOp> constants;
    getOperation().walk([&](arith::ConstantOp op) {
      if (isa<RankedTensorType>(op.getType()))
        constants.push_back(op);
    });
    for (arith::ConstantOp op : constants)
      if (failed(bufferization::getGlobalFor(op, symbolTables, alignment))) {
        op.emitOpError() << "cannot be given a memref.global";
        return signalPassFailure();
      }
  }
};

} // namespace
