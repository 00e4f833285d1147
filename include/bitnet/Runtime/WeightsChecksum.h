/*===- WeightsChecksum.h - The checksum of a weights file's data ---------===*
 *
 * bitnet-compile --weights=file records it as the weights' fingerprint; the
 * model API recomputes it over the data it loads, so a corrupted, zeroed or
 * substituted file is refused instead of producing wrong logits. Four
 * independent lanes of 64-bit words (xor, multiply by an odd constant,
 * xor-shift: each step a bijection, so a change in any one word always
 * changes the result), fast enough to run on every load. Streaming: data
 * may arrive in chunks of any size. C99 and C++ (static inline).
 *
 *===---------------------------------------------------------------------===*/
#ifndef BITNET_RUNTIME_WEIGHTSCHECKSUM_H
#define BITNET_RUNTIME_WEIGHTSCHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct bitnet_checksum {
  uint64_t lane[4];
  uint64_t total;          /* bytes added */
  unsigned char tail[32];  /* a partial block */
  size_t tail_bytes;
} bitnet_checksum;

static inline uint64_t bitnet_checksum_mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

static inline uint64_t bitnet_checksum_load(const unsigned char *p) {
  /* Little-endian on every target, whatever the host's byte order. */
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
         (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
         (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline void bitnet_checksum_block(bitnet_checksum *c, const unsigned char *p) {
  c->lane[0] = bitnet_checksum_mix(c->lane[0], bitnet_checksum_load(p));
  c->lane[1] = bitnet_checksum_mix(c->lane[1], bitnet_checksum_load(p + 8));
  c->lane[2] = bitnet_checksum_mix(c->lane[2], bitnet_checksum_load(p + 16));
  c->lane[3] = bitnet_checksum_mix(c->lane[3], bitnet_checksum_load(p + 24));
}

static inline void bitnet_checksum_init(bitnet_checksum *c) {
  c->lane[0] = 0x243F6A8885A308D3ull;
  c->lane[1] = 0x13198A2E03707344ull;
  c->lane[2] = 0xA4093822299F31D0ull;
  c->lane[3] = 0x082EFA98EC4E6C89ull;
  c->total = 0;
  c->tail_bytes = 0;
}

static inline void bitnet_checksum_add(bitnet_checksum *c, const void *data, size_t bytes) {
  const unsigned char *p = (const unsigned char *)data;
  c->total += bytes;
  if (c->tail_bytes > 0) {
    size_t take = 32 - c->tail_bytes < bytes ? 32 - c->tail_bytes : bytes;
    memcpy(c->tail + c->tail_bytes, p, take);
    c->tail_bytes += take;
    p += take;
    bytes -= take;
    if (c->tail_bytes < 32)
      return;
    bitnet_checksum_block(c, c->tail);
    c->tail_bytes = 0;
  }
  for (; bytes >= 32; p += 32, bytes -= 32)
    bitnet_checksum_block(c, p);
  memcpy(c->tail, p, bytes);
  c->tail_bytes = bytes;
}

/* Adds `value` as 8 little-endian bytes (slot sizes). */
static inline void bitnet_checksum_add_u64(bitnet_checksum *c, uint64_t value) {
  unsigned char bytes[8];
  int i;
  for (i = 0; i < 8; ++i)
    bytes[i] = (unsigned char)(value >> (8 * i));
  bitnet_checksum_add(c, bytes, 8);
}

static inline uint64_t bitnet_checksum_final(const bitnet_checksum *c) {
  unsigned char last[32];
  uint64_t h;
  bitnet_checksum copy = *c;
  /* The partial block, zero-padded; the length tells padding from data. */
  memset(last, 0, sizeof(last));
  memcpy(last, copy.tail, copy.tail_bytes);
  bitnet_checksum_block(&copy, last);
  h = bitnet_checksum_mix(copy.total, copy.lane[0]);
  h = bitnet_checksum_mix(h, copy.lane[1]);
  h = bitnet_checksum_mix(h, copy.lane[2]);
  h = bitnet_checksum_mix(h, copy.lane[3]);
  return bitnet_checksum_mix(h, h >> 31);
}

#endif /* BITNET_RUNTIME_WEIGHTSCHECKSUM_H */
