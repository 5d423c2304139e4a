#!/usr/bin/env bash
# runtime_basic.t - cellrun runs a plan: exit statuses, extra args, options,
# failing set-up steps named, events produced and verifiable.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

mkplan "$TMP/true.plan" -- /bin/true
crun_cell "$TMP/true.plan"
is "$RC" 0 "/bin/true in a cell exits 0"
is "$ERR" "" "nothing on stderr"

mkplan "$TMP/three.plan" -- /bin/sh -c 'exit 3'
crun_cell "$TMP/three.plan"
is "$RC" 3 "the workload's exit status is cellrun's"

probe_plan "$TMP/sig.plan" -- kill 15
crun_cell "$TMP/sig.plan"
is "$RC" 143 "death by signal 15 gives 128+15"

mkplan "$TMP/nf.plan" -- /no/such/binary
crun_cell "$TMP/nf.plan"
is "$RC" 127 "a workload that does not exist gives 127"
like "$ERR" "^cellrun: step exec: /no/such/binary: No such file or directory$" "one line naming exec and the binary"

mkplan "$TMP/nx.plan" -- /etc/hostname
crun_cell "$TMP/nx.plan"
is "$RC" 126 "a workload that is not executable gives 126"

mkplan "$TMP/badbind.plan" --ro /nonexistent-cellos-src:/x -- /bin/true
crun_cell "$TMP/badbind.plan"
is "$RC" 125 "a failing mount op gives 125"
like "$ERR" "^cellrun: step mount_op [0-9]+ \(bind /nonexistent-cellos-src -> /x\): No such file or directory$" \
     "the message names the step, the op and the error"

# an OPTIONAL bind whose source is absent is skipped, and so is every op
# that targets only what it would have mounted (its read-only remount, a
# remount or mask beneath it); other ops on absent paths still fail
ops_at() { jq -r "(if .data.step == \"mounts\" then .data.ops[] elif .data.step == \"mount_op\" then .data else empty end) | select(.dst | startswith(\"$1\")) | \"\\(.opcode):\\(.result)\"" "$TMP/ev.jsonl" | tr '\n' ' '; }
mkplan "$TMP/opt.plan" --op 3:32:/nonexistent-cellos-src:/opt/x:0:0 --op 6:7::/opt/x:0:0 \
       --op 6:1::/opt/x/sub:0:0 --op 10:0::/opt/x/secret:0:0 -- /bin/true
crun_cell "$TMP/opt.plan"
is "$RC" 0 "an absent optional bind with a remount on it: the cell runs"
is "$(ops_at /opt/x)" "bind:skipped remount:skipped remount:skipped mask:skipped " \
   "the bind, its remount and the ops beneath it are reported skipped"
mkplan "$TMP/opt.plan" --op 3:32:/nonexistent-cellos-src:/opt/x:0:0 --op 6:7::/opt/y:0:0 -- /bin/true
crun_cell "$TMP/opt.plan"
is "$RC" 125 "a remount of another absent path still fails"
like "$ERR" "step mount_op [0-9]+ \(remount /opt/y\): No such file or directory" "naming it (ENOENT)"
steps=$(jq -r 'select(.data.origin == "cell") | .data.step' "$TMP/ev.jsonl" | tr '\n' ' ')
like "$steps" "mount_private mounts mount_op $" "the ops before it are one section event, the failed op an event of its own"
is "$(jq -r 'select(.data.step == "mount_op") | "\(.data.opcode):\(.data.result):\(.data.dst):\(.data.errno)"' "$TMP/ev.jsonl")" \
   "remount:failed:/opt/y:ENOENT" "naming the op, its result and errno"
mkdir -p "$TMP/present"
probe_plan "$TMP/opt.plan" --op "3:32:$TMP/present:/opt/x:0:0" --op 6:7::/opt/x:0:0 -- write /opt/x/f
crun_cell "$TMP/opt.plan"
is "$OUT:$(ops_at /opt/x)" "EROFS:bind:ok remount:ok " "an optional bind that is present is bound and remounted read-only"
cat > "$TMP/opt.cell" <<'EOF'
use "std/base";
use "std/syscalls";
cell optional-certs {
    process { argv "/bin/echo", "ran"; }
    filesystem { ro "/nonexistent-cellos-certs" at "/etc/ssl/certs" optional; }
    network none;
    syscalls { default kill-process; }
}
EOF
if "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/opt.cell" -o "$TMP/optc.plan" 2>"$TMP/cc.err"; then
    crun_cell "$TMP/optc.plan"
    is "$RC:$OUT" "0:ran" "a compiled policy with an absent optional ro bind runs (as std/net-client's certs)"
    is "$(ops_at /etc/ssl/certs)" "bind:skipped remount:skipped " "its bind and read-only remount are skipped"
else
    ok 1 "cellc compiles the optional-bind policy: $(cat "$TMP/cc.err")"
fi

mkplan "$TMP/args.plan" --extra-args -- /bin/echo a
OUT=$(rt_cellrun --unsigned --events "$TMP/ev2.jsonl" "$TMP/args.plan" -- b c 2>&1)
is "$OUT" "a b c" "extra args after -- are appended when the plan allows"
OUT=$(rt_cellrun --unsigned --events "$TMP/ev2.jsonl" "$TMP/true.plan" -- b 2>&1); RC=$?
is "$RC" 125 "extra args refused when the plan does not allow them"
like "$OUT" "does not allow extra arguments" "and the reason is given"

