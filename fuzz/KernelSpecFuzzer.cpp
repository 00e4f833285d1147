//===- KernelSpecFuzzer.cpp - libFuzzer harness for kernel specs ----------===//
//
// The input is a kernel spec as bitnet-kernelgen reads it: a JSON object
// (first byte '{') or key=value lines. Parsing and validate() must answer
// with a message or accept, never crash; a message is one short line
// (names from the spec are quoted escaped and cut); an accepted spec's
// canonical text must parse back to the same spec.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelSpec.h"

#include <cstdlib>
#include <string>

using bitnet::kernels::KernelSpec;

namespace {
/// Applies key=value lines; "" or the first error.
std::string applyLines(KernelSpec &spec, const std::string &text) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (line.empty())
      continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      return "no '=' in a line";
    std::string why = bitnet::kernels::setSpecField(spec, line.substr(0, eq), line.substr(eq + 1));
    if (!why.empty())
      return why;
  }
  return "";
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  KernelSpec spec;
  std::string why = !text.empty() && text[0] == '{' ? bitnet::kernels::parseSpecJSON(spec, text)
                                                    : applyLines(spec, text);
  if (why.empty())
    why = spec.validate();
  if (!why.empty()) {
    // Two quoted names of at most 64 bytes, each byte escaped to at most 4.
    if (why.size() > 1024 || why.find_first_of("\n\r") != std::string::npos)
      std::abort();
    return 0;
  }
  // The canonical text names cached kernels: it must describe the same spec.
  KernelSpec again;
  if (!applyLines(again, spec.canonical()).empty() || again.canonical() != spec.canonical())
    std::abort();
  return 0;
}
