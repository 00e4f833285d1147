//===- Input.h - Bounded, checked reading of untrusted input ----*- C++ -*-===//
//
// The one home for reading files the user names and for quoting what they
// contain in a diagnostic. Plain C++17 and POSIX (no LLVM): the
// Halide-linked bitnet-kernelgen uses it too. Every function returns "" on
// success or a one-line message that names the path (or the place).
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_SUPPORT_INPUT_H
#define BITNET_SUPPORT_INPUT_H

#include <cstdint>
#include <string>
#include <string_view>

namespace bitnet {

/// Size bounds for inputs read whole into memory. Far above any real file
/// of the kind, far below what exhausts memory.
constexpr uint64_t kMaxConfigBytes = 4ull << 20;   // config.json
constexpr uint64_t kMaxIndexBytes = 64ull << 20;   // *.safetensors.index.json
constexpr uint64_t kMaxTextInputBytes = 64ull << 20; // --prompt-file, kernel specs
constexpr uint64_t kMaxStdinModelBytes = 4ull << 30; // model IR on stdin
/// No bound beyond the file's own size (model files are mapped, not copied).
constexpr uint64_t kAnySize = UINT64_MAX;

/// Opens `path` for reading if it is a regular file of at most `maxBytes`
/// bytes (FIFOs, devices, directories and sockets are refused without
/// blocking); sets `fd` (the caller closes it) and `size`.
std::string openRegularFile(const std::string &path, uint64_t maxBytes, int &fd,
                            uint64_t &size);

/// The whole of the regular file `path` (at most `maxBytes` bytes).
std::string readRegularFile(const std::string &path, uint64_t maxBytes,
                            std::string &contents);

/// All of standard input, refused past `maxBytes` bytes.
std::string readStandardInput(uint64_t maxBytes, std::string &contents);

/// `text` as a whole decimal int64 (an optional sign, digits, nothing
/// else, in range); false otherwise.
bool parseInt64(const std::string &text, int64_t &out);

/// `text` as a diagnostic may quote it: in single quotes, control bytes,
/// quotes, backslashes and non-ASCII bytes escaped (\n, \xNN), and cut after
/// `maxBytes` bytes with a note of the full length.
std::string quoteForDiagnostic(std::string_view text, size_t maxBytes = 64);

/// Checks what a recursive JSON parser and a last-key-wins object cannot:
/// that `text` nests at most `maxDepth` arrays/objects and that no object
/// repeats a key (compared after unescaping). Syntax errors are left to the
/// parser. The message names the byte offset.
constexpr unsigned kMaxJsonDepth = 64;
std::string checkJsonStructure(std::string_view text, unsigned maxDepth = kMaxJsonDepth);

/// Checks that MLIR source text nests at most `maxDepth` brackets ((, [, {
/// and the < of types and attributes; strings, comments, ->, <= and >= left
/// out): MLIR's recursive-descent parser has no bound of its own and
/// overflows the stack. Far above any IR this project writes or reads. The
/// message names the byte offset.
constexpr unsigned kMaxMlirDepth = 128;
std::string checkMlirNesting(std::string_view text, unsigned maxDepth = kMaxMlirDepth);

} // namespace bitnet

#endif // BITNET_SUPPORT_INPUT_H
