//===- Passes.td - bitnet transformation passes ------------*- tablegen -*-===//
#ifndef BITNET_TRANSFORMS_PASSES_TD
#define BITNET_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DropArgumentResults : Pass<"bitnet-drop-argument-results", "ModuleOp"> {
  let summary = "Drop buffer results of public functions that return an argument";
  let description = [{
    After one-shot bufferization a model function that updates its KV caches
    in place returns those cache arguments unchanged. Upstream
    `drop-equivalent-buffer-results` leaves public functions alone (their
    callers are unknown); for the compiled model's ABI the caller owns the
    cache buffers and the returned copies are redundant, so this pass removes
    every memref result that is, on every return, exactly a function argument.
    Functions that are called inside the module are left unchanged.

    Before:
    ```mlir
    func.func @forward(%arg0: memref<4xf32>, %cache: memref<2x8xf32>)
        -> (memref<4xf32>, memref<2x8xf32>) {
      ...
      return %logits, %cache : memref<4xf32>, memref<2x8xf32>
    }
    ```
    After:
    ```mlir
    func.func @forward(%arg0: memref<4xf32>, %cache: memref<2x8xf32>)
        -> memref<4xf32> {
      ...
      return %logits : memref<4xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numDropped", "dropped-results", "Number of results dropped">
  ];
}

def CheckBarePointerABI : Pass<"bitnet-check-bare-ptr-abi", "ModuleOp"> {
  let summary = "Reject public functions the bare-pointer ABI cannot express";
  let description = [{
    The bare-pointer calling convention passes every buffer as a plain
    pointer, which only works when its shape is known at compile time. This
    pass runs before bufferization and reports, with its location, every
    public function argument or result that is a dynamically shaped tensor or
    memref, or a type other than a ranked tensor, memref, integer, index or
    float. Without it the LLVM conversion would leave the function half
    converted.
  }];
}

def CheckFullyLowered : Pass<"bitnet-check-fully-lowered", "ModuleOp"> {
  let summary = "Fail if anything outside the LLVM dialect remains";
  let description = [{
    The last step of a pipeline that ends in the LLVM dialect: reports, with
    its location, the first operation of any other dialect (for example a
    `builtin.unrealized_conversion_cast` left by a partial conversion), so
    that a pipeline never succeeds with output that cannot be translated.
  }];
}

#endif // BITNET_TRANSFORMS_PASSES_TD
