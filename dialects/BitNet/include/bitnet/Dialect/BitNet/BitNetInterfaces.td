//===- BitNetInterfaces.td - bitnet op interfaces ----------*- tablegen -*-===//
#ifndef BITNET_INTERFACES_TD
#define BITNET_INTERFACES_TD

include "mlir/IR/OpBase.td"

def BitNet_KernelOpInterface : OpInterface<"KernelOpInterface"> {
  let cppNamespace = "::mlir::bitnet";
  let description = [{
    An op that a shape-specialised kernel of `bitnet-kernelgen` computes.
    `describeKernel` gives the kernel's spec (kind, shapes, layout; the
    target, symbol and schedule parameters are left to the caller) and the
    operands and results of the call, or fails when the op has no kernel at
    its shapes (dynamic shapes, unpacked BitLinear weights, a non-f16
    embedding table). It may create the values it passes (a slice of a
    cache, the packed weights as plain bytes) with `builder`, which is set
    before the op. `bitnet-outline-kernels` selects kernels through it; the
    models live beside that pass (lib/Transforms/KernelOpModels.cpp) and are
    attached to the ops when the pass (or `registerAllDialects`) loads the
    dialect.
  }];
  let methods = [
    InterfaceMethod<
      "The kernel call that computes this op, or failure.",
      "::mlir::FailureOr<::mlir::bitnet::KernelCall>", "describeKernel",
      (ins "::mlir::OpBuilder &":$builder)>
  ];
}

#endif // BITNET_INTERFACES_TD
