#!/usr/bin/env bash
# Sets up, builds and runs every test (lit regression tests, unit tests,
# numerics tests) through ctest, then the fuzz smoke and the sanitizer subset.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
# ptxas for the PTX checks (Debian's nvidia-cuda-toolkit, non-free; before
# the configure step, which looks for it). BITNET_PTXAS_INSTALL=0 leaves it out.
bash "$root/scripts/install-ptxas.sh"
bash "$root/scripts/build.sh" "$build"
cd "$build"
ctest -j"${BITNET_JOBS:-$(nproc)}" --output-on-failure
# The Debian package of this build: built, inspected and unpacked into a
# temporary root, where bitnet-compile must run. BITNET_PACKAGE_CHECK=0
# leaves it out.
if [ "${BITNET_PACKAGE_CHECK:-1}" != 0 ]; then
  bash "$root/scripts/package-check.sh" "$build"
fi
# A short run of every libFuzzer harness (docs/Fuzzing.md; skipped, with the
# reason, where clang's fuzzer runtime is missing).
fuzz_seconds=${BITNET_FUZZ_SECONDS:-8}
if [ "$fuzz_seconds" -gt 0 ]; then
  bash "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
# The tests of the code that reads untrusted input, under ASan + UBSan, in the
# fuzz smoke's instrumented build (docs/Sanitizers.md: the subset, why, the
# whole suite locally). BITNET_SANITIZE_SUBSET=0 leaves it out.
if [ "${BITNET_SANITIZE_SUBSET:-1}" != 0 ]; then
  bash "$root/scripts/sanitize.sh" --subset
fi
