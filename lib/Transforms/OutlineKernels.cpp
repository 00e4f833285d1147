//===- OutlineKernels.cpp - Compute ops -> Halide kernel calls ------------===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Kernels/KernelSpec.h"
#include "bitnet/Target/TargetTable.h"
#include "bitnet/Transforms/KernelOpModels.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <cctype>

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;
namespace kernels = ::bitnet::kernels;

namespace {

class Outliner {
public:
  Outliner(kernels::KernelTarget target, std::string prefix)
      : target(target), prefix(std::move(prefix)) {}

  /// symbol -> spec of every kernel called so far.
  llvm::StringMap<KernelSpecAttr> specs;

  /// Replaces `op` by a kernel call; returns the call's status.
  Value emit(Operation *op, kernels::KernelSpec spec,
             ArrayRef<KernelOperand> operands, ArrayRef<KernelResult> results) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    spec.target = target;
    std::string name = spec.nameAfterHash(prefix);
    SmallVector<Value> args;
    SmallVector<Attribute> types;
    for (const KernelOperand &o : operands) {
      auto tensorType = dyn_cast<RankedTensorType>(o.value.getType());
      types.push_back(TypeAttr::get(halideArgType(b.getContext(), o.halideType)));
      if (!tensorType) {
        args.push_back(o.value);
        continue;
      }
      MemRefType bufferType =
          o.bufferType ? o.bufferType
                       : MemRefType::get(tensorType.getShape(),
                                         tensorType.getElementType());
      args.push_back(bufferization::ToBufferOp::create(
          b, loc, bufferType, o.value, b.getUnitAttr()));
    }
    SmallVector<Value> outputs;
    for (const KernelResult &r : results) {
      Value buffer = memref::AllocOp::create(
          b, loc, MemRefType::get(r.type.getShape(), r.type.getElementType()));
      args.push_back(buffer);
      outputs.push_back(buffer);
      types.push_back(TypeAttr::get(halideArgType(b.getContext(), r.halideType)));
    }
    bool device = target == kernels::KernelTarget::CUDA ||
                  target == kernels::KernelTarget::OpenCL;
    auto call = CallKernelOp::create(b, loc, b.getI32Type(),
                                     FlatSymbolRefAttr::get(b.getContext(), name),
                                     b.getArrayAttr(types),
                                     device ? b.getUnitAttr() : UnitAttr(), args);
    auto specAttr = KernelSpecAttr::get(b.getContext(), spec);
    call->setAttr("bitnet.kernel_spec", specAttr);
    specs[name] = specAttr;
    SmallVector<Value> tensors;
    for (auto [buffer, r] : llvm::zip(outputs, results))
      tensors.push_back(bufferization::ToTensorOp::create(
          b, loc, r.type, buffer, b.getUnitAttr(), b.getUnitAttr()));
    op->replaceAllUsesWith(tensors);
    op->erase();
    return call.getStatus();
  }

private:
  kernels::KernelTarget target;
  std::string prefix;
};

struct OutlineKernelsPass
    : mlir::bitnet::impl::OutlineKernelsBase<OutlineKernelsPass> {
  using OutlineKernelsBase::OutlineKernelsBase;

  // Kernels are selected through KernelOpInterface: its models come with
  // the pass, whoever registered the dialect.
  void getDependentDialects(DialectRegistry &registry) const override {
    OutlineKernelsBase::getDependentDialects(registry);
    registerKernelOpModels(registry);
  }

  void runOnOperation() override {
    const ::bitnet::target::TargetDescription *target =
        ::bitnet::target::lookupTarget(targetName);
    if (!target) {
      getOperation().emitError() << "unknown target '" << targetName << "'";
      return signalPassFailure();
    }
    if (kernelPrefix.empty() ||
        !(std::isalpha((unsigned char)kernelPrefix[0]) || kernelPrefix[0] == '_') ||
        !llvm::all_of(kernelPrefix, [](char c) {
          return std::isalnum((unsigned char)c) || c == '_';
        })) {
      getOperation().emitError()
          << "kernel-prefix '" << kernelPrefix << "' is not a C identifier";
      return signalPassFailure();
    }
    if (std::string why = ::bitnet::target::loadTuning(tuning, table); !why.empty()) {
      getOperation().emitError() << why;
      return signalPassFailure();
    }
    this->target = target;
    Outliner outliner(target->kernels, kernelPrefix);
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> ops;
      func.walk([&](KernelOpInterface op) { ops.push_back(op); });
      SmallVector<Value> statuses;
      for (Operation *op : ops)
        if (Value status = outline(outliner, op))
          statuses.push_back(status);
      if (statuses.empty())
        continue;
      numCalls += statuses.size();
      appendStatusResult(func, statuses);
    }
    // The list of kernels to generate survives lowering as a module attribute.
    if (!outliner.specs.empty()) {
      SmallVector<NamedAttribute> entries;
      Builder b(&getContext());
      for (const auto &entry : outliner.specs)
        entries.emplace_back(b.getStringAttr(entry.getKey()), entry.getValue());
      getOperation()->setAttr("bitnet.kernels", b.getDictionaryAttr(entries));
    }
  }

  ::bitnet::target::TuningTable table;
  const ::bitnet::target::TargetDescription *target = nullptr;

  /// The call of the kernel that computes `op` (KernelOpInterface), with
  /// this pass's schedule parameters; null when it has none.
  Value outline(Outliner &outliner, Operation *op) {
    auto kernelOp = dyn_cast<KernelOpInterface>(op);
    if (!kernelOp)
      return {};
    OpBuilder b(op);
    FailureOr<KernelCall> call = kernelOp.describeKernel(b);
    if (failed(call))
      return {};
    kernels::KernelSpec &spec = call->spec;
    // On a GPU the final norm would otherwise bring the hidden state back to
    // the host and its result over again for every token; on a CPU the
    // glue's loop costs the same as a kernel and its objects stay as they are.
    if (spec.kind == kernels::KernelKind::RMSNorm && !kernels::isGPUTarget(target->kernels))
      return {};
    if (spec.kind == kernels::KernelKind::BitLinear) {
      // Rows per task from the tuning entry that chose this layout's tiles
      // (none when the layout came from elsewhere, e.g. written in the input).
      ::bitnet::target::LayoutRule rule;
      const ::bitnet::target::TuningEntry *entry = nullptr;
      if (::bitnet::target::chooseLayout(*target, spec.weightKind, spec.n, spec.k, &table,
                                         rule, entry)
              .empty() &&
          rule.format == spec.layout.format && rule.tileN == spec.layout.tileN &&
          rule.tileK == spec.layout.tileK)
        spec.rowsPerTask = ::bitnet::target::tunedRowsPerTask(entry, spec.m, rule.tileN);
      if (spec.rowsPerTask == 0)
        spec.rowsPerTask = ::bitnet::target::defaultRowsPerTask(*target, spec.n, spec.m);
    }
    return outliner.emit(op, spec, call->operands, call->results);
  }

  /// Ors the statuses at each return and returns the result as a new last
  /// result of the function.
  void appendStatusResult(func::FuncOp func, ArrayRef<Value> statuses) {
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      Value any = statuses.front();
      for (Value s : statuses.drop_front())
        any = arith::OrIOp::create(b, ret.getLoc(), any, s);
      ret.getOperandsMutable().append(any);
    });
    SmallVector<Type> results(func.getResultTypes());
    results.push_back(IntegerType::get(func.getContext(), 32));
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   results));
  }
};

} // namespace
