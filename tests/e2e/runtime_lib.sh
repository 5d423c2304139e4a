# runtime_lib.sh - shared by the runtime tests (tests/e2e/runtime_*.t).
# Source after tap.sh. Provides:
#   MKPLAN PROBE ESCAPE_DIR     helper binaries
#   mkplan OUT [opts] -- ARGV   write a plan (tests/e2e/runtime_mkplan.c)
#   probe_plan OUT [opts] -- ARGS   a plan that runs cellprobe ARGS, with the
#                                   helper dir bound read-only at /t
#   crun_cell PLAN [cellrun opts...]   run unsigned, events to $TMP/ev.jsonl;
#                                   sets OUT, ERR, RC
#   rt_cellrun ARGS...          run "$CELLRUN" ARGS in the foreground (same
#                               stdio, same pid), remembering its pid
#   rt_cellrun_path             a script doing the same, for `script -c`
#   residue                     prints what this test's own runs left behind:
#                               cgroups, processes, /tmp entries (waits up
#                               to 5 s for reapers first)
#   host_mounts                 the host mounts a run could leave behind
#   rootless_setup              for runs as nobody: copies cellrun and the
#                               probe into $TMP/rootless (0755), sets
#                               RL_CELLRUN and points probe_plan's /t there;
#                               the checkout may sit in a 0700 directory
#                               (mktemp -d) that nobody cannot traverse
#
# Residue is scoped to this test's runs, so suites (and other users) running
# cellrun at the same time never make it fail: every run through crun_cell,
# rt_cellrun (or gv_cell, vm_run) records its cellrun's pid in
# $TMP/.cellrun-pids, and cellrun names what it creates on the host after
# "<its pid>-<random hex>" (cgroups cellos-ID, the runsc container cellos-ID,
# the VM and its run directory cellos-vm-ID). A cellrun pid that is alive again when residue looks
# is a reused pid (ours were all waited for) or a run still going: skipped.
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

rootless_setup() {
    local d=${TMP:?}/rootless
    mkdir -p "$d" && cp "$CELLRUN" "$d/cellrun" && cp "$PROBE" "$d/cellprobe" || return 1
    chmod 755 "$TMP" "$d" && chmod 755 "$d/cellrun" "$d/cellprobe" || return 1
    RL_CELLRUN=$d/cellrun
    RT_T=$d
}

rt_cellrun() {
    sh -c 'echo $$ >> "$0"; exec "$@"' "${TMP:?}/.cellrun-pids" "$CELLRUN" "$@"
}
rt_pids() { sort -u "$TMP/.cellrun-pids" 2>/dev/null; }
# rt_cellrun_path: a script that runs $CELLRUN as rt_cellrun does (its pid
# recorded), for a command line another program runs (script -c)
rt_cellrun_path() {
    local w="$TMP/.rt-cellrun"
    if [ ! -x "$w" ]; then
        printf '#!/bin/sh\necho $$ >> "%s/.cellrun-pids"\nexec "%s" "$@"\n' "$TMP" "$CELLRUN" > "$w"
        chmod 755 "$w"
    fi
    echo "$w"
}

crun_cell() {
    local plan=$1; shift
    rm -f "$TMP/ev.jsonl"
    OUT=$(rt_cellrun --unsigned --events "$TMP/ev.jsonl" "$@" "$plan" 2>"$TMP/err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/err")
}

_live_cellrun() { [ "$(cat /proc/"$1"/comm 2>/dev/null)" = cellrun ]; }

# cgroups named after one of this test's (ended) runs: cellos-<pid>-<hex>
_our_cgroups() {
    local re d name pid
    re=$(rt_pids | paste -sd'|')
    [ -n "$re" ] || return 0
    for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
        find "$d" -maxdepth 6 -type d -name 'cellos-*' 2>/dev/null
    done | grep -E "/cellos-($re)-[0-9a-f]+$" | sort -u | while read -r d; do
        name=${d##*/}; pid=${name#cellos-}; pid=${pid%%-*}
        _live_cellrun "$pid" || echo "$d"
    done
}
# processes of this test's runs: cellrun's own children (the cell's init,
# the reaper, the gVisor and VM monitors: forks of cellrun, whose command
# line names this test's plan under $TMP) and whatever is named after a run
# id (runsc, its gofer and sandbox; QEMU)
_our_procs() {
    local re line id
    re=$(rt_pids | paste -sd'|')
    ps -eo pid=,comm=,args= | awk -v t="$TMP/" -v re="$re" -v self=$$ '
        $1 == self { next }
        { args = $0; sub(/^ *[0-9]+ +[^ ]+ +/, "", args); id = "-" }
        ($2 == "cellrun" || $2 ~ /^cellos-/) && index(args, t) { print id, $1, $2 ":", args; next }
        re != "" && match(args, "cellos-(vm-)?(" re ")-[0-9a-f]") {
            id = substr(args, RSTART, RLENGTH); sub(/^cellos-(vm-)?/, "", id); sub(/-.*/, "", id)
            print id, $1, $2 ":", args
        }' | while read -r id line; do
        [ "$id" != - ] && _live_cellrun "$id" && continue     # a reused pid's run
        echo "$line"
    done
}
# files and directories in /tmp named after one of this test's runs (the
# run directory of a non-root VM run, /tmp/cellos-vm-<pid>-<hex>); cellrun
# makes no other temp files, and each test points TMPDIR at its own
# directory to check that
_our_tmp() {
    local re
    re=$(rt_pids | paste -sd'|')
    [ -n "$re" ] || return 0
    find /tmp -mindepth 1 -maxdepth 1 -name 'cellos-*' 2>/dev/null |
        grep -E "^/tmp/cellos-([a-z]+-)?($re)-[0-9a-f]+$" | sort
}
residue() {     # what is left once every reaper had its time (5 s at most)
    local i left
    for i in $(seq 100); do
        left=$(_our_cgroups; _our_procs; _our_tmp)
        [ -z "$left" ] && return 0
        sleep 0.05
    done
    echo "$left"
}

# The host mounts a run could leave: cellrun mounts only in namespaces of
# its own, over /tmp (the native stage, gVisor's and Firecracker's bundle
# tmpfs) and at the plan's paths under this test's directory; a leak would
# show as a mount at /tmp, under $TMP, or one named after one of this
# test's runs. Mounts elsewhere are other users' business (and change under
# concurrent load).
host_mounts() {
    local re
    re=$(rt_pids | paste -sd'|')
    awk '{print $5}' /proc/self/mountinfo | awk -v t="${TMP:-/nonexistent}/" -v re="$re" \
        '$1 == "/tmp" || index($1 "/", t) == 1 || (re != "" && $1 ~ ("cellos-([a-z]+-)?(" re ")-[0-9a-f]"))' | sort
}
