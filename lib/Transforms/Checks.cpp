//===- Checks.cpp - Pipeline guard passes ---------------------------------===//

#include "bitnet/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_CHECKBAREPOINTERABI
#define GEN_PASS_DEF_CHECKFULLYLOWERED
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;

namespace {

/// Empty when `type` can cross the bare-pointer ABI, else why not.
std::string barePointerProblem(Type type) {
  if (isa<IntegerType, IndexType, FloatType>(type))
    return "";
  if (auto shaped = dyn_cast<ShapedType>(type)) {
    if (!isa<RankedTensorType, MemRefType>(type))
      return "is not a ranked tensor or memref";
    if (!shaped.hasStaticShape())
      return "has a dynamic shape";
    return "";
  }
  return "is not a tensor, memref, integer or float";
}

struct CheckBarePointerABIPass
    : bitnet::impl::CheckBarePointerABIBase<CheckBarePointerABIPass> {
  void runOnOperation() override {
    bool failed = false;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic())
        continue;
      auto report = [&](StringRef what, unsigned i, Type type) {
        std::string problem = barePointerProblem(type);
        if (problem.empty())
          return;
        func.emitError() << "@" << func.getSymName() << " " << what << " #"
                         << i << " (" << type << ") " << problem
                         << "; the bare-pointer ABI needs static shapes "
                            "(use bare-ptr-abi=false for memref descriptors)";
        failed = true;
      };
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
        report("argument", i, type);
      for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
        report("result", i, type);
    }
    if (failed)
      signalPassFailure();
  }
};

struct CheckFullyLoweredPass
    : bitnet::impl::CheckFullyLoweredBase<CheckFullyLoweredPass> {
  void runOnOperation() override {
    bool failed = false;
    ModuleOp module = getOperation();
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op == module.getOperation() || isa<LLVM::LLVMDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitError() << "'" << op->getName()
                      << "' was not lowered to the LLVM dialect";
      failed = true;
      return WalkResult::interrupt();
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
