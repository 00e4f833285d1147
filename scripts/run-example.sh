#!/usr/bin/env bash
# The main job: set up, build, compile the bundled tiny BitNet b1.58 model
# (examples/tiny-b158.mlir) for this machine with bitnet-compile, run it;
# then the import path: a generated Hugging Face checkpoint of the same
# shape, compiled from its directory, run by the same driver; last, that
# checkpoint compiled as a shared library and checked against the golden
# reference (bitnet-run --verify).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build"
echo
echo "== compiled examples/tiny-b158.mlir -> $build/examples/tiny.o + tiny.h (bitnet-compile --target=host)"
echo "== running $build/examples/bitnet-example-tiny"
"$build/examples/bitnet-example-tiny" "${1:-16}"
echo
echo "== the import path: bitnet-model-gen --format=hf-packed wrote $build/examples/tiny-hf"
echo "   (config.json + model.safetensors), bitnet-compile compiled that directory"
echo "== running $build/examples/bitnet-example-tiny-hf"
"$build/examples/bitnet-example-tiny-hf" "${1:-16}"
echo
echo "== the same checkpoint compiled as a shared library (bitnet-compile --emit=shared)"
echo "   and checked against the golden reference forward pass (bitnet-run --verify)"
mkdir -p "$build/examples/shared"
"$build/bin/bitnet-compile" "$build/examples/tiny-hf" --target=host --name=tiny --emit=shared \
  --kernel-cache="$build/kernel-cache" -j2 -o "$build/examples/shared/tiny.so"
"$build/bin/bitnet-run" "$build/examples/shared/tiny.so" --verify "$build/examples/tiny-hf"
