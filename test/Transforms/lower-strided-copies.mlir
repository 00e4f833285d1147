// RUN: bitnet-opt %s --bitnet-lower-strided-copies | FileCheck %s

// Rows contiguous on both sides (a slice of a fused projection's result):
// a loop over the rows, each a contiguous copy (memcpy).
// CHECK-LABEL: func.func @rows
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[FROM:.*]] = memref.subview %{{.*}}[%[[ROW]], 0] [1, 2] [1, 1] : memref<3x2xf32, strided<[4, 1]>> to memref<2xf32, strided<[1], offset: ?>>
// CHECK: %[[TO:.*]] = memref.subview %{{.*}}[%[[ROW]], 0] [1, 2] [1, 1] : memref<3x2xf32> to memref<2xf32, strided<[1], offset: ?>>
// CHECK: memref.copy %[[FROM]], %[[TO]]
func.func @rows(%a: memref<3x2xf32, strided<[4, 1]>>, %b: memref<3x2xf32>) {
  memref.copy %a, %b : memref<3x2xf32, strided<[4, 1]>> to memref<3x2xf32>
  return
}

// The two inner dimensions are one contiguous run of 6 on both sides: one
// loop, over the outermost.
// CHECK-LABEL: func.func @runs
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK: memref.copy {{.*}} : memref<2x3xf32, strided<[3, 1], offset: ?>> to memref<2x3xf32, strided<[3, 1], offset: ?>>
func.func @runs(%a: memref<4x2x3xf32, strided<[8, 3, 1]>>, %b: memref<4x2x3xf32>) {
  memref.copy %a, %b : memref<4x2x3xf32, strided<[8, 3, 1]>> to memref<4x2x3xf32>
  return
}

// No contiguous innermost run (a transpose): element loops.
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%{{.*}} : memref<2x2xf32, strided<[1, 2]>>) outs(%{{.*}} : memref<2x2xf32>)
func.func @transposed(%a: memref<2x2xf32, strided<[1, 2]>>, %b: memref<2x2xf32>) {
  memref.copy %a, %b : memref<2x2xf32, strided<[1, 2]>> to memref<2x2xf32>
  return
}

// A dynamic shape: element loops.
// CHECK-LABEL: func.func @dynamic
// CHECK: linalg.generic
func.func @dynamic(%a: memref<?x2xf32, strided<[4, 1]>>, %b: memref<?x2xf32>) {
  memref.copy %a, %b : memref<?x2xf32, strided<[4, 1]>> to memref<?x2xf32>
  return
}

// Contiguous copies stay (they become memcpy).
// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy
func.func @contiguous(%a: memref<2x2xf32>, %b: memref<2x2xf32>) {
  memref.copy %a, %b : memref<2x2xf32> to memref<2x2xf32>
  return
}
