//===- PackedWords.h - Weights of a packed word, 32 bits at a time --*- C++ -*-===//
//
// Halide expressions shared by the kernel generator and its tests (Halide is
// included: only they include this).
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_KERNELS_PACKEDWORDS_H
#define BITNET_KERNELS_PACKEDWORDS_H

#include "Halide.h"

namespace bitnet {
namespace kernels {

/// The four weights of code slot `slot` of a 4-byte word (u32, byte i the
/// tile row's byte i) of packed codes, as the bytes of a u32 (byte i the
/// weight of byte i's code, -1..1 as a signed byte): 2-bit offset codes c
/// (bits 2 slot .. 2 slot + 1, weight c - 1) or, `binary`, bits b (bit
/// slot, weight 2b - 1). Only 32-bit operations: ((c | 0x80) - 1) ^ 0x80 is
/// c - 1 in every byte at once, no borrow crossing into the next byte.
Halide::Expr packedWordWeights(Halide::Expr word, Halide::Expr slot, bool binary);

} // namespace kernels
} // namespace bitnet

#endif // BITNET_KERNELS_PACKEDWORDS_H
