// RUN: bitnet-opt %s --bitnet-check-fully-lowered -split-input-file -verify-diagnostics

llvm.func @ok(%arg0: !llvm.ptr) {
  llvm.return
}

// -----

llvm.func @left_over(%arg0: i64) -> i64 {
  // expected-error @+1 {{'builtin.unrealized_conversion_cast' was not lowered to the LLVM dialect}}
  %0 = builtin.unrealized_conversion_cast %arg0 : i64 to index
  %1 = builtin.unrealized_conversion_cast %0 : index to i64
  llvm.return %1 : i64
}

// -----

// expected-error @+1 {{'func.func' was not lowered to the LLVM dialect}}
func.func @not_lowered() {
  return
}
