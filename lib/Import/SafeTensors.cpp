//===- SafeTensors.cpp - Reading and writing .safetensors files -----------===//

#include "bitnet/Import/SafeTensors.h"
#include "bitnet/Support/LLVMInput.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace bitnet {
namespace import {
namespace {

struct DTypeInfo {
  const char *name;
  DType type;
  int64_t bytes;
};
constexpr DTypeInfo kDTypes[] = {
    {"F32", DType::F32, 4}, {"F16", DType::F16, 2},   {"BF16", DType::BF16, 2},
    {"U8", DType::U8, 1},   {"I8", DType::I8, 1},     {"I32", DType::I32, 4},
    {"I64", DType::I64, 8}, {"F64", DType::F64, 8},   {"I16", DType::I16, 2},
    {"U16", DType::U16, 2}, {"BOOL", DType::Bool, 1},
};

/// Headers above this are refused before anything is allocated for them.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

llvm::Error fail(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (path + ": " + message).str());
}

} // namespace

int64_t dtypeBytes(DType type) {
  for (const DTypeInfo &d : kDTypes)
    if (d.type == type)
      return d.bytes;
  return 0;
}

const char *dtypeName(DType type) {
  for (const DTypeInfo &d : kDTypes)
    if (d.type == type)
      return d.name;
  return "?";
}

int64_t TensorView::elements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(llvm::StringRef path) {
  auto file = std::make_unique<SafeTensorsFile>();
  file->path_ = path.str();
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      openInputBuffer(path.str(), kAnySize);
  if (!buffer)
    return buffer.takeError();
  file->buffer_ = std::move(*buffer);
  llvm::StringRef data = file->buffer_->getBuffer();
  if (data.size() < 8)
    return fail(path, "truncated: " + llvm::Twine(data.size()) +
                          " bytes, shorter than the 8-byte header length");
  uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i)
    headerBytes = (headerBytes << 8) | static_cast<uint8_t>(data[i]);
  if (headerBytes > kMaxHeaderBytes || headerBytes > data.size() - 8)
    return fail(path, "header length " + llvm::Twine(headerBytes) +
                          " runs beyond the file (" + llvm::Twine(data.size()) +
                          " bytes)");
  llvm::StringRef header = data.substr(8, headerBytes);
  llvm::Expected<llvm::json::Value> json = parseJson(header, path + ": header");
  if (!json)
    return json.takeError();
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fail(path, "header is not a JSON object");
  const uint8_t *base = reinterpret_cast<const uint8_t *>(data.data()) + 8 + headerBytes;
  const uint64_t dataBytes = data.size() - 8 - headerBytes;

  struct Range {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  for (const auto &[key, value] : *root) {
    std::string name = key.str();
    if (name == "__metadata__")
      continue;
    auto bad = [&](const llvm::Twine &what) {
      return fail(path, "tensor " + quoted(name) + ": " + what);
    };
    const llvm::json::Object *entry = value.getAsObject();
    if (!entry)
      return bad("entry is not an object");
    std::optional<llvm::StringRef> dtype = entry->getString("dtype");
    const llvm::json::Array *shape = entry->getArray("shape");
    const llvm::json::Array *offsets = entry->getArray("data_offsets");
    if (!dtype || !shape || !offsets)
      return bad("needs dtype, shape and data_offsets");
    TensorView view;
    view.name = name;
    const DTypeInfo *info = nullptr;
    for (const DTypeInfo &d : kDTypes)
      if (*dtype == d.name)
        info = &d;
    if (!info)
      return bad("unknown dtype " + quoted(*dtype));
    view.dtype = info->type;
    uint64_t elements = 1;
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> extent = d.getAsInteger();
      if (!extent || *extent < 0)
        return bad("shape has a non-integer or negative extent");
      if (*extent != 0 && elements > (uint64_t(1) << 48) / uint64_t(*extent))
        return bad("shape is too large");
      elements *= uint64_t(*extent);
      view.shape.push_back(*extent);
    }
    std::optional<int64_t> begin, end;
    if (offsets->size() == 2) {
      begin = (*offsets)[0].getAsInteger();
      end = (*offsets)[1].getAsInteger();
    }
    if (!begin || !end || *begin < 0 || *end < *begin)
      return bad("data_offsets must be [begin, end) with 0 <= begin <= end");
    if (uint64_t(*end) > dataBytes)
      return bad("data_offsets [" + llvm::Twine(*begin) + ", " + llvm::Twine(*end) +
                 ") run beyond the data (" + llvm::Twine(dataBytes) + " bytes)");
    uint64_t want = elements * uint64_t(info->bytes);
    if (uint64_t(*end - *begin) != want)
      return bad(llvm::Twine(*end - *begin) + " bytes of data but " + info->name +
                 " x " + llvm::Twine(elements) + " elements needs " + llvm::Twine(want));
    view.bytes = llvm::ArrayRef<uint8_t>(base + *begin, want);
    ranges.push_back({uint64_t(*begin), uint64_t(*end), name});
    file->tensors_.emplace(name, std::move(view));
  }
  // The ranges must tile [0, dataBytes) exactly.
  std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const Range &r : ranges) {
    if (r.begin < at)
      return fail(path, "tensor " + quoted(r.name) + " overlaps the tensor before it (offset " +
                            llvm::Twine(r.begin) + " < " + llvm::Twine(at) + ")");
    if (r.begin > at)
      return fail(path, "gap of " + llvm::Twine(r.begin - at) +
                            " bytes before tensor " + quoted(r.name));
    at = r.end;
  }
  if (at != dataBytes)
    return fail(path, llvm::Twine(dataBytes - at) +
                          " bytes after the last tensor belong to none");
  return std::move(file);
}

