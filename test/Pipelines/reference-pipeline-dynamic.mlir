// The bare-pointer ABI cannot pass dynamically shaped buffers: the pipeline
// says so up front instead of leaving a half-converted function.
// RUN: not bitnet-opt %s --bitnet-reference-pipeline 2>&1 | FileCheck %s --check-prefix=BARE
// BARE: error: @dyn argument #0 ('tensor<?x8xf32>') has a dynamic shape; the bare-pointer ABI needs static shapes

// With memref descriptors, dynamic shapes lower all the way.
// RUN: bitnet-opt %s --bitnet-reference-pipeline=bare-ptr-abi=false | FileCheck %s --check-prefix=DESC
// DESC: llvm.func @dyn(
// DESC-NOT: unrealized_conversion_cast
func.func @dyn(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = bitnet.add %a, %b : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
