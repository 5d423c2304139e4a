#!/usr/bin/env bash
# hostint_stdio.t - no backend changes the caller's stdio (issue 12): cellrun
# with stdin, stdout and stderr as /dev/null, as regular files and as a
# terminal (a pty made by script), on the native and the gVisor backend
# (the vm backend: hostint_vm.t). runsc chowns the container's stdio to the
# container user; the gVisor monitor gives it pipes or a fresh pty and copies
# the bytes through (runtime/gvisor/gvisor_stdio.h). After each backend:
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
hi_begin "$TMP/in" "$TMP/out" "$TMP/err"

WL=(/bin/sh -c 'cat; echo out; echo err >&2')
backend_cases() {   # backend_cases NAME PLAN
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

    ts="$TMP/ts-$b"
    script -qec "$(rt_cellrun_path) --unsigned --events $TMP/ev --backend $b $plan" "$ts" </dev/null >/dev/null
    like "$(tr -d '\r' < "$ts" | paste -sd' ')" " out err " "$b: on a terminal (pty): output reaches it"
    hi_check "$b"
}

mkplan "$TMP/n.plan" -- "${WL[@]}"
backend_cases native "$TMP/n.plan"

if command -v runsc >/dev/null; then
    gv_plan "$TMP/g.plan" -- "${WL[@]}"
    backend_cases gvisor "$TMP/g.plan"
    # output larger than a pipe and the relay's buffer, and a stdin the
    # workload never reads: all of it arrives, nothing hangs
    gv_plan "$TMP/big.plan" -- /bin/sh -c 'i=0; while [ $i -lt 3000 ]; do echo "line $i of the big output"; i=$((i+1)); done'
    head -c 1000000 /dev/zero > "$TMP/bigin"
    rt_cellrun --unsigned --events "$TMP/ev" --backend gvisor "$TMP/big.plan" <"$TMP/bigin" >"$TMP/bigout" 2>&1
    is "$? $(wc -l < "$TMP/bigout") $(tail -1 "$TMP/bigout")" "0 3000 line 2999 of the big output" \
       "gvisor: 75 KiB of output arrive whole, an unread 1 MB stdin does not block"
    hi_check "gvisor, big output"
else
    skip 13 "runsc is not installed (Debian package runsc)"
fi
done_testing
