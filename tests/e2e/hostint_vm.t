#!/usr/bin/env bash
# hostint_vm.t - the vm backend leaves the caller's stdio alone (issue 12):
# one run (QEMU TCG is slow) with stdin, stdout and stderr as files owned by
# another user, then the host-integrity check (hostint_lib.sh): /dev/null is
# root's device 1:3 0666, the stdio files kept owner and mode, nothing under
# /dev, /etc, /tmp or here changed owner. QEMU gets /dev/null it opens
# itself as stdin and pipes for its output (backend_vm.c); the workload's
# output comes back over the serial port.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
. "$CELLOS_TOP/tests/e2e/hostint_lib.sh"
need_root
vm_need
[ "${CELLOS_SANITIZE:-0}" = 1 ] && skip_all "one slow boot is enough: the normal pass runs it"
tmpdir
hi_stdio_files
hi_devnull_ok "before the run"
hi_begin "$HI_IN" "$HI_OUT" "$HI_ERR"

vm_plan "$TMP/v.plan" -- /bin/busybox sh -c 'echo vm-out; echo vm-err >&2'
timeout 600 sh -c 'echo $$ >> "$0"; exec "$@"' "$TMP/.cellrun-pids" \
    "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" "$TMP/v.plan" <"$HI_IN" >"$HI_OUT" 2>"$HI_ERR"
rc=$?
is "$rc" 0 "a VM cell runs with stdin, stdout and stderr as files"
like "$(cat "$HI_OUT" "$HI_ERR" | paste -sd' ')" "vm-out" "its output reaches the caller's stdout"
is "$(stat -c '%u:%g %a' "$HI_IN" "$HI_OUT" "$HI_ERR" | paste -sd' ')" "4321:4321 604 4321:4321 602 4321:4321 602" \
   "the stdio files kept owner and mode"
hi_check "vm"
done_testing
