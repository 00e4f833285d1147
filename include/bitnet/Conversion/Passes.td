//===- Passes.td - bitnet conversion passes ----------------*- tablegen -*-===//
#ifndef BITNET_CONVERSION_PASSES_TD
#define BITNET_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertBitNetToLinalg : Pass<"convert-bitnet-to-linalg", "ModuleOp"> {
  let summary = "Lower every bitnet op to linalg, tensor, arith and math";
  let description = [{
    The reference lowering: each bitnet op becomes `linalg.generic` ops (plus
    `tensor` slicing and `arith`/`math` scalar code) that perform exactly the
    operations, in exactly the order, of the golden reference in
    `lib/Reference`. Integer parts (activation codes, int32 accumulators,
    packed bytes) are bit-exact; float parts follow the same sequence of f32
    operations. Simple and obviously right, not fast: this path is the
    correctness oracle for every optimised pipeline.

    Logical `i2` weights become `i8` tensors and `#bitnet.packed` encodings are
    dropped (the layout is fully applied by the lowering of `bitnet.pack` and
    of `bitnet.bitlinear` on packed weights).

    Before:
    ```mlir
    %q, %s = bitnet.quantize_activations %x : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1xf32>
    ```
    After (abridged):
    ```mlir
    %amax = linalg.generic {iterator_types = ["parallel", "reduction"]} ...
    %s = linalg.generic ... { arith.divf %c127, (arith.maximumf %amax, %c1e-5) }
    %q = linalg.generic ... { math.roundeven, clamp, arith.fptosi }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::func::FuncDialect",
  ];
}

#endif // BITNET_CONVERSION_PASSES_TD
