#!/usr/bin/env bash
# denials_basic.t - a seccomp kill names the refused call (issue 19 item 1):
# the supervisor answers the filter's kill returns through a USER_NOTIF
# listener, says which call was refused with which rule or default and its
# policy line, writes a seccomp.v1.denied event and kills the caller before
# the call runs; the exit status and the completed event stay those of a
# seccomp kill (159, SIGSYS, killedby seccomp).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

ev() { jq -r "select(.type|endswith(\"$1\")) | .data.$2" "$TMP/ev.jsonl"; }
compile() { "$CELLC" -I "$CELLOS_TOP/policies" "$1" -o "$2" 2>"$TMP/cerr" || { cat "$TMP/cerr" >&2; return 1; }; }

mkdir -p "$TMP/ws" && chmod 777 "$TMP/ws"
. "$CELLOS_TOP/tests/lib/denial_policy.sh"
policy() { denial_policy "$@"; }

# 1. a rule decides: the call is named with the rule and its line, and never ran
policy "\"/bin/mkdir\", \"$TMP/ws/made\"" > "$TMP/d.cell"
compile "$TMP/d.cell" "$TMP/d.plan"
ok $? "a policy that kills mkdir compiles"
crun_cell "$TMP/d.plan"
is "$RC" 159 "the workload is killed: 159 as a kernel seccomp kill"
like "$ERR" '^cellrun: seccomp killed the workload: mkdir\(0x[0-9a-f]+, 511, 0, \.\.\.\) matched the rule "kill-process mkdir" \(policy line 7\)$' \
   "one stderr line names the call, its arguments, the rule and its policy line"
is "$(printf '%s\n' "$ERR" | wc -l)" 1 "and only that line"
ok "$([ ! -e "$TMP/ws/made" ]; echo $?)" "the refused mkdir never ran: no directory"
is "$(ev denied syscall):$(ev denied decidedby):$(ev denied line):$(ev denied action):$(ev denied workloadprocess)" \
   "mkdir:rule:7:kill-process:true" "a denied event: syscall, decided by the rule on line 7, kill-process"
is "$(jq -r 'select(.type=="dev.cellos.events.cell.seccomp.v1.denied") | .type' "$TMP/ev.jsonl" | wc -l)" 1 \
   "exactly one denied event, of type dev.cellos.events.cell.seccomp.v1.denied"
is "$(ev step.v1.seccomp listener)" true "the seccomp step says the kill returns have a listener"
is "$(ev completed signame):$(ev completed killedby):$(ev destroyed outcome):$(ev destroyed terminalState)" \
   "SIGSYS:seccomp:failed:Forced" "completed and destroyed as for any seccomp kill"
"$CELLRUN" verify "$TMP/ev.jsonl" --unsigned >/dev/null 2>&1
ok $? "cellrun verify accepts the stream with the denied event"
seqs=$(jq -r '.type' "$TMP/ev.jsonl" | grep -n 'seccomp.v1.denied\|command.v1.completed' | cut -d: -f2 | tr '\n' ' ')
is "$seqs" "dev.cellos.events.cell.seccomp.v1.denied dev.cellos.events.cell.command.v1.completed " \
   "the denied event comes before completed"

# 2. no rule: the default decides
cat > "$TMP/s.cell" <<'CELL'
use "std/base";
cell s {
    process { argv "/bin/sh", "-c", "echo hi; /bin/true"; user 65534; group 65534; }
    syscalls {
        default kill-process;
        allow execve, brk, mmap, mprotect, munmap, arch_prctl, set_tid_address, set_robust_list, rseq,
              prlimit64, getrandom, access, newfstatat, fstat, pread64, read, write, close, openat, exit_group,
              getuid, getgid, geteuid, getegid, getpid, getppid, rt_sigaction, rt_sigprocmask, uname, getcwd,
              fcntl, dup2, wait4, clone, ioctl;
    }
}
CELL
compile "$TMP/s.cell" "$TMP/s.plan"
crun_cell "$TMP/s.plan"
is "$RC:$OUT" "159:hi" "sh ran up to the refused call (159)"
like "$ERR" '^cellrun: seccomp killed the workload: vfork\(.*\) matched no rule; default kill-process$' \
   "the default is named when no rule matched"
is "$(ev denied decidedby):$(ev denied syscall):$(ev denied arch)" "default:vfork:x86_64" "the event says so too"

# 3. a process of the workload other than the first: killed, named, the rest goes on
policy "\"/bin/sh\", \"-c\", \"/bin/mkdir $TMP/ws/made2 2>/dev/null; echo after \$?\"" ", getcwd, uname, fcntl" > "$TMP/c.cell"
compile "$TMP/c.cell" "$TMP/c.plan"
crun_cell "$TMP/c.plan"
is "$RC:$OUT" "0:after 137" "the shell sees its child killed (SIGKILL) and goes on"
like "$ERR" "^cellrun: seccomp killed the workload's process: mkdir\(.*\) matched the rule \"kill-process mkdir\" \(policy line 7\) \(pid [0-9]+\)$" \
   "the line names the call at once"
is "$(ev denied workloadprocess):$(ev completed exitcode)" "false:0" "the event says it was not the first process"
ok "$([ ! -e "$TMP/ws/made2" ]; echo $?)" "that mkdir never ran either"

# 4. an allowed run is unchanged: the cell's own execve passes the listener prefix
policy "\"/bin/mkdir\", \"--version\"" > "$TMP/v.cell"
compile "$TMP/v.cell" "$TMP/v.plan"
crun_cell "$TMP/v.plan"
is "$RC:$(ev step.v1.seccomp listener):$(jq -r 'select(.type|endswith("denied"))' "$TMP/ev.jsonl" | wc -l)" "0:true:0" \
   "an allowed run with a listener: exit 0, no denied event"
like "$OUT" "^mkdir \(GNU coreutils\)" "and its output"

# 5. a filter that kills the cell's own record write: no listener, today's kill
cat > "$TMP/w.cell" <<'CELL'
use "std/base";
cell w {
    process { argv "/bin/true"; user 65534; group 65534; }
    syscalls { default kill-process; allow execve, exit_group; }
}
CELL
compile "$TMP/w.cell" "$TMP/w.plan"
crun_cell "$TMP/w.plan"
is "$RC:$(jq -r 'select(.type|endswith("denied"))' "$TMP/ev.jsonl" | wc -l)" "159:0" \
   "no write(2) allowed: the kernel kills as before (159), no listener"
like "$ERR" "^cellrun: seccomp killed the workload \(SIGSYS\)" "with the generic line"

done_testing
