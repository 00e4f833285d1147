#!/usr/bin/env bash
# Sets up, builds and runs every test (lit regression tests, unit tests,
# numerics tests) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build"
cd "$build"
ctest -j"${BITNET_JOBS:-$(nproc)}" --output-on-failure
