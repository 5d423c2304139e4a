#!/bin/bash
# vm_default_kernel.t - `cellrun --backend vm` on a plan WITHOUT a vm section
# (policies/examples/hello.cell has none) boots the host's default guest
# kernel: $CELLOS_VM_KERNEL, else <dir of cellrun>/../vm/vmlinux (what `make
# vm-kernel` installs beside the build). Nothing in the plan pins that
# kernel, so the run says so: the started event carries its digest
# (vm_kernel) and vm_kernel_source "host", and a `downgrade` step (what
# "vm.kernel") precedes the guest's steps. A missing kernel is refused (125)
# with one line saying what to do. A plan WITH a vm section is unchanged:
# its own kernel, its pinned SHA-256, CELLOS_VM_KERNEL ignored.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
[ -e "$VM_K/vmlinuz" ] || skip_all "no bzImage in build/vm (run make vm-kernel)"
tmpdir
unset CELLOS_VM_KERNEL          # each run below sets it, or not, itself

sha() { sha256sum "$1" | cut -c1-64; }
started() { ev_data lifecycle.v1.started; }

# 1. a copy of hello.cell granting all of /usr read-only: with no vm section
# there is no rootfs image; /usr (gigabytes) is not copied but shared with
# the guest read-only over 9p, and the started event says so.
sed 's|^ *ro "/usr/bin/echo";.*|        ro "/usr";|; /ro "\/usr\/lib/d' \
    "$CELLOS_TOP/policies/examples/hello.cell" > "$TMP/hello-usr.cell"
