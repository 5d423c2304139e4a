#!/bin/bash
# bench/oci.sh - `podman run --rm IMAGE /bin/true` with cellrun, crun and runc
# as the OCI runtime, in one run: N runs each (default 15, interleaved so a
# noisy neighbour hits all three alike), the median wall time of each, and
# the ratios. The image is a busybox-static root imported into a private
# podman storage in a temp dir (the host's storage is untouched). crun
# refuses the hybrid cgroup layout, so the script runs in a private mount
# namespace without the empty v2 mount (as bench/startup.sh does).
# Figures go to docs/performance.md ("OCI runtime"), with the CPU model.
set -euo pipefail
if [ -z "${CELLOS_BENCH_NS:-}" ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    exec env CELLOS_BENCH_NS=1 unshare -m --propagation private \
        sh -c 'umount /sys/fs/cgroup/unified; exec "$0" "$@"' "$0" "$@"
fi
TOP=$(cd "$(dirname "$0")/.." && pwd)
CELLRUN=${CELLRUN:-$TOP/build/bin/cellrun}
# the OCI runtime binary engines are pointed at (docs/oci.md): cellrun-oci,
# which `cellrun` would exec for an OCI command line anyway (one exec less)
CELLRUN_OCI=${CELLRUN_OCI:-$TOP/build/bin/cellrun-oci}
N=${N:-15}
T=$(mktemp -d /tmp/cellos-bench-oci.XXXXXX)
P=(podman --root "$T/pr" --runroot "$T/prr" --cgroup-manager cgroupfs --events-backend none)
cleanup() {
    "${P[@]}" rm -af -t 0 > /dev/null 2>&1 || true
    findmnt -rn -o TARGET | { grep "^$T" || true; } | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/root/bin" "$T/root/etc" "$T/root/proc" "$T/root/dev" "$T/root/sys" "$T/root/run"
cp /bin/busybox "$T/root/bin/"; ln -s busybox "$T/root/bin/true"
: > "$T/root/etc/hosts"; : > "$T/root/etc/resolv.conf"; : > "$T/root/etc/hostname"; : > "$T/root/run/.containerenv"
tar -C "$T/root" -cf "$T/bb.tar" .
"${P[@]}" import "$T/bb.tar" localhost/bench-bb:1 > /dev/null
mkdir -p "$T/etc"
printf 'pack "oci" {\n    ceiling { memory 1GiB; pids 4096; require memory, pids; }\n}\n' > "$T/etc/oci.cell"
"$CELLRUN" keygen "$T/etc/k" > /dev/null
printf 'key = %s\nevents = %s\npack = %s\nallow_roots = %s\n' "$T/etc/k.key" "$T/events" "$T/etc/oci.cell" "$T/pr" \
    > "$T/etc/runtime.conf"
# no wrapper: podman passes --root and --conf as runtime flags (as an
# operator's containers.conf would, or uses /etc/cellos/runtime.conf and
# /run/cellrun); cellrun-oci is what podman execs, like crun and runc
CR=(--runtime-flag "root=$T/state" --runtime-flag "conf=$T/etc/runtime.conf")
O=(--rm --network none --memory 64m --pids-limit 64 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
declare -A RT=([cellrun]="$CELLRUN_OCI" [crun]=/usr/bin/crun [runc]=/usr/sbin/runc)
flags() { [ "$1" = cellrun ] && printf '%s\n' "${CR[@]}"; true; }
for r in cellrun crun runc; do mapfile -t F < <(flags $r); "${P[@]}" "${F[@]}" --runtime "${RT[$r]}" run "${O[@]}" localhost/bench-bb:1 /bin/true; done
for i in $(seq "$N"); do
    for r in cellrun crun runc; do
        mapfile -t F < <(flags $r)
        s=$(date +%s%N)
        "${P[@]}" "${F[@]}" --runtime "${RT[$r]}" run "${O[@]}" localhost/bench-bb:1 /bin/true
        echo $(( ($(date +%s%N) - s) / 1000 )) >> "$T/t-$r"
    done
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mc=$(med "$T/t-cellrun"); mcr=$(med "$T/t-crun"); mr=$(med "$T/t-runc")
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; N=$N each, interleaved"
printf '%-44s %12s %10s\n' "podman run --rm IMAGE /bin/true, runtime" "median (ms)" "cellrun/x"
printf '%-44s %12.1f %10s\n' cellrun "$(echo "$mc/1000" | bc -l)" "1.00"
printf '%-44s %12.1f %10.2f\n' crun "$(echo "$mcr/1000" | bc -l)" "$(echo "$mc/$mcr" | bc -l)"
printf '%-44s %12.1f %10.2f\n' runc "$(echo "$mr/1000" | bc -l)" "$(echo "$mc/$mr" | bc -l)"
