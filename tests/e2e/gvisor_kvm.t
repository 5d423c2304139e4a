#!/usr/bin/env bash
# gvisor_kvm.t - the platform: `auto` picks kvm when /dev/kvm is usable on a
# host that is not itself a VM (gVisor's KVM platform is unreliable under
# nested virtualisation), else ptrace; a plan asking for kvm gets kvm, and
# when runsc cannot start it the run fails after the start timeout, cleanly.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
tmpdir

nested=no
grep -qw hypervisor /proc/cpuinfo && nested=yes
kvm=no
[ -c /dev/kvm ] && : 2>/dev/null </dev/kvm && kvm=yes

gv_plan "$TMP/auto.plan" -- /bin/true
gv_cell "$TMP/auto.plan"
is "$RC" 0 "platform auto runs"
plat=$(jq -r 'select(.type|endswith("started")) | .data.backendinfo.platform' "$TMP/ev.jsonl")
why=$(jq -r 'select(.type|endswith("started")) | .data.backendinfo.platform_why' "$TMP/ev.jsonl")
if [ $kvm = no ]; then
    is "$plat:$why" "ptrace:auto: no usable /dev/kvm" "without /dev/kvm, auto is ptrace (and the event says why)"
elif [ $nested = yes ]; then
    is "$plat:$why" "ptrace:auto: /dev/kvm exists but this host is a virtual machine" \
       "on a VM with /dev/kvm, auto is ptrace (and the event says why)"
else
    is "$plat:$why" "kvm:auto: /dev/kvm is usable" "with /dev/kvm on bare metal, auto is kvm"
fi
gv_plan "$TMP/pt.plan" -- /bin/true
"$GV_RULES" "$TMP/pt.plan" --platform ptrace
gv_cell "$TMP/pt.plan"
is "$RC:$(jq -r 'select(.type|endswith("started")) | .data.backendinfo.platform' "$TMP/ev.jsonl")" "0:ptrace" \
   "a plan asking for ptrace gets ptrace"

gv_plan "$TMP/kvm.plan" -- /bin/sh -c 'echo in-kvm'
"$GV_RULES" "$TMP/kvm.plan" --platform kvm
if [ $kvm = no ]; then
    gv_cell "$TMP/kvm.plan"
    is "$RC" 125 "a plan asking for kvm without /dev/kvm is refused"
    like "$ERR" "/dev/kvm cannot be opened" "  saying why"
    skip 2 "no /dev/kvm on this host: the kvm platform cannot run here"
else
    # the vm backend's KVM probe (a tiny guest, then a kernel, each under a
    # deadline; cached per boot): where KVM runs no guest, the start
    # timeout is only observed, so a short one will do
    st=10000
    CELLOS_VM_STATE_DIR=$TMP/state "$CELLOS_BUILD/vm/bin/kvm_probe" --kernel "$CELLOS_BUILD/vm/vmlinux" >/dev/null 2>&1 ||
        st=3000
    start=$(date +%s)
    CELLOS_GVISOR_START_TIMEOUT_MS=$st gv_cell "$TMP/kvm.plan"
    took=$(( $(date +%s) - start ))
    if [ "$RC" = 0 ]; then
        is "$OUT" in-kvm "a plan asking for kvm runs on the kvm platform"
        is "$(jq -r 'select(.type|endswith("started")) | .data.backendinfo.platform' "$TMP/ev.jsonl")" kvm \
           "  and the started event says kvm"
        skip 2 "the kvm platform works here: no start timeout to observe"
    else
        like "$ERR" "did not create the sandbox within $st ms.*nested virtualisation" \
             "kvm: runsc's KVM platform does not start here; cellrun gives up after the start timeout"
        ok $([ "$took" -lt 30 ] && echo 0 || echo 1) "  in ${took} s"
        gv_wait_clean; ok $? "  and leaves no process or cgroup"
        skip 1 "gVisor's KVM platform does not start on this host (nested: $nested): no kvm run to observe"
    fi
fi
is "$(gv_residue)" "" "no runsc process or cgroup left behind"
done_testing
