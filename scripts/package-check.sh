#!/usr/bin/env bash
# Builds the Debian package of a build tree (cpack -G DEB) and checks it
# without installing it system-wide: its control data (name, version, the
# dependencies dpkg-shlibdeps found), its files, and that bitnet-compile
# runs from its unpacked tree and compiles the bundled model there (the
# run-time objects and bitnet-kernelgen found beside it).
# Usage: scripts/package-check.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=$build/package-check
rm -rf "$work"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work" > "$work/cpack.log")
deb=$(ls "$work"/bitnet-compiler_*.deb)
dpkg-deb --info "$deb" | tee "$work/info.txt" | sed -n '/Package:/,$p'
grep -q "^ Depends:.*libllvm22" "$work/info.txt"
grep -q "^ Depends:.*binutils" "$work/info.txt"
dpkg-deb --contents "$deb" > "$work/contents.txt"
for file in ./usr/bin/bitnet-compile ./usr/bin/bitnet-kernelgen \
            ./usr/lib/bitnet-runtime/x86_64/model_api.o \
            ./usr/lib/cmake/BitNetCompiler/BitNetCompilerConfig.cmake \
            ./usr/include/bitnet/Runtime/ModelAPI.h; do
  grep -q " $file\$" "$work/contents.txt" || { echo "package-check: $file missing" >&2; exit 1; }
done
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/bitnet-compile" --version
"$work/root/usr/bin/bitnet-compile" "$root/examples/tiny-b158.mlir" --target=x86-64-avx2 \
  --name=tiny --kernel-cache="$work/cache" -o "$work/tiny.o" 2> "$work/compile.log"
echo "package-check: $(basename "$deb") ($(du -h "$deb" | cut -f1)) unpacks and compiles the example"
