#!/bin/bash
# vm_shares.t - issue 14: the vm backend on the plans people write, with
# nothing forced.
#  1. auto mode: KVM is used only once the probe has seen it run a guest
#     (verdict cached per boot in a root-owned state dir); else TCG with a
#     `downgrade` (vm.hypervisor) naming why. A second run reads the verdict.
#  2. std/base (all of /usr, read-only) plus a read-only and a writable host
#     directory: 9p shares; writes to the rw grant land on the host path,
#     the ro grants cannot be written; the started event names the shares.
#  3. an unsafe state dir (not root's, open to others, a symlink) is refused
#     before anything runs; a corrupt verdict file is probed anew.
#  4. faults: a shared directory removed while the guest runs, a kernel
#     that does not boot, a guest that panics: each ends as Forced with one
#     clear line, no QEMU or monitor left.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
[ "${CELLOS_SANITIZE:-0}" = 1 ] && skip_all "guest-side checks run in the normal pass (sanitizer pass: host paths in vm_backend.t)"
vm_need_9p
tmpdir
unset CELLOS_VM_MODE
export CELLOS_VM_KERNEL=$VM_K/vmlinux    # the build's kernel (also for a sanitizer build elsewhere)
export CELLOS_VM_STATE_DIR=$TMP/state
started() { ev_data lifecycle.v1.started; }
fact() { started | jq -r ".backendinfo.$1"; }

mkdir -p "$TMP/ro" "$TMP/rw"
echo ro-content > "$TMP/ro/file"
chmod 0777 "$TMP/rw"
cat > "$TMP/s.cell" <<EOF
use "std/base";
use "std/syscalls";
cell shares {
    process {
        argv "/bin/sh", "-c", "ls /usr/bin | wc -l; cat /in/file; echo from-guest > /out/new && echo wrote-rw; (echo x > /in/x) 2>/dev/null || echo ro-refused; (echo x > /usr/x) 2>/dev/null || echo usr-refused; test -e /out/gone && sleep 30; true";
        env PATH = "/usr/bin:/bin";
    }
    filesystem {
        ro "$TMP/ro" at "/in";
        rw "$TMP/rw" at "/out";
    }
    network none;
    limits { memory 128MiB; pids 32; wall 120s; }
}
EOF
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/s.cell" -o "$TMP/s.plan" 2>"$TMP/cc.err"
ok $? "a std/base policy with ro and rw host directories compiles ($(head -1 "$TMP/cc.err"))"

# 1 + 2: one boot, auto mode, fresh state dir
vm_run "$TMP/s.plan" --backend vm
is "$RC" 0 "std/base with host directories runs under --backend vm, nothing forced (${ERR:0:200})"
lines=$(printf '%s\n' "$OUT")
ok $([ "$(echo "$lines" | head -1)" -gt 100 ] && echo 0 || echo 1) "the guest sees the host's /usr/bin ($(echo "$lines" | head -1) entries)"
like "$OUT" "ro-content" "reads the read-only grant"
like "$OUT" "wrote-rw" "writes the writable grant"
is "$(cat "$TMP/rw/new" 2>/dev/null)" "from-guest" "  and the write landed on the host path"
is "$(stat -c %U "$TMP/rw/new" 2>/dev/null)" "nobody" "  owned by the cell's user, as natively"
like "$OUT" "ro-refused" "the read-only grant cannot be written"
like "$OUT" "usr-refused" "nor /usr"
[ ! -e "$TMP/ro/x" ] && [ ! -e /usr/x ]; ok $? "  and nothing appeared on the host"
sh=$(fact vm_shares)
like "$sh" "^ro:/usr( |$)" "started names what was shared: /usr read-only ($sh)"
like "$sh" " ro:$TMP/ro( |$)" "  the read-only grant"
like "$sh" " rw:$TMP/rw$" "  and the writable one"
is "$(fact vm_share_method)" "9p virtio-mmio" "  and how"
like "$(started)" '"plandigest":"sha256:[0-9a-f]{64}"' "started carries the plan digest"
like "$(fact vm_kernel)" '^sha256:[0-9a-f]{64}$' "  and the kernel digest"
kvm=$(fact vm_kvm); mode=$(fact vm_mode)
is "$(fact vm_kvm_verdict)" "probed" "the first run of this boot probes KVM"
if [ "$kvm" = broken ]; then
    is "$mode" qemu-tcg "KVM runs no guest here: software emulation"
    note=$(jq -r 'select(.type | endswith("step.v1.downgrade")) | select(.data.what == "vm.hypervisor") | .data.why' "$TMP/ev.jsonl")
    like "$note" "^qemu-tcg \(software emulation\), not KVM: " "  with a downgrade naming why ($note)"
    ok $([ "$(fact vm_kvm_probe_ms)" -lt 2500 ] && echo 0 || echo 1) "  the probe took $(fact vm_kvm_probe_ms) ms"
