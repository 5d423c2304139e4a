#!/bin/bash
# vm_rootfs.t - a vm section with a rootfs image: the image (ext4, made with
# mkfs.ext4 -d, no mount needed) is attached as a read-only virtio-blk drive,
# the guest loads virtio-mmio and virtio-blk from the kernel package (signed
# modules, module.sig_enforce=1), mounts it at /sysroot, and the plan's binds
# read from it instead of host copies; its SHA-256 is checked before boot.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 not installed (e2fsprogs)"
tmpdir

mkdir -p "$TMP/stage/usr/bin" "$TMP/stage/usr/share/cellos"
cp /usr/bin/busybox "$TMP/stage/usr/bin/busybox"
echo "from-the-image-$$" > "$TMP/stage/usr/share/cellos/marker"
mkfs.ext4 -q -F -d "$TMP/stage" -L cellos-root "$TMP/root.img" 16M >/dev/null 2>&1
ok $? "an ext4 root image made from a directory"

# /usr of the image, bound read-only; the host's /usr is never copied
"$MKPLAN" "$TMP/r.base" --bare --no-chdir --cwd / --rbind /usr:/usr -- \
    /usr/bin/busybox sh -c 'B=/usr/bin/busybox; $B cat /usr/share/cellos/marker; $B ls /usr/bin | $B wc -l'
"$ADDVM" "$TMP/r.base" "$TMP/r.plan" --kernel "$VM_K/vmlinux" --rootfs "$TMP/root.img"
vm_run "$TMP/r.plan"
[ "$RC" = 0 ] || diag "$ERR"
is "$RC" 0 "the cell ran from the image"
like "$OUT" "^from-the-image-$$" "the bind read the image's /usr, not the host's"
like "$(echo "$OUT" | tail -1)" "^ *1$" "and sees only the image's one binary"
like "$(ev_data lifecycle.v1.started)" '"vm_rootfs":"ext4"' "started names the rootfs type"
ib=$(ev_data lifecycle.v1.started | jq -r '.backendinfo.vm_initramfs_bytes')
ok $([ "$ib" -lt 8000000 ] && echo 0 || echo 1) "no host tree in the initramfs ($ib bytes: init and the ext4 modules)"
gm=$(ev_data step.v1.guest_mounts | jq -r '.detail')
is "$((gm & 3))" 3 "guest_mounts: /dev, /proc, /sys and the rootfs image"
is "$((gm >> 8))" 9 "nine modules loaded (virtio_ring, virtio, virtio_mmio, virtio_blk; ext4 with crc16, mbcache, jbd2, crc32c)"

"$ADDVM" "$TMP/r.base" "$TMP/bad.plan" --kernel "$VM_K/vmlinux" --rootfs "$TMP/root.img" \
    --rootfs-sha256 "$(printf 'f%.0s' $(seq 64))"
vm_run "$TMP/bad.plan"
is "$RC" 125 "a rootfs image whose SHA-256 differs is refused"
like "$ERR" "rootfs image .* has SHA-256 .* but the plan pins f{64}" "saying so"

# an erofs image (what a Firecracker plan gets instead of 9p shares of its
# host directories: docs/backends.md)
if command -v mkfs.erofs >/dev/null; then
    mkdir -p "$TMP/e/usr/bin" "$TMP/e/srv/tree"
    cp /usr/bin/busybox "$TMP/e/usr/bin/"; echo "in-erofs-$$" > "$TMP/e/srv/tree/f"
    mkfs.erofs "$TMP/e.img" "$TMP/e" >/dev/null 2>&1
    "$MKPLAN" "$TMP/e.base" --bare --no-chdir --cwd / --ro /usr/bin/busybox:/bin/busybox --ro /srv/tree:/t -- \
        /bin/busybox cat /t/f
    "$ADDVM" "$TMP/e.base" "$TMP/e.plan" --kernel "$VM_K/vmlinux" --rootfs "$TMP/e.img"
    vm_run "$TMP/e.plan"
    is "$RC:$OUT" "0:in-erofs-$$" "an erofs image: the binds read from it"
    like "$(ev_data lifecycle.v1.started)" '"vm_rootfs":"erofs"' "  started says erofs"
else
    skip 2 "mkfs.erofs not installed (erofs-utils)"
fi
done_testing
