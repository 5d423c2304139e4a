#!/usr/bin/env bash
# runtime_landlock.t - the Landlock step: the grants as a second wall.
# Driven by build/t/runtime/landlock (the cell side built with the test
# knobs, tests/e2e/runtime_landlock.c), whose cell has /data read-only,
# /rw writable, /usr read-only, /work, /tmp, /proc, /dev/null and runs as
# root without capabilities: only the mounts and Landlock stop a write.
# Then the policy statement through cellc and cellrun.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
LL="$RT_T/landlock"
[ -x "$LL" ] || skip_all "the Landlock test driver is not built"
tmpdir
mkdir -p "$TMP/data" "$TMP/rw"
echo original > "$TMP/data/f"

# cell [driver options] -- probe actions: OUT (probe lines), REC (the landlock record), RC
cell() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    local all
    all=$("$LL" "${opts[@]}" "$TMP/data" "$TMP/rw" -- /t/landlock probe "$@" </dev/null 2>&1)
    RC=$?
    REC=$(echo "$all" | awk '$1=="record" && $2=="landlock"{print $3, $5, $6}')
    OUT=$(echo "$all" | grep -v '^record ')
}

ok $(ldd "$LL" 2>&1 | grep -q "not a dynamic executable" && echo 0 || echo 1) "the driver is static, from the cell-side files"
if strings "$CELLRUN" | grep -q CELLOS_TEST_; then bad=1; else bad=0; fi
ok $bad "the release cellrun has no test knob compiled in"

cell -- read /data/f
ABI=$(echo "$REC" | awk '{print $3}')
if [ "$(echo "$REC" | awk '{print $1}')" != 0 ] || [ "${ABI:-0}" -lt 6 ]; then
    diag "landlock record: $REC"
    skip_all "this kernel has no Landlock ABI >= 6 (the CI machine has 7)"
fi
is "$REC" "0 0 $ABI" "the landlock step is ok and carries the kernel's ABI ($ABI)"

P="read /data/f write /data/f write /rw/g ls /usr exec /usr/bin/true read /proc/self/status write /dev/null
   write /work/z mkdir /tmp/y ls / mkdir /x write /proc/self/comm connect 80 bind 8080 kill 1"
cell -- $P
is "$OUT" "read /data/f ok
write /data/f EROFS
write /rw/g ok
ls /usr ok
exec /usr/bin/true ok
read /proc/self/status ok
write /dev/null ok
write /work/z ok
mkdir /tmp/y ok
ls / ok
mkdir /x EROFS
write /proc/self/comm EROFS
connect 80 EACCES
bind 8080 EACCES
kill 1 EPERM" \
  "grants work (reads, execs, writes where writable), a ro grant refuses writes, the root may be listed only, no /proc writes (proc is mounted read-only), no TCP with network none, no signal out of the domain"
CELLOS_TEST_WRITABLE_MOUNT=/proc cell -- write /proc/self/comm
is "$OUT" "write /proc/self/comm EACCES" "proc left writable by a (simulated) set-up bug: Landlock still refuses the write (EACCES, not EROFS)"
CELLOS_TEST_WRITABLE_MOUNT=/proc CELLOS_TEST_LANDLOCK_ABI=0 cell -- write /proc/self/comm
is "$OUT" "write /proc/self/comm ok" "control: the same bug without Landlock lets the /proc write through"

# ---- a mount escape alone is stopped: the /data bind left writable by a (simulated) set-up bug
CELLOS_TEST_WRITABLE_MOUNT=/data cell -- write /data/f
is "$OUT" "write /data/f EACCES" "a read-only bind made writable by a bug: the write is still refused, by Landlock (EACCES, not EROFS)"
is "$(cat "$TMP/data/f")" original "the host file is unchanged"
CELLOS_TEST_WRITABLE_MOUNT=/data CELLOS_TEST_LANDLOCK_ABI=0 cell -- write /data/f write /proc/self/comm
is "$OUT" "write /data/f ok
write /proc/self/comm EROFS" "control: the same bug without Landlock lets the write through (proc stays read-only by its mount)"
is "$(cat "$TMP/data/f")" escaped "control: ... and the host file is overwritten"
is "$REC" "3 0 0" "control: without Landlock the step is reported degraded, detail ABI 0"
echo original > "$TMP/data/f"
CELLOS_TEST_WRITABLE_MOUNT=/ cell -- mkdir /x
is "$OUT" "mkdir /x EACCES" "the root left writable by a bug: nothing can be created in it (no grant)"
CELLOS_TEST_WRITABLE_MOUNT=/ CELLOS_TEST_LANDLOCK_ABI=0 cell -- mkdir /x
is "$OUT" "mkdir /x ok" "control: without Landlock it could"

