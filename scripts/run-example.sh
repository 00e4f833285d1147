#!/usr/bin/env bash
# The main job: set up, build, compile the bundled tiny BitNet b1.58 model
# (examples/tiny-b158.mlir) for this machine with bitnet-compile, run it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build"
echo
echo "== compiled examples/tiny-b158.mlir -> $build/examples/tiny.o + tiny.h (bitnet-compile --target=host)"
echo "== running $build/examples/bitnet-example-tiny"
"$build/examples/bitnet-example-tiny" "${1:-16}"
