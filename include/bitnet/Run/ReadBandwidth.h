//===- ReadBandwidth.h - The loop that measures read bandwidth --*- C++ -*-===//
//
// The memory rooflines of bitnet-run --bench, bitnet-compare and the kernel
// benchmark divide by the rate at which this loop reads memory: the sum of
// every byte, 64 bytes per step in two AVX2 accumulators (vpsadbw), the
// fastest plain read on the x86 machines measured; a scalar loop elsewhere.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_RUN_READBANDWIDTH_H
#define BITNET_RUN_READBANDWIDTH_H

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace bitnet {
namespace run {

#if defined(__x86_64__)
__attribute__((target("avx2"))) inline uint64_t sumBytesAVX2(const uint8_t *p, size_t n) {
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + i));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + i + 32));
    acc0 = _mm256_add_epi64(acc0, _mm256_sad_epu8(a, _mm256_setzero_si256()));
    acc1 = _mm256_add_epi64(acc1, _mm256_sad_epu8(b, _mm256_setzero_si256()));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), _mm256_add_epi64(acc0, acc1));
  uint64_t sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < n; ++i)
    sum += p[i];
  return sum;
}
#endif

/// The sum of the `n` bytes at `p` (its value only keeps the reads alive).
inline uint64_t sumBytes(const uint8_t *p, size_t n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2"))
    return sumBytesAVX2(p, n);
#endif
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  for (; i < n; ++i)
    a += p[i];
  return a + b + c + d;
}

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_READBANDWIDTH_H
