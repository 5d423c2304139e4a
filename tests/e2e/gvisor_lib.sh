# gvisor_lib.sh - shared by the gvisor backend's tests (tests/e2e/gvisor_*.t).
# Source after tap.sh and runtime_lib.sh (the runtime tests' plan maker,
# probes and residue check are reused). Provides:
#   need_runsc                   skip_all when runsc is missing
#   GV_T GV_RULES GV_PROBE       helper binaries of the gvisor tests
#   gv_plan OUT [opts] -- ARGV   mkplan + the seccomp rules that match its
#                                program (tests/e2e/gvisor_rules.c)
#   gv_probe_plan OUT [opts] -- ARGS   the same for a cellprobe plan (/t)
#   gv_cell PLAN [cellrun opts...]     crun_cell with --backend gvisor (and
#                                remembers cellrun's pid for the residue checks)
#   gv_residue [PIDS]            leftovers of this test's runs (and of cellrun
#                                PIDS started directly): runsc, monitor and
#                                cell processes, cgroups
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

gv_cell() {
    local plan=$1 p; shift
    rm -f "$TMP/ev.jsonl"
    "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend gvisor "$@" "$plan" \
        >"$TMP/out" 2>"$TMP/err" </dev/null &
    p=$!
    echo "$p" >> "$TMP/.cellrun-pids"
    wait $p; RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}

# Residue of this test's own runs (other suites may run cells meanwhile),
# as runtime_lib.sh's residue (the run ids cellrun names the runsc container
# and its cgroups after: cellos-<cellrun pid>-<hex>), without the wait.
gv_residue() {
    local p
    for p in "$@"; do echo "$p" >> "$TMP/.cellrun-pids"; done
    _our_cgroups
    _our_procs
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
