//===- LLVMInput.h - Checked input as LLVM buffers and JSON -----*- C++ -*-===//
//
// bitnet/Support/Input.h for the LLVM-linked libraries and tools: the same
// checks, reported as llvm::Error.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_SUPPORT_LLVMINPUT_H
#define BITNET_SUPPORT_LLVMINPUT_H

#include "bitnet/Support/Input.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <sys/mman.h>
#include <unistd.h>

namespace bitnet {

inline llvm::Error inputError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// The regular file `path` (at most `maxBytes`) as a buffer; large files are
/// mapped, not copied. `nullTerminated`: a NUL follows the last byte (the
/// MLIR lexer reads one past the end; a mapping that ends at a page boundary
/// has no such byte, so such files are then copied).
inline llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
openInputBuffer(const std::string &path, uint64_t maxBytes, bool nullTerminated = false) {
  int fd;
  uint64_t size;
  std::string why = openRegularFile(path, maxBytes, fd, size);
  if (!why.empty())
    return inputError(why);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getOpenFile(llvm::sys::fs::convertFDToNativeFile(fd), path,
                                      size, nullTerminated);
  ::close(fd);
  if (!buffer)
    return inputError(path + ": cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

/// Lets the system drop the pages of `range` (inside `buffer`) from memory:
/// a mapped file's pages are read again if touched, so a reader that is done
/// with a tensor keeps the process's memory to what it still needs. Does
/// nothing to a heap copy (dropping its pages would lose the data).
inline void releaseMappedPages(const llvm::MemoryBuffer &buffer,
                               llvm::ArrayRef<uint8_t> range) {
  if (buffer.getBufferKind() != llvm::MemoryBuffer::MemoryBuffer_MMap)
    return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(range.data());
  uintptr_t end = begin + range.size();
  begin = (begin + page - 1) / page * page; // whole pages of the range only
  end = end / page * page;
  if (end > begin)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

/// MLIR source text from `path`, or from standard input for "-" (up to
/// `stdinBytes`): null-terminated, as the MLIR parser needs.
inline llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
openInputBufferOrStdin(const std::string &path, uint64_t stdinBytes) {
  if (path != "-")
    return openInputBuffer(path, kAnySize, /*nullTerminated=*/true);
  std::string contents;
  std::string why = readStandardInput(stdinBytes, contents);
  if (!why.empty())
    return inputError(why);
  return llvm::MemoryBuffer::getMemBufferCopy(contents, "<stdin>");
}

/// JSON text from `where` (a path, or a path and a part of it), refused when
/// it nests too deeply, repeats a key in an object or does not parse.
inline llvm::Expected<llvm::json::Value> parseJson(llvm::StringRef text,
                                                   const llvm::Twine &where) {
  std::string why = checkJsonStructure(std::string_view(text.data(), text.size()));
  if (!why.empty())
    return inputError(where + ": JSON " + why);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return inputError(where + ": not valid JSON: " + llvm::toString(json.takeError()));
  return json;
}

/// The JSON file `path` of at most `maxBytes`.
inline llvm::Expected<llvm::json::Value> readJsonFile(const std::string &path,
                                                      uint64_t maxBytes) {
  std::string text;
  std::string why = readRegularFile(path, maxBytes, text);
  if (!why.empty())
    return inputError(why);
  return parseJson(text, path);
}

/// quoteForDiagnostic for LLVM strings.
inline std::string quoted(llvm::StringRef text) {
  return quoteForDiagnostic(std::string_view(text.data(), text.size()));
}

/// The JSON kind of `v`, for "must be X, not Y" messages.
inline const char *jsonKind(const llvm::json::Value &v) {
  switch (v.kind()) {
  case llvm::json::Value::Null: return "null";
  case llvm::json::Value::Boolean: return "a boolean";
  case llvm::json::Value::Number: return "a number";
  case llvm::json::Value::String: return "a string";
  case llvm::json::Value::Array: return "an array";
  case llvm::json::Value::Object: return "an object";
  }
  return "?";
}

} // namespace bitnet

#endif // BITNET_SUPPORT_LLVMINPUT_H
