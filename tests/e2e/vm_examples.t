#!/bin/bash
# vm_examples.t - the worked example cells (policies/examples/*.cell),
# compiled by cellc and run by `cellrun --backend vm` under QEMU TCG. Their
# binds name whole host trees (/usr), far too large for an initramfs, so each
# gets a root image (ext4, mkfs.ext4 -d) holding what the cell needs: every
# bind source as a directory, argv[0] and its shared libraries (ldd). The
# vm section is pointed at build/vm/vmlinux and the image (vm_addvm).
# Examples whose plan the vm backend refuses by design (egress, writable
# binds) are skipped with the reason cellrun gives; every other example must
# end in the VM exactly as it ends natively (same exit status).
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
    dump=$("$CELLC" dump "$TMP/$name.plan")
    argv0=$(printf '%s\n' "$dump" | sed -n 's/^argv\[0\] *//p' | head -1)
    rm -rf "$TMP/stage"; mkdir -p "$TMP/stage"
    for src in $(printf '%s\n' "$dump" | sed -n 's/^ *[0-9]* *bind *\([^ ]*\) -> .*/\1/p'); do
        case $src in /*) ;; *) continue ;; esac
        if [ -d "$src" ]; then mkdir -p "$TMP/stage$src"; elif [ -e "$src" ]; then cp -a --parents "$src" "$TMP/stage" 2>/dev/null; fi
    done
    # argv[0] and its libraries: each path as the cell names it (merged /usr:
    # /bin, /lib, /lib64 are symlinks into /usr), kept as a symlink when it
    # is one, plus the file it resolves to
    real=$(readlink -f "$argv0")
    for f in "$argv0" $(ldd "$real" 2>/dev/null | grep -o '/[^ ]*'); do
        case $f in /bin/*|/lib/*|/lib64/*|/sbin/*) f=/usr$f ;; esac
        [ -e "$f" ] || continue
        cp -a --parents "$f" "$TMP/stage" 2>/dev/null
        cp -L --parents "$(readlink -f "$f")" "$TMP/stage" 2>/dev/null
    done
    find "$TMP/stage" -type d -exec chmod 0755 {} +     # cp --parents made some 0700
    mkfs.ext4 -q -F -d "$TMP/stage" "$TMP/$name.img" 64M >/dev/null 2>&1
    "$ADDVM" "$TMP/$name.plan" "$TMP/$name.vm.plan" --kernel "$VM_K/vmlinux" --rootfs "$TMP/$name.img" 2>"$TMP/av.err" ||
        { ok 1 "$name: vm_addvm: $(cat "$TMP/av.err")"; continue; }
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
