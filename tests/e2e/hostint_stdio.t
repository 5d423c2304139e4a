#!/usr/bin/env bash
# hostint_stdio.t - no backend changes the caller's stdio (issue 12): cellrun
# with stdin, stdout and stderr as /dev/null, as regular files and as a
# terminal (a pty made by script), on the native and the gVisor backend
# (the vm backend: hostint_vm.t), and a hostile cell that chmods and chowns
# its stdio. runsc chowns the container's stdio to the container user, and a
# native cell running as the owner of a stdio file may chmod it: both get
# pipes or a fresh pty, copied through (runtime/backend/stdio_relay.h). After each backend:
# /dev/null is root's device 1:3 mode 0666, the stdio files kept owner and
# mode, nothing under /dev, /etc, /tmp or here changed owner.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
. "$CELLOS_TOP/tests/e2e/hostint_lib.sh"
need_root
tmpdir

hi_devnull_ok "before the runs"

# the stdio files: owned by someone else than the cell's or cellrun's user,
# with a mode of their own, so that any chown or chmod shows
printf 'input line\n' > "$TMP/in"
: > "$TMP/out"; : > "$TMP/err"
chown 4321:4321 "$TMP/in" "$TMP/out" "$TMP/err"
chmod 0604 "$TMP/in"; chmod 0602 "$TMP/out" "$TMP/err"
# and root's own, which a cell running as uid 0 without a user namespace
# owns: without the relay it could chmod them (fchmod needs no capability)
printf 'input line\n' > "$TMP/rin"; : > "$TMP/rout"; : > "$TMP/rerr"
chmod 0604 "$TMP/rin"; chmod 0602 "$TMP/rout" "$TMP/rerr"
hi_begin "$TMP/in" "$TMP/out" "$TMP/err" "$TMP/rin" "$TMP/rout" "$TMP/rerr"

WL=(/bin/sh -c 'cat; echo out; echo err >&2')
HOSTILE=(/bin/sh -c 'chmod 0777 /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; echo chmod=$?; chown 4242:4242 /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 2>/dev/null; true')
backend_cases() {   # backend_cases NAME PLAN HOSTILE-PLAN
    local b=$1 plan=$2 rc ts
    rt_cellrun --unsigned --events "$TMP/ev" --backend "$b" "$plan" </dev/null >/dev/null 2>/dev/null
    is "$?" 0 "$b: runs with stdin, stdout and stderr on /dev/null"
    hi_devnull_ok "$b, stdio /dev/null"

    : > "$TMP/out"; : > "$TMP/err"
    rt_cellrun --unsigned --events "$TMP/ev" --backend "$b" "$plan" <"$TMP/in" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    is "$rc $(cat "$TMP/out" | paste -sd' ') / $(cat "$TMP/err")" "0 input line out / err" \
       "$b: stdin, stdout and stderr as files: the bytes go through"
    is "$(stat -c '%u:%g %a' "$TMP/in" "$TMP/out" "$TMP/err" | paste -sd' ')" "4321:4321 604 4321:4321 602 4321:4321 602" \
       "$b: the stdio files kept owner and mode"

    # a hostile cell: chmod and chown of its own stdio
    rt_cellrun --unsigned --events "$TMP/ev" --backend "$b" "$3" <"$TMP/rin" >"$TMP/rout" 2>"$TMP/rerr"
    is "$(stat -c '%u:%g %a' "$TMP/rin" "$TMP/rout" "$TMP/rerr" | paste -sd' ')" "0:0 604 0:0 602 0:0 602" \
       "$b: a cell that chmods and chowns its stdio changes nothing of the caller's root-owned files"
    like "$(cat "$TMP/rout")" "chmod=0" "$b: (the cell's chmod of its end succeeded: the check is meaningful)"

    ts="$TMP/ts-$b"
    script -qec "$(rt_cellrun_path) --unsigned --events $TMP/ev --backend $b $plan" "$ts" </dev/null >/dev/null
    like "$(tr -d '\r' < "$ts" | paste -sd' ')" " out err " "$b: on a terminal (pty): output reaches it"
    hi_check "$b"
}

mkplan "$TMP/n.plan" -- "${WL[@]}"
mkplan "$TMP/nh.plan" -- "${HOSTILE[@]}"
backend_cases native "$TMP/n.plan" "$TMP/nh.plan"

if command -v runsc >/dev/null; then
    gv_plan "$TMP/g.plan" -- "${WL[@]}"
    gv_plan "$TMP/gh.plan" -- "${HOSTILE[@]}"
    backend_cases gvisor "$TMP/g.plan" "$TMP/gh.plan"
    # output larger than a pipe and the relay's buffer, and a stdin the
    # workload never reads: all of it arrives, nothing hangs
    gv_plan "$TMP/big.plan" -- /bin/sh -c 'i=0; while [ $i -lt 3000 ]; do echo "line $i of the big output"; i=$((i+1)); done'
    head -c 1000000 /dev/zero > "$TMP/bigin"
    rt_cellrun --unsigned --events "$TMP/ev" --backend gvisor "$TMP/big.plan" <"$TMP/bigin" >"$TMP/bigout" 2>&1
    is "$? $(wc -l < "$TMP/bigout") $(tail -1 "$TMP/bigout")" "0 3000 line 2999 of the big output" \
       "gvisor: 75 KiB of output arrive whole, an unread 1 MB stdin does not block"
    hi_check "gvisor, big output"
else
    skip 15 "runsc is not installed (Debian package runsc)"
fi
done_testing
