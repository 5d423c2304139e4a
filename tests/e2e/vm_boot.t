#!/bin/bash
# vm_boot.t - the Debian cloud kernel boots under QEMU TCG (software
# emulation, as on CI) with the vm backend's flags, several times in a row,
# and its init's STATUS frame arrives intact on the dedicated report UART.
# Both kernel forms boot: the ELF vmlinux (PVH entry) and the bzImage.
# VM_BOOTS sets the loop length (default 5; bench/vm/boot_loop.sh does 100).
. "$CELLOS_TOP/tests/lib/tap.sh"
k=$CELLOS_TOP/build/vm
[ -e "$k/vmlinux" ] || skip_all "no guest kernel in build/vm (run make vm-kernel)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
boot=$CELLOS_BUILD/vm/bin/vm_boot
init=$CELLOS_BUILD/vm/guest/vm_trivial_init

# the sanitizer pass only re-checks the (sanitized) vm_boot tool: fewer boots
n=${VM_BOOTS:-$([ "${CELLOS_SANITIZE:-0}" = 1 ] && echo 2 || echo 5)}
out=$("$boot" --kernel "$k/vmlinux" --init "$init" --mode tcg --count "$n" --timeout 90 --expect-status 2>&1)
ok $? "vmlinux: $n TCG boots in a row, none hung, each reported on the channel"
diag "$(echo "$out" | tail -1)"
like "$out" "hung: 0 failed: 0" "summary counts no hang and no failure"

out=$("$boot" --kernel "$k/vmlinuz" --init "$init" --mode tcg --count 1 --timeout 90 --expect-status 2>&1)
ok $? "bzImage boots under TCG too"

# a kernel command line the guest's init cannot survive is a failed boot, not a pass
out=$("$boot" --kernel "$k/vmlinux" --init /bin/false --mode tcg --count 1 --timeout 90 --expect-status 2>&1)
[ $? -ne 0 ]; ok $? "an init that never reports is not counted as a good boot"
like "$out" "FAILED|HUNG" "and says so"

out=$("$boot" --kernel "$k/vmlinux" --init "$init" --count 0 2>&1)
is "$?" 2 "usage error exits 2"
done_testing
