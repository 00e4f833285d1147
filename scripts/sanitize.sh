#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer runs (docs/Sanitizers.md).
#   scripts/sanitize.sh            the whole suite: everything built with
#                                  ASan + UBSan in build-asan/ (gcc), every
#                                  test run there (about an hour on 2 cores)
#   scripts/sanitize.sh --subset   what CI runs: the tests of the code that
#                                  reads untrusted input, built in the fuzz
#                                  build (build-fuzz/, clang-15, every library
#                                  already instrumented for the fuzz smoke);
#                                  skipped, saying why, without clang-15
# The tools run during the build and the tests, so the options are set first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# allow_user_poisoning=0: the Debian LLVM libraries are not instrumented, but
# LLVM headers compiled with -fsanitize=address poison allocator memory that
# the uninstrumented library code then touches (false use-after-poison).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/scripts/lsan.supp
jobs=${BITNET_JOBS:-$(nproc)}

if [ "${1:-}" != "--subset" ]; then
  build=${BITNET_BUILD_DIR:-$root/build-asan}
  bash "$root/scripts/build.sh" "$build" -DBITNET_ENABLE_SANITIZERS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cd "$build"
  ctest -j"$jobs" --output-on-failure
  exit 0
fi

# The subset. Unit tests: the importers against generated and malformed
# checkpoints, the model API's thread pool, the generated C API's refusals,
# the weights-file loader against corrupted files, the tokenizer against
# corrupted blobs and invalid UTF-8. Lit tests: every refusal
# of hostile input by the tools (checkpoints, model shapes, specs, IR, CLI
# numbers, files that are not regular files).
unit_targets=(bitnet-import-test bitnet-runtime-pool-test bitnet-api-test bitnet-weights-file-test
              bitnet-tokenizer-test)
unit_tests='^(import\.huggingface|runtime\.pool|numerics\.api|numerics\.weights-file|tokenizer\.unit)$'
tool_targets=(bitnet-compile bitnet-model-gen bitnet-opt bitnet-run bitnet-kernelgen bitnet-compare)
lit_tests=(Compile/import-config-strict-types.test Compile/import-huge-layer-count.test
           Compile/import-json-nesting.test Compile/import-nan-weights.test
           Compile/diagnostics-quote-names.test Compile/model-gen-sizes-unchecked.test
           Compile/cli-numbers-range-checked.test Compile/input-not-regular-file.test
           Compile/mlir-nesting-stack-overflow.test
           Kernels/cli/spec-values-quoted-verbatim.test Run/cli-threads-unbounded.test
           Transforms/pack-weights-layout-mismatch.mlir
           Dialect/BitNet/encoding-null-element-type.mlir)
# Exit 2 of configure-fuzz.sh: no clang-15 fuzzer toolchain (it says why).
build=$(bash "$root/scripts/configure-fuzz.sh" sanitize) || { [ $? -eq 2 ] && exit 0; exit 1; }
ninja -C "$build" -j"$jobs" "${unit_targets[@]}" "${tool_targets[@]}"
(cd "$build" && ctest -R "$unit_tests" --output-on-failure)
lit=$(grep '^BITNET_LIT:' "$build/CMakeCache.txt" | cut -d= -f2)
"$lit" -sv "${lit_tests[@]/#/$build/test/}"
