// RUN: bitnet-opt %s --bitnet-outline-kernels=target=x86-64-avx2 -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not bitnet-opt %s --bitnet-outline-kernels="target=x86-64-avx2 kernel-prefix=9x" -split-input-file 2>&1 | FileCheck %s --check-prefix=PREFIX
// PREFIX: kernel-prefix '9x' is not a C identifier

// CHECK: module attributes {bitnet.kernels = {bitnet_add_[[HASH:[0-9a-f]+]] = #bitnet.kernel<kind = add, target = "x86-64-avx2", name = bitnet_add_[[HASH]], m = 2, n = 8,
// CHECK-LABEL: func.func @add
// CHECK-SAME: -> (tensor<2x8xf32>, i32)
// CHECK: %[[A:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<2x8xf32> to memref<2x8xf32>
// CHECK: %[[B:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<2x8xf32> to memref<2x8xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x8xf32>
// CHECK: %[[S:.*]] = bitnet.call_kernel @bitnet_add_[[HASH]](%[[A]], %[[B]], %[[OUT]]) {arg_types = [f32, f32, f32], bitnet.kernel_spec = #bitnet.kernel<kind = add
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[T]], %[[S]]
func.func @add(%a: tensor<2x8xf32>, %b: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = bitnet.add %a, %b : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Two equal shapes share one kernel; statuses are or-ed.
// CHECK-LABEL: func.func @twice
// CHECK: %[[S1:.*]] = bitnet.call_kernel @[[K:bitnet_glu_[0-9a-f]+]](
// CHECK: %[[S2:.*]] = bitnet.call_kernel @[[K]](
// CHECK: %[[ANY:.*]] = arith.ori %[[S1]], %[[S2]] : i32
// CHECK: return %{{.*}}, %[[ANY]]
func.func @twice(%g: tensor<1x16xf32>, %u: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %a = bitnet.glu relu2 %g, %u : tensor<1x16xf32>
  %b = bitnet.glu relu2 %a, %u : tensor<1x16xf32>
  return %b : tensor<1x16xf32>
}

// -----

// Attention reads the layer's rows of each cache in place (a strided buffer,
// no copy); the append itself is left to the reference lowering.
// CHECK-LABEL: func.func @attention
// CHECK: bitnet.kv_append
// CHECK: %[[KS:.*]] = tensor.extract_slice %{{.*}}[1, 0, 0] [1, 8, 8] [1, 1, 1] : tensor<2x8x8xf32> to tensor<8x8xf32>
// CHECK: bufferization.to_buffer %[[KS]] read_only : tensor<8x8xf32> to memref<8x8xf32, strided<[8, 1], offset: 64>>
// CHECK: bitnet.call_kernel @bitnet_attention_{{[0-9a-f]+}}({{.*}}) {arg_types = [f32, f32, f32, si32, f32], bitnet.kernel_spec = #bitnet.kernel<kind = attention, {{.*}}, heads = 4, kv_heads = 2, head_dim = 4, context = 8,
func.func @attention(%q: tensor<1x16xf32>, %k: tensor<1x8xf32>, %kc: tensor<2x8x8xf32>, %vc: tensor<2x8x8xf32>, %pos: i32) -> tensor<1x16xf32> {
  %kc1 = bitnet.kv_append %kc, %k, %pos {layer = 1 : i64} : tensor<2x8x8xf32>, tensor<1x8xf32>
  %o = bitnet.attention %q, %kc1, %vc, %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x16xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  return %o : tensor<1x16xf32>
}

// -----

// Packed ternary weights become a plain byte buffer read as u8.
// CHECK-LABEL: func.func @bitlinear
// CHECK: %[[W:.*]] = arith.constant dense<[-92, -86]> : tensor<2xi8>
// CHECK: bitnet.call_kernel @bitnet_bitlinear_{{[0-9a-f]+}}({{.*}}) {arg_types = [si8, f32, ui8, f32, f32], bitnet.kernel_spec = #bitnet.kernel<kind = bitlinear, {{.*}}, m = 1, n = 2, k = 4, {{.*}}, format = offset2, tile = "1x4",
func.func @bitlinear(%q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32) -> tensor<1x2xf32> {
  %w = bitnet.constant dense<[-92, -86]> : tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>>
  %y = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<2xi8, #bitnet.packed<offset2, ternary, shape = [2, 4], tile = [1, 4]>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// No kernel for these: a BitLinear over logical (unpacked) weights and an op
// of dynamic shape stay for the reference lowering; both ops are kept as
// they are.
// CHECK-LABEL: func.func @left_alone
// CHECK-SAME: -> (tensor<?x8xf32>, tensor<1x2xf32>)
// CHECK-NOT: bitnet.call_kernel
// CHECK-DAG: bitnet.add %{{.*}}, %{{.*}} : tensor<?x8xf32>
// CHECK-DAG: bitnet.bitlinear ternary %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
// CHECK-NOT: bitnet.call_kernel
func.func @left_alone(%x: tensor<?x8xf32>, %q: tensor<1x4xi8>, %s: tensor<1xf32>, %g: f32)
    -> (tensor<?x8xf32>, tensor<1x2xf32>) {
  %y = bitnet.add %x, %x : tensor<?x8xf32>
  %w = bitnet.constant dense<[[-1, 0, 1, 1], [1, 1, 1, 1]]> : tensor<2x4xi2>
  %b = bitnet.bitlinear ternary %q, %s, %w, %g : tensor<1x4xi8>, tensor<1xf32>, tensor<2x4xi2> -> tensor<1x2xf32>
  return %y, %b : tensor<?x8xf32>, tensor<1x2xf32>
}
