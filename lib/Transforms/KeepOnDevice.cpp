//===- KeepOnDevice.cpp - A GPU glue's host code around device buffers ----===//
//
// The glue of a GPU model keeps every allocation its kernels use on the
// device (convert-bitnet-to-llvm). Copies that only pass one kernel's data
// to another go, the other copies between such allocations become copy
// kernels, and any other host access is bracketed by device_to_host and
// host_written.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/Buffers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_KEEPONDEVICE
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;
namespace kernels = ::bitnet::kernels;

namespace {

/// Whether `op` may write `value` (a memref operand of it).
bool mayWrite(Operation *op, Value value) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return llvm::is_contained(linalgOp.getDpsInits(), value);
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return copy.getTarget() == value;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects || op->getNumRegions() != 0)
    return true;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffectsOnValue(value, instances);
  return llvm::any_of(instances, [](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Write>(e.getEffect());
  });
}

/// Whether `op` (or an op nested in it) uses a view of `allocation`.
bool touches(Operation *op, Value allocation) {
  return op
      ->walk([&](Operation *inner) {
        for (Value operand : inner->getOperands())
          if (isa<MemRefType>(operand.getType()) && allocationOf(operand) == allocation)
            return WalkResult::interrupt();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

/// Whether `view` can be the copy kernel's operand: f32 rows (rank 1 or 2,
/// static, not empty) whose innermost stride is 1 and whose row stride is
/// static.
bool isRowsView(Value view) {
  auto type = cast<MemRefType>(view.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.getElementType().isF32() && type.hasStaticShape() &&
         type.getNumElements() != 0 && (type.getRank() == 1 || type.getRank() == 2) &&
         succeeded(type.getStridesAndOffset(strides, offset)) && strides.back() == 1 &&
         !llvm::any_of(strides, ShapedType::isDynamic);
}

/// A rows view (isRowsView) as the copy kernel's 2-D [rows x columns]
/// operand: rank-1 views get a unit row dimension.
Value asRows(OpBuilder &b, Location loc, Value view) {
  auto type = cast<MemRefType>(view.getType());
  if (type.getRank() == 2)
    return view;
  return memref::ExpandShapeOp::create(b, loc, SmallVector<int64_t>{1, type.getDimSize(0)},
                                       view, SmallVector<ReassociationIndices>{{0, 1}});
}

class DeviceFunction {
public:
  DeviceFunction(func::FuncOp func, kernels::KernelTarget target, std::string prefix)
      : func(func), target(target), prefix(std::move(prefix)) {}

  /// Removes the copies that only pass one kernel's data to another,
  /// collects the allocations of device calls, turns the copies between
  /// them into copy kernels, synchronises the remaining host accesses.
  LogicalResult run(llvm::StringMap<KernelSpecAttr> &newKernels, int64_t &copies,
                    int64_t &syncs) {
    if (!func.getBody().hasOneBlock())
      return func.emitError() << "device calls in a function of several blocks";
    if (llvm::count_if(func.getResultTypes(), [](Type t) { return t.isSignlessInteger(32); }) != 1)
      return func.emitError() << "device calls in a function without one i32 status result";
    // Copies that only move a kernel's data to another kernel go: the
    // reader reads the source in place, or the writer writes the target.
    SmallVector<memref::CopyOp> all;
    func.walk([&](memref::CopyOp copy) { all.push_back(copy); });
    for (memref::CopyOp copy : all)
      if (succeeded(readSourceInPlace(copy)) || succeeded(writeTargetInPlace(copy)))
        ++elided;
    func.walk([&](CallKernelOp call) {
      if (call.getDevice())
        addAllocations(call);
    });
    // A copy made a kernel call puts its other side on the device too, which
    // may make another copy one; repeat until none changes.
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<memref::CopyOp> candidates;
      func.walk([&](memref::CopyOp copy) { candidates.push_back(copy); });
      for (memref::CopyOp copy : candidates)
        if (onDevice.contains(allocationOf(copy.getSource())) ||
            onDevice.contains(allocationOf(copy.getTarget())))
          if (CallKernelOp call = copyKernel(copy, newKernels)) {
            addAllocations(call);
            ++copies;
            changed = true;
          }
    }
    for (Operation &op : llvm::make_early_inc_range(func.getBody().front()))
      syncs += synchronise(&op);
    return orIntoStatusResult(func, statuses);
  }

  int64_t elided = 0;

private:
  /// `copy %source, %temporary` into a fresh allocation that only device
  /// kernels read afterwards (a split of a fused projection's result): they
  /// read the source view instead, provided nothing writes the source's
  /// allocation before their last read.
  LogicalResult readSourceInPlace(memref::CopyOp copy) {
    Value temporary = copy.getTarget();
    auto alloc = temporary.getDefiningOp<memref::AllocOp>();
    Value source = elidableEnd(alloc, copy.getSource());
    if (!source)
      return failure();
    Block *block = copy->getBlock();
    Operation *lastRead = copy;
    memref::DeallocOp dealloc;
    SmallVector<OpOperand *> reads;
    for (OpOperand &use : temporary.getUses()) {
      Operation *user = use.getOwner();
      if (user == copy)
        continue;
      if (user->getBlock() != block || user->isBeforeInBlock(copy))
        return failure();
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        dealloc = d;
        continue;
      }
      auto call = dyn_cast<CallKernelOp>(user);
      if (!call || !call.getDevice() || call.writesArg(use.getOperandNumber()))
        return failure();
      reads.push_back(&use);
      if (lastRead->isBeforeInBlock(user))
        lastRead = user;
    }
    if (reads.empty() || (dealloc && dealloc->isBeforeInBlock(lastRead)))
      return failure();
    // In between, the source's allocation may only be read (by kernels or
    // by other copies out of it).
    for (Operation *op = copy->getNextNode(); op != lastRead; op = op->getNextNode()) {
      if (isa<ViewLikeOpInterface>(op) || !touches(op, source))
        continue;
      if (op->getNumRegions() != 0 || isa<memref::DeallocOp>(op))
        return failure();
      auto call = dyn_cast<CallKernelOp>(op);
      for (OpOperand &operand : op->getOpOperands())
        if (isa<MemRefType>(operand.get().getType()) &&
            allocationOf(operand.get()) == source &&
            (call ? call.writesArg(operand.getOperandNumber())
                  : mayWrite(op, operand.get())))
          return failure();
    }
    for (OpOperand *use : reads)
      use->set(copy.getSource());
    if (dealloc)
      dealloc.erase();
    copy.erase();
    alloc.erase();
    return success();
  }

  /// `copy %temporary, %target` out of a fresh allocation that one device
  /// kernel wrote and nothing else reads (a token's keys, roped, on their
  /// way to the KV cache): that kernel writes the target view instead,
  /// provided nothing touches the target's allocation in between.
  LogicalResult writeTargetInPlace(memref::CopyOp copy) {
    Value temporary = copy.getSource();
    auto alloc = temporary.getDefiningOp<memref::AllocOp>();
    Value target = elidableEnd(alloc, copy.getTarget());
    if (!target)
      return failure();
    Block *block = copy->getBlock();
    CallKernelOp writer;
    unsigned writerOperand = 0;
    memref::DeallocOp dealloc;
    for (OpOperand &use : temporary.getUses()) {
      Operation *user = use.getOwner();
      if (user == copy)
        continue;
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        dealloc = d;
        continue;
      }
      auto call = dyn_cast<CallKernelOp>(user);
      if (!call || !call.getDevice() || writer || call->getBlock() != block ||
          !call->isBeforeInBlock(copy) || !call.writesArg(use.getOperandNumber()))
        return failure();
      writer = call;
      writerOperand = use.getOperandNumber();
    }
    if (!writer || (dealloc && dealloc->isBeforeInBlock(copy)) || touches(writer, target))
      return failure();
    for (Operation *op = writer->getNextNode(); op != copy; op = op->getNextNode())
      if (!isa<ViewLikeOpInterface>(op) && touches(op, target))
        return failure();
    // The writer's shape: the view's, or [1, n] for a rank-1 row.
    auto wanted = cast<MemRefType>(temporary.getType());
    auto viewType = cast<MemRefType>(copy.getTarget().getType());
    bool row = viewType.getShape() != wanted.getShape();
    if (row && (viewType.getRank() != 1 || wanted.getRank() != 2 || wanted.getDimSize(0) != 1))
      return failure();
    // The target view must exist before the writer: its (pure) definition
    // moves up.
    IRRewriter rewriter(copy.getContext());
    Value view = copy.getTarget();
    if (failed(moveValueDefinitions(rewriter, view, writer)))
      return failure();
    rewriter.setInsertionPoint(writer);
    if (row)
      view = asRows(rewriter, copy.getLoc(), view);
    writer->setOperand(writerOperand, view);
    if (dealloc)
      dealloc.erase();
    copy.erase();
    alloc.erase();
    return success();
  }

  /// The allocation of `view`, a copy's other end, when the copy between it
  /// and a fresh allocation (`alloc`, null if the temporary is not one) may
  /// be elided: not a constant, and `view` has static strides. Else null.
  static Value elidableEnd(memref::AllocOp alloc, Value view) {
    Value allocation = allocationOf(view);
    if (!alloc || constantGlobalOf(allocation) || !hasStaticStrides(view))
      return Value();
    return allocation;
  }

  static bool hasStaticStrides(Value view) {
    SmallVector<int64_t> strides;
    int64_t offset;
    return succeeded(cast<MemRefType>(view.getType()).getStridesAndOffset(strides, offset)) &&
           !llvm::any_of(strides, ShapedType::isDynamic);
  }

  void addAllocations(CallKernelOp call) {
    for (Value arg : call.getArgs())
      if (isa<MemRefType>(arg.getType()))
        if (Value allocation = allocationOf(arg); !constantGlobalOf(allocation))
          onDevice.insert(allocation);
  }

  CallKernelOp copyKernel(memref::CopyOp copy, llvm::StringMap<KernelSpecAttr> &newKernels) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    if (constantGlobalOf(copy.getSource()) || constantGlobalOf(copy.getTarget()))
      return {};
    if (!isRowsView(copy.getSource()) || !isRowsView(copy.getTarget()))
      return {};
    Value source = asRows(b, loc, copy.getSource());
    Value target = asRows(b, loc, copy.getTarget());
    auto shape = cast<MemRefType>(target.getType()).getShape();
    kernels::KernelSpec spec;
    spec.kind = kernels::KernelKind::Copy;
    spec.target = this->target;
    spec.m = shape[0];
    spec.n = shape[1];
    std::string name = spec.nameAfterHash(prefix);
    auto specAttr = KernelSpecAttr::get(b.getContext(), spec);
    Type f32 = b.getF32Type();
    auto call = CallKernelOp::create(
        b, loc, b.getI32Type(), FlatSymbolRefAttr::get(b.getContext(), name),
        b.getArrayAttr({TypeAttr::get(f32), TypeAttr::get(f32)}), b.getUnitAttr(),
        ValueRange{source, target});
    call->setAttr("bitnet.kernel_spec", specAttr);
    newKernels[name] = specAttr;
    statuses.push_back(call.getStatus());
    copy.erase();
    return call;
  }

  /// Brackets a host op that touches device-kept allocations; returns how
  /// many it touches.
  int64_t synchronise(Operation *op) {
    if (isa<CallKernelOp>(op) ? cast<CallKernelOp>(op).getDevice()
                              : isa<ViewLikeOpInterface, memref::AllocOp, memref::DeallocOp,
                                    func::ReturnOp, DeviceToHostOp, HostWrittenOp>(op))
      return 0;
    // Operands of the op and of the ops nested in it, defined outside it.
    SetVector<Value> used;
    op->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        if (isa<MemRefType>(operand.getType()) &&
            (inner == op || !op->isAncestor(operand.getParentRegion()->getParentOp())))
          used.insert(operand);
    });
    SetVector<Value> read, written;
    for (Value value : used) {
      Value allocation = allocationOf(value);
      if (!onDevice.contains(allocation))
        continue;
      read.insert(allocation);
      if (mayWrite(op, value))
        written.insert(allocation);
    }
    OpBuilder b(op);
    for (Value allocation : read)
      statuses.push_back(DeviceToHostOp::create(b, op->getLoc(), allocation).getStatus());
    b.setInsertionPointAfter(op);
    for (Value allocation : written)
      HostWrittenOp::create(b, op->getLoc(), allocation);
    return read.size();
  }

  func::FuncOp func;
  kernels::KernelTarget target;
  std::string prefix;
  /// Allocations (and arguments) that device kernels use.
  llvm::SetVector<Value> onDevice;
  SmallVector<Value> statuses;
};

