#!/usr/bin/env bash
# runtime_escape.t - the escape suite: every probe in tests/escape/ runs in a
# cell under the default test policy (runtime_mkplan's: root inside the cell
# without capabilities, the hardest case; the setuid probe as uid 1000) and
# must report CONTAINED. Probes print one line; see tests/escape/probe.h.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/hostint_lib.sh"
need_root
tmpdir
# the host-integrity check after every probe (hostint_lib.sh): the probes'
# stdin is a file of another owner, stderr another, and nothing may change
hi_stdio_files

cellrun_hash=$(sha256sum "$CELLRUN" | cut -d' ' -f1)
echo "host-only" > "$TMP/host-secret"
abstract="cellos-escape-$$"
python3 - "$abstract" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(4); s.settimeout(60)
try:
    while True:
        c, _ = s.accept(); c.close()
except Exception:
    pass
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 0.3
hi_begin "$HI_IN" "$HI_OUT" "$HI_ERR"

n=0
for src in "$CELLOS_TOP"/tests/escape/*.c; do
    name=$(basename "$src" .c)
    args=()
    opts=()
    case $name in
        abstract_unix) args=("$abstract") ;;
        host_files) args=("$TMP/host-secret") ;;
        setuid_exec) opts=(--uid 1000 --gid 1000) ;;
    esac
    mkplan "$TMP/e.plan" --ro "$ESCAPE_DIR:/t" "${opts[@]}" -- "/t/$name" "${args[@]}"
    if [ "$name" = tiocsti ]; then
        # stdin, stdout and stderr on a real terminal (a pty made by script)
        OUT=$(script -qec "$(rt_cellrun_path) --unsigned --events /dev/null $TMP/e.plan" /dev/null </dev/null | tr -d '\r')
    else
        OUT=$(rt_cellrun --unsigned --events /dev/null "$TMP/e.plan" 2>"$HI_ERR" <"$HI_IN")$(hi_err_tail)
    fi
    like "$OUT" "^CONTAINED" "$name: $OUT"
    hi_probe_check "$name"
    n=$((n + 1))
done
ok $([ "$n" -ge 25 ] && echo 0 || echo 1) "at least 25 probes ran ($n)"

# Second pass: every probe under a policy compiled by cellc from the
# standard packs (tests/escape/escape.cell.in: nobody, kill-process default,
# with the mount/namespace/ptrace calls allowed so that the kernel's own
# checks are what stops them). A probe killed by the seccomp default (SIGSYS,
# 159) without printing ESCAPED is contained too.
probes=("$CELLOS_TOP"/tests/escape/*.c)
compile_probe() {   # NAME ARGS... -> $TMP/c.plan
    local name=$1; shift
    local args="" a
    for a in "$@"; do args="$args, \"$a\""; done
    sed -e "s|@PROBE@|$name|" -e "s|@ARGS@|$args|" -e "s|@DIR@|$ESCAPE_DIR|" \
        "$CELLOS_TOP/tests/escape/escape.cell.in" > "$TMP/c.cell"
    "$CELLC" "$TMP/c.cell" -o "$TMP/c.plan" 2>"$TMP/c.err"
}
why=""
if [ ! -x "${CELLC:-}" ]; then
    why="cellc is not built"
elif ! compile_probe bpf; then
    why="cellc cannot compile the escape policy: $(head -1 "$TMP/c.err")"
elif ! rt_cellrun --unsigned --events /dev/null "$TMP/c.plan" >/dev/null 2>"$TMP/c.err" </dev/null &&
     grep -q "no program for this architecture" "$TMP/c.err"; then
    why="cellc does not generate seccomp programs yet (the seccomp generator is not on this branch)"
fi
if [ -n "$why" ]; then
    skip "${#probes[@]}" "$why"
else
    for src in "${probes[@]}"; do
        name=$(basename "$src" .c)
        args=()
        case $name in
            abstract_unix) args=("$abstract") ;;
            host_files) args=("$TMP/host-secret") ;;
        esac
        compile_probe "$name" "${args[@]}" || { ok 1 "$name: compiles under the policy: $(head -1 "$TMP/c.err")"; continue; }
        if [ "$name" = tiocsti ]; then
            OUT=$(script -qec "$(rt_cellrun_path) --unsigned --events /dev/null $TMP/c.plan" /dev/null </dev/null | tr -d '\r'); RC=0
        else
            OUT=$(rt_cellrun --unsigned --events /dev/null "$TMP/c.plan" 2>"$HI_ERR" <"$HI_IN"); RC=$?
            OUT=$OUT$(hi_err_tail)
        fi
        if [ "$RC" = 159 ] && ! printf '%s' "$OUT" | grep -q ESCAPED; then
            OUT="CONTAINED killed by the seccomp default action"
        fi
        like "$OUT" "^CONTAINED" "policy pass: $name: $OUT"
        hi_probe_check "policy pass: $name"
    done
fi

# The kernel's root-only proc files (tests/escape/proc_rootonly.c) are
# readable by file mode alone, and the passes above run it as root only
# under runtime_mkplan's layout: here as root under the cellc-compiled
# policy, whose `proc` grant must mask them.
if [ -z "$why" ]; then
    sed -e 's|cwd "/work";|cwd "/work"; user 0; group 0;|' -e "s|@PROBE@|proc_rootonly|" -e "s|@ARGS@||" \
        -e "s|@DIR@|$ESCAPE_DIR|" "$CELLOS_TOP/tests/escape/escape.cell.in" > "$TMP/r.cell"
    "$CELLC" "$TMP/r.cell" -o "$TMP/r.plan" 2>"$TMP/c.err"
    OUT=$(rt_cellrun --unsigned --events /dev/null "$TMP/r.plan" 2>&1 </dev/null)
    like "$OUT" "^CONTAINED" "proc_rootonly as root under the compiled policy: $OUT"
    grep -q "user 0;" "$TMP/r.cell"; ok $? "(that policy runs as uid 0)"
else
    skip 2 "$why"
fi

# Not contained, said at compile time: natively every id is the host's, so
# a job running as uid 0 (or holding CAP_CHOWN and CAP_FOWNER, which need
# no `unsafe`) can leave a setuid-root file in an rw-bound host directory
# (docs/security.md, known limits). cellc warns about each such grant.
if [ -x "${CELLC:-}" ]; then
    mkdir -p "$TMP/rwdir"
    wpol() {   # PROCESS-LINE -> cellc's stderr
        printf 'use "std/base";\nuse "std/syscalls";\ncell w {\n    process { argv "/usr/bin/true"; %s }\n    filesystem { rw "%s" at "/out"; }\n}\n' \
            "$1" "$TMP/rwdir" > "$TMP/w.cell"
        "$CELLC" "$TMP/w.cell" -o "$TMP/w.plan" 2>&1
    }
    like "$(wpol 'user 0; group 0;')" "warning: rw .*rwdir: the cell's uid is 0, so a file .* setuid-root" \
         "cellc warns: an rw grant to a uid-0 job can leave a setuid-root file on the host"
    like "$(wpol 'user 1000; group 1000; capability CAP_CHOWN, CAP_FOWNER;')" \
         "warning: rw .*rwdir: the cell's capabilities include CAP_CHOWN and CAP_FOWNER" \
         "cellc warns: the same for CAP_CHOWN with CAP_FOWNER"
    unlike "$(wpol 'user 1000; group 1000;')" "setuid-root" "no such warning for another uid without them"
else
    skip 3 "cellc is not built"
fi

# cellrun's command line as the cell sees it (tests/escape/init_cmdline.c;
# /proc/1/cmdline needs no ptrace right): with a remote sink whose URL holds
# a user:password@ and a token (a closed local port; the spool is waited on
# for 0.3 s), no URL may show; the plan's path still does (ps, leak checks)
mkplan "$TMP/u.plan" --ro "$ESCAPE_DIR:/t" -- /t/init_cmdline
OUT=$(CELLOS_SINK_WAIT_MS=300 rt_cellrun --unsigned --events /dev/null --spool "$TMP/spool" \
      --events "http://cellos:s3cretpw@127.0.0.1:9/ingest?token=s3cret" "$TMP/u.plan" 2>/dev/null </dev/null)
like "$OUT" "^CONTAINED .*--events http://\*+ .*u\.plan" "init_cmdline with a remote sink's credentials: $OUT"
rm -rf "$TMP/spool"

# The session keyring (tests/escape/keyring_session.c), which both passes
# above refuse keyctl(2) to: here under a filter that allows every call,
# with cellrun started from a host session keyring holding a key, as root
# and as uid 65534 in the cell (possession, not the uid, grants the read).
# The probe run on the host inside that session is the positive control.
KR="$ESCAPE_DIR/keyring_session"
like "$("$KR" host "$KR" 2>&1)" "^ESCAPED" "keyring_session: the host's key is found from the host session (control)"
for id in 0 65534; do
    mkplan "$TMP/k.plan" --seccomp allow --uid "$id" --gid "$id" --ro "$ESCAPE_DIR:/t" -- /t/keyring_session
    OUT=$("$KR" host "$(rt_cellrun_path)" --unsigned --events /dev/null "$TMP/k.plan" 2>&1 </dev/null)
    like "$OUT" "^CONTAINED" "keyring_session as uid $id, keyctl allowed: $OUT"
done

# the host side is intact after the hostile runs
is "$(sha256sum "$CELLRUN" | cut -d' ' -f1)" "$cellrun_hash" "the cellrun binary is unchanged (CVE-2019-5736)"
python3 -c "
import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect('\0'+sys.argv[1]); print('ok')" "$abstract" >/dev/null 2>&1
ok $? "the host's abstract socket was reachable from the host all along (the probe is meaningful)"
is "$(residue)" "" "no cgroups left behind"
done_testing
