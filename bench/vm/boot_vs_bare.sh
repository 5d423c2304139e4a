#!/bin/bash
# bench/vm/boot_vs_bare.sh - boot-to-exit of /bin/true in a VM cell
# (`cellrun --backend vm`, everything included: kernel hash, initramfs,
# guest init, the plan's steps, signed-stream bookkeeping) against a bare
# QEMU microvm boot of the same kernel with a trivial init that only ends
# the VM, in the same run, alternating. Goal under TCG: at most 1.2x.
#   bench/vm/boot_vs_bare.sh [N]      (after make vm-kernel all; as root)
# Env: BUILD (default build), CELLOS_VM_MODE (default qemu-tcg).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/${BUILD:-build}
n=${1:-10}
export CELLOS_VM_MODE=${CELLOS_VM_MODE:-qemu-tcg}
mode=${CELLOS_VM_MODE#qemu-}
make -C "$top" -s BUILD="${BUILD:-build}" all "$b/vm/bin/vm_boot" "$b/vm/guest/vm_bare_init" \
    "$b/t/runtime/mkplan" "$b/t/vm/vm_addvm" >/dev/null
k=$top/build/vm/vmlinux
tmp=$(mktemp -d /tmp/cellos-bench-vm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$b/t/runtime/mkplan" "$tmp/t0.plan" --bare --no-chdir --cwd / --ro /usr/bin/busybox:/bin/busybox -- /bin/busybox true
"$b/t/vm/vm_addvm" "$tmp/t0.plan" "$tmp/true.plan" --kernel "$k"

ms() { local s e rc; s=$(date +%s%N); "$@" >/dev/null 2>&1 && rc=0 || rc=$?; e=$(date +%s%N); echo "$(( (e - s) / 1000000 )) $rc"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "# $n runs each, alternating; kernel $(readlink -f "$k"); mode $CELLOS_VM_MODE; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$tmp/bare"; : > "$tmp/cell"
for i in $(seq "$n"); do
    read -r t rc < <(ms "$b/vm/bin/vm_boot" --kernel "$k" --init "$b/vm/guest/vm_bare_init" --mode "$mode" --count 1)
    [ "$rc" = 0 ] || { echo "bare boot $i failed"; exit 1; }
    echo "$t" >> "$tmp/bare"
    read -r t rc < <(ms "$b/bin/cellrun" --unsigned --events /dev/null "$tmp/true.plan")
    [ "$rc" = 0 ] || { echo "cell run $i failed (exit $rc)"; exit 1; }
    echo "$t" >> "$tmp/cell"
done
bare=$(median < "$tmp/bare"); cell=$(median < "$tmp/cell")
printf '%-44s %8s ms (median of %d; min %s max %s)\n' "bare QEMU microvm boot, init = reboot" "$bare" "$n" \
    "$(sort -n "$tmp/bare" | head -1)" "$(sort -n "$tmp/bare" | tail -1)"
printf '%-44s %8s ms (median of %d; min %s max %s)\n' "cellrun --backend vm: busybox true" "$cell" "$n" \
    "$(sort -n "$tmp/cell" | head -1)" "$(sort -n "$tmp/cell" | tail -1)"
awk -v c="$cell" -v b="$bare" 'BEGIN { printf "ratio %.2fx (goal <= 1.20x)\n", c / b }'
