//===- BitNetToLLVM.cpp - Calls of Halide kernels from LLVM glue ----------===//
//
// The layout of halide_buffer_t and halide_dimension_t follows Halide 14's
// HalideRuntime.h (the ABI every Halide AOT function takes).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/Buffers.h"

#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

#include <tuple>

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_CONVERTBITNETTOLLVM
#include "bitnet/Conversion/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// halide_type_code_t of Halide's runtime.
struct HalideType {
  uint8_t code; // 0 int, 1 uint, 2 float
  uint8_t bits;
};

/// halide_type_t's code (0 int, 1 uint, 2 float) and bits of an arg type.
HalideType halideTypeOf(Type type) {
  if (type.isF32())
    return {2, 32};
  return {static_cast<uint8_t>(type.isUnsignedInteger() ? 1 : 0),
          static_cast<uint8_t>(type.getIntOrFloatBitWidth())};
}

/// Declares the external function `name` on first use.
LLVM::LLVMFuncOp runtimeFunction(OpBuilder &builder, ModuleOp module, Location loc,
                                 StringRef name, LLVM::LLVMFunctionType type) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(builder, loc, name, type);
}

/// Calls lib/Runtime/ModelAPI.c's `name` (device copies of the glue's
/// allocations) with pointer and integer arguments.
Value callRuntime(OpBuilder &builder, Location loc, StringRef name, Type result,
                  ValueRange args) {
  auto module = builder.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  SmallVector<Type> types;
  for (Value arg : args)
    types.push_back(arg.getType());
  auto fn = runtimeFunction(builder, module, loc, name,
                            LLVM::LLVMFunctionType::get(result, types));
  auto call = LLVM::CallOp::create(builder, loc, fn, args);
  return isa<LLVM::LLVMVoidType>(result) ? Value() : call.getResult();
}

/// The globals that keep a GPU kernel's constant view on the device: its
/// halide_buffer_t (created host-dirty, so that Halide copies the data at
/// the first call and keeps the device allocation) and its dimensions. One
/// pair per constant, offset and shape, made on first use.
std::pair<LLVM::GlobalOp, LLVM::GlobalOp>
residentGlobals(OpBuilder &builder, ModuleOp module, Location loc, memref::GlobalOp weight,
                int64_t offset, ArrayRef<int64_t> shape, Type bufferTy, Type dimTy) {
  std::string key =
      llvm::formatv("__bitnet_device_{0}_o{1}", weight.getSymName(), offset).str();
  for (int64_t extent : shape)
    key += "_" + std::to_string(extent);
  if (auto existing = module.lookupSymbol<LLVM::GlobalOp>(key))
    return {existing, module.lookupSymbol<LLVM::GlobalOp>(key + "_dims")};
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(module.getBody());
  auto dimsTy = LLVM::LLVMArrayType::get(dimTy, std::max<int64_t>(shape.size(), 1));
  auto dims = LLVM::GlobalOp::create(builder, loc, dimsTy, /*isConstant=*/false,
                                     LLVM::Linkage::Internal, key + "_dims", Attribute());
  builder.setInsertionPointToStart(builder.createBlock(&dims.getInitializerRegion()));
  LLVM::ReturnOp::create(builder, loc, LLVM::ZeroOp::create(builder, loc, dimsTy).getResult());
  builder.setInsertionPointToStart(module.getBody());
  auto buffer = LLVM::GlobalOp::create(builder, loc, bufferTy, /*isConstant=*/false,
                                       LLVM::Linkage::Internal, key, Attribute(),
                                       /*alignment=*/8);
  builder.setInsertionPointToStart(builder.createBlock(&buffer.getInitializerRegion()));
  // flags (field 3) = halide_buffer_flag_host_dirty.
  Value zero = LLVM::ZeroOp::create(builder, loc, bufferTy);
  Value one = LLVM::ConstantOp::create(builder, loc, builder.getI64Type(),
                                       builder.getI64IntegerAttr(1));
  LLVM::ReturnOp::create(builder, loc,
                         LLVM::InsertValueOp::create(builder, loc, zero, one,
                                                     ArrayRef<int64_t>{3})
                             .getResult());
  return {buffer, dims};
}