# ---- stdio the workload holds may be reopened by path, with the fd's access
"$LL" "$TMP/data" "$TMP/rw" -- /t/landlock probe write /proc/self/fd/1 </dev/null >"$TMP/out" 2>&1
like "$(tr -d '\0' <"$TMP/out")" "write /proc/self/fd/1 ok" "a host file as stdout can be reopened through /proc/self/fd/1 (/dev/stdout)"
echo input > "$TMP/in"
"$LL" "$TMP/data" "$TMP/rw" -- /t/landlock probe read /proc/self/fd/0 write /proc/self/fd/0 <"$TMP/in" >"$TMP/out" 2>&1
like "$(cat "$TMP/out")" "read /proc/self/fd/0 ok
write /proc/self/fd/0 EACCES" "... a host file as read-only stdin for reading only"
is "$(cat "$TMP/in")" input "... and it is unchanged"

OUTP=$("$LL" "$TMP/data" "$TMP/rw" -- /t/landlock probe write /proc/self/fd/1 </dev/null | cat)
like "$OUTP" "write /proc/self/fd/1 ok" "a pipe as stdout can be reopened too (no rule needed)"

# ---- a grant the workload cannot reach by path (below a 0700 directory of
# root's) gets no rule, and the cell still runs (as before Landlock)
mkdir -p "$TMP/h/sub" && chmod 700 "$TMP/h"
mkplan "$TMP/h.plan" --ro "$TMP/h:/h" --ro "$TMP/h/sub:/h/sub" --uid 65534 --gid 65534 -- /bin/true
crun_cell "$TMP/h.plan"
is "$RC" 0 "a grant below a directory the workload may not search: no rule, no failure"

# ---- network loopback: TCP is not handled (Landlock matches ports, not addresses)
cell --net loopback -- connect 1 bind 8080
is "$OUT" "connect 1 ECONNREFUSED
bind 8080 ok" "network loopback: TCP to and on lo as the policy allows"

# ---- older ABIs: best effort and degraded; `landlock required` fails closed
CELLOS_TEST_WRITABLE_MOUNT=/data CELLOS_TEST_LANDLOCK_ABI=3 cell -- write /data/f connect 80
is "$REC" "3 0 3" "ABI 3 (no network rules, no ioctl, no scoping): degraded, detail 3"
is "$OUT" "write /data/f EACCES
connect 80 ENETUNREACH" "... the filesystem rules of ABI 3 still hold; TCP is left to the namespace"
CELLOS_TEST_LANDLOCK_ABI=5 cell -- kill 1
is "$REC $OUT" "3 0 5 kill 1 ok" "ABI 5 (no scoping): degraded, signals not scoped"
CELLOS_TEST_LANDLOCK_ABI=6 cell -- kill 1
is "$REC $OUT" "0 0 6 kill 1 EPERM" "ABI 6 has everything the ruleset uses: ok"
CELLOS_TEST_LANDLOCK_ABI=3 cell --required -- read /data/f
is "$RC $REC" "125 1 95 3" "landlock required on ABI 3: the step fails (EOPNOTSUPP), the cell stops (125)"
is "$OUT" "" "... and the workload never ran"
CELLOS_TEST_LANDLOCK_ABI=0 cell --required -- read /data/f
is "$RC $REC" "125 1 95 0" "landlock required without Landlock: fails closed"
cell --required -- read /data/f
is "$RC $REC $OUT" "0 0 0 $ABI read /data/f ok" "landlock required on this kernel: runs"

# ---- the policy statement, end to end
cat > "$TMP/ll.cell" <<'EOF'
cell ll {
    landlock required;
    process { argv "/bin/sh", "-c", "echo hi > /work/x && cat /work/x && ls /"; }
    filesystem {
        ro "/usr";
        symlink "/bin" -> "usr/bin";
        symlink "/lib" -> "usr/lib";
        symlink "/lib64" -> "usr/lib64";
        workspace "/work" size 1MiB;
    }
    network none;
    syscalls { default allow unsafe "test"; }
}
EOF
"$CELLC" "$TMP/ll.cell" -o "$TMP/ll.plan" 2>"$TMP/cerr"
is "$?" 0 "cellc compiles landlock required;"
like "$("$CELLC" dump "$TMP/ll.plan")" "landlock +required" "cellc dump shows it"
crun_cell "$TMP/ll.plan"
is "$RC" 0 "cellrun runs it natively"
like "$OUT" "^hi" "the workspace is writable"
like "$OUT" "work" "the root can be listed (its layout is the plan's)"
ev=$(grep '"type":"dev.cellos.events.cell.step.v1.landlock"' "$TMP/ev.jsonl")
like "$ev" "\"result\":\"ok\"" "the landlock step event: ok"
like "$ev" "\"detail\":$ABI" "... with the ABI as detail"
crun_cell "$TMP/ll.plan" --backend gvisor
is "$RC" 125 "the gvisor backend refuses a plan that requires Landlock"
like "$ERR" "requires Landlock" "... saying why"
done_testing
