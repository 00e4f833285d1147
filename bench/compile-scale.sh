#!/usr/bin/env bash
# Compile time and memory at real model sizes: generates the 700M and 2B-4T
# shapes as I2_S GGUF files (bitnet-model-gen, cached in the work directory)
# and compiles each with both LM-head formats, first with an empty kernel
# cache (cold), then again with the same cache (warm). Prints one row per
# compile: wall time and peak RSS of the whole command (/usr/bin/time: the
# largest of bitnet-compile and its bitnet-kernelgen and ld children), and
# per phase (import, passes, weights written, glue code generation, kernels,
# link) the seconds and the compiler's own peak RSS so far (its phase lines).
#
#   bench/compile-scale.sh [--shapes 700m,2b-4t] [--heads f16,int8]
#       [--target host] [--work DIR] [-j 2]
#
# The 2B file takes about a minute to generate and 1.2 GB of disk; the work
# directory (default /tmp/bitnet-compile-scale) keeps it between runs.
# Not a test: machines are shared and noisy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BITNET_BIN:-$root/build/bin}
shapes=700m,2b-4t heads=f16,int8 target=host work=/tmp/bitnet-compile-scale jobs=2
usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --shapes) shapes=$2; shift 2 ;;
    --heads) heads=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "compile-scale: unknown argument $1" >&2; usage ;;
  esac
done
if [ ! -x /usr/bin/time ]; then
  echo "compile-scale: needs GNU time (/usr/bin/time; Debian: apt-get install time)" >&2
  exit 1
fi
for tool in bitnet-model-gen bitnet-compile; do
  [ -x "$bin/$tool" ] || { echo "compile-scale: $bin/$tool is not built" >&2; exit 1; }
done
mkdir -p "$work"

# "<label>: X s, peak RSS Y MiB" of one phase line, as "X s / Y MiB".
phase() {
  sed -nE "s/^bitnet-compile: $1.* ([0-9.]+) s, peak RSS ([0-9]+) MiB\$/\\1 s \\/ \\2 MiB/p" "$2" | tail -1
}

printf '%-6s %-5s %-5s %7s %8s | %-17s %-17s %-17s %-17s %-17s %-17s\n' \
  shape head cache wall "peak RSS" import passes weights glue kernels link
for shape in ${shapes//,/ }; do
  model=$work/$shape.gguf
  if [ ! -f "$model" ]; then
    echo "generating $model ..." >&2
    "$bin/bitnet-model-gen" --preset="$shape" --format=gguf-i2s -o "$model.tmp" >&2
    mv "$model.tmp" "$model"
  fi
  for head in ${heads//,/ }; do
    cache=$work/kernel-cache-$shape-$head
    rm -rf "$cache"
    for state in cold warm; do
      log=$work/$shape-$head-$state.log
      /usr/bin/time -f 'TIME %e %M' "$bin/bitnet-compile" "$model" --target="$target" \
        --tokens=1,16 --context=512 --lm-head="$head" --emit=shared -j"$jobs" \
        --name=m --kernel-cache="$cache" -o "$work/m.so" 2> "$log"
      read -r wall rss < <(sed -nE 's/^TIME ([0-9.]+) ([0-9]+)$/\1 \2/p' "$log")
      printf '%-6s %-5s %-5s %6.1fs %5.2f GB | %-17s %-17s %-17s %-17s %-17s %-17s\n' \
        "$shape" "$head" "$state" "$wall" "$(awk -v k="$rss" 'BEGIN {print k / 1048576}')" \
        "$(phase imported "$log")" "$(phase passes "$log")" "$(phase weights "$log")" \
        "$(phase glue "$log")" "$(phase kernels "$log")" "$(phase link "$log")"
    done
  done
done
rm -f "$work/m.so" "$work/m.h"
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