OUT=$(rt_cellrun --events "$TMP/ev3.jsonl" "$TMP/true.plan" 2>&1 </dev/null); RC=$?
is "$RC" 125 "no key and no --unsigned: refused"
like "$OUT" "no signing key" "the message says why"
[ ! -e "$TMP/ev3.jsonl" ]; ok $? "and nothing ran (no stream was started)"

OUT=$(rt_cellrun --unsigned --backend nosuch "$TMP/true.plan" 2>&1); RC=$?
is "$RC" 125 "an unknown backend is refused"
like "$OUT" 'backend "nosuch" is not built into this cellrun' "naming it"

OUT=$("$CELLRUN" --help); RC=$?
is "$RC" 0 "--help exits 0"
like "$OUT" "128\+N" "--help documents the exit statuses"

printf 'garbage' > "$TMP/bad.plan"
OUT=$(rt_cellrun --unsigned "$TMP/bad.plan" 2>&1); RC=$?
is "$RC" 125 "a corrupt plan is refused with 125"
like "$OUT" "^cellrun: .*bad.plan" "naming the file"

# signed run, verified offline
(cd "$TMP" && "$CELLRUN" keygen k >/dev/null)
rt_cellrun --key "$TMP/k.key" --events "$TMP/signed.jsonl" "$TMP/true.plan"; RC=$?
is "$RC" 0 "a signed run succeeds"
"$CELLRUN" verify "$TMP/signed.jsonl" --trust "$TMP/k.trust.json" --plan "$TMP/true.plan" >/dev/null 2>&1
ok $? "its events verify against the key and the plan"
types=$(jq -r '.type' "$TMP/signed.jsonl" | sed 's/.*\.//' | tr '\n' ' ')
like "$types" "^started plan_verified namespaces uid_map cgroup mount_private (mounts )+hostname loopback init rlimits fds env secrets caps no_new_privs landlock seccomp exec exit completed destroyed sealed $" \
     "one event per step, in order"

# --trust: only plans signed by a trusted key run
(cd "$TMP" && "$CELLRUN" keygen other >/dev/null)
mkplan "$TMP/signed.plan" --sign "$TMP/k.key" -- /bin/true
mkplan "$TMP/other.plan" --sign "$TMP/other.key" -- /bin/true
rt_cellrun --unsigned --events /dev/null --trust "$TMP/k.trust.json" "$TMP/signed.plan"; RC=$?
is "$RC" 0 "--trust: a plan signed by a trusted key runs"
OUT=$(rt_cellrun --unsigned --events /dev/null --trust "$TMP/k.trust.json" "$TMP/true.plan" 2>&1); RC=$?
is "$RC" 125 "--trust: an unsigned plan is refused"
like "$OUT" "not signed" "saying so"
OUT=$(rt_cellrun --unsigned --events /dev/null --trust "$TMP/k.trust.json" "$TMP/other.plan" 2>&1); RC=$?
is "$RC" 125 "--trust: a plan signed by an untrusted key is refused"
cp "$TMP/signed.plan" "$TMP/tampered.plan"
printf 'X' | dd of="$TMP/tampered.plan" bs=1 seek=$(( $(stat -c %s "$TMP/tampered.plan") - 1 )) conv=notrunc 2>/dev/null
OUT=$(rt_cellrun --unsigned --events /dev/null --trust "$TMP/k.trust.json" "$TMP/tampered.plan" 2>&1); RC=$?
is "$RC" 125 "--trust: a plan with a damaged signature is refused"

CELLOS_KEY="$TMP/k.key" rt_cellrun --events "$TMP/env.jsonl" "$TMP/true.plan"; RC=$?
is "$RC" 0 "the key can come from \$CELLOS_KEY"

rt_cellrun --unsigned --events fd:7 "$TMP/true.plan" 7>"$TMP/fd.jsonl"; RC=$?
is "$RC" 0 "events to an inherited fd"
is "$(tail -1 "$TMP/fd.jsonl" | jq -r .type)" "dev.cellos.events.cell.stream.v1.sealed" "the stream on fd:7 is sealed"

mkplan "$TMP/pass7.plan" --pass-fd 7 -- /bin/true
OUT=$(rt_cellrun --unsigned --events fd:7 "$TMP/pass7.plan" 2>&1 7>/dev/null); RC=$?
is "$RC" 125 "an event fd that the plan passes to the cell is refused"
like "$OUT" "must not hold the event stream" "saying why"

# the events sink fails mid-run: the cell is killed, cellrun fails
if [ -w /dev/full ]; then
    rt_cellrun --unsigned --events /dev/full "$TMP/true.plan" 2>"$TMP/full.err"; RC=$?
    isnt_zero=$([ "$RC" -ne 0 ] && echo yes); is "$isnt_zero" yes "a failing sink makes cellrun fail"
else
    skip 1 "no /dev/full"
fi

# ... or mid-run: a pipe whose reader goes away after 3000 bytes
probe_plan "$TMP/sleep.plan" --pids 32 -- sleep 30
start=$(date +%s)
rt_cellrun --unsigned --events - "$TMP/sleep.plan" 2>"$TMP/pipe.err" </dev/null | head -c 3000 >/dev/null
RC=${PIPESTATUS[0]}
took=$(( $(date +%s) - start ))
is "$RC" 125 "a sink failing mid-run fails the run with 125"
ok $([ "$took" -lt 10 ] && echo 0 || echo 1) "and the cell was killed at once, not left to run (${took} s)"
like "$(cat "$TMP/pipe.err")" "^cellrun: events: " "the message names the event sink"

is "$(residue)" "" "no cgroups left behind"
done_testing
