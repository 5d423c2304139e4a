#!/usr/bin/env bash
# denials_learn.t - `cellrun --learn` (issue 19 item 2): the job runs with a
# recording filter instead of the plan's, the run is marked in the stream
# (a seccomp downgrade), and the printed syscalls section, pasted into the
# policy, runs the same job under `default kill-process`.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

ev() { jq -r "select(.type|endswith(\"$1\")) | .data.$2" "$TMP/ev.jsonl"; }
ARGV='"/bin/sh", "-c", "echo hi; ls / >/dev/null; :"'

cat > "$TMP/j.cell" <<CELL
use "std/base";
use "std/syscalls";
cell j {
    process { argv $ARGV; user 65534; group 65534; }
}
CELL
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/j.cell" -o "$TMP/j.plan" 2>"$TMP/cerr"
ok $? "the job's policy compiles"
crun_cell "$TMP/j.plan" --learn
is "$RC:$OUT" "0:hi" "--learn runs the job (exit 0, its output)"
like "$ERR" "^cellrun: --learn: [0-9]+ system calls recorded \\([0-9]+ distinct\\)" "says what it recorded: every call, and how many different ones"
sed -n '/^syscalls {$/,/^}$/p' "$TMP/err" > "$TMP/learnt"
like "$(tr '\n' ' ' < "$TMP/learnt")" "default kill-process; +allow .*execve,.*getdents64,.*write;" \
   "a syscalls section: default kill-process, the calls the job made (ls's getdents64), the cell's own write"
like "$(cat "$TMP/learnt")" "allow ioctl\(request in \{TCGETS\}\);" "ioctl learnt with its request as a predicate"
is "$(ev step.v1.downgrade what | tr '\n' ' ')" "seccomp signing " \
   "the stream marks the run: a seccomp downgrade (and the unsigned one)"
like "$(ev step.v1.downgrade why | head -1)" "^--learn: the plan's syscall filter is not enforced" "saying why"
"$CELLRUN" verify "$TMP/ev.jsonl" --unsigned >/dev/null 2>&1
ok $? "cellrun verify accepts the learning run's stream"

# the learnt section, pasted into the policy, runs the job with default kill-process
{
    echo 'use "std/base";'
    echo 'cell k {'
    echo "    process { argv $ARGV; user 65534; group 65534; }"
    sed 's/^/    /' "$TMP/learnt"
    echo '}'
} > "$TMP/k.cell"
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/k.cell" -o "$TMP/k.plan" 2>"$TMP/cerr"
ok $? "the policy with the learnt section compiles"
crun_cell "$TMP/k.plan"
is "$RC:$OUT:$(jq -r 'select(.type|endswith("denied"))' "$TMP/ev.jsonl" | wc -l)" "0:hi:0" \
   "and runs the job under default kill-process: exit 0, nothing denied"
is "$(ev step.v1.downgrade what)" "signing" "an enforced run: no seccomp downgrade"
# one call fewer, and the enforced run names it
sed -i 's/ getdents64,//' "$TMP/k.cell"
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/k.cell" -o "$TMP/k.plan" 2>"$TMP/cerr"
crun_cell "$TMP/k.plan"
is "$RC" 0 "without getdents64 the shell goes on (ls is its child)"
like "$ERR" "seccomp killed the workload's process: getdents64\(.*\) matched no rule; default kill-process" \
   "and the denial names the call the learnt section had"

# python3: learn, then the learnt section runs it under default kill-process
if [ -x /usr/bin/python3 ]; then
    PY='"/usr/bin/python3", "-c", "import json, os; print(json.dumps(sorted(os.listdir(\"/\"))[:2]))"'
    printf 'use "std/base";\nuse "std/syscalls";\ncell p { process { argv %s; env HOME = "/tmp"; user 65534; group 65534; } }\n' \
        "$PY" > "$TMP/p.cell"
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/p.cell" -o "$TMP/p.plan" 2>"$TMP/cerr"
    crun_cell "$TMP/p.plan" --learn
    is "$RC:$OUT" '0:["bin", "dev"]' "python3 --learn: runs"
    sed -n '/^syscalls {$/,/^}$/p' "$TMP/err" > "$TMP/plearnt"
    { printf 'use "std/base";\ncell q {\n    process { argv %s; env HOME = "/tmp"; user 65534; group 65534; }\n' "$PY"
      sed 's/^/    /' "$TMP/plearnt"; echo '}'; } > "$TMP/q.cell"
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/q.cell" -o "$TMP/q.plan" 2>"$TMP/cerr"
    ok $? "python3's learnt section compiles"
    crun_cell "$TMP/q.plan"
    is "$RC:$OUT" '0:["bin", "dev"]' "and runs python3 under default kill-process"
else
    skip 3 "no /usr/bin/python3"
fi

# other backends cannot lend the listener: refused before the cell starts
OUT=$("$CELLRUN" --learn --backend gvisor --unsigned --events /dev/null "$TMP/j.plan" 2>&1 </dev/null); RC=$?
is "$RC" 125 "--learn with the gVisor backend is refused (125)"
like "$OUT" "^cellrun: --learn needs the native backend \(this run's is gvisor\)$" "saying why"

done_testing
