//===- KernelCall.h - What a kernel call of an op consists of ---*- C++ -*-===//
//
// The answer of KernelOpInterface::describeKernel: the spec of the kernel
// that computes an op at its shapes, the operands it is called with (each
// with the Halide element type the kernel reads it as) and the results it
// writes. bitnet-outline-kernels turns it into a bitnet.call_kernel.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_DIALECT_BITNET_KERNELCALL_H
#define BITNET_DIALECT_BITNET_KERNELCALL_H

#include "bitnet/Kernels/KernelSpec.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace mlir {
namespace bitnet {

/// One operand: a tensor (passed as a buffer of `bufferType`, or an
/// identity-layout buffer when null) or a scalar, with its Halide type
/// (i8, u8, i16, u16, i32, f32).
struct KernelOperand {
  Value value;
  std::string halideType;
  MemRefType bufferType = {};
};

/// One result: a fresh buffer of `type`'s shape.
struct KernelResult {
  RankedTensorType type;
  std::string halideType;
};

struct KernelCall {
  ::bitnet::kernels::KernelSpec spec; // target and name are the pass's
  llvm::SmallVector<KernelOperand> operands;
  llvm::SmallVector<KernelResult> results;
};

} // namespace bitnet
} // namespace mlir

#endif // BITNET_DIALECT_BITNET_KERNELCALL_H
