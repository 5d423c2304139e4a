#!/usr/bin/env bash
# runtime_verdict.t - how a run ended, said once and the same everywhere
# (issue 19, items 4 and 9): the destroyed event's outcome is the
# workload's (a command that failed is a failed outcome), terminalState is
# Forced when the cell did not end on its own, the completed event names
# who ended it (killedby), and an out-of-memory kill says so on stderr as
# the wall-time kill does.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

ev() { jq -r "select(.type|endswith(\"$1\")) | .data.$2" "$TMP/ev.jsonl"; }

probe_plan "$TMP/p.plan" -- status 0
crun_cell "$TMP/p.plan"
is "$RC:$(ev destroyed outcome):$(ev destroyed terminalState):$(ev completed killedby)" "0:succeeded:Clean:null" \
   "exit 0: outcome succeeded, Clean, no killedby"

mkplan "$TMP/p.plan" -- /bin/sh -c 'exit 3'
crun_cell "$TMP/p.plan"
is "$RC:$(ev destroyed outcome):$(ev destroyed terminalState):$(ev completed killedby)" "3:failed:Clean:null" \
   "exit 3: outcome failed (the command failed), Clean"

probe_plan "$TMP/p.plan" -- kill 15
crun_cell "$TMP/p.plan"
is "$RC:$(ev destroyed outcome):$(ev destroyed terminalState):$(ev completed killedby)" "143:failed:Clean:signal" \
   "a workload that dies of its own SIGTERM: failed, killedby signal"

probe_plan "$TMP/p.plan" --memory $((32 << 20)) -- memhog 256
crun_cell "$TMP/p.plan"
is "$RC" 137 "the memory limit kills a hog (137)"
like "$ERR" "^cellrun: memory limit of 33554432 bytes \(32 MiB\) reached: the kernel's OOM killer killed the workload" \
   "and one line on stderr names the limit"
is "$(ev completed killedby):$(ev completed signame):$(ev destroyed outcome):$(ev destroyed terminalState)" \
   "memory:SIGKILL:failed:Forced" "completed says killedby memory; destroyed failed, Forced"

probe_plan "$TMP/p.plan" --wall 200 -- sleep 30
crun_cell "$TMP/p.plan"
is "$RC:$(ev completed killedby):$(ev destroyed outcome):$(ev destroyed terminalState)" "137:wall:failed:Forced" \
   "the wall-time kill: killedby wall, failed, Forced"

# a real seccomp kill (kill-process default) from a compiled policy
cat > "$TMP/sc.cell" <<'CELL'
use "std/base";
cell sc {
    process { argv "/bin/sh", "-c", "echo hi"; user 65534; group 65534; }
    syscalls {
        default kill-process;
        allow execve, brk, mmap, mprotect, munmap, arch_prctl, set_tid_address, set_robust_list, rseq,
              prlimit64, getrandom, access, newfstatat, fstat, pread64, read, close, openat, exit_group;
    }
}
CELL
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/sc.cell" -o "$TMP/sc.plan" 2>"$TMP/cerr"
is "$?" 0 "a policy whose filter lacks what sh needs compiles"
crun_cell "$TMP/sc.plan"
is "$RC:$(ev completed signame):$(ev completed killedby):$(ev destroyed outcome):$(ev destroyed terminalState)" \
   "159:SIGSYS:seccomp:failed:Forced" "a seccomp kill: 159, killedby seccomp, failed, Forced"
like "$ERR" "^cellrun: seccomp killed the workload" "and says so on stderr"
done_testing
