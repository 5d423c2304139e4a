#!/usr/bin/env bash
# bench/landlock.sh - start-up cost of the Landlock step (runtime/cell/cell_landlock.c):
# build the ruleset from the plan's grants, open each grant's dst, add the
# rules, restrict the workload. Measured inside real cellrun runs from the
# cell's own step records: the landlock step's CLOCK_MONOTONIC stamp minus
# the no_new_privs step's (the step just before it, in the same process),
# over ROUNDS runs in one go; printed beside the whole cell set-up (the
# namespaces record to the exec record) of the same runs, medians and p90.
# Run as root from the top of the tree after `make`:
#   bench/landlock.sh [ROUNDS]        (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-300}
BUILD=${BUILD:-build}
CELLRUN=$PWD/$BUILD/bin/cellrun
[ "$(id -u)" = 0 ] || { echo "bench/landlock: run as root" >&2; exit 1; }
[ -x "$CELLRUN" ] || { echo "bench/landlock: build first (make)" >&2; exit 1; }
W=$(mktemp -d /tmp/cellos-bench-ll.XXXXXX)
trap 'rm -rf "$W"' EXIT

# the CI-cell layout of bench/startup.sh (tmpfs root, /usr and /etc
# read-only, merged-/usr symlinks, /proc, a minimal /dev, /tmp, a
# workspace): 14 grant rules; and the narrow hello example (3 files, a
# workspace): 4; each plus the root's rule and rules for the stdio files
# (here /dev/null)
make -s "$BUILD/t/runtime/mkplan" >/dev/null
"$BUILD/t/runtime/mkplan" "$W/ci.plan" -- /bin/true
"$BUILD/bin/cellc" policies/examples/hello.cell -o "$W/hello.plan" >/dev/null

# median and p90 of the numbers on stdin (ns), printed in µs
stats() { sort -n | awk '{v[NR]=$1} END {if (!NR) {print "n/a"; exit}
    m=v[int((NR+1)/2)]; p=v[int(NR*0.9+0.5)]; printf "%.1f µs (p90 %.1f µs, n=%d)", m/1000, p/1000, NR}'; }

# one run's step stamps: "step monotonicns" per cell step line
stamps() { sed -n 's/.*"monotonicns":"\([0-9]*\)".*"step":"\([a-z_]*\)".*/\2 \1/p' "$1"; }

run() {
    local plan=$1 name=$2
    : > "$W/$name.ll"; : > "$W/$name.setup"
    for _ in $(seq "$ROUNDS"); do
        rm -f "$W/ev"
        "$CELLRUN" --unsigned --events "$W/ev" "$plan" >/dev/null 2>&1 </dev/null || true
        stamps "$W/ev" | awk -v ll="$W/$name.ll" -v su="$W/$name.setup" '
            {t[$1]=$2} END {
                if (t["landlock"] && t["no_new_privs"]) print t["landlock"]-t["no_new_privs"] >> ll
                if (t["exec"] && t["namespaces"]) print t["exec"]-t["namespaces"] >> su }'
    done
    local abi
    abi=$(grep -o '"detail":[0-9]*,"monotonicns":"[0-9]*","origin":"cell","result":"[a-z]*","step":"landlock"' "$W/ev" |
          sed 's/"detail":\([0-9]*\).*"result":"\([a-z]*\)".*/ABI \1, \2/')
    printf '%-28s landlock step %s   cell set-up %s   [%s]\n' "$name" \
        "$(stats < "$W/$name.ll")" "$(stats < "$W/$name.setup")" "$abi"
}

echo "bench/landlock: $ROUNDS runs per plan; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
run "$W/ci.plan" "CI layout (14 grant rules)"
run "$W/hello.plan" "hello.cell (4 grant rules)"
