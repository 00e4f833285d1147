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

def ConvertBitNetToLLVM : Pass<"convert-bitnet-to-llvm", "ModuleOp"> {
  let summary = "Lower bitnet.call_kernel to calls of Halide AOT functions";
  let description = [{
    Each `bitnet.call_kernel` becomes a call of the kernel's C entry point
    `i32 @kernel(ptr, ..., scalar, ...)`, declared on first use. Every memref
    operand is described by a `halide_buffer_t` (and its `halide_dimension_t`
    array) built on the stack: host pointer, Halide element type from
    `arg_types`, dimensions reversed (Halide's dimension 0 is innermost) with
    extents and element strides of the memref (a dynamic offset, a
    KV-cache row's, moves the host pointer at run time). Scalars pass by
    value.

    Calls with `device` (GPU kernels): a constant's buffer is a global that
    keeps its device copy across calls. Every other allocation the GPU
    kernels of a function use (an argument, a `memref.alloc`) gets one
    device copy for the call from `bitnet_rt2_device_root` (ModelAPI.c),
    right after the allocation; each kernel buffer is a view of it
    (`bitnet_rt2_device_view` before the call, `bitnet_rt2_device_view_done`
    after); the copy is released before the allocation's dealloc, and an
    argument's goes back to the caller's memory before the return (the
    model state's KV caches stay on the device). `bitnet.device_to_host` and
    `bitnet.host_written` become the runtime calls of the same names. Every
    status is or-ed into the function's i32 result.

    Before:
    ```mlir
    %s = bitnet.call_kernel @add_k(%a, %b, %y) {arg_types = ["f32", "f32", "f32"]}
        : (memref<5x37xf32>, memref<5x37xf32>, memref<5x37xf32>) -> i32
    ```
    After (abridged):
    ```mlir
    %dims = llvm.alloca %c2 x !llvm.struct<(i32, i32, i32, i32)> : (i64) -> !llvm.ptr
    %buf = llvm.alloca %c1 x !llvm.struct<(i64, ptr, ptr, i64, struct<(i8, i8, i16)>, i32, ptr, ptr)> : (i64) -> !llvm.ptr
    ...
    %s = llvm.call @add_k(%buf0, %buf1, %buf2) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // BITNET_CONVERSION_PASSES_TD
