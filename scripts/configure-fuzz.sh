#!/usr/bin/env bash
# Configures the instrumented build that scripts/fuzz.sh and
# `scripts/sanitize.sh --subset` share: clang-15, -DBITNET_ENABLE_FUZZERS=ON
# (every project library built with ASan + UBSan and coverage), in
# BITNET_FUZZ_BUILD_DIR (default build-fuzz/). Usage: configure-fuzz.sh STEP
# Prints the build directory. Where clang-15 or its fuzzer runtime is
# missing, prints "STEP: skipped: <why>" on stderr and exits 2 (callers then
# skip their step with exit 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
step=${1:-configure-fuzz}
build=${BITNET_FUZZ_BUILD_DIR:-$root/build-fuzz}
cc=${BITNET_FUZZ_CC:-clang-15}
cxx=${BITNET_FUZZ_CXX:-clang++-15}
# The toolchain check: a trivial fuzzer must compile and link.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }' \
  > "$probe/probe.cpp"
if ! command -v "$cxx" > /dev/null; then
  echo "$step: skipped: $cxx is not installed (scripts/install-deps.sh installs clang-15)" >&2
  exit 2
fi
if ! "$cxx" -fsanitize=fuzzer "$probe/probe.cpp" -o "$probe/probe" 2> "$probe/log"; then
  echo "$step: skipped: $cxx cannot link a libFuzzer binary (libclang-common-15-dev missing?):" >&2
  head -3 "$probe/log" >&2
  exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
  CC=$cc CXX=$cxx cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBITNET_ENABLE_FUZZERS=ON > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log" >&2; exit 1; }
fi
echo "$build"