/// The halide_buffer_t and halide_dimension_t types of Halide 14.
struct HalideTypes {
  explicit HalideTypes(MLIRContext *ctx) {
    Type ptrTy = LLVM::LLVMPointerType::get(ctx);
    Type i8 = IntegerType::get(ctx, 8), i16 = IntegerType::get(ctx, 16),
         i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
    type = LLVM::LLVMStructType::getLiteral(ctx, {i8, i8, i16});
    buffer = LLVM::LLVMStructType::getLiteral(
        ctx, {i64, ptrTy, ptrTy, i64, type, i32, ptrTy, ptrTy});
    dim = LLVM::LLVMStructType::getLiteral(ctx, {i32, i32, i32, i32});
  }
  LLVM::LLVMStructType type, buffer, dim;
};

/// Whether the caller's data in argument `arg` is never read: it is only
/// ever a whole output of device kernels (an out-parameter: hidden states,
/// logits), so its device copy need not start from it. (A kernel writes all
/// of its output buffer.)
bool isKernelOutputOnly(Value arg) {
  return !arg.use_empty() && llvm::all_of(arg.getUses(), [&](OpOperand &use) {
    auto call = dyn_cast<CallKernelOp>(use.getOwner());
    return call && call.getDevice() && call.writesArg(use.getOperandNumber()) &&
           llvm::count(call.getArgs(), arg) == 1;
  });
}

/// bitnet_rt2_device_root's `origin` (ModelAPI.c).
enum class Origin : int32_t { Allocation = 0, Argument = 1, Result = 2 };

/// allocation -> the halide_buffer_t (a pointer) that holds its device copy.
using DeviceAllocations = DenseMap<Value, Value>;

/// Gives every allocation a GPU kernel of `func` uses (argument or
/// memref.alloc; constants have their globals) one device copy for the whole
/// call: a halide_buffer_t from bitnet_rt2_device_root right after the
/// allocation, released before its dealloc, and, for arguments, brought
/// back to the caller's memory before the return (the state's KV caches
/// stay on the device). An argument starts from the caller's data unless
/// kernels only ever write all of it (an out-parameter).
LogicalResult keepAllocationsOnDevice(func::FuncOp func, DeviceAllocations &buffers) {
  SetVector<Value> allocations;
  auto add = [&](Value buffer) {
    if (!constantGlobalOf(buffer))
      allocations.insert(allocationOf(buffer));
  };
  func.walk([&](Operation *op) {
    if (auto call = dyn_cast<CallKernelOp>(op); call && call.getDevice()) {
      for (Value arg : call.getArgs())
        if (isa<MemRefType>(arg.getType()))
          add(arg);
    } else if (auto toHost = dyn_cast<DeviceToHostOp>(op)) {
      add(toHost.getBuffer());
    } else if (auto written = dyn_cast<HostWrittenOp>(op)) {
      add(written.getBuffer());
    }
  });
  if (allocations.empty())
    return success();
  MLIRContext *ctx = func.getContext();
  HalideTypes halide(ctx);
  Location loc = func.getLoc();
  Type ptrTy = LLVM::LLVMPointerType::get(ctx), i32 = IntegerType::get(ctx, 32),
       i64 = IntegerType::get(ctx, 64);
  Block &entry = func.getBody().front();
  // The stack slots, and the arguments' device copies, open the function.
  OpBuilder entryBuilder = OpBuilder::atBlockBegin(&entry);
  Value one = LLVM::ConstantOp::create(entryBuilder, loc, i64, entryBuilder.getI64IntegerAttr(1));
  SmallVector<Value> arguments, statuses;
  for (Value allocation : allocations) {
    auto type = dyn_cast<MemRefType>(allocation.getType());
    auto arg = dyn_cast<BlockArgument>(allocation);
    bool isArgument = arg && arg.getOwner() == &entry;
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !(isArgument || allocation.getDefiningOp<memref::AllocOp>()))
      return func.emitError() << "a GPU kernel's buffer is not a static, contiguous "
                                 "argument or memref.alloc: "
                              << allocation;
    Location at = allocation.getLoc();
    Origin origin = !isArgument              ? Origin::Allocation
                    : isKernelOutputOnly(arg) ? Origin::Result
                                             : Origin::Argument;
    Value local = LLVM::AllocaOp::create(entryBuilder, at, ptrTy, halide.buffer, one, 8);
    Value dim = LLVM::AllocaOp::create(entryBuilder, at, ptrTy, halide.dim, one, 8);
    OpBuilder b = entryBuilder;
    if (!isArgument)
      b.setInsertionPointAfterValue(allocation);
    Value address = memref::ExtractAlignedPointerAsIndexOp::create(b, at, allocation);
    Value host = LLVM::IntToPtrOp::create(
        b, at, ptrTy, arith::IndexCastOp::create(b, at, i64, address).getResult());
    int64_t bytes = type.getNumElements() * (type.getElementTypeBitWidth() / 8);
    Value buffer = callRuntime(
        b, at, "bitnet_rt2_device_root", ptrTy,
        {local, dim, host, LLVM::ConstantOp::create(b, at, i64, b.getI64IntegerAttr(bytes)),
         LLVM::ConstantOp::create(b, at, i32, b.getI32IntegerAttr(int32_t(origin)))});
    buffers[allocation] = buffer;
    if (isArgument)
      arguments.push_back(buffer);
  }
  func.walk([&](memref::DeallocOp dealloc) {
    auto it = buffers.find(allocationOf(dealloc.getMemref()));
    if (it == buffers.end())
      return;
    OpBuilder before(dealloc);
    statuses.push_back(callRuntime(before, dealloc.getLoc(), "bitnet_rt2_device_release",
                                   i32, {it->second}));
  });
  SmallVector<func::ReturnOp> returns;
  func.walk([&](func::ReturnOp op) { returns.push_back(op); });
  if (returns.size() != 1)
    return func.emitError() << "GPU kernels in a function without exactly one return";
  OpBuilder before(returns.front());
  for (Value buffer : arguments)
    statuses.push_back(
        callRuntime(before, loc, "bitnet_rt2_device_leave", i32, {buffer}));
  return orIntoStatusResult(func, statuses);
}

