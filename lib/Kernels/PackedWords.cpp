//===- PackedWords.cpp - Weights of a packed word, 32 bits at a time ------===//

#include "bitnet/Kernels/PackedWords.h"

namespace bitnet {
namespace kernels {

using namespace Halide;

Expr packedWordWeights(Expr word, Expr slot, bool binary) {
  auto bytes = [](uint32_t v) { return Internal::UIntImm::make(UInt(32), v); };
  // Each byte's code, 0..3 (binary: 2b, 0 or 2).
  Expr codes = binary ? ((word >> cast<uint32_t>(slot)) & bytes(0x01010101u)) * bytes(2)
                      : (word >> cast<uint32_t>(slot * 2)) & bytes(0x03030303u);
  return ((codes | bytes(0x80808080u)) - bytes(0x01010101u)) ^ bytes(0x80808080u);
}

} // namespace kernels
} // namespace bitnet
