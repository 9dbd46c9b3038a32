#!/usr/bin/env bash
# Builds (once) a Debian 13 chroot with PoCL 6.0, whose OpenCL 3.0 + generic address space ILGPU needs, and mounts
# what a .NET program needs to run inside it. Debian 12's PoCL 3.1 lacks it (see DESIGN.md, "Measured facts").
# Usage: .ci/pocl-chroot.sh [DIR]   (default /var/cache/microgradplus/pocl-trixie; kept between runs on a kept machine)
# Prints the chroot directory on its last line. It mounts proc, sys, /dev and the host's .NET root inside DIR and leaves
# them mounted (others may be using the chroot); .ci/run binds the repository in, runs the OpenCL tests there and
# unmounts what it mounted itself (README.md, "OpenCL tests", shows the commands by hand).
set -euo pipefail
dir=${1:-/var/cache/microgradplus/pocl-trixie}
dir=${dir%/}
[ "$(id -u)" -eq 0 ] || { echo "pocl-chroot.sh: needs root (debootstrap, mount)" >&2; exit 1; }
if [ ! -f "$dir/.complete" ]; then
  # An unfinished DIR is rebuilt from scratch; never delete through a mount (a bound /dev or repository).
  if awk -v d="$dir/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    echo "pocl-chroot.sh: $dir is unfinished but has mounts inside; unmount them first" >&2; exit 1
  fi
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
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
