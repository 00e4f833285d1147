//===- ExternalWeights.cpp - Weights in a file beside the object ----------===//

#include "bitnet/Compile/ExternalWeights.h"
#include "bitnet/Runtime/WeightsChecksum.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

#include <functional>
#include <vector>

using namespace llvm;

namespace mlir {
namespace bitnet {
namespace {

using ChunkFn = std::function<void(StringRef)>;

/// Calls `fn` on the bytes of `c` in memory order, without copying them.
/// False for a constant whose bytes are not simply its leaves in order
/// (anything but arrays of integers and floats); those stay in the object.
bool forEachChunk(const Constant *c, const DataLayout &layout, const ChunkFn &fn) {
  Type *type = c->getType();
  if (auto *array = dyn_cast<ArrayType>(type)) {
    Type *element = array->getElementType();
    if (!element->isArrayTy() && !element->isIntegerTy() && !element->isFloatingPointTy())
      return false;
    if (!element->isArrayTy() &&
        layout.getTypeAllocSize(element) != layout.getTypeStoreSize(element))
      return false;
  } else {
    return false;
  }
  if (auto *data = dyn_cast<ConstantDataSequential>(c)) {
    fn(data->getRawDataValues());
    return true;
  }
  if (isa<ConstantAggregateZero>(c)) {
    static const char zeros[4096] = {};
    uint64_t left = layout.getTypeAllocSize(type);
    while (left > 0) {
      uint64_t n = std::min<uint64_t>(left, sizeof(zeros));
      fn(StringRef(zeros, n));
      left -= n;
    }
    return true;
  }
  if (auto *aggregate = dyn_cast<ConstantArray>(c)) {
    for (const Use &operand : aggregate->operands())
      if (!forEachChunk(cast<Constant>(operand.get()), layout, fn))
        return false;
    return true;
  }
  return false;
}

/// The weights' fingerprint: the checksum the model API verifies at load.
struct Checksum {
  bitnet_checksum state;
  Checksum() { bitnet_checksum_init(&state); }
  void add(StringRef bytes) { bitnet_checksum_add(&state, bytes.data(), bytes.size()); }
  void add(uint64_t value) { bitnet_checksum_add_u64(&state, value); }
};

void writeU64(raw_ostream &out, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>(value >> (8 * i));
  out.write(bytes, 8);
}

uint64_t alignTo64(uint64_t v) { return (v + 63) / 64 * 64; }

} // namespace

ExternalWeightsSummary externalizeWeights(Module &module, StringRef prefix,
                                          raw_ostream &out, uint64_t minBytes) {
  const DataLayout &layout = module.getDataLayout();
  struct Slot {
    GlobalVariable *global;
    uint64_t offset, bytes;
  };
  std::vector<Slot> slots;
  uint64_t end = 64;
  Checksum hash;
  for (GlobalVariable &global : module.globals()) {
    if (!global.isConstant() || !global.hasInitializer())
      continue;
    uint64_t bytes = layout.getTypeAllocSize(global.getValueType());
    if (bytes < minBytes)
      continue;
    uint64_t seen = 0;
    Checksum slotHash = hash;
    slotHash.add(bytes);
    if (!forEachChunk(global.getInitializer(), layout, [&](StringRef chunk) {
          seen += chunk.size();
          slotHash.add(chunk);
        }) ||
        seen != bytes)
      continue;
    hash = slotHash;
    slots.push_back({&global, end, bytes});
    end = alignTo64(end + bytes);
  }

  ExternalWeightsSummary summary;
  summary.slots = slots.size();
  summary.fileBytes = end;
  summary.fingerprint = bitnet_checksum_final(&hash.state);

  out.write("BITNETW\1", 8);
  writeU64(out, summary.fingerprint);
  writeU64(out, summary.slots);
  writeU64(out, summary.fileBytes);
  out.write_zeros(32);
  uint64_t at = 64;
  for (const Slot &slot : slots) {
    out.write_zeros(slot.offset - at);
    forEachChunk(slot.global->getInitializer(), layout,
                 [&](StringRef chunk) { out.write(chunk.data(), chunk.size()); });
    at = slot.offset + slot.bytes;
  }
  out.write_zeros(end - at);

  // The object keeps zero-filled, writable space for each slot.
  LLVMContext &context = module.getContext();
  Type *i64 = Type::getInt64Ty(context);
  auto *slotType = StructType::get(PointerType::getUnqual(context), i64, i64);
  std::vector<Constant *> entries;
  for (const Slot &slot : slots) {
    slot.global->setInitializer(Constant::getNullValue(slot.global->getValueType()));
    slot.global->setConstant(false);
    entries.push_back(ConstantStruct::get(
        slotType, {slot.global, ConstantInt::get(i64, slot.offset),
                   ConstantInt::get(i64, slot.bytes)}));
  }
  auto *tableType = ArrayType::get(slotType, entries.size());
  new GlobalVariable(module, tableType, /*isConstant=*/true,
                     GlobalValue::ExternalLinkage,
                     ConstantArray::get(tableType, entries),
                     (prefix + "_weight_slots").str());
  auto *infoType = ArrayType::get(i64, 3);
  new GlobalVariable(
      module, infoType, /*isConstant=*/true, GlobalValue::ExternalLinkage,
      ConstantArray::get(infoType, {ConstantInt::get(i64, summary.fingerprint),
                                    ConstantInt::get(i64, summary.slots),
                                    ConstantInt::get(i64, summary.fileBytes)}),
      (prefix + "_weights_info").str());
  Type *i32 = Type::getInt32Ty(context);
  new GlobalVariable(module, i32, /*isConstant=*/false,
                     GlobalValue::ExternalLinkage, ConstantInt::get(i32, 0),
                     (prefix + "_weights_loaded").str());
  return summary;
}

void flattenLargeConstants(Module &module, uint64_t minBytes) {
  const DataLayout &layout = module.getDataLayout();
  LLVMContext &context = module.getContext();
  std::vector<GlobalVariable *> candidates;
  for (GlobalVariable &global : module.globals()) {
    if (!global.isConstant() || !global.hasInitializer() ||
        layout.getTypeAllocSize(global.getValueType()) < minBytes)
      continue;
    auto *bytes = dyn_cast<ConstantDataArray>(global.getInitializer());
    if (bytes && bytes->getElementType()->isIntegerTy(8))
      continue; // already one block
    candidates.push_back(&global);
  }
  for (GlobalVariable *global : candidates) {
    uint64_t size = layout.getTypeAllocSize(global->getValueType());
    std::string data;
    data.reserve(size);
    if (!forEachChunk(global->getInitializer(), layout,
                      [&](StringRef chunk) { data.append(chunk.data(), chunk.size()); }) ||
        data.size() != size)
      continue;
    Constant *init = ConstantDataArray::getRaw(data, size, Type::getInt8Ty(context));
    auto *flat = new GlobalVariable(module, init->getType(), /*isConstant=*/true,
                                    global->getLinkage(), init, "", global,
                                    global->getThreadLocalMode());
    flat->setAlignment(layout.getPreferredAlign(global));
    flat->setUnnamedAddr(global->getUnnamedAddr());
    flat->setVisibility(global->getVisibility());
    flat->takeName(global);
    global->replaceAllUsesWith(flat);
    global->eraseFromParent();
  }
}

} // namespace bitnet
} // namespace mlir
