#!/usr/bin/env bash
# bench/startup.sh - start-up cost of a fully isolated cell running /bin/true:
#   cellrun hello.plan, signed (the product's default: --key, events
#   appended to a file) and --unsigned (events to /dev/null)
#   vs   bwrap --unshare-all --die-with-parent (same binds)
#   vs   crun run on a minimal bundle (same binds)
# and the policy example policies/examples/hello.cell compiled by cellc,
# signed, beside bwrap with the same three files, workspace and uid.
# Interleaved runs (one of each per round), medians of wall time, CPU time
# (user+sys of the tool and every process it waits for; and of every
# process it starts, waited for or not, by cgroup v1 cpuacct) and peak RSS
# per tool, ratios to bwrap, all in one run. Run as root from the top of the
# tree after `make`:
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
make -s "$BUILD/t/runtime/mkplan" "$BUILD/bench/startup_run" >/dev/null
"$BUILD/t/runtime/mkplan" "$W/hello.plan" --memory $((256 << 20)) --pids 256 -- /bin/true
"$CELLRUN" keygen "$W/k" >/dev/null
# issue 18's cell as cellc compiles it: the same layout from std/base plus
# read-only /etc, a /tmp tmpfs and a workspace, memory and pids limits, and
# std/syscalls under a kill-process default (a real policy, ~76 events)
STDCELL=""
cat > "$W/bench.cell" <<'CELL'
use "std/base";
use "std/syscalls";
cell bench {
    process { argv "/bin/true"; cwd "/work"; env PATH = "/usr/bin:/bin"; }
    filesystem { ro "/etc"; tmpfs "/tmp" size 64MiB; workspace "/work" size 64MiB; }
    network none;
    limits { memory 256MiB; pids 256; }
    syscalls { default kill-process; }
}
CELL
if [ -x "$BUILD/bin/cellc" ] && "$BUILD/bin/cellc" -I policies "$W/bench.cell" -o "$W/std.plan" >/dev/null 2>&1 && \
   "$CELLRUN" --unsigned --events /dev/null "$W/std.plan" >/dev/null 2>&1 </dev/null; then
    STDCELL="$W/std.plan"
fi
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

# The commands, as startup_run runs them (stdio on /dev/null, {} = round).
# Signed is the default: a key, every event signed and appended to a file
# (one file for all runs, as a CI system's log would be).
C_SIGNED=("$CELLRUN" --key "$W/k.key" --events "$W/events.jsonl" "$W/hello.plan")
C_UNSIGNED=("$CELLRUN" --unsigned --events /dev/null "$W/hello.plan")
C_CRUN=(crun run --bundle "$W/bundle" "cellos-bench-$$-{}")
C_EXAMPLE=("$CELLRUN" --key "$W/k.key" --events "$W/example.jsonl" "$W/example.plan")
C_STD=("$CELLRUN" --key "$W/k.key" --events "$W/std.jsonl" "$W/std.plan")
# bwrap with hello.cell's layout: the three files read-only, the symlinks,
# a workspace, uid/gid 65534, / read-only
BWRAP_EXAMPLE=(bwrap --unshare-all --unshare-user --die-with-parent --new-session)
for f in /usr/bin/echo /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib64/ld-linux-x86-64.so.2; do
    BWRAP_EXAMPLE+=(--ro-bind "$f" "$f")
done
BWRAP_EXAMPLE+=(--symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
                --tmpfs /work --chdir /work --remount-ro / --cap-drop ALL --uid 65534 --gid 65534
                /bin/echo "hello from a cell")

# sanity: each works
for c in C_SIGNED C_UNSIGNED BWRAP C_CRUN; do
    eval 'cmd=("${'$c'[@]}")'
    cmd=("${cmd[@]//\{\}/0}")
    "${cmd[@]}" </dev/null >/dev/null 2>&1 || { echo "bench/startup: ${cmd[0]} failed its sanity run" >&2; exit 1; }
done
# and the workload alone, no isolation: what every tool's figure includes
# (on a VM whose CPUID exits are slow, glibc's start-up in each process is
# most of it: see docs/performance.md)
ARGS=(cellrun "${C_SIGNED[@]}" --- unsigned "${C_UNSIGNED[@]}" --- bwrap "${BWRAP[@]}" --- crun "${C_CRUN[@]}"
      --- bare /bin/true)
[ -z "$STDCELL" ] || ARGS+=(--- stdcell "${C_STD[@]}")
if [ -n "$EXAMPLE" ] && "${C_EXAMPLE[@]}" </dev/null >/dev/null 2>&1 && "${BWRAP_EXAMPLE[@]}" </dev/null >/dev/null 2>&1; then
    ARGS+=(--- example "${C_EXAMPLE[@]}" --- bwrap_example "${BWRAP_EXAMPLE[@]}")
else
    EXAMPLE=""
fi
# CPU of every process a tool starts, waited for or not (bwrap's parent never
# waits for its in-namespace child, which does all of bwrap's set-up): each
# run in a cpuacct group of the timer's, where cgroup v1 cpuacct is mounted
ACCT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ { print $2; exit }' /proc/self/mounts)
STARTUP_CPUACCT=$ACCT STARTUP_CPUACCT_SKIP=crun "$BUILD/bench/startup_run" "$ROUNDS" "${ARGS[@]}" > "$W/runs"
if awk '$7 != 0 { bad = 1 } END { exit !bad }' "$W/runs"; then
    echo "bench/startup: some runs failed:" >&2
    awk '$7 != 0' "$W/runs" | head -5 >&2
    exit 1
