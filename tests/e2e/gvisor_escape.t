#!/usr/bin/env bash
# gvisor_escape.t - the runtime team's escape suite (tests/escape/) again,
# under the gvisor backend: every probe runs in a gVisor cell under the
# default test policy (runtime_mkplan's, with the matching seccomp rules;
# root inside the cell without capabilities; the setuid probe as uid 1000)
# and must report CONTAINED; then the second pass under a cellc-compiled
# policy (its pids limit made best-effort: gVisor cannot enforce one).
# docs/backends.md tabulates how each is contained.
# Three probes aim at "the cell's init, a copy of cellrun": under gVisor no
# process of cellrun or runsc is in the sandbox (the workload is PID 1), so
# they have no target; gvisor_probe procs checks that instead.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
. "$CELLOS_TOP/tests/e2e/hostint_lib.sh"
need_root
need_runsc
tmpdir
# the host-integrity check after every run (hostint_lib.sh): the probes'
# stdin and stderr are files of another owner; runsc must chown neither
hi_stdio_files

cellrun_hash=$(sha256sum "$CELLRUN" | cut -d' ' -f1)
runsc_hash=$(sha256sum "$(command -v runsc)" | cut -d' ' -f1)
echo "host-only" > "$TMP/host-secret"
abstract="cellos-gvescape-$$"
python3 - "$abstract" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(4); s.settimeout(120)
try:
    while True:
        c, _ = s.accept(); c.close()
