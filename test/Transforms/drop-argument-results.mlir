// RUN: bitnet-opt %s --bitnet-drop-argument-results -split-input-file | FileCheck %s

// A result that is always the argument it updated in place is dropped.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<2x8xf32>) -> memref<4xf32>
// CHECK: %[[LOGITS:.*]] = memref.alloc
// CHECK: return %[[LOGITS]] : memref<4xf32>
func.func @forward(%x: memref<4xf32>, %cache: memref<2x8xf32>) -> (memref<4xf32>, memref<2x8xf32>) {
  %logits = memref.alloc() : memref<4xf32>
  return %logits, %cache : memref<4xf32>, memref<2x8xf32>
}

// -----

// Not every return yields the argument: the result stays.
// CHECK-LABEL: func.func @mixed
// CHECK-SAME: -> memref<4xf32>
// CHECK-COUNT-2: return %{{.*}} : memref<4xf32>
func.func @mixed(%a: memref<4xf32>, %b: memref<4xf32>, %c: i1) -> memref<4xf32> {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  return %a : memref<4xf32>
^bb2:
  %n = memref.alloc() : memref<4xf32>
  return %n : memref<4xf32>
}

// -----

// Private functions and functions with callers keep their results (their
// callers would need updating; upstream drop-equivalent-buffer-results
// handles those).
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: -> memref<4xf32>
func.func private @helper(%a: memref<4xf32>) -> memref<4xf32> {
  return %a : memref<4xf32>
}
// CHECK-LABEL: func.func @called
// CHECK-SAME: -> memref<4xf32>
func.func @called(%a: memref<4xf32>) -> memref<4xf32> {
  return %a : memref<4xf32>
}
// CHECK-LABEL: func.func @caller
func.func @caller(%a: memref<4xf32>) -> memref<4xf32> {
  %r = func.call @called(%a) : (memref<4xf32>) -> memref<4xf32>
  return %r : memref<4xf32>
}

// -----

// Scalars are never dropped.
// CHECK-LABEL: func.func @scalar
// CHECK-SAME: -> i32
func.func @scalar(%a: i32) -> i32 {
  return %a : i32
}
