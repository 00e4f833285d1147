#!/usr/bin/env bash
# Sets up, builds and runs every test (lit regression tests, unit tests,
# numerics tests) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build"
cd "$build"
ctest -j"${BITNET_JOBS:-$(nproc)}" --output-on-failure
# A short run of every libFuzzer harness (docs/Fuzzing.md; skipped, with the
# reason, where clang's fuzzer runtime is missing).
fuzz_seconds=${BITNET_FUZZ_SECONDS:-8}
if [ "$fuzz_seconds" -gt 0 ]; then
  bash "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
