//===- WeightData.cpp - Writing a model's weights outside LLVM ------------===//

#include "bitnet/Compile/WeightData.h"
#include "bitnet/Runtime/WeightsChecksum.h"
#include "bitnet/Transforms/WeightData.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/raw_ostream.h"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

using namespace mlir;
using namespace mlir::bitnet;
namespace ref = ::bitnet::ref;

namespace {

llvm::Error weightError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// How messages name a value: its (first) checkpoint tensor, or its type.
std::string describe(ElementsAttr value) {
  std::string name;
  if (auto external = dyn_cast<ExternalWeightsAttr>(value))
    external.walkSources([&](ExternalWeightsAttr source) {
      if (name.empty())
        name = "tensor '" + source.getSource().str() + "'";
    });
  if (!name.empty())
    return name;
  std::string type;
  llvm::raw_string_ostream os(type);
  os << "a constant of " << value.getShapedType();
  return type;
}

/// Produces the bytes of the constants the plan places: dense values as
/// they are, #bitnet.weights read from the checkpoint and transformed.
class ValueReader {
public:
  explicit ValueReader(const TensorSources &sources) : sources(sources) {}

  llvm::Error read(ElementsAttr value, std::vector<uint8_t> &out) {
    if (denseValueBytes(value, &out))
      return llvm::Error::success();
    auto external = dyn_cast<ExternalWeightsAttr>(value);
    if (!external) {
      // Logical sub-byte weights (i2) are stored one byte each.
      if (std::optional<std::vector<int8_t>> logical = readLogicalWeights(value)) {
        out.assign(logical->begin(), logical->end());
        return llvm::Error::success();
      }
      return weightError("cannot read the bytes of " + describe(value));
    }
    if (llvm::Error e = readExternal(external, out))
      return e;
    if (out.size() != static_cast<uint64_t>(external.getStorageBytes()))
      return weightError(describe(value) + " gave " + llvm::Twine(out.size()) +
                         " bytes where its type holds " +
                         llvm::Twine(external.getStorageBytes()));
    return llvm::Error::success();
  }

private:
  llvm::Error readExternal(ExternalWeightsAttr value, std::vector<uint8_t> &out) {
    switch (value.getTransform()) {
    case WeightsTransform::Source: {
      auto it = sources.find(value.getSource());
      if (it == sources.end())
        return weightError("#bitnet.weights names the tensor '" + value.getSource() +
                           "', which no checkpoint being compiled holds");
      const ref::TensorSource &source = *it->second;
      if (source.bytes != value.getStorageBytes())
        return weightError("tensor '" + value.getSource() + "' has " +
                           llvm::Twine(source.bytes) + " bytes, but the IR reads it as " +
                           llvm::Twine(value.getStorageBytes()));
      out.resize(static_cast<size_t>(source.bytes));
      std::string why = source.read(out.data());
      if (!why.empty())
        return weightError(why);
      return llvm::Error::success();
    }
    case WeightsTransform::Concat: {
      out.clear();
      std::vector<uint8_t> part;
      for (ElementsAttr operand : value.getOperands()) {
        if (llvm::Error e = read(operand, part))
          return e;
        out.insert(out.end(), part.begin(), part.end());
        part = {};
      }
      return llvm::Error::success();
    }
    case WeightsTransform::Pack: {
      std::vector<uint8_t> logical;
      if (llvm::Error e = read(value.getOperands().front(), logical))
        return e;
      PackedLayoutAttr layout = value.getLayout();
      std::vector<int8_t> values(logical.begin(), logical.end());
      logical = {};
      int64_t bad = findIllegalWeight(values, layout.getKind());
      if (bad >= 0)
        return weightError(describe(value) + ": element " + llvm::Twine(bad) + " is " +
                           llvm::Twine(int(values[static_cast<size_t>(bad)])) + ", not a " +
                           stringifyWeightKind(layout.getKind()) + " weight");
      out = ref::packWeights(toReference(layout), values.data(), layout.getRows(),
                             layout.getCols());
      return llvm::Error::success();
    }
    case WeightsTransform::Int8Rows:
    case WeightsTransform::RowScales: {
      ElementsAttr operand = value.getOperands().front();
      // Codes and scales come from one quantization of the table: the part
      // not asked for is kept for the next request of the same table.
      ref::RowQuantizedWeights rows;
      const bool cached = quantizedTable == operand;
      if (cached) {
        rows = std::move(quantizedRows);
        quantizedTable = {};
      } else {
        std::vector<uint8_t> table;
        if (llvm::Error e = read(operand, table))
          return e;
        auto shape = operand.getShapedType().getShape();
        rows = ref::quantizeRowsF16(reinterpret_cast<const uint16_t *>(table.data()),
                                    shape[0], shape[1]);
      }
      quantizedRows = {};
      if (value.getTransform() == WeightsTransform::Int8Rows) {
        out.assign(rows.values.begin(), rows.values.end());
        quantizedRows.scales = std::move(rows.scales);
      } else {
        out.resize(rows.scales.size() * sizeof(float));
        std::memcpy(out.data(), rows.scales.data(), out.size());
        quantizedRows.values = std::move(rows.values);
      }
      if (!cached)
        quantizedTable = operand;
      return llvm::Error::success();
    }
    }
    return weightError("unknown #bitnet.weights transform");
  }

