//===- PlaceWeightData.cpp - Large constants into one weight-data symbol --===//

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "bitnet/Transforms/Passes.h"
#include "bitnet/Transforms/WeightData.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"


namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_PLACEWEIGHTDATA
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

/// Bytes of an LLVM global's type when it is (nested arrays of) byte-sized
/// integers or floats, laid out without padding; 0 otherwise.
uint64_t plainArrayBytes(Type type) {
  if (auto array = dyn_cast<LLVM::LLVMArrayType>(type))
    return array.getNumElements() * plainArrayBytes(array.getElementType());
  if (type.isIntOrFloat() && type.getIntOrFloatBitWidth() % 8 == 0)
    return type.getIntOrFloatBitWidth() / 8;
  return 0;
}

uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

struct PlaceWeightDataPass
    : mlir::bitnet::impl::PlaceWeightDataBase<PlaceWeightDataPass> {
  using PlaceWeightDataBase::PlaceWeightDataBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    struct Placed {
      LLVM::GlobalOp global;
      uint64_t offset;
      ElementsAttr value;
    };
    std::vector<Placed> placed;
    uint64_t end = 0;
    for (auto global : module.getOps<LLVM::GlobalOp>()) {
      auto value = dyn_cast_or_null<ElementsAttr>(global.getValueOrNull());
      if (!value || !global.getConstant())
        continue;
      auto external = dyn_cast<ExternalWeightsAttr>(value);
      uint64_t bytes = plainArrayBytes(global.getGlobalType());
      if (external) {
        if (symbol.empty()) {
          global.emitError() << "holds checkpoint weights (#bitnet.weights) that only "
                                "bitnet-compile writes out; this pipeline cannot lower them";
          return signalPassFailure();
        }
        if (bytes != static_cast<uint64_t>(external.getStorageBytes())) {
          global.emitError() << "is " << global.getGlobalType() << " but its #bitnet.weights "
                             << "value has " << external.getStorageBytes() << " bytes";
          return signalPassFailure();
        }
      } else if (symbol.empty() || bytes < minBytes || !denseValueBytes(value, nullptr) ||
                 bytes != static_cast<uint64_t>(value.getNumElements()) *
                              (value.getElementType().getIntOrFloatBitWidth() / 8)) {
        continue;
      }
      uint64_t alignment = std::max<uint64_t>(64, global.getAlignment().value_or(1));
      if (alignment > kWeightDataAlignment) {
        if (!external)
          continue; // stays an LLVM constant, aligned as it asks
        global.emitError() << "asks for alignment " << alignment << "; the weight data is "
                           << kWeightDataAlignment << "-byte aligned";
        return signalPassFailure();
      }
      uint64_t offset = alignUp(end, alignment);
      placed.push_back({global, offset, value});
      end = offset + bytes;
    }
    if (placed.empty())
      return;

    OpBuilder b(ctx);
    b.setInsertionPointToStart(module.getBody());
    auto i8 = IntegerType::get(ctx, 8);
    auto blobType = LLVM::LLVMArrayType::get(i8, end);
    LLVM::GlobalOp::create(b, module.getLoc(), blobType, /*isConstant=*/true,
                           LLVM::Linkage::External, symbol, Attribute(),
                           /*alignment=*/kWeightDataAlignment);
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    llvm::StringMap<uint64_t> offsets;
    for (Placed &p : placed)
      offsets[p.global.getSymName()] = p.offset;
    module.walk([&](LLVM::AddressOfOp use) {
      auto it = offsets.find(use.getGlobalName());
      if (it == offsets.end())
        return;
      OpBuilder at(use);
      Value address = LLVM::AddressOfOp::create(at, use.getLoc(), ptrType, symbol);
      if (it->second != 0) {
        // An i64 index: the data of a large model passes 2 GiB.
        Value offset = LLVM::ConstantOp::create(at, use.getLoc(), at.getI64Type(),
                                                static_cast<int64_t>(it->second));
        address = LLVM::GEPOp::create(at, use.getLoc(), ptrType, i8, address,
                                      ArrayRef<LLVM::GEPArg>{offset});
      }
      use.replaceAllUsesWith(address);
      use.erase();
    });
    SmallVector<Attribute> tensors;
    for (Placed &p : placed) {
      tensors.push_back(b.getArrayAttr(
          {b.getI64IntegerAttr(static_cast<int64_t>(p.offset)), p.value}));
      p.global.erase();
    }
    module->setAttr(kWeightDataAttrName,
                    b.getDictionaryAttr({
                        b.getNamedAttr("symbol", b.getStringAttr(symbol)),
                        b.getNamedAttr("bytes", b.getI64IntegerAttr(static_cast<int64_t>(end))),
                        b.getNamedAttr("tensors", b.getArrayAttr(tensors)),
                    }));
  }
};

} // namespace

