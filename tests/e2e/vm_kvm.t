#!/bin/bash
# vm_kvm.t - the hardware-virtualised modes, where the host has them:
# Firecracker (a `firecracker` binary and a usable /dev/kvm) and QEMU with
# KVM. Each is skipped with the reason when the host cannot provide it. A
# KVM host whose guests do not boot (e.g. nested virtualisation without the
# needed support) is detected by a bare boot first and skipped as such.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
tmpdir
kvm_ok() { [ -c /dev/kvm ] && exec 9<>/dev/kvm && exec 9>&-; } 2>/dev/null

vm_plan "$TMP/a.plan" -- /bin/busybox sh -c 'echo in-kvm; exit 5'

if ! command -v firecracker >/dev/null; then
    skip 3 "firecracker: no firecracker binary on PATH (Debian does not package it)"
elif ! kvm_ok; then
    skip 3 "firecracker: /dev/kvm is not usable"
else
    CELLOS_VM_MODE=firecracker vm_run "$TMP/a.plan"
    is "$RC" 5 "firecracker: the exit status comes back"
    like "$OUT" "in-kvm" "firecracker: the workload's output"
    like "$(ev_data lifecycle.v1.started)" '"vm_mode":"firecracker"' "firecracker: started says so"
fi

if ! kvm_ok; then
    skip 3 "qemu-kvm: /dev/kvm is not usable"
elif ! "$CELLOS_BUILD/vm/bin/vm_boot" --kernel "$VM_K/vmlinux" --init "$GUEST/vm_trivial_init" --mode kvm \
        --count 1 --timeout 30 --expect-status >"$TMP/kvmprobe" 2>&1; then
    skip 3 "qemu-kvm: /dev/kvm opens but a bare guest does not boot under it on this host ($(grep -m1 -E 'boot 1|error' "$TMP/kvmprobe"))"
else
    CELLOS_VM_MODE=qemu-kvm vm_run "$TMP/a.plan"
    is "$RC" 5 "qemu-kvm: the exit status comes back"
    like "$OUT" "in-kvm" "qemu-kvm: the workload's output"
    like "$(ev_data lifecycle.v1.started)" '"vm_mode":"qemu-kvm"' "qemu-kvm: started says so"
fi

unset CELLOS_VM_MODE
CELLOS_VM_MODE=firecracker vm_run "$TMP/a.plan"
if command -v firecracker >/dev/null && kvm_ok; then
    ok 0 "firecracker available: forced mode accepted"
else
    is "$RC" 125 "forcing an unavailable mode is refused"
fi
done_testing
