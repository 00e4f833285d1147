#!/usr/bin/env bash
# Puts ptxas, the CUDA toolkit's PTX assembler, where the tests look for it
# (test/CMakeLists.txt), so that every CUDA kernel's PTX is assembled for
# sm_80 and sm_90 and checked for register spills even on a machine without
# a GPU or a CUDA install (CI among them).
#
# ptxas comes from Debian's own nvidia-cuda-toolkit package (component
# non-free, so not in a default sources list). Only that one .deb is
# downloaded, through a private apt sources list and cache, and only ptxas is
# taken out of it: the system's sources list and installed packages are left
# as they are. Nothing is done where a CUDA toolkit already provides ptxas.
#
# Environment: BITNET_PTXAS_INSTALL=0 skips this step (the PTX checks then
# skip, saying why); BITNET_PTXAS_PREFIX (default /opt/bitnet-ptxas) is where
# bin/ptxas goes; BITNET_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
step=install-ptxas
prefix=${BITNET_PTXAS_PREFIX:-/opt/bitnet-ptxas}
mirror=${BITNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "${BITNET_PTXAS_INSTALL:-1}" = 0 ]; then
  echo "$step: skipped (BITNET_PTXAS_INSTALL=0)"
  exit 0
fi
for have in /usr/local/cuda/bin/ptxas "$prefix/bin/ptxas"; do
  if [ -x "$have" ]; then
    echo "$step: $have present ($("$have" --version | tail -1))"
    exit 0
  fi
done
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$(. /etc/os-release && echo "${ID:-}")" != debian ] || [ -z "$codename" ]; then
  echo "$step: skipped: not a Debian system (/etc/os-release); install the CUDA" \
       "toolkit for the PTX checks" >&2
  exit 0
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -r "$keyring" ]; then
  echo "$step: error: $keyring is missing (package debian-archive-keyring)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" \
         "$work/deb"
echo "deb [signed-by=$keyring] $mirror $codename non-free" > "$work/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$work/sources.list"
             -o "Dir::Etc::SourceParts=$work/parts"
             -o "Dir::State::Lists=$work/lists"
             -o "Dir::Cache=$work/cache"
             -o "APT::Sandbox::User=$(id -un)")
echo "$step: downloading nvidia-cuda-toolkit ($codename non-free) for its ptxas"
apt-get "${apt_private[@]}" -qq update
(cd "$work/deb" && apt-get "${apt_private[@]}" -qq download nvidia-cuda-toolkit)
dpkg-deb -x "$work"/deb/nvidia-cuda-toolkit_*.deb "$work/root"
if [ ! -x "$work/root/usr/bin/ptxas" ]; then
  echo "$step: error: the package has no usr/bin/ptxas" >&2
  exit 1
fi
$SUDO install -D -m 0755 "$work/root/usr/bin/ptxas" "$prefix/bin/ptxas"
echo "$step: $prefix/bin/ptxas ($("$prefix/bin/ptxas" --version | tail -1))"