/// A lowering that may need the device copies of the glue's allocations.
template <typename Op> struct DevicePattern : ConvertOpToLLVMPattern<Op> {
  DevicePattern(const LLVMTypeConverter &converter, const DeviceAllocations &buffers)
      : ConvertOpToLLVMPattern<Op>(converter), buffers(buffers) {}

  /// The halide_buffer_t of `buffer`'s allocation; null for a buffer without
  /// a device copy (a constant's, or one outside a func.func).
  Value deviceCopyOf(Value buffer) const {
    auto it = buffers.find(allocationOf(buffer));
    return it == buffers.end() ? Value() : it->second;
  }

  const DeviceAllocations &buffers;
};

struct CallKernelLowering : DevicePattern<CallKernelOp> {
  using DevicePattern::DevicePattern;

  LogicalResult
  matchAndRewrite(CallKernelOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type ptrTy = LLVM::LLVMPointerType::get(ctx);
    Type i8 = rewriter.getI8Type(), i16 = rewriter.getI16Type(),
         i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    HalideTypes halide(ctx);
    Type bufferTy = halide.buffer, dimTy = halide.dim, typeTy = halide.type;
    auto constant = [&](Type type, int64_t value) -> Value {
      return LLVM::ConstantOp::create(rewriter, loc, type,
                                      rewriter.getIntegerAttr(type, value));
    };
    Value null = LLVM::ZeroOp::create(rewriter, loc, ptrTy);
    auto insert = [&](Value aggregate, Value value, int64_t position) -> Value {
      return LLVM::InsertValueOp::create(rewriter, loc, aggregate, value,
                                         ArrayRef<int64_t>{position});
    };
    auto module = op->getParentOfType<ModuleOp>();

    // A device call's views share the device copy of their allocation.
    Value deviceAPI;
    if (op.getDevice()) {
      // Checked before the conversion (gpuSpecOf).
      auto spec = op->getAttrOfType<KernelSpecAttr>("bitnet.kernel_spec");
      const char *api = spec.getSpec().target == ::bitnet::kernels::KernelTarget::CUDA
                            ? "halide_cuda_device_interface"
                            : "halide_opencl_device_interface";
      deviceAPI = callRuntime(rewriter, loc, api, ptrTy, {});
    }
    SmallVector<Value> callArgs;
    SmallVector<Type> callTypes;
    SmallVector<std::pair<Value, Value>> views; // (allocation's buffer, view)
    SmallVector<Value> statuses;
    for (auto [original, converted, typeAttr] :
         llvm::zip(op.getArgs(), adaptor.getArgs(), op.getArgTypes())) {
      auto memref = dyn_cast<MemRefType>(original.getType());
      if (!memref) {
        callArgs.push_back(converted);
        callTypes.push_back(converted.getType());
        continue;
      }
      MemRefDescriptor descriptor(converted);
      SmallVector<int64_t> strides;
      int64_t offset = 0;
      (void)memref.getStridesAndOffset(strides, offset); // static strides (verified)
      Value host = descriptor.alignedPtr(rewriter, loc);
      Type elementTy = getTypeConverter()->convertType(memref.getElementType());
      if (ShapedType::isDynamic(offset))
        host = LLVM::GEPOp::create(rewriter, loc, ptrTy, elementTy, host,
                                   ValueRange{descriptor.offset(rewriter, loc)});
      else if (offset != 0)
        host = LLVM::GEPOp::create(rewriter, loc, ptrTy, elementTy, host,
                                   ArrayRef<LLVM::GEPArg>{offset});
      int64_t rank = memref.getRank();
      // A GPU kernel's constant (weights, norms, the embedding) stays on the
      // device: its halide_buffer_t is a global, created with host_dirty
      // set, that keeps the device allocation between calls (Halide copies
      // the data at the first call only). Each call stores the fields that
      // describe the host side (the same values every time) and leaves
      // device, device_interface and flags to Halide.
      memref::GlobalOp weight = op.getDevice() ? constantGlobalOf(original) : memref::GlobalOp();
      LLVM::GlobalOp residentBuffer, residentDims;
      if (weight)
        std::tie(residentBuffer, residentDims) = residentGlobals(
            rewriter, module, loc, weight, offset, memref.getShape(), bufferTy, dimTy);
      Value dims = residentDims
                       ? LLVM::AddressOfOp::create(rewriter, loc, residentDims).getResult()
                       : LLVM::AllocaOp::create(rewriter, loc, ptrTy, dimTy,
                                                constant(i64, std::max<int64_t>(rank, 1)),
                                                /*alignment=*/16)
                             .getResult();
      // Halide dimension h is memref dimension rank - 1 - h.
      for (int64_t h = 0; h < rank; ++h) {
        int64_t extent = memref.getDimSize(rank - 1 - h);
        int64_t stride = strides[rank - 1 - h];
        Value dim = LLVM::UndefOp::create(rewriter, loc, dimTy);
        int64_t fields[] = {0, extent, stride, 0};
        for (int f = 0; f < 4; ++f)
          dim = insert(dim, constant(i32, fields[f]), f);
        Value slot = LLVM::GEPOp::create(rewriter, loc, ptrTy, dimTy, dims,
                                         ArrayRef<LLVM::GEPArg>{h});
        LLVM::StoreOp::create(rewriter, loc, dim, slot);
      }
      HalideType ht = halideTypeOf(cast<TypeAttr>(typeAttr).getValue());
      Value type = LLVM::UndefOp::create(rewriter, loc, typeTy);
      type = insert(type, constant(i8, ht.code), 0);
      type = insert(type, constant(i8, ht.bits), 1);
      type = insert(type, constant(i16, 1), 2);
      if (residentBuffer) {
        Value bufferPtr = LLVM::AddressOfOp::create(rewriter, loc, residentBuffer);
        auto field = [&](int32_t index) {
          return LLVM::GEPOp::create(rewriter, loc, ptrTy, bufferTy, bufferPtr,
                                     ArrayRef<LLVM::GEPArg>{0, index});
        };
        LLVM::StoreOp::create(rewriter, loc, host, field(2));
        LLVM::StoreOp::create(rewriter, loc, type, field(4));
        LLVM::StoreOp::create(rewriter, loc, constant(i32, rank), field(5));
        LLVM::StoreOp::create(rewriter, loc, dims, field(6));
        callArgs.push_back(bufferPtr);
        callTypes.push_back(ptrTy);
        continue;
      }
      // Flags 0: a device view starts clean (its allocation's copy is made
      // current below); a host buffer has no device side.
      Value buffer = LLVM::UndefOp::create(rewriter, loc, bufferTy);
      Value fields[] = {constant(i64, 0), null, host, constant(i64, 0), type,
                        constant(i32, rank), dims, null};
      for (int f = 0; f < 8; ++f)
        buffer = insert(buffer, fields[f], f);
      Value bufferPtr = LLVM::AllocaOp::create(rewriter, loc, ptrTy, bufferTy,
                                               constant(i64, 1), /*alignment=*/8);
      LLVM::StoreOp::create(rewriter, loc, buffer, bufferPtr);
      if (op.getDevice()) {
        Value allocationBuffer = deviceCopyOf(original);
        if (!allocationBuffer)
          return op.emitOpError() << "device call outside a func.func of the module";
        statuses.push_back(callRuntime(rewriter, loc, "bitnet_rt2_device_view", i32,
                                       {allocationBuffer, bufferPtr, deviceAPI}));
        views.emplace_back(allocationBuffer, bufferPtr);
      }
      callArgs.push_back(bufferPtr);
      callTypes.push_back(ptrTy);
    }

    // Declare the kernel on first use; a second use must agree.
    StringRef name = op.getKernel();
    auto fnType = LLVM::LLVMFunctionType::get(i32, callTypes);
    auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!fn) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      fn = LLVM::LLVMFuncOp::create(rewriter, loc, name, fnType);
    } else if (fn.getFunctionType() != fnType) {
      return op.emitOpError() << "kernel @" << name
                              << " is called with different argument types";
    }
    Value status = LLVM::CallOp::create(rewriter, loc, fn, callArgs).getResult();
    // The views give their device memory back; what the kernel wrote is now
    // the allocation's current data.
    for (auto [allocationBuffer, view] : views)
      statuses.push_back(callRuntime(rewriter, loc, "bitnet_rt2_device_view_done", i32,
                                     {allocationBuffer, view}));
    for (Value s : statuses)
      status = LLVM::OrOp::create(rewriter, loc, status, s);
    rewriter.replaceOp(op, status);
    return success();
  }
};

