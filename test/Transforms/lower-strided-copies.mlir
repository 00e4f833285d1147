// RUN: bitnet-opt %s --bitnet-lower-strided-copies | FileCheck %s

// CHECK-LABEL: func.func @strided
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%{{.*}} : memref<2x2xf32, strided<[4, 1]>>) outs(%{{.*}} : memref<2x2xf32>)
func.func @strided(%a: memref<2x2xf32, strided<[4, 1]>>, %b: memref<2x2xf32>) {
  memref.copy %a, %b : memref<2x2xf32, strided<[4, 1]>> to memref<2x2xf32>
  return
}

// Contiguous copies stay (they become memcpy).
// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy
func.func @contiguous(%a: memref<2x2xf32>, %b: memref<2x2xf32>) {
  memref.copy %a, %b : memref<2x2xf32> to memref<2x2xf32>
  return
}