  const TensorSources &sources;
  ElementsAttr quantizedTable;
  ref::RowQuantizedWeights quantizedRows;
};

/// Writes the plan's bytes in order (zeros between tensors) to `out`, adding
/// them to `checksum` if given. A second thread reads, checks and packs the
/// next tensor while this one writes and sums the last: the two halves take
/// about as long each (a 2B-4T's weights file 19.8 -> 12.3 s). It runs ahead
/// only while the tensor being written is small, so the most ever held stays
/// the largest tensor's working set plus kReadAheadBytes.
llvm::Error streamWeightData(const WeightDataPlan &plan, const TensorSources &sources,
                             llvm::raw_ostream &out, bitnet_checksum *checksum,
                             WeightProgress progress) {
  constexpr uint64_t kReadAheadBytes = uint64_t(256) << 20;
  static const char zeros[4096] = {};
  auto pad = [&](uint64_t bytes) {
    while (bytes > 0) {
      uint64_t n = std::min<uint64_t>(bytes, sizeof(zeros));
      out.write(zeros, n);
      if (checksum)
        bitnet_checksum_add(checksum, zeros, n);
      bytes -= n;
    }
  };

  // One finished tensor handed from the reader to the writer.
  struct Handoff {
    std::mutex mutex;
    std::condition_variable changed;
    bool full = false;       // `bytes` holds the next tensor
    bool writing = false;    // the writer holds a tensor past kReadAheadBytes
    bool stop = false;       // the writer gave up: the reader stops too
    std::vector<uint8_t> bytes;
    std::string error; // the reader's, with `full` set
    bool failed = false;
  } handoff;

  std::thread reader([&] {
    ValueReader values(sources);
    for (const WeightDataPlan::Tensor &tensor : plan.tensors) {
      {
        // The last tensor taken, and not one being written past the bound.
        std::unique_lock<std::mutex> lock(handoff.mutex);
        handoff.changed.wait(
            lock, [&] { return (!handoff.full && !handoff.writing) || handoff.stop; });
        if (handoff.stop)
          return;
      }
      std::vector<uint8_t> bytes;
      llvm::Error e = values.read(tensor.value, bytes);
      std::unique_lock<std::mutex> lock(handoff.mutex);
      if (handoff.stop) {
        llvm::consumeError(std::move(e));
        return;
      }
      if (e) {
        handoff.error = llvm::toString(std::move(e));
        handoff.failed = true;
      } else {
        handoff.bytes = std::move(bytes);
      }
      handoff.full = true;
      handoff.changed.notify_all();
      if (handoff.failed)
        return;
    }
  });

  uint64_t at = 0;
  for (const WeightDataPlan::Tensor &tensor : plan.tensors) {
    std::vector<uint8_t> bytes;
    {
      std::unique_lock<std::mutex> lock(handoff.mutex);
      handoff.changed.wait(lock, [&] { return handoff.full; });
      if (handoff.failed)
        break;
      bytes = std::move(handoff.bytes);
      handoff.bytes = {};
      handoff.full = false;
      handoff.writing = bytes.size() > kReadAheadBytes;
      handoff.changed.notify_all();
    }
    pad(tensor.offset - at);
    out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    if (checksum)
      bitnet_checksum_add(checksum, bytes.data(), bytes.size());
    at = tensor.offset + bytes.size();
    bytes = {};
    {
      std::lock_guard<std::mutex> lock(handoff.mutex);
      handoff.writing = false;
      handoff.changed.notify_all();
    }
    progress(at, plan.bytes);
  }
  {
    std::lock_guard<std::mutex> lock(handoff.mutex);
    handoff.stop = true;
    handoff.changed.notify_all();
  }
  reader.join();
  if (handoff.failed)
    return weightError(handoff.error);
  pad(plan.bytes - at);
  return llvm::Error::success();
}

template <typename T> void put(llvm::raw_ostream &os, T value) {
  llvm::support::endian::write<T>(os, value, llvm::endianness::little);
}

} // namespace