/// bitnet.device_to_host: the allocation's device data back to the host
/// when newer (a constant's is the host's already: status 0).
struct DeviceToHostLowering : DevicePattern<DeviceToHostOp> {
  using DevicePattern::DevicePattern;

  LogicalResult
  matchAndRewrite(DeviceToHostOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value allocationBuffer = deviceCopyOf(op.getBuffer());
    Type i32 = rewriter.getI32Type();
    rewriter.replaceOp(
        op, allocationBuffer
                ? callRuntime(rewriter, op.getLoc(), "bitnet_rt2_device_to_host", i32,
                              {allocationBuffer})
                : LLVM::ConstantOp::create(rewriter, op.getLoc(), i32,
                                           rewriter.getI32IntegerAttr(0))
                      .getResult());
    return success();
  }
};

/// bitnet.host_written: the allocation's device copy is stale (a constant
/// has none).
struct HostWrittenLowering : DevicePattern<HostWrittenOp> {
  using DevicePattern::DevicePattern;

  LogicalResult
  matchAndRewrite(HostWrittenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (Value allocationBuffer = deviceCopyOf(op.getBuffer()))
      callRuntime(rewriter, op.getLoc(), "bitnet_rt2_host_written",
                  LLVM::LLVMVoidType::get(op.getContext()), {allocationBuffer});
    rewriter.eraseOp(op);
    return success();
  }
};

struct ConvertBitNetToLLVMPass
    : mlir::bitnet::impl::ConvertBitNetToLLVMBase<ConvertBitNetToLLVMPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    DeviceAllocations buffers;
    WalkResult specs = getOperation().walk([](CallKernelOp call) {
      auto spec = call->getAttrOfType<KernelSpecAttr>("bitnet.kernel_spec");
      if (call.getDevice() && !(spec && ::bitnet::kernels::isGPUTarget(spec.getSpec().target))) {
        call.emitOpError() << "device call without a GPU bitnet.kernel_spec (it names the "
                              "GPU API)";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (specs.wasInterrupted())
      return signalPassFailure();
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(keepAllocationsOnDevice(func, buffers)))
        return signalPassFailure();
    LLVMTypeConverter converter(ctx);
    LLVMConversionTarget target(*ctx);
    target.addIllegalOp<CallKernelOp, DeviceToHostOp, HostWrittenOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<CallKernelLowering, DeviceToHostLowering, HostWrittenLowering>(converter,
                                                                                 buffers);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
