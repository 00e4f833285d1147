#!/usr/bin/env bash
# Installs the Debian packages (needs root or sudo), configures and builds.
# Usage: scripts/build.sh [build-dir] [extra cmake args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true

bash "$root/scripts/install-deps.sh"
jobs=${BITNET_JOBS:-$(nproc)}
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@"
ninja -C "$build" -j"$jobs"
