// RUN: bitnet-opt %s --bitnet-check-bare-ptr-abi -split-input-file -verify-diagnostics

// expected-error @+1 {{@dyn argument #0 ('tensor<?x8xf32>') has a dynamic shape; the bare-pointer ABI needs static shapes}}
func.func @dyn(%x: tensor<?x8xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<0.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// expected-error @+2 {{@res argument #0 ('tensor<*xf32>') is not a ranked tensor or memref}}
// expected-error @+1 {{@res result #0 ('tensor<*xf32>') is not a ranked tensor or memref}}
func.func @res(%x: tensor<*xf32>) -> tensor<*xf32> {
  return %x : tensor<*xf32>
}

// -----

// Static shapes, scalars and private functions are fine.
func.func @ok(%x: tensor<2x8xf32>, %p: i32, %f: f32, %i: index) -> tensor<2x8xf32> {
  return %x : tensor<2x8xf32>
}
func.func private @private_dyn(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
