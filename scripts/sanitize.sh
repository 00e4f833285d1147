#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer in a
# separate build directory and runs the whole test suite there (the build
# itself runs the instrumented tools, so the options are set first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build-asan}
# allow_user_poisoning=0: the Debian LLVM libraries are not instrumented, but
# LLVM headers compiled with -fsanitize=address poison allocator memory that
# the uninstrumented library code then touches (false use-after-poison).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/scripts/lsan.supp
bash "$root/scripts/build.sh" "$build" -DBITNET_ENABLE_SANITIZERS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cd "$build"
ctest -j"${BITNET_JOBS:-$(nproc)}" --output-on-failure
