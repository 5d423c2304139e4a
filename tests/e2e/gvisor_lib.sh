# gvisor_lib.sh - shared by the gvisor backend's tests (tests/e2e/gvisor_*.t).
# Source after tap.sh and runtime_lib.sh (the runtime tests' plan maker,
# probes and residue check are reused). Provides:
#   need_runsc                   skip_all when runsc is missing
#   GV_T GV_RULES GV_PROBE       helper binaries of the gvisor tests
#   gv_plan OUT [opts] -- ARGV   mkplan + the seccomp rules that match its
#                                program (tests/e2e/gvisor_rules.c)
#   gv_probe_plan OUT [opts] -- ARGS   the same for a cellprobe plan (/t)
#   gv_cell PLAN [cellrun opts...]     crun_cell with --backend gvisor
#   gv_residue                   leftover runsc processes of cellrun runs
#                                (container ids cellos-*), then cgroups
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
    local plan=$1; shift
    crun_cell "$plan" --backend gvisor "$@"
}

gv_residue() {
    pgrep -a -f 'runsc.* --root=/tmp/state ' || true
    residue
}
