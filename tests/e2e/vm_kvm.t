#!/bin/bash
# vm_kvm.t - the hardware-virtualised modes, where the host has them:
# Firecracker (a `firecracker` binary and a usable /dev/kvm) and QEMU with
# KVM. Each is skipped with the reason when the host cannot provide it. A
# KVM host whose guests do not boot (e.g. nested virtualisation without the
# needed support) is detected by the backend's own probe (kvm_probe: about
# a second, then cached for this boot) and skipped as such; forcing a KVM
# mode there must fail within seconds, saying why.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
tmpdir
kvm_ok() { [ -c /dev/kvm ] && exec 9<>/dev/kvm && exec 9>&-; } 2>/dev/null
export CELLOS_VM_STATE_DIR=$TMP/state
probe=$("$CELLOS_BUILD/vm/bin/kvm_probe" --kernel "$VM_K/vmlinux" 2>&1); probe_rc=$?

vm_plan "$TMP/a.plan" -- /bin/busybox sh -c 'echo in-kvm; exit 5'

if ! command -v firecracker >/dev/null; then
    skip 3 "firecracker: no firecracker binary on PATH (Debian does not package it)"
elif ! kvm_ok || [ $probe_rc != 0 ]; then
    skip 3 "firecracker: KVM is not usable: $probe"
else
    CELLOS_VM_MODE=firecracker vm_run "$TMP/a.plan"
    is "$RC" 5 "firecracker: the exit status comes back"
    like "$OUT" "in-kvm" "firecracker: the workload's output"
    like "$(ev_data lifecycle.v1.started)" '"vm_mode":"firecracker"' "firecracker: started says so"
fi

if ! kvm_ok; then
    skip 3 "qemu-kvm: /dev/kvm is not usable"
elif [ $probe_rc != 0 ]; then
    start=$(date +%s%N)
    CELLOS_VM_MODE=qemu-kvm vm_run "$TMP/a.plan"
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    is "$RC" 125 "qemu-kvm forced where KVM does not run guests: refused"
    like "$ERR" "CELLOS_VM_MODE=qemu-kvm but KVM does not run guests on this host: " "  saying why"
    ok $([ $took -lt 5000 ] && echo 0 || echo 1) "  within seconds (${took} ms), not the boot timeout"
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
ls -A "$TMP/state" 2>/dev/null | grep -qv '^kvm-verdict$'; ok $([ $? = 1 ] && echo 0 || echo 1) "the state directory holds only the verdict"
[ -z "$(ls -A "$TMP/state" 2>/dev/null)" ] || is "$(stat -c %a "$TMP/state"):$(stat -c %a "$TMP/state/kvm-verdict")" "700:600" "  private to root"

done_testing
