//===- InitAll.h - Registration of everything bitnet tools use --*- C++ -*-===//
#ifndef BITNET_INITALL_H
#define BITNET_INITALL_H

namespace mlir {
class DialectRegistry;
namespace bitnet {
/// The bitnet dialect, the upstream dialects its pipelines produce, and the
/// external models (bufferization, inlining, LLVM conversion) they need.
void registerAllDialects(DialectRegistry &registry);
/// bitnet passes and pipelines, plus the upstream passes they are built from.
void registerAllPasses();
} // namespace bitnet
} // namespace mlir

#endif // BITNET_INITALL_H
