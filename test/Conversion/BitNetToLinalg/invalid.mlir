// RUN: bitnet-opt %s --convert-bitnet-to-linalg -split-input-file -verify-diagnostics

func.func @dynamic_context(%q: tensor<1x16xf32>, %kc: tensor<2x?x8xf32>, %p: i32) -> tensor<1x16xf32> {
  // expected-error @+2 {{the reference lowering needs a static context length}}
  // expected-error @+1 {{failed to legalize operation 'bitnet.attention'}}
  %o = bitnet.attention %q, %kc, %kc, %p {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x16xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32>
  return %o : tensor<1x16xf32>
}
