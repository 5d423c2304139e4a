#!/usr/bin/env bash
# bench/startup-gvisor.sh - start-up cost of the gvisor backend on /bin/true:
#   cellrun --backend gvisor hello.plan   vs   runsc --network=none do /bin/true
# Interleaved runs (one of each per round), medians and the ratio in one run
# (goal: cellrun at most 1.1x runsc do). The plan is bench/startup.sh's cell
# (tmpfs root, read-only /usr and /etc, /proc, a minimal /dev, /tmp, a
# workspace, / read-only, the /proc masks, no capabilities, seccomp;
# unsigned events to /dev/null) with the seccomp rules that match its
# program, and no limits: `runsc do` applies none either. The same cell with
# a memory limit (a cgroup made and removed per run) is timed as an extra
# line. Run as root from the top of the tree after `make`:
#   bench/startup-gvisor.sh [ROUNDS]        (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-40}
BUILD=${BUILD:-build}
CELLRUN=$PWD/$BUILD/bin/cellrun
[ "$(id -u)" = 0 ] || { echo "bench/startup-gvisor: run as root" >&2; exit 1; }
[ -x "$CELLRUN" ] || { echo "bench/startup-gvisor: build first (make)" >&2; exit 1; }
command -v runsc >/dev/null || { echo "bench/startup-gvisor: runsc is not installed" >&2; exit 1; }
make -s "$BUILD/t/runtime/mkplan" "$BUILD/t/gvisor/gvisor_rules" >/dev/null

# Descriptors inherited from whatever started the bench are closed: a
# high-numbered one would pre-size the descriptor tables of runsc do's whole
# process tree (cellrun closes them itself and pre-sizes runsc's tables; see
# docs/performance.md), so both tools start as from a plain shell.
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && [ "$fd" != 255 ] && eval "exec $fd>&-" 2>/dev/null
done

W=$(mktemp -d /tmp/cellos-bench-gv.XXXXXX)
trap 'rm -rf "$W"' EXIT
"$BUILD/t/runtime/mkplan" "$W/hello.plan" -- /bin/true
"$BUILD/t/gvisor/gvisor_rules" "$W/hello.plan"
"$BUILD/t/runtime/mkplan" "$W/mem.plan" --memory $((256 << 20)) -- /bin/true
"$BUILD/t/gvisor/gvisor_rules" "$W/mem.plan"

run_cellrun() { "$CELLRUN" --unsigned --events /dev/null --backend gvisor "$W/hello.plan" </dev/null; }
run_mem()     { "$CELLRUN" --unsigned --events /dev/null --backend gvisor "$W/mem.plan" </dev/null; }
run_runsc()   { (cd "$W" && runsc --network=none do /bin/true </dev/null); }
run_cellrun && run_runsc || { echo "bench/startup-gvisor: a tool failed its sanity run" >&2; exit 1; }

declare -a T_cellrun T_runsc T_mem
now_us() { local t=$EPOCHREALTIME; echo $(( ${t/./} )); }
for i in $(seq "$ROUNDS"); do
    for tool in cellrun runsc mem; do
        s=$(now_us); "run_$tool" >/dev/null 2>&1; e=$(now_us)
        eval "T_$tool+=($((e - s)))"
    done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d", m}'; }
mc=$(median "${T_cellrun[@]}"); mr=$(median "${T_runsc[@]}"); mm=$(median "${T_mem[@]}")
platform=$("$CELLRUN" --unsigned --events - --backend gvisor "$W/hello.plan" </dev/null 2>/dev/null |
           sed -n 's/.*"platform":"\([a-z]*\)".*/\1/p' | head -1)
echo "gVisor start-up of /bin/true: $ROUNDS interleaved rounds ($(uname -r), $(nproc) cpus, $(runsc --version | head -1), platform ${platform:-?}, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-44s %10s %10s\n' tool "median us" "vs runsc"
printf '%-44s %10d %10s\n' "cellrun --backend gvisor hello.plan" "$mc" "$(awk -v a="$mc" -v b="$mr" 'BEGIN{printf "%.2f", a/b}')"
printf '%-44s %10d %10s\n' "runsc --network=none do /bin/true" "$mr" "1.00"
printf '%-44s %10d %10s\n' "cellrun --backend gvisor, + memory limit" "$mm" "$(awk -v a="$mm" -v b="$mr" 'BEGIN{printf "%.2f", a/b}')"
echo "cellrun / runsc do = $(awk -v a="$mc" -v b="$mr" 'BEGIN{printf "%.2f", a/b}') (goal <= 1.10)"