llvm::Expected<std::optional<WeightDataPlan>>
mlir::bitnet::readWeightDataPlan(ModuleOp module) {
  auto record = module->getAttrOfType<DictionaryAttr>(kWeightDataAttrName);
  if (!record)
    return std::nullopt;
  auto bad = [] { return weightError("the module's bitnet.weight_data record is malformed"); };
  auto symbol = record.getAs<StringAttr>("symbol");
  auto bytes = record.getAs<IntegerAttr>("bytes");
  auto tensors = record.getAs<ArrayAttr>("tensors");
  if (!symbol || !bytes || !tensors || bytes.getInt() < 0)
    return bad();
  WeightDataPlan plan;
  plan.symbol = symbol.getValue().str();
  plan.bytes = static_cast<uint64_t>(bytes.getInt());
  uint64_t end = 0;
  for (Attribute entry : tensors) {
    auto pair = dyn_cast<ArrayAttr>(entry);
    if (!pair || pair.size() != 2)
      return bad();
    auto offset = dyn_cast<IntegerAttr>(pair[0]);
    auto value = dyn_cast<ElementsAttr>(pair[1]);
    if (!offset || !value || offset.getInt() < 0 ||
        static_cast<uint64_t>(offset.getInt()) < end)
      return bad();
    plan.tensors.push_back({static_cast<uint64_t>(offset.getInt()), value});
    end = static_cast<uint64_t>(offset.getInt());
  }
  return plan;
}

