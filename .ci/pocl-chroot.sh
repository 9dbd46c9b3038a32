#!/usr/bin/env bash
# Builds (once) a Debian 13 chroot with PoCL 6.0, whose OpenCL 3.0 + generic address space ILGPU needs, and mounts
# what a .NET program needs to run inside it. Debian 12's PoCL 3.1 lacks it (see DESIGN.md, "Measured facts").
# Usage: .ci/pocl-chroot.sh [DIR]   (default /var/cache/microgradplus/pocl-trixie; kept between runs on a kept machine)
# Prints the chroot directory on its last line.
set -euo pipefail
dir=${1:-/var/cache/microgradplus/pocl-trixie}
if [ ! -f "$dir/.complete" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  rm -rf "$dir"; mkdir -p "$dir"
  echo "building the PoCL chroot in $dir (about 2 minutes, once)" >&2
  debootstrap --variant=minbase --include=pocl-opencl-icd,ocl-icd-libopencl1,clinfo,libicu76 trixie "$dir" >&2
  touch "$dir/.complete"
fi
mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
mountpoint -q "$dir/sys" || mount -t sysfs sys "$dir/sys"
mountpoint -q "$dir/dev" || mount --bind /dev "$dir/dev"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mkdir -p "$dir/usr/share/dotnet"
mountpoint -q "$dir/usr/share/dotnet" || mount --bind "$dotnet_root" "$dir/usr/share/dotnet"
echo "$dir"
