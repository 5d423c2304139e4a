#!/bin/bash
# bench/vm/boot_loop.sh - reliability of software-emulated boots: boot the
# Debian cloud kernel under QEMU TCG N times in a row (default 100) with the
# vm backend's flags and a trivial init that reports on the channel and ends
# the VM; any boot that does not exit within the timeout counts as hung.
#   bench/vm/boot_loop.sh [N] [kernel]      (after `make vm-kernel all`)
# Env: BUILD (default build), VM_MODE tcg|kvm (default tcg), TIMEOUT (s, 60).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/${BUILD:-build}
n=${1:-100}
k=${2:-$top/build/vm/vmlinux}
make -C "$top" -s BUILD="${BUILD:-build}" "$b/vm/bin/vm_boot" "$b/vm/guest/vm_trivial_init" >/dev/null
echo "# $n boots of $(readlink -f "$k") under ${VM_MODE:-tcg}, $(qemu-system-x86_64 --version | head -1)"
exec "$b/vm/bin/vm_boot" --kernel "$k" --init "$b/vm/guest/vm_trivial_init" --mode "${VM_MODE:-tcg}" \
    --count "$n" --timeout "${TIMEOUT:-60}" --expect-status