llvm::Error mlir::bitnet::writeWeightDataObject(llvm::StringRef path,
                                                const llvm::Triple &triple,
                                                const WeightDataPlan &plan,
                                                const TensorSources *sources,
                                                WeightProgress progress) {
  namespace ELF = llvm::ELF;
  uint16_t machine;
  if (triple.getArch() == llvm::Triple::x86_64)
    machine = ELF::EM_X86_64;
  else if (triple.getArch() == llvm::Triple::aarch64)
    machine = ELF::EM_AARCH64;
  else
    return weightError("no weight-data object for " + triple.str());
  const bool withData = sources != nullptr;
  // x86-64's medium code model (the glue's) addresses large data with
  // 64-bit offsets; its large sections go after all others, so that weights
  // past 2 GiB push nothing else out of 32-bit reach.
  const bool large = machine == ELF::EM_X86_64 && plan.bytes > 65536;
  const std::string section = std::string(large ? ".l" : ".") + (withData ? "rodata" : "bss");
  const uint64_t flags = ELF::SHF_ALLOC | (withData ? 0 : ELF::SHF_WRITE) |
                         (large ? ELF::SHF_X86_64_LARGE : 0);

  // Names: section headers' string table and the symbols'.
  std::string shstrtab = std::string(1, '\0');
  auto addName = [&](std::string &table, llvm::StringRef name) {
    uint32_t at = static_cast<uint32_t>(table.size());
    table += name.str();
    table += '\0';
    return at;
  };
  const uint32_t dataName = addName(shstrtab, section);
  const uint32_t noteName = addName(shstrtab, ".note.GNU-stack");
  const uint32_t symtabName = addName(shstrtab, ".symtab");
  const uint32_t strtabName = addName(shstrtab, ".strtab");
  const uint32_t shstrtabName = addName(shstrtab, ".shstrtab");
  std::string strtab = std::string(1, '\0');
  const uint32_t symbolName = addName(strtab, plan.symbol);

  const uint64_t dataOffset = kWeightDataAlignment;
  const uint64_t symtabOffset = alignUp(dataOffset + (withData ? plan.bytes : 0), 8);
  const uint64_t symtabBytes = 3 * sizeof(ELF::Elf64_Sym);
  const uint64_t strtabOffset = symtabOffset + symtabBytes;
  const uint64_t shstrtabOffset = strtabOffset + strtab.size();
  const uint64_t headersOffset = alignUp(shstrtabOffset + shstrtab.size(), 8);
  enum : uint16_t { Null, Data, Note, Symtab, Strtab, Shstrtab, SectionCount };

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return weightError("cannot write '" + path + "': " + ec.message());
  // ELF header.
  os.write(ELF::ElfMagic, 4);
  put<uint8_t>(os, ELF::ELFCLASS64);
  put<uint8_t>(os, ELF::ELFDATA2LSB);
  put<uint8_t>(os, ELF::EV_CURRENT);
  put<uint8_t>(os, ELF::ELFOSABI_NONE);
  os.write_zeros(8);
  put<uint16_t>(os, ELF::ET_REL);
  put<uint16_t>(os, machine);
  put<uint32_t>(os, ELF::EV_CURRENT);
  put<uint64_t>(os, 0); // entry
  put<uint64_t>(os, 0); // program headers
  put<uint64_t>(os, headersOffset);
  put<uint32_t>(os, 0); // flags
  put<uint16_t>(os, sizeof(ELF::Elf64_Ehdr));
  put<uint16_t>(os, 0);
  put<uint16_t>(os, 0);
  put<uint16_t>(os, sizeof(ELF::Elf64_Shdr));
  put<uint16_t>(os, SectionCount);
  put<uint16_t>(os, Shstrtab);
  os.write_zeros(dataOffset - sizeof(ELF::Elf64_Ehdr));
  if (withData)
    if (llvm::Error e = streamWeightData(plan, *sources, os, nullptr, progress))
      return e;
  os.write_zeros(symtabOffset - (dataOffset + (withData ? plan.bytes : 0)));
  // Symbols: null, the section (local), the array (global).
  auto symbol = [&](uint32_t name, uint8_t info, uint16_t sectionIndex, uint64_t size) {
    put<uint32_t>(os, name);
    put<uint8_t>(os, info);
    put<uint8_t>(os, ELF::STV_DEFAULT);
    put<uint16_t>(os, sectionIndex);
    put<uint64_t>(os, 0);
    put<uint64_t>(os, size);
  };
  symbol(0, 0, 0, 0);
  symbol(0, (ELF::STB_LOCAL << 4) | ELF::STT_SECTION, Data, 0);
  symbol(symbolName, (ELF::STB_GLOBAL << 4) | ELF::STT_OBJECT, Data, plan.bytes);
  os << strtab << shstrtab;
  os.write_zeros(headersOffset - (shstrtabOffset + shstrtab.size()));
  auto header = [&](uint32_t name, uint32_t type, uint64_t sectionFlags, uint64_t offset,
                    uint64_t size, uint32_t link, uint32_t info, uint64_t align,
                    uint64_t entrySize) {
    put<uint32_t>(os, name);
    put<uint32_t>(os, type);
    put<uint64_t>(os, sectionFlags);
    put<uint64_t>(os, 0); // address
    put<uint64_t>(os, offset);
    put<uint64_t>(os, size);
    put<uint32_t>(os, link);
    put<uint32_t>(os, info);
    put<uint64_t>(os, align);
    put<uint64_t>(os, entrySize);
  };
  header(0, ELF::SHT_NULL, 0, 0, 0, 0, 0, 0, 0);
  header(dataName, withData ? ELF::SHT_PROGBITS : ELF::SHT_NOBITS, flags, dataOffset,
         plan.bytes, 0, 0, kWeightDataAlignment, 0);
  header(noteName, ELF::SHT_PROGBITS, 0, dataOffset, 0, 0, 0, 1, 0);
  header(symtabName, ELF::SHT_SYMTAB, 0, symtabOffset, symtabBytes, Strtab,
         /*first global=*/2, 8, sizeof(ELF::Elf64_Sym));
  header(strtabName, ELF::SHT_STRTAB, 0, strtabOffset, strtab.size(), 0, 0, 1, 0);
  header(shstrtabName, ELF::SHT_STRTAB, 0, shstrtabOffset, shstrtab.size(), 0, 0, 1, 0);
  os.close();
  if (os.has_error()) {
    os.clear_error();
    return weightError("cannot write '" + path + "'");
  }
  return llvm::Error::success();
}