fi

# per tool: median wall, median CPU, peak RSS (the largest over its runs)
stat() {  # stat NAME FIELD median|max
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$W/runs" | sort -n |
        awk -v how="$3" '{ a[NR] = $1 } END { if (how == "max") print a[NR];
            else if (NR % 2) print a[(NR + 1) / 2]; else printf "%d\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
pct() {  # pct NAME FIELD P: the P-th percentile (spread)
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$W/runs" | sort -n |
        awk -v p="$3" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print a[i] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ev=$(( $(wc -l < "$W/events.jsonl") / (ROUNDS + 1) ))

echo "start-up of a fully isolated cell: $ROUNDS interleaved rounds ($(uname -r), $(nproc) cpus," \
     "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg))"
# CPU columns: "waited" is wait4's rusage (the tool and the processes it
# waited for); "all" counts every process it started (cpuacct; "-" where
# cgroup v1 cpuacct is not mounted). The CPU goal is read on "all" when
# there is one: bwrap's waited figure leaves out its set-up child.
if [ -n "$ACCT" ] && awk '$1 != "crun" && $8 < 0 { bad = 1 } END { exit bad }' "$W/runs"; then CPUF=8; else CPUF=4; fi
printf '%-38s %10s %13s %10s %10s %9s %9s\n' tool "wall us" "(p10-p90)" "CPU waited" "CPU all" "peak KiB" "wall/bwrap"
line() {  # line LABEL NAME BASE
    local all=-
    [ "$CPUF" = 8 ] && [ "$2" != crun ] && all=$(stat "$2" 8 median)
    printf '%-38s %10d %13s %10d %10s %9d %9s\n' "$1" "$(stat "$2" 3 median)" \
        "$(awk -v a="$(pct "$2" 3 10)" -v b="$(pct "$2" 3 90)" 'BEGIN { printf "%.1f-%.1f ms", a / 1000, b / 1000 }')" \
        "$(stat "$2" 4 median)" "$all" "$(stat "$2" 5 max)" "$(ratio "$(stat "$2" 3 median)" "$(stat "$3" 3 median)")"
}
line "cellrun hello.plan, signed ($ev events)" cellrun bwrap
line "cellrun hello.plan, --unsigned" unsigned bwrap
line "bwrap --unshare-all (same binds)" bwrap bwrap
line "crun run (minimal bundle)" crun bwrap
line "/bin/true alone (no isolation)" bare bwrap
if [ -n "$STDCELL" ]; then
    evs=$(( $(wc -l < "$W/std.jsonl") / ROUNDS ))
    line "cellrun std/base+std/syscalls ($evs ev.)" stdcell bwrap
else
    echo "(the std/syscalls bench cell does not compile or run on this build: not timed)"
fi
if [ -n "$EXAMPLE" ]; then
    line "cellrun hello.cell (cellc), signed" example bwrap_example
    line "bwrap, hello.cell's layout" bwrap_example bwrap_example
else
    echo "(cellc's policies/examples/hello.cell does not run on this build: not timed)"
fi
mc=$(stat cellrun 3 median) mb=$(stat bwrap 3 median) mr=$(stat crun 3 median)
echo "signed cellrun / bwrap: wall $(ratio "$mc" "$mb") (goal <= 0.80), CPU $(ratio "$(stat cellrun $CPUF median)" "$(stat bwrap $CPUF median)") (goal <= 1.50; waited-for only: $(ratio "$(stat cellrun 4 median)" "$(stat bwrap 4 median)")); cellrun / crun = $(ratio "$mc" "$mr") (goal <= 0.50)"
if [ -n "$STDCELL" ]; then
    echo "std/syscalls cell signed / bwrap: wall $(ratio "$(stat stdcell 3 median)" "$mb") (goal <= 0.80), CPU $(ratio "$(stat stdcell $CPUF median)" "$(stat bwrap $CPUF median)") (goal <= 1.50)"
fi
if [ -n "$EXAMPLE" ]; then
    echo "hello.cell signed / bwrap: wall $(ratio "$(stat example 3 median)" "$(stat bwrap_example 3 median)") (goal <= 0.80), CPU $(ratio "$(stat example $CPUF median)" "$(stat bwrap_example $CPUF median)") (goal <= 1.50)"
fi
[ "$CPUF" = 8 ] && echo "(CPU ratios on all processes; crun runs outside the timer's cpuacct group, which would speed it up, and waits for its container)"
echo "cellrun peak RSS: $(stat cellrun 5 max) KiB signed, $(stat unsigned 5 max) KiB unsigned (goal <= 2048 KiB)"

if [ "${GVISOR_ROUNDS:-1}" = 0 ]; then
    :
elif command -v runsc >/dev/null; then
    echo
    bench/startup-gvisor.sh "${GVISOR_ROUNDS:-$(( ROUNDS < 100 ? ROUNDS : 100 ))}"
else
    echo "(runsc is not installed: no gVisor figures; see bench/startup-gvisor.sh)"
fi
