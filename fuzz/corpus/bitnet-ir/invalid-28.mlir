func.func @quantize_weights_cols(%w: tensor<?x8xf32>) {
  %t, %g = bitnet.quantize_weights binary %w : tensor<?x8xf32> -> tensor<?x16xi2>
  return
}
