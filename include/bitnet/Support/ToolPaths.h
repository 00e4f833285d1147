//===- ToolPaths.h - Where a tool finds its companions ----------*- C++ -*-===//
//
// The tools run from a build tree (build/bin) or an install (bin/); both
// keep bitnet-kernelgen beside them and the run-time support objects in
// ../lib/bitnet-runtime.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_SUPPORT_TOOLPATHS_H
#define BITNET_SUPPORT_TOOLPATHS_H

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

#include <string>

namespace bitnet {

/// `name` in the directory of the running tool at `self`.
inline std::string siblingTool(llvm::StringRef self, llvm::StringRef name) {
  llvm::SmallString<256> path(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(path, name);
  return std::string(path);
}

/// lib/bitnet-runtime of the tree the tool at `self` runs from.
inline std::string runtimeDirFor(llvm::StringRef self) {
  llvm::SmallString<256> path(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(path, "..", "lib", "bitnet-runtime");
  return std::string(path);
}

} // namespace bitnet

#endif // BITNET_SUPPORT_TOOLPATHS_H
