#!/usr/bin/env bash
# Installs every Debian package this project needs. Idempotent; run as root
# (or with sudo available). Later stages of the project extend the list.
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache g++ python3
  # the Debian package (cpack -G DEB: dpkg-shlibdeps, file)
  dpkg-dev file
  # MLIR / LLVM 22 (dialect, passes, lowering to LLVM, lit + FileCheck)
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  # Halide 14 (kernel generator)
  libhalide14-0-dev
  # ARM64 cross checks
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user
  # OpenCL on the CPU (GPU schedules without a GPU)
  pocl-opencl-icd ocl-icd-opencl-dev opencl-headers
  # bitnet-compare's PNG
  gnuplot-nox
  # the tokenizer's pre-tokenizer regexes (pcre2.h; libpcre2-8.so.0 loaded at run time)
  libpcre2-dev
  # libFuzzer harnesses (scripts/fuzz.sh): clang with its fuzzer runtime
  clang-15 libclang-common-15-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
