# vm_lib.sh - shared by the vm tests (tests/e2e/vm_*.t). Source after tap.sh.
#   vm_need             skip unless the kernel (make vm-kernel) and QEMU are there
#   vm_need_9p          skip unless that kernel has the 9p modules (host directories)
#   vm_plan OUT [mkplan opts] -- ARGV    a small plan (busybox at /bin/busybox,
#                       the runtime tests' default seccomp filter) with a vm
#                       section for build/vm/vmlinux; VM_ADDVM_OPTS add options
#   vm_run PLAN [cellrun opts]   run it under QEMU TCG, unsigned, events to
#                       $TMP/ev.jsonl; sets OUT, ERR, RC
#   ev_types            the event type suffixes of $TMP/ev.jsonl, one line
#   vm_orphans vm_monitors vm_rundirs   what this test's runs left behind
#   vm_example_missing  why a compiled example policy cannot be run in a VM
#                       here (nothing when it can)
#   vm_example_plan PLAN VMPLAN IMG   make a compiled example runnable in a
#                       VM: a root image IMG for it and VMPLAN pointing at it
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
# Host directories reach the guest over 9p: the kernel's 9p modules (the
# generic Debian kernel; a build/vm made before issue 14 has the cloud one).
vm_need_9p() {
    ls "$VM_K"/lib/modules/*/kernel/fs/9p/9p.ko >/dev/null 2>&1 ||
        skip_all "the guest kernel in build/vm has no 9p modules (make vm-kernel fetches linux-image-amd64)"
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

# The worked examples (policies/examples/*.cell) bind whole host trees
# (/usr), far too large for an initramfs, and name a kernel this host does
# not have: each gets a root image (ext4, mkfs.ext4 -d) holding what the cell
# needs (every bind source as a directory, argv[0] and its shared libraries
# as ldd lists them) and a vm section for build/vm/vmlinux and that image
# (vm_addvm). Used by vm_examples.t and runtime_examples.t.
vm_example_missing() {
    if [ ! -e "$VM_K/vmlinux" ]; then echo "no guest kernel in build/vm (run make vm-kernel)"
    elif ! command -v qemu-system-x86_64 >/dev/null; then echo "qemu-system-x86_64 not installed"
    elif ! command -v mkfs.ext4 >/dev/null; then echo "mkfs.ext4 not installed (e2fsprogs)"
    elif [ ! -x "$ADDVM" ]; then echo "the vm_addvm test helper is not built"
    fi
}
vm_example_plan() {     # PLAN VMPLAN IMG; on failure the reason is in $TMP/av.err
    local plan=$1 out=$2 img=$3 dump argv0 real src f stage=$TMP/vm-example-stage
    dump=$("$CELLC" dump "$plan" 2>"$TMP/av.err") || return 1
    argv0=$(printf '%s\n' "$dump" | sed -n 's/^argv\[0\] *//p' | head -1)
    rm -rf "$stage"; mkdir -p "$stage"
    for src in $(printf '%s\n' "$dump" | sed -n 's/^ *[0-9]* *bind *\([^ ]*\) -> .*/\1/p'); do
        case $src in /*) ;; *) continue ;; esac
        if [ -d "$src" ]; then mkdir -p "$stage$src"; elif [ -e "$src" ]; then cp -a --parents "$src" "$stage" 2>/dev/null; fi
    done
    # argv[0] and its libraries: each path as the cell names it (merged /usr:
    # /bin, /lib, /lib64 are symlinks into /usr), kept as a symlink when it
    # is one, plus the file it resolves to
    real=$(readlink -f "$argv0")
    for f in "$argv0" $(ldd "$real" 2>/dev/null | grep -o '/[^ ]*'); do
        case $f in /bin/*|/lib/*|/lib64/*|/sbin/*) f=/usr$f ;; esac
        [ -e "$f" ] || continue
        cp -a --parents "$f" "$stage" 2>/dev/null
        cp -L --parents "$(readlink -f "$f")" "$stage" 2>/dev/null
    done
    # the host's merged-/usr links (/lib -> usr/lib ...): absolute symlinks
    # in the copy, e.g. /usr/lib64/ld-linux-x86-64.so.2 -> /lib/..., are
    # resolved in the image as on the host
    for f in /bin /sbin /lib /lib32 /lib64 /libx32; do
        [ -L "$f" ] && cp -a "$f" "$stage$f"
    done
    find "$stage" -type d -exec chmod 0755 {} +     # cp --parents made some 0700
    mkfs.ext4 -q -F -d "$stage" "$img" "$(( $(du -sm "$stage" | cut -f1) * 3 / 2 + 16 ))M" >"$TMP/av.err" 2>&1 ||
        return 1
    rm -rf "$stage"
    "$ADDVM" "$plan" "$out" --kernel "$VM_K/vmlinux" --rootfs "$img" 2>"$TMP/av.err"
}
