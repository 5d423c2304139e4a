# runtime_lib.sh - shared by the runtime tests (tests/e2e/runtime_*.t).
# Source after tap.sh. Provides:
#   MKPLAN PROBE ESCAPE_DIR     helper binaries
#   mkplan OUT [opts] -- ARGV   write a plan (tests/e2e/runtime_mkplan.c)
#   probe_plan OUT [opts] -- ARGS   a plan that runs cellprobe ARGS, with the
#                                   helper dir bound read-only at /t
#   crun_cell PLAN [cellrun opts...]   run unsigned, events to $TMP/ev.jsonl;
#                                   sets OUT, ERR, RC
#   residue                     prints leftover cellos cgroups and cell processes
: "${CELLOS_BUILD:?}"
RT_T="$CELLOS_BUILD/t/runtime"
MKPLAN="$RT_T/mkplan"
PROBE="$RT_T/cellprobe"
ESCAPE_DIR="$RT_T/escape"

# mkplan is a test helper: under the sanitizers its few intentional
# process-lifetime allocations must not count as leaks
mkplan() { ASAN_OPTIONS=detect_leaks=0 "$MKPLAN" "$@"; }

probe_plan() {
    local out=$1; shift
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    ASAN_OPTIONS=detect_leaks=0 "$MKPLAN" "$out" --ro "$RT_T:/t" "${opts[@]}" -- /t/cellprobe "$@"
}

crun_cell() {
    local plan=$1; shift
    rm -f "$TMP/ev.jsonl"
    OUT=$("$CELLRUN" --unsigned --events "$TMP/ev.jsonl" "$@" "$plan" 2>"$TMP/err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/err")
}

_dead_cgroups() {   # cellos-<pid>-<hex> cgroups whose cellrun is gone
    local d name pid
    for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
        find "$d" -maxdepth 6 -type d -name 'cellos-*' 2>/dev/null
    done | while read -r d; do
        name=${d##*/}; pid=${name#cellos-}; pid=${pid%%-*}
        # a run in progress (another test, another suite) is not residue
        [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = cellrun ] && continue
        echo "$d"
    done
}
residue() {     # what is left once every reaper had its time (5 s at most)
    local i left
    for i in $(seq 100); do
        left=$(_dead_cgroups)
        [ -z "$left" ] && return 0
        sleep 0.05
    done
    echo "$left"
}
