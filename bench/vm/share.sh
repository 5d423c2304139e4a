#!/bin/bash
# bench/vm/share.sh - host trees in a VM cell (issue 14), side by side in
# one run:
#  1. hello boot-to-exit: hello.cell as it is (its three files copied into
#     the initramfs) against the same cell granting all of /usr read-only
#     (a 9p share). Goal: shared /usr <= 1.3x.
#  2. a build-like read of 10,000 small files (find | xargs cat) from a
#     granted tree: files/s natively, in a VM over 9p, and in a VM from a
#     read-only image of the tree (erofs and squashfs: what Firecracker
#     would get), timed inside the cell, plus the images' build time.
#  3. auto mode on this host against forced TCG: the first run of a boot
#     probes KVM (verdict cached per boot), later runs read the verdict.
#   bench/vm/share.sh [N]      (after make vm-kernel all; as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/${BUILD:-build}
n=${1:-5}
make -C "$top" -s all "$b/t/vm/vm_addvm" "$b/t/runtime/mkplan" >/dev/null
tmp=$(mktemp -d /tmp/cellos-bench-share.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
k=$top/build/vm/vmlinux
export CELLOS_VM_STATE_DIR=$tmp/state

ms() { local s e rc; s=$(date +%s%N); "$@" >/dev/null 2>&1 && rc=0 || rc=$?; e=$(date +%s%N); echo "$(( (e - s) / 1000000 )) $rc"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
run() { "$b/bin/cellrun" --unsigned --events /dev/null "$@" </dev/null; }

echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# kernel $(readlink -f "$k"); $n runs each, alternating"

# 1. hello: three files copied vs /usr shared
"$b/bin/cellc" -I "$top/policies" "$top/policies/examples/hello.cell" -o "$tmp/hello.plan"
sed -e '/ro "\/usr\/bin\/echo"/c\        ro "/usr";' -e '/libc.so.6"/d' -e '/ld-linux-x86-64.so.2"/d' \
    "$top/policies/examples/hello.cell" > "$tmp/hello_usr.cell"
"$b/bin/cellc" -I "$top/policies" "$tmp/hello_usr.cell" -o "$tmp/hello_usr.plan"
: > "$tmp/h1"; : > "$tmp/h2"
for i in $(seq "$n"); do
    read -r t rc < <(CELLOS_VM_MODE=qemu-tcg ms run --backend vm "$tmp/hello.plan")
    [ "$rc" = 0 ] || { echo "hello run $i failed ($rc)"; exit 1; }
    echo "$t" >> "$tmp/h1"
    read -r t rc < <(CELLOS_VM_MODE=qemu-tcg ms run --backend vm "$tmp/hello_usr.plan")
    [ "$rc" = 0 ] || { echo "hello (shared /usr) run $i failed ($rc)"; exit 1; }
    echo "$t" >> "$tmp/h2"
done
h1=$(median < "$tmp/h1"); h2=$(median < "$tmp/h2")
printf '%-52s %7s ms\n' "hello, three files in the initramfs (qemu-tcg)" "$h1" "hello, all of /usr shared over 9p (qemu-tcg)" "$h2"
awk -v a="$h2" -v b="$h1" 'BEGIN { printf "ratio %.2fx (goal <= 1.30x)\n", a / b }'

# 2. 10,000 small files
mkdir -p "$tmp/tree"
for d in $(seq 0 99); do
    mkdir "$tmp/tree/d$d"
    for f in $(seq 0 99); do printf 'file %d/%d\n' "$d" "$f" > "$tmp/tree/d$d/f$f.c"; done
done
cat > "$tmp/read.cell" <<CELL
use "std/base";
use "std/syscalls";
cell readtree {
    process {
        argv "/bin/sh", "-c", "s=\$(date +%s%N); c=\$(find /src -type f | xargs cat | wc -l); e=\$(date +%s%N); echo \$c \$(( (e - s) / 1000000 ))";
        env PATH = "/usr/bin:/bin";
    }
    filesystem { ro "$tmp/tree" at "/src"; tmpfs "/tmp" size 16MiB; }
    network none;
    limits { memory 256MiB; pids 64; }
}
CELL
"$b/bin/cellc" -I "$top/policies" "$tmp/read.cell" -o "$tmp/read.plan"
# the same read with busybox only (what a rootfs image can carry): the tree
# shared over 9p, or inside a read-only image built from it (the
# Firecracker answer), the image holding busybox and the tree at its path
bb=(--bare --no-chdir --cwd / --ro /usr/bin/busybox:/bin/busybox --ro "$tmp/tree:/src" --op 2:0::/tmp:1777:0 --op 4:6::/tmp:1777:4194304)
script='B=/bin/busybox; t=$($B time -f %e $B sh -c "$B find /src -type f | $B xargs $B cat | $B wc -l > /tmp/n" 2>&1); echo $($B cat /tmp/n) $($B awk -v t=$t "BEGIN { printf \"%d\", t * 1000 }")'
"$b/t/runtime/mkplan" "$tmp/bb.base" "${bb[@]}" -- /bin/busybox sh -c "$script"
"$b/t/vm/vm_addvm" "$tmp/bb.base" "$tmp/bb-9p.plan" --kernel "$k"
mkdir -p "$tmp/img$tmp" "$tmp/img/usr/bin"
cp -a "$tmp/tree" "$tmp/img$tmp/"; cp /usr/bin/busybox "$tmp/img/usr/bin/"
t0=$(date +%s%N); mkfs.erofs "$tmp/tree.erofs" "$tmp/img" >/dev/null 2>&1
t1=$(date +%s%N); mksquashfs "$tmp/img" "$tmp/tree.sqfs" -quiet -noappend >/dev/null
t2=$(date +%s%N)
echo "images of busybox + the tree: erofs built in $(( (t1 - t0) / 1000000 )) ms ($(du -k "$tmp/tree.erofs" | cut -f1) KiB), squashfs in $(( (t2 - t1) / 1000000 )) ms ($(du -k "$tmp/tree.sqfs" | cut -f1) KiB)"
"$b/t/vm/vm_addvm" "$tmp/bb.base" "$tmp/bb-erofs.plan" --kernel "$k" --rootfs "$tmp/tree.erofs"
"$b/t/vm/vm_addvm" "$tmp/bb.base" "$tmp/bb-sqfs.plan" --kernel "$k" --rootfs "$tmp/tree.sqfs"
rate() { awk -v f="$1" -v m="$2" 'BEGIN { printf "%.0f", (m > 0 ? f * 1000 / m : 0) }'; }
for how in native vm-9p bb-native bb-9p bb-erofs bb-sqfs; do
    : > "$tmp/r"
    for i in $(seq "$n"); do
        case $how in
            native) o=$(run --backend native "$tmp/read.plan") ;;
            vm-9p) o=$(CELLOS_VM_MODE=qemu-tcg run --backend vm "$tmp/read.plan") ;;
            bb-native) o=$(run --backend native "$tmp/bb.base") ;;
            bb-*) o=$(CELLOS_VM_MODE=qemu-tcg run --backend vm "$tmp/$how.plan") ;;
        esac
        set -- $o
        [ "${1:-0}" = 10000 ] || { echo "$how: read '$o'"; exit 1; }
        echo "$2" >> "$tmp/r"
    done
    m=$(median < "$tmp/r")
    printf '%-52s %7s ms  %8s files/s\n' "10,000 files, $how" "$m" "$(rate 10000 "$m")"
done

# 3. auto (broken KVM on this host) vs forced TCG
rm -rf "$tmp/state"
read -r first _ < <(ms run --backend vm "$tmp/hello.plan")
: > "$tmp/a"; : > "$tmp/t"
for i in $(seq "$n"); do
    read -r t _ < <(ms run --backend vm "$tmp/hello.plan"); echo "$t" >> "$tmp/a"
    read -r t _ < <(CELLOS_VM_MODE=qemu-tcg ms run --backend vm "$tmp/hello.plan"); echo "$t" >> "$tmp/t"
done
echo "auto mode: $(cat "$tmp/state/kvm-verdict" 2>/dev/null | cut -d' ' -f2- | cut -c1-60)"
printf '%-52s %7s ms\n' "hello, auto, first run of this boot (probes KVM)" "$first" \
    "hello, auto, verdict cached" "$(median < "$tmp/a")" "hello, CELLOS_VM_MODE=qemu-tcg" "$(median < "$tmp/t")"
