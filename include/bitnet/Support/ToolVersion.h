//===- ToolVersion.h - What --version prints --------------------*- C++ -*-===//
//
// The LLVM-based tools' --version names the project's release, not only the
// LLVM it links (cl's default printer says "Debian LLVM version 22..."). The
// tool's CMakeLists defines BITNET_VERSION from the project's VERSION.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_SUPPORT_TOOLVERSION_H
#define BITNET_SUPPORT_TOOLVERSION_H

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#ifndef BITNET_VERSION
#error "the tool's CMakeLists must define BITNET_VERSION"
#endif

namespace bitnet {

/// Makes --version print "<tool> <version> (LLVM <version>)".
inline void setToolVersionPrinter(const char *tool) {
  llvm::cl::SetVersionPrinter([tool](llvm::raw_ostream &os) {
    os << tool << " " << BITNET_VERSION << " (LLVM " << LLVM_VERSION_STRING << ")\n";
  });
}

} // namespace bitnet

#endif // BITNET_SUPPORT_TOOLVERSION_H
