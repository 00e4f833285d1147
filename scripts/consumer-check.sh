#!/usr/bin/env bash
# Installs the toolchain from a build tree into a temporary prefix, builds
# examples/consumer against the installed package (find_package +
# bitnet_add_model, two models) and checks what a user's build system needs:
#   - the program runs both compiled models;
#   - a rebuild with nothing changed runs no step;
#   - a touched model file recompiles that model only (and relinks).
# Usage: scripts/consumer-check.sh [build-dir] [work-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=${2:-$build/consumer-check}
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
# Models of its own, so that touching one leaves the source tree alone.
cp "$root/examples/tiny-b158.mlir" "$work/a.mlir"
cp "$root/examples/tiny-b158.mlir" "$work/b.mlir"
cmake -G Ninja -S "$root/examples/consumer" -B "$work/build" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DBITNET_CONSUMER_MODEL="$work/a.mlir" \
  -DBITNET_CONSUMER_MODEL2="$work/b.mlir" > "$work/configure.log"
ninja -C "$work/build" > "$work/build.log"
"$work/build/consumer" | tee "$work/run.log"
grep -q "^tiny generated token ids:" "$work/run.log"
grep -q "^tiny_file generated token ids:" "$work/run.log"

if ! ninja -C "$work/build" | grep -q "no work to do"; then
  echo "consumer-check: a rebuild with nothing changed ran steps" >&2
  exit 1
fi

touch "$work/b.mlir"
ninja -C "$work/build" > "$work/rebuild.log"
if ! grep -q -- "--name=tiny_file" "$work/rebuild.log" ||
   grep -q -- "--name=tiny\$" "$work/rebuild.log"; then
  echo "consumer-check: touching b.mlir should recompile tiny_file only:" >&2
  cat "$work/rebuild.log" >&2
  exit 1
fi
"$work/build/consumer" > /dev/null
echo "consumer-check: installed package, bitnet_add_model, no-op rebuild and one-model rebuild all work"
