//===- Logits.h - Reading a row of logits in tests --------------*- C++ -*-===//
#ifndef BITNET_TEST_COMMON_LOGITS_H
#define BITNET_TEST_COMMON_LOGITS_H

#include <cstdint>

namespace bitnet {
namespace test {

/// The top-1 token of a row of n logits (the lowest id on ties).
inline int argmax(const float *logits, int64_t n) {
  int best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (logits[i] > logits[best])
      best = static_cast<int>(i);
  return best;
}

} // namespace test
} // namespace bitnet

#endif // BITNET_TEST_COMMON_LOGITS_H