grep -q '^ *ro "/usr";' "$TMP/hello-usr.cell"; ok $? "the copy grants the whole /usr"
"$CELLC" "$TMP/hello-usr.cell" -o "$TMP/hello-usr.plan" 2>"$TMP/cc.err"
ok $? "it compiles ($(head -1 "$TMP/cc.err"))"
if ls "$VM_K"/lib/modules/*/kernel/fs/9p/9p.ko >/dev/null 2>&1; then
    CELLOS_VM_KERNEL=$VM_K/vmlinux vm_run "$TMP/hello-usr.plan" --backend vm
    is "$RC:$OUT" "0:hello from a cell" "all of /usr granted: it runs (${ERR:-no error})"
    like "$(started)" '"vm_shares":"ro:/usr"' "started names what was shared: /usr, read-only"
    like "$(started)" '"vm_share_method":"9p virtio-mmio"' "  and how"
    like "$(started)" '"vm_initramfs_bytes":[0-9]{6,7},' "  /usr is not in the initramfs"
else
    skip 4 "the guest kernel in build/vm has no 9p modules (make vm-kernel fetches linux-image-amd64)"
fi

# 2. hello.cell exactly as the README compiles it (three read-only files, no
# vm section): it runs in a VM on the host's kernel. CELLOS_VM_KERNEL picks
# the bzImage here (a different file from the build's default vmlinux, so
# the digest reported is provably the one booted).
grep -q '^ *vm *{' "$CELLOS_TOP/policies/examples/hello.cell"; is $? 1 "hello.cell has no vm section"
"$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o "$TMP/hn.plan" 2>"$TMP/cc.err"
ok $? "hello.cell compiles as-is ($(head -1 "$TMP/cc.err"))"
CELLOS_VM_KERNEL=$VM_K/vmlinuz vm_run "$TMP/hn.plan" --backend vm
is "$RC" 0 "hello without a vm section exits 0 in a VM"
is "$OUT" "hello from a cell" "and prints its line"
s=$(started)
like "$s" '"backend":"vm"' "started names the vm backend"
like "$s" "\"vm_kernel\":\"sha256:$(sha "$VM_K/vmlinuz")\"" "started carries the digest of the kernel booted (CELLOS_VM_KERNEL)"
like "$s" '"vm_kernel_source":"host"' "and says the host chose it"
like "$s" '"vm_vcpus":1' "default: 1 vCPU"
like "$s" '"vm_memory_mib":256' "default: 16 MiB limit + headroom, at least 256 MiB"
note=$(jq -c 'select(.type | endswith("step.v1.downgrade")) | select(.data.what == "vm.kernel") | .data' "$TMP/ev.jsonl")
like "$note" '"why":"the plan has no vm section: the host chose the kernel' "a downgrade step says the plan pins no kernel"
like "$(ev_types)" "^started plan_verified downgrade downgrade guest_boot .* exec exit completed destroyed sealed $" \
     "the note comes before the guest's steps"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Clean"' "a clean end"
"$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --plan "$TMP/hn.plan" >"$TMP/verify.out" 2>&1
ok $? "the stream verifies against the plan ($(tail -1 "$TMP/verify.out"))"

# 3. no CELLOS_VM_KERNEL: the kernel beside cellrun (<dir>/../vm/vmlinux)
default_k=$(dirname "$CELLRUN")/../vm/vmlinux
if [ -e "$default_k" ]; then
    vm_run "$TMP/hn.plan" --backend vm
    is "$RC" 0 "without CELLOS_VM_KERNEL the build's kernel boots"
    like "$(started)" "\"vm_kernel\":\"sha256:$(sha "$default_k")\"" "its digest is reported ($default_k)"
else
    skip 2 "this build has no kernel beside cellrun ($default_k): make vm-kernel installs it for BUILD=build only"
fi

# 4. a missing kernel is refused before anything runs
CELLOS_VM_KERNEL=$TMP/no-such-vmlinux vm_run "$TMP/hn.plan" --backend vm
is "$RC" 125 "CELLOS_VM_KERNEL naming a missing file: 125"
like "$ERR" "no guest kernel at CELLOS_VM_KERNEL=$TMP/no-such-vmlinux .*run \`make vm-kernel\` or set CELLOS_VM_KERNEL" "one line saying what to do"
is "$(printf '%s\n' "$ERR" | wc -l)" 1 "one line"
is "$(ev_types)" "" "no event"
mkdir -p "$TMP/bin"
cp "$CELLRUN" "$TMP/bin/cellrun"
"$TMP/bin/cellrun" --unsigned --backend vm "$TMP/hn.plan" >/dev/null 2>"$TMP/err" </dev/null
is "$?" 125 "no CELLOS_VM_KERNEL and nothing beside cellrun: 125"
like "$(cat "$TMP/err")" "no guest kernel at $TMP/bin/../vm/vmlinux .*run \`make vm-kernel\` or set CELLOS_VM_KERNEL" "naming where it looked"

# 5. a plan with a vm section keeps its pinned kernel: CELLOS_VM_KERNEL
# changes nothing, and a SHA-256 mismatch is still refused
vm_plan "$TMP/v.plan" -- /bin/busybox echo pinned
CELLOS_VM_KERNEL=$TMP/no-such-vmlinux vm_run "$TMP/v.plan"
is "$RC" 0 "a plan with a vm section ignores CELLOS_VM_KERNEL"
is "$OUT" "pinned" "and runs"
like "$(started)" "\"vm_kernel\":\"sha256:$(sha "$VM_K/vmlinux")\"" "its own kernel booted"
like "$(started)" '"vm_kernel_source":"plan"' "vm_kernel_source plan"
unlike "$(jq -r '.data.what // empty' "$TMP/ev.jsonl")" "vm.kernel" "no host-kernel note"
VM_ADDVM_OPTS="--sha256 $(printf 'a%.0s' $(seq 64))" vm_plan "$TMP/k.plan" -- /bin/busybox true
CELLOS_VM_KERNEL=$VM_K/vmlinux vm_run "$TMP/k.plan"
is "$RC" 125 "a pinned digest that differs is refused, CELLOS_VM_KERNEL or not"
like "$ERR" "has SHA-256 [0-9a-f]{64} but the plan pins a{64}: refusing to boot it" "saying why"

# 6. nothing left behind
is "$(vm_orphans)" "" "no QEMU outlives its cellrun"
is "$(vm_monitors)" "" "no VM monitor left"

done_testing
