#!/usr/bin/env bash
# bench/startup.sh - start-up cost of a fully isolated cell running /bin/true:
#   cellrun hello.plan   vs   bwrap --unshare-all --die-with-parent (same binds)
#   vs   crun run on a minimal bundle (same binds)
# Interleaved runs (one of each per round), medians and ratios in one run,
# and cellrun's peak RSS. Run as root from the top of the tree after `make`:
#   bench/startup.sh [ROUNDS]        (default 200)
# Needs bubblewrap and crun (installed here with apt-get when missing).
# Where runsc is installed, the same run ends with the gVisor backend's
# figures (bench/startup-gvisor.sh, GVISOR_ROUNDS rounds, default
# min(ROUNDS, 100): a gVisor start is ten times a native one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-200}
BUILD=${BUILD:-build}
CELLRUN=$PWD/$BUILD/bin/cellrun
[ "$(id -u)" = 0 ] || { echo "bench/startup: run as root" >&2; exit 1; }
[ -x "$CELLRUN" ] || { echo "bench/startup: build first (make)" >&2; exit 1; }
missing=""
command -v bwrap >/dev/null || missing="$missing bubblewrap"
command -v crun >/dev/null || missing="$missing crun"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q && apt-get install -y -q --no-install-recommends $missing
fi

# crun 1.8 refuses a hybrid cgroup layout with any controller on its v2
# part ("cgroups in hybrid mode not supported"; this host has hugetlb there):
# run the whole bench, all three tools alike, in a private mount namespace
# without the v2 mount (memory, pids and cpu are v1 here anyway).
if [ -z "${CELLOS_BENCH_NS:-}" ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null && \
   ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers; then
    exec env CELLOS_BENCH_NS=1 unshare -m --propagation private \
        sh -c 'umount /sys/fs/cgroup/unified && exec "$0" "$@"' "$0" "$@"
fi

W=$(mktemp -d /tmp/cellos-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

# The plan: the layout bwrap and crun are given below (tmpfs root, read-only
# /usr and /etc, merged-/usr symlinks, fresh /proc, minimal /dev, /tmp,
# a workspace, / read-only) plus what only cellrun does: memory and pids
# cgroups, a seccomp filter, the event stream. Written by the test helper so
# that the three tools get equivalent binds. The policy example compiled by
# cellc is timed as an extra line when it runs on this build.
make -s "$BUILD/t/runtime/mkplan" >/dev/null
"$BUILD/t/runtime/mkplan" "$W/hello.plan" --memory $((256 << 20)) --pids 256 -- /bin/true
EXAMPLE=""
if [ -x "$BUILD/bin/cellc" ] && [ -f policies/examples/hello.cell ] && \
   "$BUILD/bin/cellc" policies/examples/hello.cell -o "$W/example.plan" >/dev/null 2>&1 && \
   "$CELLRUN" --unsigned --events /dev/null "$W/example.plan" >/dev/null 2>&1 </dev/null; then
    EXAMPLE="$W/example.plan"
fi

BWRAP=(bwrap --unshare-all --die-with-parent --new-session
       --ro-bind /usr /usr --ro-bind /etc /etc
       --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64
       --proc /proc --dev /dev --tmpfs /tmp --tmpfs /work --chdir /work
       --remount-ro / --cap-drop ALL /bin/true)

# a minimal OCI bundle: empty rootfs with the merged-/usr symlinks, the same
# read-only binds, crun's default namespaces and capabilities dropped
mkdir -p "$W/bundle/rootfs"/{usr,etc,proc,dev,tmp,work}
for l in bin:usr/bin sbin:usr/sbin lib:usr/lib lib64:usr/lib64; do ln -s "${l#*:}" "$W/bundle/rootfs/${l%%:*}"; done
(cd "$W/bundle" && crun spec >/dev/null)
python3 - "$W/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]; c["process"]["terminal"] = False
c["process"]["cwd"] = "/work"
c["process"]["capabilities"] = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
c["root"] = {"path": "rootfs", "readonly": True}
c["mounts"] += [{"destination": d, "type": "bind", "source": d, "options": ["rbind", "ro", "nosuid", "nodev"]} for d in ("/usr", "/etc")]
c["mounts"] += [{"destination": "/work", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]
c["hostname"] = "bench"
json.dump(c, open(p, "w"))
PY

run_cellrun() { "$CELLRUN" --unsigned --events /dev/null "$W/hello.plan" </dev/null; }
run_bwrap()   { "${BWRAP[@]}" </dev/null; }
n_crun=0
run_crun()    { n_crun=$((n_crun + 1)); crun run --bundle "$W/bundle" "cellos-bench-$$-$n_crun" </dev/null; }

# sanity: each works
run_cellrun && run_bwrap && run_crun || { echo "bench/startup: a tool failed its sanity run" >&2; exit 1; }

declare -a T_cellrun T_bwrap T_crun T_example
run_example() { [ -z "$EXAMPLE" ] || "$CELLRUN" --unsigned --events /dev/null "$EXAMPLE" </dev/null; }
now_us() { local t=$EPOCHREALTIME; echo $(( ${t/./} )); }
for i in $(seq "$ROUNDS"); do
    for tool in cellrun bwrap crun example; do
        s=$(now_us); "run_$tool" >/dev/null 2>&1; e=$(now_us)
        eval "T_$tool+=($((e - s)))"
    done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d", m}'; }
mc=$(median "${T_cellrun[@]}"); mb=$(median "${T_bwrap[@]}"); mr=$(median "${T_crun[@]}")

# peak RSS of cellrun (time(1) reports the maximum over cellrun and the
# processes it waited for)
rss=$( for i in 1 2 3 4 5; do /usr/bin/time -f %M "$CELLRUN" --unsigned --events /dev/null "$W/hello.plan" 2>&1 >/dev/null </dev/null | tail -1; done | sort -n | tail -1)

echo "startup of /bin/true in a fully isolated cell: $ROUNDS interleaved rounds ($(uname -r), $(nproc) cpus)"
printf '%-34s %10s %10s\n' tool "median us" "vs cellrun"
printf '%-34s %10d %10s\n' "cellrun hello.plan" "$mc" "1.00"
printf '%-34s %10d %10s\n' "bwrap --unshare-all (same binds)" "$mb" "$(awk -v a="$mb" -v b="$mc" 'BEGIN{printf "%.2f", a/b}')"
printf '%-34s %10d %10s\n' "crun run (minimal bundle)" "$mr" "$(awk -v a="$mr" -v b="$mc" 'BEGIN{printf "%.2f", a/b}')"
if [ -n "$EXAMPLE" ]; then
    mx=$(median "${T_example[@]}")
    printf '%-34s %10d %10s\n' "cellrun (cellc hello.cell)" "$mx" "$(awk -v a="$mx" -v b="$mc" 'BEGIN{printf "%.2f", a/b}')"
else
    echo "(cellc's policies/examples/hello.cell does not run on this build yet: not timed)"
fi
echo "cellrun / bwrap = $(awk -v a="$mc" -v b="$mb" 'BEGIN{printf "%.2f", a/b}') (goal <= 1.00); cellrun / crun = $(awk -v a="$mc" -v b="$mr" 'BEGIN{printf "%.2f", a/b}') (goal <= 0.50)"
echo "cellrun peak RSS: $rss KiB (goal <= 2048 KiB)"

if command -v runsc >/dev/null; then
    echo
    bench/startup-gvisor.sh "${GVISOR_ROUNDS:-$(( ROUNDS < 100 ? ROUNDS : 100 ))}"
else
    echo "(runsc is not installed: no gVisor figures; see bench/startup-gvisor.sh)"
fi