struct KeepOnDevicePass : mlir::bitnet::impl::KeepOnDeviceBase<KeepOnDevicePass> {
  using KeepOnDeviceBase::KeepOnDeviceBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<KernelSpecAttr> newKernels;
    int64_t copies = 0, syncs = 0, elided = 0;
    for (auto func : module.getOps<func::FuncOp>()) {
      std::optional<kernels::KernelTarget> target;
      func.walk([&](CallKernelOp call) {
        if (auto spec = call->getAttrOfType<KernelSpecAttr>("bitnet.kernel_spec");
            spec && call.getDevice() && !target)
          target = spec.getSpec().target;
      });
      if (!target)
        continue;
      DeviceFunction device(func, *target, kernelPrefix);
      if (failed(device.run(newKernels, copies, syncs)))
        return signalPassFailure();
      elided += device.elided;
    }
    numCopies += copies;
    numElided += elided;
    numSyncs += syncs;
    if (newKernels.empty())
      return;
    NamedAttrList kernelsList;
    if (auto existing = module->getAttrOfType<DictionaryAttr>("bitnet.kernels"))
      kernelsList.append(existing.getValue());
    for (const auto &entry : newKernels)
      kernelsList.set(entry.getKey(), entry.getValue());
    module->setAttr("bitnet.kernels", kernelsList.getDictionary(&getContext()));
  }
};

} // namespace
