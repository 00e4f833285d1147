//===- BitNetToLLVM.cpp - Calls of Halide kernels from LLVM glue ----------===//
//
// The layout of halide_buffer_t and halide_dimension_t follows Halide 14's
// HalideRuntime.h (the ABI every Halide AOT function takes).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/BitNet.h"

#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
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

/// The constant global (a weight) that `value` reads through views, or null.
memref::GlobalOp constantGlobalOf(Value value) {
  Operation *def = value.getDefiningOp();
  while (def) {
    if (auto get = dyn_cast<memref::GetGlobalOp>(def)) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          def, get.getNameAttr());
      return global && global.getConstant() ? global : memref::GlobalOp();
    }
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return {};
    def = view.getViewSource().getDefiningOp();
  }
  return {};
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

struct CallKernelLowering : ConvertOpToLLVMPattern<CallKernelOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(CallKernelOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type ptrTy = LLVM::LLVMPointerType::get(ctx);
    Type i8 = rewriter.getI8Type(), i16 = rewriter.getI16Type(),
         i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    auto typeTy = LLVM::LLVMStructType::getLiteral(ctx, {i8, i8, i16});
    auto bufferTy = LLVM::LLVMStructType::getLiteral(
        ctx, {i64, ptrTy, ptrTy, i64, typeTy, i32, ptrTy, ptrTy});
    auto dimTy = LLVM::LLVMStructType::getLiteral(ctx, {i32, i32, i32, i32});
    auto constant = [&](Type type, int64_t value) -> Value {
      return LLVM::ConstantOp::create(rewriter, loc, type,
                                      rewriter.getIntegerAttr(type, value));
    };
    Value null = LLVM::ZeroOp::create(rewriter, loc, ptrTy);
    auto insert = [&](Value aggregate, Value value, int64_t position) -> Value {
      return LLVM::InsertValueOp::create(rewriter, loc, aggregate, value,
                                         ArrayRef<int64_t>{position});
    };

    SmallVector<Value> callArgs, buffers;
    SmallVector<Type> callTypes;
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
      (void)memref.getStridesAndOffset(strides, offset); // static (verified)
      Value host = descriptor.alignedPtr(rewriter, loc);
      if (offset != 0)
        host = LLVM::GEPOp::create(
            rewriter, loc, ptrTy,
            getTypeConverter()->convertType(memref.getElementType()), host,
            ArrayRef<LLVM::GEPArg>{offset});
      int64_t rank = memref.getRank();
      // A GPU kernel's constant (weights, norms, the embedding) stays on the
      // device: its halide_buffer_t is a global, created with host_dirty
      // set, that keeps the device allocation between calls (Halide copies
      // the data at the first call only). Each call stores the fields that
      // describe the host side (the same values every time) and leaves
      // device, device_interface and flags to Halide. Other buffers are the
      // glue's: described afresh, copied in and out around each call.
      memref::GlobalOp weight = op.getDevice() ? constantGlobalOf(original) : memref::GlobalOp();
      LLVM::GlobalOp residentBuffer, residentDims;
      if (weight)
        std::tie(residentBuffer, residentDims) = residentGlobals(
            rewriter, op->getParentOfType<ModuleOp>(), loc, weight, offset,
            memref.getShape(), bufferTy, dimTy);
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
      Value buffer = LLVM::UndefOp::create(rewriter, loc, bufferTy);
      // halide_buffer_flag_host_dirty = 1: the device copy must be refreshed.
      Value fields[] = {constant(i64, 0), null, host,
                        constant(i64, op.getDevice() ? 1 : 0), type,
                        constant(i32, rank), dims, null};
      for (int f = 0; f < 8; ++f)
        buffer = insert(buffer, fields[f], f);
      Value bufferPtr = LLVM::AllocaOp::create(rewriter, loc, ptrTy, bufferTy,
                                               constant(i64, 1), /*alignment=*/8);
      LLVM::StoreOp::create(rewriter, loc, buffer, bufferPtr);
      callArgs.push_back(bufferPtr);
      callTypes.push_back(ptrTy);
      buffers.push_back(bufferPtr);
    }

    // Declare the kernel on first use; a second use must agree.
    auto module = op->getParentOfType<ModuleOp>();
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
    auto call = LLVM::CallOp::create(rewriter, loc, fn, callArgs);
    Value status = call.getResult();
    if (op.getDevice()) {
      // Results back to the host, device memory released: the next kernel
      // (or the caller) reads the host copy.
      auto runtimeFn = [&](StringRef fnName) {
        auto type = LLVM::LLVMFunctionType::get(i32, {ptrTy, ptrTy});
        auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(fnName);
        if (existing)
          return existing;
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(module.getBody());
        return LLVM::LLVMFuncOp::create(rewriter, loc, fnName, type);
      };
      LLVM::LLVMFuncOp copyToHost = runtimeFn("halide_copy_to_host");
      LLVM::LLVMFuncOp deviceFree = runtimeFn("halide_device_free");
      for (Value buffer : buffers) {
        Value copied = LLVM::CallOp::create(rewriter, loc, copyToHost,
                                            ValueRange{null, buffer})
                           .getResult();
        Value freed = LLVM::CallOp::create(rewriter, loc, deviceFree,
                                           ValueRange{null, buffer})
                          .getResult();
        status = LLVM::OrOp::create(rewriter, loc, status, copied);
        status = LLVM::OrOp::create(rewriter, loc, status, freed);
      }
    }
    rewriter.replaceOp(op, status);
    return success();
  }
};

struct ConvertBitNetToLLVMPass
    : mlir::bitnet::impl::ConvertBitNetToLLVMBase<ConvertBitNetToLLVMPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter converter(ctx);
    LLVMConversionTarget target(*ctx);
    target.addIllegalOp<CallKernelOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<CallKernelLowering>(converter);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
