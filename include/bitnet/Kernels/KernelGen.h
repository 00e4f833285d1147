//===- KernelGen.h - Halide kernels from specs ------------------*- C++ -*-===//
//
// Only bitnet-kernelgen links this (it pulls in Halide and its LLVM 14).
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_KERNELS_KERNELGEN_H
#define BITNET_KERNELS_KERNELGEN_H

#include "bitnet/Kernels/KernelSpec.h"

#include <string>

namespace bitnet {
namespace kernels {

/// Compiles the kernel of a valid `spec` to an object file and a C header at
/// the given paths (for arm64-dotprod the "object" is a static library of the
/// dotprod and plain NEON variants plus a run-time dispatcher: use
/// kernelObjectSuffixFor). Returns "" or an error message.
std::string generateKernel(const KernelSpec &spec, const std::string &objectPath,
                           const std::string &headerPath);

/// For a GPU spec, one line per kernel launch of the compiled pipeline, in
/// the order of the host code: "launch NAME blocks (X, Y, Z) threads (X, Y,
/// Z) shared BYTES bytes" (dynamic shared memory; expressions where they
/// depend on the inputs), followed by " in host loop V[, W]" when a loop of
/// the host code
/// repeats the launch (a dimension left off the grid). Writes `text`;
/// returns "" or an error message (not a GPU spec, Halide's).
std::string describeLaunches(const KernelSpec &spec, std::string &text);

/// Writes the Halide runtime for `target` (one per final link).
std::string generateRuntime(KernelTarget target, const std::string &objectPath);

} // namespace kernels
} // namespace bitnet

#endif // BITNET_KERNELS_KERNELGEN_H
