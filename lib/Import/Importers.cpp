//===- Importers.cpp - Checkpoint formats by name -------------------------===//

#include "bitnet/Import/Importers.h"
#include "bitnet/Import/GGUF.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstring>

using namespace bitnet::import;

namespace {

bool isDirectory(llvm::StringRef path) {
  return path != "-" && llvm::sys::fs::is_directory(path);
}

/// A regular file whose first bytes are `magic`.
bool startsWith(llvm::StringRef path, llvm::StringRef magic) {
  if (path == "-" || !llvm::sys::fs::is_regular_file(path))
    return false;
  auto head = llvm::MemoryBuffer::getFileSlice(path, magic.size(), 0);
  return head && (*head)->getBuffer() == magic;
}

llvm::Expected<bitnet::ref::ModelWeights> importHFDirectory(llvm::StringRef path,
                                                            const ImportOptions &o) {
  return importHuggingFace(path, o);
}

llvm::Expected<bitnet::ref::ModelWeights> importGGUFFile(llvm::StringRef path,
                                                         const ImportOptions &o) {
  return importGGUF(path, o);
}

const CheckpointFormat kFormats[] = {
    {"Hugging Face directory", isDirectory, importHFDirectory},
    {"GGUF", [](llvm::StringRef path) { return startsWith(path, "GGUF"); }, importGGUFFile},
};

} // namespace

llvm::ArrayRef<CheckpointFormat> bitnet::import::checkpointFormats() { return kFormats; }

int64_t bitnet::import::firstNonFinite(llvm::ArrayRef<float> values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      return static_cast<int64_t>(i);
  return -1;
}

const CheckpointFormat *bitnet::import::findCheckpointFormat(llvm::StringRef path) {
  for (const CheckpointFormat &format : kFormats)
    if (format.recognizes(path))
      return &format;
  return nullptr;
}

llvm::Error bitnet::import::quantizeMasterInto(llvm::Expected<std::vector<float>> master,
                                               int64_t out, int64_t in, ref::WeightKind kind,
                                               uint8_t *values) {
  if (!master)
    return master.takeError();
  ref::LinearWeights weights = ref::linearFromMaster(std::move(*master), out, in, kind);
  std::memcpy(values, weights.values.data(), weights.values.size());
  return llvm::Error::success();
}

llvm::Error bitnet::import::encodeMasterInto(llvm::Expected<std::vector<float>> master,
                                             ref::FloatStorage storage, uint8_t *bytes) {
  if (!master)
    return master.takeError();
  std::vector<uint8_t> encoded = ref::encodeFloats(*master, storage);
  std::memcpy(bytes, encoded.data(), encoded.size());
  return llvm::Error::success();
}

std::shared_ptr<const bitnet::ref::TensorSource>
bitnet::import::makeTensorSource(std::string name, int64_t bytes,
                                 std::function<llvm::Error(uint8_t *out)> read) {
  auto source = std::make_shared<ref::TensorSource>();
  source->name = std::move(name);
  source->bytes = bytes;
  source->read = [read = std::move(read)](uint8_t *out) -> std::string {
    llvm::Error e = read(out);
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  return source;
}
