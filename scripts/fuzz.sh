#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/: clang, ASan + UBSan, coverage) in
# build-fuzz/ and runs each for SECONDS (default 60) on a scratch copy of its
# committed seed corpus (fuzz/corpus/<harness>). Usage:
#   scripts/fuzz.sh [seconds] [harness ...]    harness: gguf huggingface
#                                              weights-file kernel-spec bitnet-ir tokenizer
# Exits non-zero when a harness crashes, leaks, hangs (-timeout) or runs out
# of memory; the reproducer is left in build-fuzz/fuzz/artifacts/. Without
# clang and its fuzzer runtime it says so and exits 0 (nothing to run).
# docs/Fuzzing.md: long runs, reproducing a crash.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(gguf huggingface weights-file kernel-spec bitnet-ir tokenizer)

# Exit 2 of configure-fuzz.sh: no clang-15 fuzzer toolchain (it says why).
build=$(bash "$root/scripts/configure-fuzz.sh" fuzz) || { [ $? -eq 2 ] && exit 0; exit 1; }
ninja -C "$build" -j"${BITNET_JOBS:-$(nproc)}" bitnet-fuzzers

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}
artifacts=$build/fuzz/artifacts
mkdir -p "$artifacts"
status=0
for h in "${harnesses[@]}"; do
  corpus=$build/fuzz/corpus/$h
  mkdir -p "$corpus"
  # New inputs go to the scratch corpus; the committed seeds stay as they are.
  cp -n "$root/fuzz/corpus/$h"/* "$corpus"/ 2> /dev/null || true
  log=$build/fuzz/$h.log
  echo "fuzz: $h for ${seconds}s (log: $log)"
  if "$build/fuzz/bitnet-fuzz-$h" "$corpus" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
       -artifact_prefix="$artifacts/$h-" > "$log" 2>&1; then
    # The last status line: executions, coverage (cov) and features (ft).
    grep -E '^#[0-9]+' "$log" | tail -1 | sed "s/^/fuzz: $h: /"
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" | sed "s/^/fuzz: $h: /"
  else
    echo "fuzz: $h FAILED; the end of its log:"
    tail -40 "$log"
    status=1
  fi
done
exit $status
