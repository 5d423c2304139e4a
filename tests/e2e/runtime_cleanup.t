#!/usr/bin/env bash
# runtime_cleanup.t - nothing is left behind on the host: no cgroups, no
# processes, no mounts, no temp dirs; after many runs, after a timeout, and
# after cellrun itself is SIGKILLed at any point of the set-up or the run.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

# 200 runs (50 under the sanitizers, where each run is several times slower)
RUNS=${CELLOS_CLEANUP_RUNS:-$([ "${CELLOS_SANITIZE:-0}" = 1 ] && echo 50 || echo 200)}
tag="cellos-cleanup-$$"
procs() { pgrep -f "$tag" | grep -v "^$$\$" || true; }
# cellrun creates no temp files at all; it is run with TMPDIR pointing at an
# empty directory, which must stay empty, and nothing named after one of
# this test's runs may appear in /tmp
mkdir "$TMP/tmpdir"; export TMPDIR="$TMP/tmpdir"
tmp_entries() { ls -A "$TMPDIR"; _our_tmp; }
wait_clean() {  # the reaper finishes asynchronously after a SIGKILL (residue waits 5 s)
    [ -z "$(residue)" ] && [ -z "$(procs)" ]
}
mounts_before=$(host_mounts)
tmp_before=$(tmp_entries)

# a plan with every kind of host resource: cgroups (memory, pids, cpu), all
# namespaces, the full mount program; the workload is tagged for pgrep
mkplan "$TMP/t.plan" --memory $((128 << 20)) --pids 64 --cpu 500 -- /bin/true "$tag"
fail=0
for i in $(seq "$RUNS"); do
    rt_cellrun --unsigned --events /dev/null "$TMP/t.plan" </dev/null || fail=$((fail + 1))
done
is "$fail" 0 "$RUNS runs in a row all succeed"
is "$(residue)" "" "no cgroups left after $RUNS runs"
is "$(procs)" "" "no processes left"
is "$(host_mounts)" "$mounts_before" "the host mount table is unchanged"

# timeout
probe_plan "$TMP/w.plan" --memory $((128 << 20)) --pids 64 --wall 200 -- sleep 30 "$tag"
crun_cell "$TMP/w.plan"
is "$RC" 137 "a cell killed at its wall-time limit"
wait_clean; ok $? "leaves no cgroups or processes"

# SIGKILL of cellrun at points spread over set-up and run (the cell sleeps)
probe_plan "$TMP/k.plan" --memory $((128 << 20)) --pids 64 --cpu 500 -- sleep 30 "$tag"
left=""
for delay in 0 0.001 0.002 0.003 0.005 0.008 0.012 0.02 0.05 0.3; do
    "$CELLRUN" --unsigned --events /dev/null "$TMP/k.plan" </dev/null >/dev/null 2>&1 &
    pid=$!; echo $pid >> "$TMP/.cellrun-pids"
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    wait_clean || left="$left $delay:[$(residue | tr '\n' ' ')][$(procs | tr '\n' ' ')]"
done
is "$left" "" "SIGKILL of cellrun at 10 points from 0 to 300 ms: no cgroups, no processes remain"
is "$(host_mounts)" "$mounts_before" "the host mount table is still unchanged"
is "$(tmp_entries)" "$tmp_before" "no temp dirs were created"

# The residue check itself: it looks only at what this test's own runs made
# (other suites and users run cells at the same time), and it does catch a
# leak of theirs. Fake leaks: a cgroup and a /tmp run directory named after
# one of our runs, a cell process (comm cellrun, its command line under
# $TMP); decoys of someone else's run: the same named after a pid that is
# not ours, a "cellrun" running from another directory.
ours=$(rt_pids | tail -1)
( : ) & notours=$!; wait $notours
cg=""
for d in /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [ -d "$d" ] && mkdir "$d/cellos-$ours-feedface" 2>/dev/null && { cg=$d; break; }
done
other=$(mktemp -d /tmp/cellos-other.XXXXXX)
cp /bin/sleep "$TMP/cellrun"; cp /bin/sleep "$other/cellrun"
mkdir "/tmp/cellos-vm-$ours-feedface" "/tmp/cellos-vm-$notours-feedface"
"$TMP/cellrun" 30 & fake=$!
"$other/cellrun" 30 & decoy=$!
[ -n "$cg" ] && mkdir "$cg/cellos-$notours-feedface"
got=$(residue)
if [ -n "$cg" ]; then
    like "$got" "/cellos-$ours-feedface\$" "residue catches a cgroup left by one of this test's runs"
    unlike "$got" "$cg/cellos-$notours-" "and ignores one named after a run that is not this test's"
else
    skip 2 "no cgroup hierarchy here lets this test make a cgroup"
fi
like "$got" "^$fake cellrun: $TMP/cellrun 30" "residue catches a cell process of this test's runs"
unlike "$got" "$other" "and ignores another user's"
like "$got" "^/tmp/cellos-vm-$ours-feedface\$" "residue catches a run directory of this test's runs in /tmp"
unlike "$got" "/tmp/cellos-vm-$notours-" "and ignores another run's"
kill "$fake" "$decoy"; wait "$fake" "$decoy" 2>/dev/null
[ -n "$cg" ] && rmdir "$cg/cellos-$ours-feedface" "$cg/cellos-$notours-feedface"
rm -rf "$other" "/tmp/cellos-vm-$ours-feedface" "/tmp/cellos-vm-$notours-feedface"
is "$(residue)" "" "with the fakes gone, nothing is left"
done_testing