except Exception:
    pass
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 0.3
mkdir "$TMP/t" && cp "$ESCAPE_DIR"/* "$GV_PROBE" "$TMP/t/" && chmod 755 "$TMP" "$TMP/t"
hi_begin "$HI_IN" "$HI_OUT" "$HI_ERR"

runp() {   # runp PLAN: OUT from a gVisor run (a pty for tiocsti), then the host check
    if [ "$name" = tiocsti ]; then
        OUT=$(script -qec "$(rt_cellrun_path) --unsigned --events /dev/null --backend gvisor $1" /dev/null </dev/null | tr -d '\r')
    else
        OUT=$(rt_cellrun --unsigned --events /dev/null --backend gvisor "$1" 2>"$HI_ERR" <"$HI_IN")$(hi_err_tail)
    fi
    hi_probe_check "$name (${1##*/})"
}
n=0
for src in "$CELLOS_TOP"/tests/escape/*.c; do
    name=$(basename "$src" .c)
    args=()
    opts=()
    case $name in
        abstract_unix) args=("$abstract") ;;
        host_files) args=("$TMP/host-secret") ;;
        setuid_exec) opts=(--uid 1000 --gid 1000) ;;
        devpts_max)
            skip 2 "$name: gVisor's ptys are the sentry's own, not drawn from the host's pool"
            n=$((n + 1))
            continue ;;
        tmpfs_inodes)
            # runsc's tmpfs takes no nr_inodes: its inodes are sentry memory,
            # bounded by the plan's memory limit alone (docs/backends.md)
            skip 2 "$name: gVisor's tmpfs has no inode limit (runsc ignores nr_inodes)"
            n=$((n + 1))
            continue ;;
        proc_chmod)
            # gVisor's proc is the sentry's own (whose procfs takes a chmod
            # even on a read-only mount): what must hold is that the host
            # kernel's entries, as a fresh proc shows them, keep their mode
            fresh_modes() { unshare -m --propagation private sh -c \
                'mount -t proc proc /mnt && stat -c "%n %a" /mnt/meminfo /mnt/slabinfo /mnt/kpageflags' 2>&1; }
            before=$(fresh_modes)
            gv_plan "$TMP/e.plan" --ro "$TMP/t:/t" -- /t/proc_chmod keep
            runp "$TMP/e.plan"
            is "$(fresh_modes)" "$before" "$name: the host kernel's proc entries keep their modes ($OUT)"
            n=$((n + 1))
            continue ;;
        init_memory|proc_self_exe|kill_host)
            gv_plan "$TMP/e.plan" --ro "$TMP/t:/t" -- /t/gvisor_probe procs
            runp "$TMP/e.plan"
            like "$OUT" "^CONTAINED" "$name: no target in gVisor (the workload is PID 1): $OUT"
            n=$((n + 1))
            continue ;;
    esac
    gv_plan "$TMP/e.plan" --ro "$TMP/t:/t" "${opts[@]}" -- "/t/$name" "${args[@]}"
    runp "$TMP/e.plan"
    if [ "$name" = setuid_exec ] && [ "$OUT" = "ESCAPED /usr is not nosuid" ]; then
        # gVisor has no nosuid; what matters is that exec never raises
        # privilege: no_new_privs (checked first by the probe) does that
        gv_plan "$TMP/s.plan" --ro "$TMP/t:/t" --uid 1000 --gid 1000 -- /t/gvisor_probe setuid \
            /usr/bin/su /usr/bin/passwd /usr/bin/mount /usr/bin/newgrp
        runp "$TMP/s.plan"
        ran=$(echo "$OUT" | grep -c ' euid 1000$')
        bad=$(echo "$OUT" | grep -v ' euid 1000$' | tr '\n' ' ')
        ok $([ "$ran" -ge 2 ] && [ -z "$bad" ] && echo 0 || echo 1) \
           "$name: CONTAINED by no_new_privs: $ran setuid-root binaries ran as uid 1000 (gVisor ignores nosuid) $bad"
    else
        like "$OUT" "^CONTAINED" "$name: $OUT"
    fi
    n=$((n + 1))
done
ok $([ "$n" -ge 25 ] && echo 0 || echo 1) "at least 25 probes ran ($n)"

# the host side is intact after the hostile runs
is "$(sha256sum "$CELLRUN" | cut -d' ' -f1)" "$cellrun_hash" "the cellrun binary is unchanged (CVE-2019-5736)"
is "$(sha256sum "$(command -v runsc)" | cut -d' ' -f1)" "$runsc_hash" "the runsc binary is unchanged"
python3 -c "
import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect('\0'+sys.argv[1]); print('ok')" "$abstract" >/dev/null 2>&1
ok $? "the host's abstract socket was reachable from the host all along (the probe is meaningful)"

# Second pass: each probe under a policy compiled by cellc (the runtime
# suite's tests/escape/escape.cell.in). A probe killed by the seccomp
# default (SIGSYS, 159) without printing ESCAPED is contained too.
probes=("$CELLOS_TOP"/tests/escape/*.c)
compile_probe() {   # NAME ARGS... -> $TMP/c.plan
    local name=$1; shift
    local args="" a
    for a in "$@"; do args="$args, \"$a\""; done
    # gVisor cannot enforce a pids limit on the cell: best-effort here
    sed -e "s|@PROBE@|$name|" -e "s|@ARGS@|$args|" -e "s|@DIR@|$TMP/t|" \
        -e "s|pids \([0-9]*\);|pids \1; pids-best-effort;|" \
        "$CELLOS_TOP/tests/escape/escape.cell.in" > "$TMP/c.cell"
    "$CELLC" "$TMP/c.cell" -o "$TMP/c.plan" 2>"$TMP/c.err"
}
why=""
if [ ! -x "${CELLC:-}" ] || [ ! -f "$CELLOS_TOP/tests/escape/escape.cell.in" ]; then
    why="cellc or the escape policy is not there"
elif ! compile_probe bpf; then
    why="cellc cannot compile the escape policy: $(head -1 "$TMP/c.err")"
elif ! rt_cellrun --unsigned --events /dev/null --backend gvisor "$TMP/c.plan" >/dev/null 2>"$TMP/c.err" </dev/null &&
     grep -q "no program for this architecture" "$TMP/c.err"; then
    why="cellc does not generate seccomp programs yet (the seccomp generator is not on this branch)"
fi
if [ -n "$why" ]; then
    skip $((${#probes[@]} + 1)) "$why"
else
    for src in "${probes[@]}"; do
        name=$(basename "$src" .c)
        args=()
        case $name in
            abstract_unix) args=("$abstract") ;;
            host_files) args=("$TMP/host-secret") ;;
            init_memory|proc_self_exe|kill_host) skip 1 "$name: no target in gVisor (checked above)"; continue ;;
            tmpfs_inodes) skip 1 "$name: gVisor's tmpfs has no inode limit (runsc ignores nr_inodes)"; continue ;;
            devpts_max) skip 1 "$name: gVisor's ptys are the sentry's own, not drawn from the host's pool"; continue ;;
        esac
        compile_probe "$name" "${args[@]}" || { ok 1 "$name: cellc failed: $(head -1 "$TMP/c.err")"; continue; }
        runp "$TMP/c.plan"; rc=$?
        if [ "$name" = setuid_exec ] && [ "$OUT" = "ESCAPED /usr is not nosuid" ]; then
            skip 1 "$name: gVisor has no nosuid; contained by no_new_privs (checked above)"
            continue
        fi
        follow=""
        case "$name:$OUT" in
            "mknod_dev:ESCAPED created"*) follow=devnodes ;;
            "unshare_userns:ESCAPED unshare(CLONE_NEWNS) worked") follow=mountns ;;
        esac
        if [ -n "$follow" ]; then
            # what the probe counts as an escape natively is a sentry object
            # in gVisor: check what it gives against the cell
            first=$OUT
            compile_probe gvisor_probe "$follow"
            runp "$TMP/c.plan"
            like "$OUT" "^CONTAINED" "$name (cellc policy): by gVisor's emulation ($first; then: $OUT)"
        elif echo "$OUT" | grep -q '^ESCAPED'; then
            ok 1 "$name (cellc policy): $OUT"
        else
            ok 0 "$name (cellc policy): ${OUT:-killed by the seccomp default}"
        fi
    done
    # as natively, no nested user namespace even where the policy allows
    # unshare (and clone, clone3): every way to one, not only unshare_userns's
    compile_probe gvisor_probe userns
    runp "$TMP/c.plan"
    # (clone3: ENOSYS, EPERM here as the policy allows ptrace, see docs/backends.md)
    is "$OUT" "CONTAINED nested user namespaces: unshare Operation not permitted, clone Operation not permitted, clone3 Operation not permitted" \
       "no nested user namespace under a policy allowing unshare and ptrace: $OUT"
fi
is "$(gv_residue)" "" "no runsc process or cgroup left behind"
done_testing
