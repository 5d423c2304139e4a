#!/usr/bin/env bash
# gvisor_cleanup.t - nothing of a gVisor run is left on the host: no runsc,
# gofer or sandbox process, no cgroup, no mount, no file (the bundle lives in
# a private tmpfs of the monitor's mount namespace); after many runs, after
# a wall-time kill, and after cellrun itself is SIGKILLed at points spread
# over the sandbox's creation and the run.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
tmpdir

RUNS=${CELLOS_GVISOR_CLEANUP_RUNS:-$([ "${CELLOS_SANITIZE:-0}" = 1 ] && echo 5 || echo 12)}
mkdir "$TMP/tmpdir"; export TMPDIR="$TMP/tmpdir"
# runsc writes only inside the monitor's private tmpfs over /tmp; in the
# host's /tmp nothing named after one of this test's runs may appear
tmp_entries() { ls -A "$TMPDIR"; _our_tmp; }
mounts_before=$(host_mounts)
tmp_before=$(tmp_entries)

# every kind of host resource: cgroups (memory, cpu), staged tmpfs, clones,
# devices, secrets
echo s3cret > "$TMP/secret"
gv_plan "$TMP/t.plan" --memory $((256 << 20)) --cpu 1000 --secret k:file:"$TMP/secret":file:/work/k \
    -- /bin/true
fail=0
for i in $(seq "$RUNS"); do
    gv_cell "$TMP/t.plan"
    [ "$RC" = 0 ] || { fail=$((fail + 1)); diag "run $i: $RC $ERR"; }
done
is "$fail" 0 "$RUNS gVisor runs in a row all succeed"
is "$(gv_residue)" "" "no runsc process and no cgroup left after $RUNS runs"
is "$(host_mounts)" "$mounts_before" "the host mount table is unchanged"

# timeout
gv_probe_plan "$TMP/w.plan" --memory $((256 << 20)) --wall 300 -- sleep 30
gv_cell "$TMP/w.plan"
is "$RC" 137 "a gVisor cell killed at its wall-time limit"
gv_wait_clean; ok $? "leaves no process or cgroup"

# SIGKILL of cellrun at points from before runsc starts to mid-run
gv_probe_plan "$TMP/k.plan" --memory $((256 << 20)) --cpu 1000 -- sleep 30
left=""
for delay in 0 0.002 0.01 0.05 0.1 0.2 0.35 0.5 0.8 1.5; do
    "$CELLRUN" --unsigned --events /dev/null --backend gvisor "$TMP/k.plan" </dev/null >/dev/null 2>&1 &
    pid=$!; echo $pid >> "$TMP/.cellrun-pids"
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    gv_wait_clean "$pid" || left="$left $delay:[$(gv_residue "$pid" | tr '\n' ' ')]"
done
is "$left" "" "SIGKILL of cellrun at 10 points from 0 to 1.5 s: no process, no cgroup remains"
is "$(host_mounts)" "$mounts_before" "the host mount table is still unchanged"
is "$(tmp_entries)" "$tmp_before" "no file or directory was created in TMPDIR or /tmp"
done_testing