void SafeTensorsFile::releasePages(const TensorView &tensor) const {
  releaseMappedPages(*buffer_, tensor.bytes);
}

const TensorView *SafeTensorsFile::find(llvm::StringRef name) const {
  auto it = tensors_.find(name.str());
  return it == tensors_.end() ? nullptr : &it->second;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

void SafeTensorsWriter::add(llvm::StringRef name, DType dtype,
                            std::vector<int64_t> shape) {
  Entry e{name.str(), dtype, std::move(shape)};
  uint64_t elements = 1;
  for (int64_t d : e.shape)
    elements *= uint64_t(d);
  e.begin = entries_.empty() ? 0 : entries_.back().end;
  e.end = e.begin + elements * uint64_t(dtypeBytes(dtype));
  entries_.push_back(std::move(e));
}

llvm::Error SafeTensorsWriter::begin(llvm::StringRef path) {
  path_ = path.str();
  temporary_ = path_ + ".tmp";
  std::error_code ec;
  out_ = std::make_unique<llvm::raw_fd_ostream>(temporary_, ec);
  if (ec) {
    out_.reset();
    temporary_.clear();
    return fail(path, "cannot write: " + ec.message());
  }
  llvm::json::Object root;
  for (const Entry &e : entries_) {
    llvm::json::Array shape;
    for (int64_t d : e.shape)
      shape.push_back(d);
    root[e.name] = llvm::json::Object{
        {"dtype", dtypeName(e.dtype)},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{int64_t(e.begin), int64_t(e.end)}}};
  }
  std::string header;
  llvm::raw_string_ostream os(header);
  os << llvm::json::Value(std::move(root));
  os.flush();
  // Pad with spaces so that the data starts 8-byte aligned.
  while ((8 + header.size()) % 8 != 0)
    header.push_back(' ');
  uint64_t n = header.size();
  char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<char>(n >> (8 * i));
  out_->write(length, 8);
  *out_ << header;
  next_ = 0;
  return llvm::Error::success();
}

llvm::Error SafeTensorsWriter::write(llvm::ArrayRef<uint8_t> bytes) {
  if (!out_ || next_ >= entries_.size())
    return fail(path_, "more tensors written than declared");
  const Entry &e = entries_[next_];
  if (bytes.size() != e.end - e.begin)
    return fail(path_, "tensor " + quoted(e.name) + ": " + llvm::Twine(bytes.size()) +
                           " bytes given, " + llvm::Twine(e.end - e.begin) +
                           " declared");
  out_->write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  ++next_;
  return llvm::Error::success();
}

llvm::Error SafeTensorsWriter::finish() {
  if (!out_)
    return fail(path_, "not begun");
  if (next_ != entries_.size())
    return fail(path_, llvm::Twine(entries_.size() - next_) +
                           " declared tensors were not written");
  out_->close();
  bool failed = out_->has_error();
  if (failed)
    out_->clear_error();
  out_.reset();
  if (failed)
    return fail(path_, "write error");
  if (std::error_code ec = llvm::sys::fs::rename(temporary_, path_))
    return fail(path_, "cannot rename into place: " + ec.message());
  temporary_.clear();
  return llvm::Error::success();
}

SafeTensorsWriter::~SafeTensorsWriter() {
  if (out_) {
    out_->close();
    out_->clear_error();
  }
  if (!temporary_.empty())
    llvm::sys::fs::remove(temporary_);
}

} // namespace import
} // namespace bitnet
