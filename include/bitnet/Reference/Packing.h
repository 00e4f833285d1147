//===- Packing.h - Physical layouts of logical ternary/binary weights -----===//
//
// The one definition of every packed weight format. The dialect's
// #bitnet.packed attribute answers its storage size through these functions
// and bitnet.pack folds constants with packWeights, so the IR, the kernels and
// the reference cannot disagree on a layout.
//
// A layout packs an [N, K] logical matrix in tiles of [tileN, tileK]; N and K
// are padded up to multiples of the tile with zero weights. Tiles are stored
// row-tile major, then column tile; inside a tile, row by row, each row taking
// tileK / codesPerByte bytes:
//
//   offset2  code u = w + 1 in {0,1,2}; byte j of a tile row holds columns
//            j + l * (tileK/4) at bits 2l..2l+1 (l = 0..3, LSB first), so that
//            shifts and masks yield four contiguous runs. Ternary or binary.
//            Padding code 1.
//   base3    ternary only, 5 trits per byte (1.6 bits per weight): byte j of a
//            tile row holds the trits w + 1 of columns 5j..5j+4, first most
//            significant, as a base-3 byte (below). Padding trit 1.
//   bits1    binary only, bit b = (w + 1) / 2; byte j holds columns
//            j + l * (tileK/8) at bit l. Padding bit 0 (padded activations are
//            zero, so padding never contributes).
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_REFERENCE_PACKING_H
#define BITNET_REFERENCE_PACKING_H

#include "bitnet/Reference/Reference.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitnet {
namespace ref {

enum class PackFormat { Offset2, Base3, Bits1 };

const char *packFormatName(PackFormat format);
std::optional<PackFormat> parsePackFormat(const std::string &name);
/// Logical weights per byte: 4, 5 or 8.
int64_t codesPerByte(PackFormat format);

struct PackedLayout {
  PackFormat format = PackFormat::Offset2;
  int64_t tileN = 1;
  int64_t tileK = 4;
};

/// Empty when `layout` can hold weights of `kind`, else why not (tile sizes
/// must be positive, tileK a multiple of codesPerByte, the format allowed for
/// the kind; Float weights are never packed).
std::string validateLayout(const PackedLayout &layout, WeightKind kind);

/// Bytes needed for an [N, K] matrix (padded to whole tiles); -1 when the
/// tile sizes are invalid for the format (or above 2^16), N or K is negative
/// or above 2^40, or the size overflows int64.
int64_t packedStorageBytes(const PackedLayout &layout, int64_t N, int64_t K);

/// The base-3 byte, five trits (0, 1 or 2) in 8 bits, shared by the base3
/// format and GGUF's TQ1_0 (which orders the trits of a block its own way):
/// trits t_0..t_4, first most significant, are the value
/// v = sum_i t_i * 3^(4-i) in [0, 243), stored as ceil(v * 256 / 243) so that
/// trit i is ((uint8_t)(byte * 3^i) * 3) >> 8 (a multiply and a shift per trit,
/// llama.cpp's TQ1_0 encoding).
constexpr int kTritsPerBase3Byte = 5;
/// The byte of `count` (1..5) trits; the trits after them are 0.
uint8_t encodeBase3Byte(const uint8_t *trits, int count);
/// Trit `index` (0..4, 0 the most significant) of `byte`.
int base3Trit(uint8_t byte, int index);
/// Whether `byte` encodes some five trits: 243 of the 256 values do; the
/// others decode to trits whose encoding is another byte.
bool isBase3Byte(uint8_t byte);

/// Packs logical weights (each in {-1,0,1}; {-1,1} for bits1). The layout must
/// be valid; returns packedStorageBytes bytes (an empty vector if it is not).
std::vector<uint8_t> packWeights(const PackedLayout &layout, const int8_t *w,
                                 int64_t N, int64_t K);

/// Inverse of packWeights. Returns false (leaving `w` untouched) if a code is
/// invalid (offset2 code 3, a byte that is not a base-3 byte), padding
/// included, or if the layout is invalid.
bool unpackWeights(const PackedLayout &layout, const uint8_t *packed,
                   int64_t N, int64_t K, std::vector<int8_t> &w);

} // namespace ref
} // namespace bitnet

#endif // BITNET_REFERENCE_PACKING_H
