// Regression (encoding-null-element-type): a tensor type whose element type
// does not parse (here an undefined alias) with a #bitnet.packed encoding
// crashed every tool that parses IR: MLIR's parser calls verifyEncoding with
// a null element type before it gives up on the type. Found by the bitnet-ir
// fuzz harness. The parser's own error is the only one.
// RUN: not bitnet-opt %s 2>&1 | FileCheck %s

// CHECK: error: undefined symbol alias id 'xi32'
// CHECK-NOT: error:
// CHECK-NOT: Stack dump
func.func @encoding_i32(%p: tensor<!xi32, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>)
