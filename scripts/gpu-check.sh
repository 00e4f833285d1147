#!/usr/bin/env bash
# The GPU checks of issue 17, prepared here and run on a lent device machine
# (which reaches no package archive: it gets the executables, not sources).
#
#   scripts/gpu-check.sh --prepare   here: builds the CUDA kernel test and the
#                                    CUDA model numerics test and copies them
#                                    into build/gpu-bundle/ (a few MiB)
#   scripts/gpu-check.sh --run       on the device, from the repository root,
#                                    with build/gpu-bundle carried: runs each
#                                    against the golden reference on the GPU
#
# Each test exits 77 with its reason where no CUDA device answers (here).
# Exit status: 0 when every test passed, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
bundle=$build/gpu-bundle
tests=(test/Kernels/bitnet-kernel-test-cuda test/Numerics/bitnet-model-test-kernels-cuda-sm80)

case "${1:-}" in
--prepare)
  ninja -C "$build" "${tests[@]##*/}"
  rm -rf "$bundle" && mkdir -p "$bundle"
  for t in "${tests[@]}"; do cp "$build/$t" "$bundle/"; done
  du -sh "$bundle"
  echo "gpu-check: carry build/gpu-bundle and run: bash scripts/gpu-check.sh --run"
  ;;
--run)
  [ -d "$bundle" ] || { echo "gpu-check: $bundle is missing (--prepare here first)"; exit 1; }
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null ||
    echo "gpu-check: nvidia-smi did not answer"
  status=0
  for t in "${tests[@]}"; do
    exe=$bundle/${t##*/}
    echo "== ${t##*/}"
    set +e
    timeout 180 "$exe"
    rc=$?
    set -e
    case $rc in
    0) echo "gpu-check: ${t##*/}: passed" ;;
    77) echo "gpu-check: ${t##*/}: skipped (no CUDA device)"; status=1 ;;
    *) echo "gpu-check: ${t##*/}: FAILED (exit $rc)"; status=1 ;;
    esac
  done
  exit $status
  ;;
*)
  sed -n '2,13p' "$0"
  exit 2
  ;;
esac
