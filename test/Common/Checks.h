//===- Checks.h - Counting checks in test executables -----------*- C++ -*-===//
#ifndef BITNET_TEST_COMMON_CHECKS_H
#define BITNET_TEST_COMMON_CHECKS_H

#include <cstdio>
#include <string>

namespace bitnet {
namespace test {

/// The checks of one test executable: failures are printed as they happen,
/// the summary line and exit status at the end.
class Checks {
public:
  void expect(bool ok, const std::string &what) {
    ++checks_;
    if (!ok) {
      std::printf("FAIL %s\n", what.c_str());
      ++failures_;
    }
  }
  /// Prints "N checks passed, M failed"; returns the exit status.
  int finish() const {
    std::printf("%d checks passed, %d failed\n", checks_ - failures_, failures_);
    return failures_ == 0 ? 0 : 1;
  }

private:
  int checks_ = 0, failures_ = 0;
};

} // namespace test
} // namespace bitnet

#endif // BITNET_TEST_COMMON_CHECKS_H
