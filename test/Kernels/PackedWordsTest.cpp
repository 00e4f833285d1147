//===- PackedWordsTest.cpp - packedWordWeights against byte-wise decode ---===//
//
// The CUDA decode GEMV turns a word's codes into weights 32 bits at a time
// (packedWordWeights); no machine here runs CUDA, so the expression itself
// is compiled for this CPU (Halide's JIT) and checked against the packed
// formats' byte-by-byte meaning for every code in every byte position and
// slot, and for random words.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/PackedWords.h"

#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

using namespace Halide;

namespace {

/// Byte i of the expected weights: the code of byte i of `word` in `slot`,
/// as Packing.h defines the formats.
uint32_t expectedWeights(uint32_t word, int slot, bool binary) {
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t byte = (word >> (8 * i)) & 0xff;
    int weight = binary ? 2 * int((byte >> slot) & 1) - 1 : int((byte >> (2 * slot)) & 3) - 1;
    out |= uint32_t(uint8_t(int8_t(weight))) << (8 * i);
  }
  return out;
}

int check(bool binary, const std::vector<uint32_t> &words) {
  const int slots = binary ? 8 : 4;
  Buffer<uint32_t> input(static_cast<int>(words.size()));
  for (size_t i = 0; i < words.size(); ++i)
    input(static_cast<int>(i)) = words[i];
  Var x("x"), s("s");
  Func weights("weights");
  weights(x, s) = bitnet::kernels::packedWordWeights(input(x), s, binary);
  Buffer<uint32_t> got = weights.realize({static_cast<int>(words.size()), slots});
  int failures = 0;
  for (size_t i = 0; i < words.size(); ++i)
    for (int slot = 0; slot < slots; ++slot) {
      uint32_t want = expectedWeights(words[i], slot, binary);
      uint32_t have = got(static_cast<int>(i), slot);
      if (have != want && failures++ < 5)
        std::printf("FAIL %s word 0x%08x slot %d: 0x%08x, expected 0x%08x\n",
                    binary ? "binary" : "ternary", words[i], slot, have, want);
    }
  std::printf("%s %s: %zu words x %d slots\n", failures ? "FAIL" : "ok  ",
              binary ? "binary " : "ternary", words.size(), slots);
  return failures;
}

} // namespace

int main() {
  // Every byte value in every byte position (the others a fixed pattern),
  // then random words.
  std::vector<uint32_t> words;
  for (uint32_t v = 0; v < 256; ++v)
    for (int position = 0; position < 4; ++position)
      words.push_back((0x1b6ce4d2u & ~(0xffu << (8 * position))) | (v << (8 * position)));
  std::mt19937 rng(17);
  for (int i = 0; i < 4096; ++i)
    words.push_back(rng());
  int failures = check(false, words) + check(true, words);
  return failures ? 1 : 0;
}
