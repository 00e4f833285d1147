//===- Buffers.cpp - Where a kernel glue's buffers come from --------------===//

#include "bitnet/Dialect/BitNet/Buffers.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

Value mlir::bitnet::allocationOf(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

memref::GlobalOp mlir::bitnet::constantGlobalOf(Value buffer) {
  auto get = allocationOf(buffer).getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
  return global && global.getConstant() ? global : memref::GlobalOp();
}
