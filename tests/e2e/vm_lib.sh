# vm_lib.sh - shared by the vm tests (tests/e2e/vm_*.t). Source after tap.sh.
#   vm_need             skip unless the kernel (make vm-kernel) and QEMU are there
#   vm_plan OUT [mkplan opts] -- ARGV    a small plan (busybox at /bin/busybox,
#                       the runtime tests' default seccomp filter) with a vm
#                       section for build/vm/vmlinux; VM_ADDVM_OPTS add options
#   vm_run PLAN [cellrun opts]   run it under QEMU TCG, unsigned, events to
#                       $TMP/ev.jsonl; sets OUT, ERR, RC
#   ev_types            the event type suffixes of $TMP/ev.jsonl, one line
#   vm_orphans vm_monitors vm_rundirs   what this test's runs left behind
: "${CELLOS_BUILD:?}"
VM_K=$CELLOS_TOP/build/vm
MKPLAN=$CELLOS_BUILD/t/runtime/mkplan
ADDVM=$CELLOS_BUILD/t/vm/vm_addvm
GUEST=$CELLOS_BUILD/vm/guest
export CELLOS_VM_MODE=${CELLOS_VM_MODE:-qemu-tcg}

vm_need() {
    [ -e "$VM_K/vmlinux" ] || skip_all "no guest kernel in build/vm (run make vm-kernel)"
    command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
    [ -x /usr/bin/busybox ] && file_is_static /usr/bin/busybox || skip_all "no static /usr/bin/busybox (Debian package busybox)"
    [ -x "$MKPLAN" ] || skip_all "runtime plan maker not built"
}
file_is_static() { ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; }

vm_plan() {
    local out=$1; shift
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    "$MKPLAN" "$out.base" --bare --no-chdir --cwd / --ro /usr/bin/busybox:/bin/busybox "${opts[@]}" -- "$@" &&
    "$ADDVM" "$out.base" "$out" --kernel "$VM_K/vmlinux" ${VM_ADDVM_OPTS:-}
}

vm_run() {
    local plan=$1; shift
    rm -f "$TMP/ev.jsonl"
    # sh records cellrun's pid (it execs cellrun) for the residue checks
    OUT=$(timeout 600 sh -c 'echo $$ >> "$0"; exec "$@"' "$TMP/.cellrun-pids" \
          "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" "$@" "$plan" 2>"$TMP/err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/err")
}

ev_types() { [ -s "$TMP/ev.jsonl" ] && jq -r '.type' "$TMP/ev.jsonl" | sed 's/.*\.//' | tr '\n' ' '; }
ev_data() { jq -c "select(.type | endswith(\"$1\")) | .data" "$TMP/ev.jsonl"; }
# Residue checks look only at this test's own runs (other suites run VMs at
# the same time): every cellrun pid is in $TMP/.cellrun-pids (vm_run; record
# a direct run's with `echo $! >> "$TMP/.cellrun-pids"`), and cellrun names
# its VM "cellos-vm-<its pid>-<hex>".
vm_pids() { sort -u "$TMP/.cellrun-pids" 2>/dev/null; }
# QEMUs of cellrun processes: "-name cellos-vm-<cellrun pid>-<hex>"
vm_qemus_of() { pgrep -f "qemu-system-x86_64 .*-name cellos-vm-$1-" || true; }
# QEMUs of this test's runs whose cellrun is gone: what must never exist
vm_orphans() {
    local p
    for p in $(vm_pids); do
        kill -0 "$p" 2>/dev/null || vm_qemus_of "$p"
    done
}
# VM monitors of this test's runs (forks of cellrun: their command line
# names this test's plan) that are still alive (not zombies being reaped)
vm_monitors() {
    local p
    for p in $(pgrep -x cellos-vm-mon || true); do
        tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | grep -qF "$TMP/" || continue
        [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] || echo "$p"
    done
}
# run directories of this test's runs (Firecracker, non-root)
vm_rundirs() {
    local p
    for p in $(vm_pids); do ls -d /tmp/cellos-vm-"$p"-* 2>/dev/null; done
}

