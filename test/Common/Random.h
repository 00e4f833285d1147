//===- Random.h - Random test data from the reference's RNG -----*- C++ -*-===//
#ifndef BITNET_TEST_COMMON_RANDOM_H
#define BITNET_TEST_COMMON_RANDOM_H

#include "bitnet/Reference/Reference.h"

#include <vector>

namespace bitnet {
namespace test {

/// `n` floats uniform in [-scale, scale), deterministic for the seed.
inline std::vector<float> randomFloats(ref::Rng &rng, size_t n, float scale) {
  std::vector<float> v(n);
  for (float &x : v)
    x = rng.uniform(-scale, scale);
  return v;
}

} // namespace test
} // namespace bitnet

#endif // BITNET_TEST_COMMON_RANDOM_H
