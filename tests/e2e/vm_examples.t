#!/bin/bash
# vm_examples.t - the worked example cells (policies/examples/*.cell),
# compiled by cellc and run by `cellrun --backend vm` under QEMU TCG, each
# with a root image of what it needs (vm_example_plan in vm_lib.sh).
# Examples whose plan the vm backend refuses by design (egress, writable
# binds) are skipped with the reason cellrun gives; every other example must
# end in the VM exactly as it ends natively (same exit status). (Each
# example under the backend its own policy names: runtime_examples.t.)
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
# The sanitizer pass rebuilds only host code; the guest side is identical and
# vm_backend.t/vm_rootfs.t exercise the sanitized host paths. Boots are slow.
[ "${CELLOS_SANITIZE:-0}" = 1 ] && skip_all "guest-side checks run in the normal pass (sanitizer pass: host paths in vm_backend.t)"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 not installed (e2fsprogs)"
tmpdir

ran=0
for cell in "$CELLOS_TOP"/policies/examples/*.cell; do
    name=$(basename "$cell" .cell)
    if ! "$CELLC" -I "$CELLOS_TOP/policies" "$cell" -o "$TMP/$name.plan" 2>"$TMP/cc.err"; then
        skip 1 "$name: cellc: $(head -1 "$TMP/cc.err")"; continue
    fi
    vm_example_plan "$TMP/$name.plan" "$TMP/$name.vm.plan" "$TMP/$name.img" ||
        { ok 1 "$name: a VM plan for it: $(cat "$TMP/av.err")"; continue; }
    vm_run "$TMP/$name.vm.plan" --backend vm
    case $ERR in
        *"no program for this architecture"*) skip 1 "$name: cellc wrote no seccomp program for x86_64 yet"; continue ;;
        *"cannot enforce egress"*|*"writable host directory"*) skip 1 "$name: refused by the vm backend by design: $ERR"; continue ;;
    esac
    ran=$((ran + 1))
    native_out=$("$CELLRUN" --backend native --unsigned --events /dev/null "$TMP/$name.plan" 2>/dev/null </dev/null)
    native_rc=$?
    is "$RC" "$native_rc" "$name: the same exit status in the VM as natively ($RC)"
    is "$OUT" "$native_out" "$name: the same output in the VM as natively${OUT:+ ($OUT)}"
done
diag "$ran example cells ran in a VM"
done_testing
