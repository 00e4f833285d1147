//===- Packing.cpp - Physical layouts of logical ternary/binary weights ---===//

#include "bitnet/Reference/Packing.h"

#include <utility>

namespace bitnet {
namespace ref {

const char *packFormatName(PackFormat format) {
  switch (format) {
  case PackFormat::Offset2:
    return "offset2";
  case PackFormat::Base3:
    return "base3";
  case PackFormat::Bits1:
    return "bits1";
  }
  return "unknown";
}

std::optional<PackFormat> parsePackFormat(const std::string &name) {
  if (name == "offset2")
    return PackFormat::Offset2;
  if (name == "base3")
    return PackFormat::Base3;
  if (name == "bits1")
    return PackFormat::Bits1;
  return std::nullopt;
}

int64_t codesPerByte(PackFormat format) {
  switch (format) {
  case PackFormat::Offset2:
    return 4;
  case PackFormat::Base3:
    return 5;
  case PackFormat::Bits1:
    return 8;
  }
  return 1;
}

// Bounds that keep every index computation of a layout far from overflow.
static constexpr int64_t kMaxTile = int64_t(1) << 16;
static constexpr int64_t kMaxDim = int64_t(1) << 40;

std::string validateLayout(const PackedLayout &layout, WeightKind kind) {
  if (layout.tileN <= 0)
    return "tileN must be positive, got " + std::to_string(layout.tileN);
  if (layout.tileK <= 0)
    return "tileK must be positive, got " + std::to_string(layout.tileK);
  if (layout.tileN > kMaxTile || layout.tileK > kMaxTile)
    return "tile sizes must be at most " + std::to_string(kMaxTile);
  int64_t cpb = codesPerByte(layout.format);
  if (layout.tileK % cpb != 0)
    return std::string("tileK of ") + packFormatName(layout.format) +
           " must be a multiple of " + std::to_string(cpb) + ", got " +
           std::to_string(layout.tileK);
  switch (kind) {
  case WeightKind::Float:
    return "float weights are never packed";
  case WeightKind::Ternary:
    if (layout.format == PackFormat::Bits1)
      return "bits1 holds binary weights only, not ternary";
    break;
  case WeightKind::Binary:
    if (layout.format == PackFormat::Base3)
      return "base3 holds ternary weights only, not binary";
    break;
  }
  return "";
}

static int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

int64_t packedStorageBytes(const PackedLayout &layout, int64_t N, int64_t K) {
  int64_t cpb = codesPerByte(layout.format);
  if (layout.tileN <= 0 || layout.tileK <= 0 || layout.tileK % cpb != 0 ||
      layout.tileN > kMaxTile || layout.tileK > kMaxTile || N < 0 || K < 0 ||
      N > kMaxDim || K > kMaxDim)
    return -1; // invalid layout or shape
  int64_t bytes = 0;
  if (__builtin_mul_overflow(roundUp(N, layout.tileN),
                             roundUp(K, layout.tileK) / cpb, &bytes))
    return -1;
  return bytes;
}

namespace {

/// Visits every byte of the packed buffer in storage order, giving its index,
/// its logical row (possibly in the padding) and where its slots' columns are:
/// slot l holds column k0 + l * step (possibly in the padding).
template <typename Fn>
void forEachByte(const PackedLayout &layout, int64_t N, int64_t K, Fn fn) {
  int64_t cpb = codesPerByte(layout.format);
  int64_t paddedN = roundUp(N, layout.tileN);
  int64_t paddedK = roundUp(K, layout.tileK);
  int64_t rowBytes = layout.tileK / cpb; // bytes per tile row
  int64_t tileBytes = layout.tileN * rowBytes;
  int64_t tilesK = paddedK / layout.tileK;
  // Base3: 5 consecutive columns a byte, l the trit index; else strided runs.
  const bool base3 = layout.format == PackFormat::Base3;
  const int64_t step = base3 ? 1 : rowBytes;
  for (int64_t tn = 0; tn < paddedN / layout.tileN; ++tn)
    for (int64_t tk = 0; tk < tilesK; ++tk) {
      int64_t tileBase = (tn * tilesK + tk) * tileBytes;
      for (int64_t r = 0; r < layout.tileN; ++r) {
        int64_t n = tn * layout.tileN + r;
        int64_t rowBase = tileBase + r * rowBytes;
        for (int64_t j = 0; j < rowBytes; ++j)
          fn(rowBase + j, n, tk * layout.tileK + (base3 ? cpb * j : j), step);
      }
    }
}

/// Visits every (padded) position of the matrix in storage order, giving the
/// byte index within the packed buffer, the slot within that byte, the
/// logical row and column (possibly in the padding).
template <typename Fn>
void forEachCode(const PackedLayout &layout, int64_t N, int64_t K, Fn fn) {
  const int64_t cpb = codesPerByte(layout.format);
  forEachByte(layout, N, K, [&](int64_t byte, int64_t n, int64_t k0, int64_t step) {
    for (int64_t l = 0; l < cpb; ++l)
      fn(byte, l, n, k0 + l * step);
  });
}

} // namespace

uint8_t encodeBase3Byte(const uint8_t *trits, int count) {
  int32_t v = 0;
  for (int i = 0; i < kTritsPerBase3Byte; ++i)
    v = v * 3 + (i < count ? trits[i] : 0);
  return static_cast<uint8_t>((v * 256 + 242) / 243);
}

int base3Trit(uint8_t byte, int index) {
  static const uint8_t pow3[kTritsPerBase3Byte] = {1, 3, 9, 27, 81};
  // byte * 3^index mod 256 drops the trits before `index`.
  uint8_t shifted = static_cast<uint8_t>(byte * pow3[index]);
  return (shifted * 3) >> 8;
}

bool isBase3Byte(uint8_t byte) {
  uint8_t trits[kTritsPerBase3Byte];
  for (int i = 0; i < kTritsPerBase3Byte; ++i)
    trits[i] = static_cast<uint8_t>(base3Trit(byte, i));
  return encodeBase3Byte(trits, kTritsPerBase3Byte) == byte;
}

std::vector<uint8_t> packWeights(const PackedLayout &layout, const int8_t *w,
                                 int64_t N, int64_t K) {
  int64_t bytes = packedStorageBytes(layout, N, K);
  if (bytes < 0)
    return {};
  std::vector<uint8_t> out(static_cast<size_t>(bytes), 0);
  if (layout.format == PackFormat::Base3) {
    // Gather each byte's trits, then encode them.
    std::vector<uint8_t> trits(static_cast<size_t>(bytes) * kTritsPerBase3Byte);
    forEachCode(layout, N, K, [&](int64_t byte, int64_t l, int64_t n,
                                  int64_t k) {
      int wv = (n < N && k < K) ? w[n * K + k] : 0;
      trits[byte * kTritsPerBase3Byte + l] = static_cast<uint8_t>(wv + 1);
    });
    for (int64_t i = 0; i < bytes; ++i)
      out[i] = encodeBase3Byte(&trits[i * kTritsPerBase3Byte], kTritsPerBase3Byte);
    return out;
  }
  // A byte at a time (a compile packs billions of weights).
  const bool bits1 = layout.format == PackFormat::Bits1;
  const int64_t cpb = codesPerByte(layout.format);
  forEachByte(layout, N, K, [&](int64_t byte, int64_t n, int64_t k0, int64_t step) {
    if (!bits1 && n < N && k0 + 3 * step < K) {
      // Four ternary codes, none in the padding: the common byte.
      const int8_t *p = w + n * K + k0;
      out[byte] = static_cast<uint8_t>(
          ((static_cast<unsigned>(p[0] + 1) & 3u)) |
          ((static_cast<unsigned>(p[step] + 1) & 3u) << 2) |
          ((static_cast<unsigned>(p[2 * step] + 1) & 3u) << 4) |
          ((static_cast<unsigned>(p[3 * step] + 1) & 3u) << 6));
      return;
    }
    unsigned packed = 0;
    for (int64_t l = 0; l < cpb; ++l) {
      const int64_t k = k0 + l * step;
      const bool inside = n < N && k < K;
      if (bits1) {
        if (inside && w[n * K + k] > 0)
          packed |= 1u << l;
      } else {
        unsigned code = inside ? static_cast<unsigned>(w[n * K + k] + 1) : 1u;
        packed |= (code & 3u) << (2 * l);
      }
    }
    out[byte] = static_cast<uint8_t>(packed);
  });
  return out;
}

bool unpackWeights(const PackedLayout &layout, const uint8_t *packed,
                   int64_t N, int64_t K, std::vector<int8_t> &w) {
  int64_t bytes = packedStorageBytes(layout, N, K);
  if (bytes < 0)
    return false;
  std::vector<int8_t> result(static_cast<size_t>(N * K), 0);
  bool ok = true;
  switch (layout.format) {
  case PackFormat::Base3: {
    for (int64_t i = 0; i < bytes; ++i)
      if (!isBase3Byte(packed[i]))
        return false;
    forEachCode(layout, N, K, [&](int64_t byte, int64_t l, int64_t n,
                                  int64_t k) {
      if (n < N && k < K)
        result[n * K + k] = static_cast<int8_t>(base3Trit(packed[byte], l) - 1);
    });
    break;
  }
  case PackFormat::Offset2:
    forEachCode(layout, N, K, [&](int64_t byte, int64_t l, int64_t n,
                                  int64_t k) {
      unsigned code = (packed[byte] >> (2 * l)) & 3u;
      if (code == 3u) {
        ok = false;
        return;
      }
      if (n < N && k < K)
        result[n * K + k] = static_cast<int8_t>(static_cast<int>(code) - 1);
    });
    break;
  case PackFormat::Bits1:
    forEachCode(layout, N, K, [&](int64_t byte, int64_t l, int64_t n,
                                  int64_t k) {
      if (n < N && k < K)
        result[n * K + k] = ((packed[byte] >> l) & 1u) ? 1 : -1;
    });
    break;
  }
  if (!ok)
    return false;
  w = std::move(result);
  return true;
}

} // namespace ref
} // namespace bitnet