else
    is "$mode" qemu-kvm "KVM runs guests here: qemu-kvm"
    skip 2 "KVM works on this host: no downgrade to observe"
fi
is "$(stat -c '%U %a' "$TMP/state")" "root 700" "state dir: root's, 0700"
is "$(ls -A "$TMP/state")" "kvm-verdict" "  holding only the verdict"
like "$(cat "$TMP/state/kvm-verdict")" "^$(cat /proc/sys/kernel/random/boot_id) (usable|broken )" "  keyed by this boot's id"

# 4a. the rw share removed while the guest runs: Forced, saying which
touch "$TMP/rw/gone"
rm -f "$TMP/ev.jsonl"
"$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend vm "$TMP/s.plan" >"$TMP/bg.out" 2>"$TMP/bg.err" </dev/null &
bg=$!
echo $bg >> "$TMP/.cellrun-pids"
for i in $(seq 300); do grep -q wrote-rw "$TMP/bg.out" 2>/dev/null && break; sleep 0.1; done
mv "$TMP/rw" "$TMP/rw.moved"
wait $bg
RC=$?
ERR=$(cat "$TMP/bg.err")
is "$RC" 125 "a shared directory that disappears mid-run ends the run"
like "$ERR" "the shared host directory $TMP/rw \(granted as $TMP/rw\) disappeared while the guest ran" "  one line saying which"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "  as Forced"
is "$(fact vm_kvm_verdict)" "cached for this boot" "a later run reads the cached verdict"
mv "$TMP/rw.moved" "$TMP/rw"

# 3. an unsafe state directory is refused before anything runs
"$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o "$TMP/h.plan" 2>/dev/null
chmod 0755 "$TMP/state"
vm_run "$TMP/h.plan" --backend vm
is "$RC:$(ev_types)" "125:" "a state dir open to others is refused, before any event"
like "$ERR" "state directory $TMP/state is not owned by root with mode 0700 .*refusing to trust it" "  saying why"
chmod 0700 "$TMP/state"; chown nobody "$TMP/state"
vm_run "$TMP/h.plan" --backend vm
is "$RC" 125 "a state dir not owned by root is refused"
chown root "$TMP/state"
mkdir "$TMP/elsewhere"; chmod 0700 "$TMP/elsewhere"
CELLOS_VM_STATE_DIR=$TMP/link; ln -s "$TMP/elsewhere" "$TMP/link"
vm_run "$TMP/h.plan" --backend vm
is "$RC" 125 "a state dir reached through a symlink is refused"
like "$ERR" "state directory $TMP/link: .*symlink" "  saying so"
CELLOS_VM_STATE_DIR=$TMP/state
echo "garbage" > "$TMP/state/kvm-verdict"
v=$("$CELLOS_BUILD/vm/bin/kvm_probe" --kernel "$VM_K/vmlinux")
unlike "$v" "cached" "a corrupt verdict file is not trusted: KVM is probed anew ($v)"
like "$(cat "$TMP/state/kvm-verdict")" "^$(cat /proc/sys/kernel/random/boot_id) " "  and the verdict rewritten"

# 4b. a kernel that does not boot: Forced within seconds, no QEMU left
head -c 2000000 /dev/urandom > "$TMP/junk-kernel"
start=$(date +%s)
CELLOS_VM_MODE=qemu-tcg CELLOS_VM_KERNEL=$TMP/junk-kernel vm_run "$TMP/h.plan" --backend vm
took=$(( $(date +%s) - start ))
is "$RC" 125 "a kernel that does not boot fails the run"
like "$ERR" "vm: the guest ended without reporting its status \(qemu exited with status [1-9]" "  one line naming what happened"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "  as Forced"
ok $([ $took -lt 20 ] && echo 0 || echo 1) "  within seconds (${took} s)"
# 4c. a guest kernel that panics (its init cannot run): Forced, the panic shown
CELLOS_VM_MODE=qemu-tcg CELLOS_GUEST_INIT=/usr/bin/true vm_run "$TMP/h.plan" --backend vm
is "$RC" 125 "a guest that panics fails the run"
like "$ERR" "Kernel panic - not syncing" "  the end of its console is shown"
like "$ERR" "vm: the guest ended without reporting its status" "  with one line saying what happened"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "  as Forced"
sleep 0.5
is "$(vm_orphans)" "" "no QEMU outlives its cellrun"
is "$(vm_monitors)" "" "no monitor either"
done_testing
