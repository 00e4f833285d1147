//===- SafeTensors.h - Reading and writing .safetensors files ---*- C++ -*-===//
//
// Format (BITNET.md): u64 little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end)}} with an optional
// "__metadata__" object, then the data, row-major little-endian, offsets
// relative to the end of the header. The reader maps the file and checks
// everything before handing out a tensor: the header length against the
// file, the JSON, every dtype, that each byte range matches dtype x shape,
// and that the ranges tile the data without gaps or overlaps.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_IMPORT_SAFETENSORS_H
#define BITNET_IMPORT_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bitnet {
namespace import {

enum class DType { F32, F16, BF16, U8, I8, I32, I64, F64, I16, U16, Bool };
/// Bytes per element.
int64_t dtypeBytes(DType type);
const char *dtypeName(DType type);

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  llvm::ArrayRef<uint8_t> bytes; // inside the mapped file
  int64_t elements() const;
};

class SafeTensorsFile {
public:
  /// Maps and validates `path`; errors name the file, the tensor and the
  /// problem.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>> open(llvm::StringRef path);

  const std::string &path() const { return path_; }
  /// nullptr when absent.
  const TensorView *find(llvm::StringRef name) const;
  const std::map<std::string, TensorView> &tensors() const { return tensors_; }
  /// Lets the system drop the mapped pages of `tensor` (read again if
  /// touched): a compile reads each tensor once.
  void releasePages(const TensorView &tensor) const;

private:
  std::string path_;
  std::unique_ptr<llvm::MemoryBuffer> buffer_;
  std::map<std::string, TensorView> tensors_;
};

/// A tensor to write; `bytes` must hold exactly dtype x shape.
struct TensorData {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Writes tensors one at a time: the header is laid out from the names,
/// dtypes and shapes first (add), then data is streamed in the same order
/// (write). The file appears under `path` only when complete.
class SafeTensorsWriter {
public:
  void add(llvm::StringRef name, DType dtype, std::vector<int64_t> shape);
  /// Opens the temporary file and writes the header.
  llvm::Error begin(llvm::StringRef path);
  /// Data of the next tensor in add order.
  llvm::Error write(llvm::ArrayRef<uint8_t> bytes);
  /// Checks that every tensor was written and renames into place.
  llvm::Error finish();
  ~SafeTensorsWriter();

private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
  };
  std::vector<Entry> entries_;
  size_t next_ = 0;
  std::string path_, temporary_;
  std::unique_ptr<llvm::raw_fd_ostream> out_;
};

} // namespace import
} // namespace bitnet

#endif // BITNET_IMPORT_SAFETENSORS_H