llvm::Expected<WeightsFileSummary>
mlir::bitnet::writeWeightsFile(llvm::StringRef path, const WeightDataPlan &plan,
                               const TensorSources &sources, WeightProgress progress) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return weightError("cannot write '" + path + "': " + ec.message());
  WeightsFileSummary summary;
  summary.fileBytes = alignUp(64 + plan.bytes, 64);
  bitnet_checksum checksum;
  bitnet_checksum_init(&checksum);
  bitnet_checksum_add_u64(&checksum, plan.bytes);
  os.write("BITNETW\1", 8);
  put<uint64_t>(os, 0); // the fingerprint, once the data is summed
  put<uint64_t>(os, 1); // one slot: the whole array
  put<uint64_t>(os, summary.fileBytes);
  os.write_zeros(32);
  if (llvm::Error e = streamWeightData(plan, sources, os, &checksum, progress))
    return std::move(e);
  os.write_zeros(summary.fileBytes - (64 + plan.bytes));
  summary.fingerprint = bitnet_checksum_final(&checksum);
  char fingerprint[8];
  llvm::support::endian::write64le(fingerprint, summary.fingerprint);
  os.pwrite(fingerprint, 8, 8);
  os.close();
  if (os.has_error()) {
    os.clear_error();
    return weightError("cannot write '" + path + "'");
  }
  return summary;
}

void mlir::bitnet::addWeightSlots(llvm::Module &module, llvm::StringRef prefix,
                                  const WeightDataPlan &plan,
                                  const WeightsFileSummary &summary) {
  llvm::LLVMContext &context = module.getContext();
  llvm::GlobalVariable *data = module.getNamedGlobal(plan.symbol);
  data->setConstant(false); // filled by <prefix>_load_weights
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  auto *slotType = llvm::StructType::get(llvm::PointerType::getUnqual(context), i64, i64);
  auto *tableType = llvm::ArrayType::get(slotType, 1);
  new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantArray::get(
          tableType, {llvm::ConstantStruct::get(slotType, {data, llvm::ConstantInt::get(i64, 64),
                                                           llvm::ConstantInt::get(i64, plan.bytes)})}),
      (prefix + "_weight_slots").str());
  auto *infoType = llvm::ArrayType::get(i64, 3);
  new llvm::GlobalVariable(
      module, infoType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantArray::get(infoType, {llvm::ConstantInt::get(i64, summary.fingerprint),
                                          llvm::ConstantInt::get(i64, 1),
                                          llvm::ConstantInt::get(i64, summary.fileBytes)}),
      (prefix + "_weights_info").str());
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  new llvm::GlobalVariable(module, i32, /*isConstant=*/false, llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i32, 0), (prefix + "_weights_loaded").str());
}
