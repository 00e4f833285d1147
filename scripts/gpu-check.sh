#!/usr/bin/env bash
# The GPU checks of issue 17, prepared here and run on a lent device machine
# (which reaches no package archive and has no LLVM: it gets executables and
# compiled models, not sources).
#
#   scripts/gpu-check.sh --prepare   here: builds the CUDA kernel test, the
#                                    CUDA model numerics (tiny and long
#                                    models) and C API tests, the
#                                    GPU kernel benchmark and
#                                    bitnet-bench-model, and
#                                    compiles the tiny, 700M and 2B-4T shapes
#                                    for cuda-sm90 (objects only: the device
#                                    runs them on zero weights, for speed);
#                                    all into build/gpu-bundle/ (~12 MiB)
#   scripts/gpu-check.sh --run       on the device, from the repository root,
#                                    with build/gpu-bundle carried: runs the
#                                    tests against the golden reference, the
#                                    kernel benchmark (GB/s against the
#                                    bandwidth it measures) and each model's
#                                    pp/tg tokens/s (--quick: tiny model only)
#
# Each step has its own time limit (90 + 3 x 50 + 150 + 3 x 60 s: under the
# device tool's 600 s per command). The tests exit 77 with their reason
# where no CUDA device answers (here).
# Exit status: 0 when every test passed and every benchmark ran, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BITNET_BUILD_DIR:-$root/build}
bundle=$build/gpu-bundle
tests=(test/Kernels/bitnet-kernel-test-cuda test/Numerics/bitnet-model-test-kernels-cuda-sm80
       test/Numerics/bitnet-api-test-cuda-sm80 test/Numerics/bitnet-long-model-test-cuda-sm80)
benches=(bench/bitnet-bench-gpu bin/bitnet-bench-model)
# name preset context: the models of --run's speed table.
models=("tiny tiny-b158 64" "m700 700m 512" "b2 2b-4t 512")

case "${1:-}" in
--prepare)
  cmake -DBITNET_BENCH_GPU_TARGET=cuda "$build" >/dev/null
  ninja -C "$build" "${tests[@]##*/}" "${benches[@]##*/}" bitnet-model-gen bitnet-compile
  rm -rf "$bundle" && mkdir -p "$bundle"
  for f in "${tests[@]}" "${benches[@]}"; do cp "$build/$f" "$bundle/"; done
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for entry in "${models[@]}"; do
    read -r name preset context <<<"$entry"
    echo "gpu-check: compiling the $preset shape for cuda-sm90"
    "$build/bin/bitnet-model-gen" --preset="$preset" --format=gguf-i2s -o "$work/$name.gguf"
    "$build/bin/bitnet-compile" "$work/$name.gguf" --target=cuda-sm90 --name="$name" \
      --context="$context" --emit=shared --weights=file -j2 \
      --kernel-cache="$build/gpu-kernel-cache" -o "$work/$name.so"
    cp "$work/$name.so" "$bundle/"
    rm -f "$work/$name".*
  done
  du -sh "$bundle"
  echo "gpu-check: carry build/gpu-bundle and run: bash scripts/gpu-check.sh --run"
  ;;
--run)
  [ -d "$bundle" ] || { echo "gpu-check: $bundle is missing (--prepare here first)"; exit 1; }
  quick=${2:-}
  # The whole output also goes to a log: $OUT/gpu-check.log on the device
  # tool's machine (whose $OUT comes back), else in the bundle.
  results=${OUT:-$bundle}
  exec > >(tee "$results/gpu-check.log") 2>&1
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory \
    --format=csv,noheader 2>/dev/null || echo "gpu-check: nvidia-smi did not answer"
  status=0
  for t in "${tests[@]}"; do
    exe=$bundle/${t##*/}
    echo "== ${t##*/}"
    set +e
    # The kernel test JIT-compiles the most kernels.
    limit=50
    [ "${t##*/}" = bitnet-kernel-test-cuda ] && limit=90
    timeout "$limit" "$exe"
    rc=$?
    set -e
    case $rc in
    0) echo "gpu-check: ${t##*/}: passed" ;;
    77) echo "gpu-check: ${t##*/}: skipped (no CUDA device)"; status=1 ;;
    *) echo "gpu-check: ${t##*/}: FAILED (exit $rc)"; status=1 ;;
    esac
  done
  echo "== bitnet-bench-gpu"
  set +e
  timeout 150 "$bundle/bitnet-bench-gpu" 50 1024 | tee "$results/bench-gpu.txt"
  rc=${PIPESTATUS[0]}
  set -e
  case $rc in
  0) ;;
  77) echo "gpu-check: bitnet-bench-gpu: skipped (no CUDA device)"; status=1 ;;
  *) echo "gpu-check: bitnet-bench-gpu: FAILED (exit $rc)"; status=1 ;;
  esac
  bandwidth=$(sed -n 's/^device memory bandwidth.*: \([0-9.]*\) GB\/s$/\1/p' \
    "$results/bench-gpu.txt")
  # Issue 17's criterion: the best decode GEMV of each 2B shape as a
  # fraction of the measured bandwidth (>= 70%), on the device's own time
  # (launches queued ahead) and on the wall (each call's host cost included).
  awk '$2 == "gemv" {
         w = $6; sub("%", "", w); d = $9; sub("%", "", d)
         if (!($1 in wall) || w + 0 > wall[$1]) { wall[$1] = w + 0; wrows[$1] = $4 }
         if (d != "-" && (!($1 in dev) || d + 0 > dev[$1])) { dev[$1] = d + 0; drows[$1] = $4 } }
       END { for (s in wall) printf "gpu-check: ternary GEMV %s: %s, %d%% on the wall (%s rows per block)\n", s, (s in dev) ? sprintf("%d%% of the measured bandwidth on the device'"'"'s time (%s rows per block)", dev[s], drows[s]) : "device time not measured", wall[s], wrows[s] }' \
    "$results/bench-gpu.txt" | sort
  for entry in "${models[@]}"; do
    read -r name preset context <<<"$entry"
    [ "$quick" = --quick ] && [ "$name" != tiny ] && continue
    echo "== bitnet-bench-model $name ($preset, zero weights)"
    set +e
    timeout 60 "$bundle/bitnet-bench-model" "$bundle/$name.so" "$name" --zero-weights \
      -p 64 -n 32 -r 2 ${bandwidth:+--bandwidth "$bandwidth"}
    rc=$?
    set -e
    [ "$rc" = 0 ] || { echo "gpu-check: bitnet-bench-model $name: FAILED (exit $rc)"; status=1; }
  done
  exit $status
  ;;
*)
  sed -n '2,24p' "$0"
  exit 2
  ;;
esac
