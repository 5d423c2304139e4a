#!/bin/bash
# bench/oci.sh - `podman run --rm IMAGE /bin/true` and `ctr run --rm
# --runc-binary RUNTIME IMAGE ID /bin/true` with cellrun, crun and runc as the
# OCI runtime, in one run: N runs each (default 15, interleaved so a noisy
# neighbour hits all three alike), the median wall time of each, and the
# ratios. The image is a busybox-static root imported into a private podman
# storage in a temp dir (the host's storage is untouched), and the same root
# as an OCI image into a containerd the script starts on its own root, state
# and socket in the temp dir (as tests/e2e/oci_containerd.t does). ctr passes
# no runtime flags, so containerd is started with CELLOS_RUNTIME_CONF in its
# environment, which its runc shim hands to the runtime (docs/oci.md). crun
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
# runc and crun make the cgroup /NAMESPACE/ID (ctr's default path) and
# remove only ID: the namespace's empty cgroup is removed at the end
NS=cellos-bench-$$
C=(ctr -a "$T/ctd.sock" -n "$NS")
CTD=
cleanup() {
    "${P[@]}" rm -af -t 0 > /dev/null 2>&1 || true
    if [ -n "$CTD" ]; then
        "${C[@]}" containers ls -q 2>/dev/null | while read -r c; do
            "${C[@]}" tasks kill -s KILL "$c" > /dev/null 2>&1; "${C[@]}" containers rm "$c" > /dev/null 2>&1
        done
        kill "$CTD" 2>/dev/null; wait "$CTD" 2>/dev/null
        rmdir /sys/fs/cgroup/*/"$NS" 2>/dev/null || true
    fi
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
podman_run() { mapfile -t F < <(flags "$1"); "${P[@]}" "${F[@]}" --runtime "${RT[$1]}" run "${O[@]}" localhost/bench-bb:1 /bin/true; }
# ctr: the same root as a one-layer OCI image; the runtime's state under
# the temp dir (--runc-root); ctr gives no seccomp profile unless asked, and
# cellrun refuses an unconfined container, so all three get --seccomp
L="$T/img/blobs/sha256"; mkdir -p "$L"
blob() { local h; h=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$L/$h"; echo "$h $(stat -c %s "$1")"; }
read -r lh ls < <(blob "$T/bb.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$lh" > "$T/cfg.json"
read -r ch cs < <(blob "$T/cfg.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$ch" "$cs" "$lh" "$ls" > "$T/man.json"
read -r mh ms < <(blob "$T/man.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"localhost/bench-bb:1"}}]}' \
    "$mh" "$ms" > "$T/img/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$T/img/oci-layout"
tar -C "$T/img" -cf "$T/img.tar" .
# ctr has no pids flag: the ctr runs' pack bounds memory only (docs/oci.md)
mkdir -p "$T/etc/ctr"
printf 'pack "oci" {\n    ceiling { memory 1GiB; require memory; }\n}\n' > "$T/etc/ctr/oci.cell"
sed "s|^pack = .*|pack = $T/etc/ctr/oci.cell|" "$T/etc/runtime.conf" > "$T/etc/runtime-ctr.conf"
CELLOS_RUNTIME_CONF="$T/etc/runtime-ctr.conf" containerd --root "$T/ctd-root" --state "$T/ctd-state" \
    --address "$T/ctd.sock" --config /dev/null > "$T/ctd.log" 2>&1 &
CTD=$!
for _ in $(seq 100); do [ -S "$T/ctd.sock" ] && break; sleep 0.05; done
"${C[@]}" images import "$T/img.tar" > /dev/null
ctr_run() { "${C[@]}" run --rm --runc-binary "${RT[$1]}" --runc-root "$T/ctr-$1" --seccomp --memory-limit 67108864 \
    localhost/bench-bb:1 "b-$1-$2" /bin/true; }
for r in cellrun crun runc; do podman_run $r; ctr_run $r 0; done
for i in $(seq "$N"); do
    for r in cellrun crun runc; do
        s=$(date +%s%N); podman_run $r
        echo $(( ($(date +%s%N) - s) / 1000 )) >> "$T/t-podman-$r"
        s=$(date +%s%N); ctr_run $r "$i"
        echo $(( ($(date +%s%N) - s) / 1000 )) >> "$T/t-ctr-$r"
    done
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; N=$N each, interleaved; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for e in podman ctr; do
    mc=$(med "$T/t-$e-cellrun"); mcr=$(med "$T/t-$e-crun"); mr=$(med "$T/t-$e-runc")
    [ $e = podman ] && h="podman run --rm IMAGE /bin/true" || h="ctr run --rm --runc-binary X IMAGE ID /bin/true"
    printf '%-50s %12s %10s\n' "$h, runtime" "median (ms)" "cellrun/x"
    printf '%-50s %12.1f %10s\n' cellrun "$(echo "$mc/1000" | bc -l)" "1.00"
    printf '%-50s %12.1f %10.2f\n' crun "$(echo "$mcr/1000" | bc -l)" "$(echo "$mc/$mcr" | bc -l)"
    printf '%-50s %12.1f %10.2f\n' runc "$(echo "$mr/1000" | bc -l)" "$(echo "$mc/$mr" | bc -l)"
done
