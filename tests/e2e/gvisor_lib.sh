# gvisor_lib.sh - shared by the gvisor backend's tests (tests/e2e/gvisor_*.t).
# Source after tap.sh and runtime_lib.sh (the runtime tests' plan maker,
# probes and residue check are reused). Provides:
#   need_runsc                   skip_all when runsc is missing
#   GV_T GV_RULES GV_PROBE       helper binaries of the gvisor tests
#   gv_plan OUT [opts] -- ARGV   mkplan + the seccomp rules that match its
#                                program (tests/e2e/gvisor_rules.c)
#   gv_probe_plan OUT [opts] -- ARGS   the same for a cellprobe plan (/t)
#   gv_cell PLAN [cellrun opts...]     crun_cell with --backend gvisor (and
#                                remembers cellrun's pid in GV_PIDS)
#   gv_residue [PIDS]            leftovers of the runs in GV_PIDS (and PIDS):
#                                runsc processes and cgroups
#   gv_wait_clean [PIDS]         wait up to 5 s for no residue
: "${CELLOS_BUILD:?}"
GV_T="$CELLOS_BUILD/t/gvisor"
GV_RULES="$GV_T/gvisor_rules"
GV_PROBE="$GV_T/gvisor_probe"

need_runsc() {
    command -v runsc >/dev/null || skip_all "runsc is not installed (Debian package runsc)"
}

gv_plan() {
    local out=$1
    mkplan "$@" || return 1
    ASAN_OPTIONS=detect_leaks=0 "$GV_RULES" "$out"
}

gv_probe_plan() {
    local out=$1
    probe_plan "$@" || return 1
    ASAN_OPTIONS=detect_leaks=0 "$GV_RULES" "$out"
}

GV_PIDS=""
gv_cell() {
    local plan=$1 p; shift
    rm -f "$TMP/ev.jsonl"
    "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend gvisor "$@" "$plan" \
        >"$TMP/out" 2>"$TMP/err" </dev/null &
    p=$!
    GV_PIDS="$GV_PIDS $p"
    wait $p; RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}

# Residue of this test's own runs (other suites may run cells meanwhile):
# cellrun names the container and its cgroups cellos-<cellrun pid>-<hex>.
gv_residue() {
    local p d
    for p in $GV_PIDS "$@"; do
        pgrep -a -f "cellos-$p-" || true
        for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
            find "$d" -maxdepth 6 -type d -name "cellos-$p-*" 2>/dev/null
        done
    done
}

# gv_wait_clean PIDS...: the cgroup reaper finishes asynchronously after a
# SIGKILL of cellrun; allow it 5 s
gv_wait_clean() {
    local i
    for i in $(seq 100); do
        [ -z "$(gv_residue "$@")" ] && return 0
        sleep 0.05
    done
    return 1
}
