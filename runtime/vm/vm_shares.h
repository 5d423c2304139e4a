/*
 * vm_shares.h - which host trees a VM cell reads through a 9p share instead
 * of a copy in its initramfs. Without a rootfs image, every bind whose
 * source is a directory becomes a share (QEMU's virtio-9p-device on
 * virtio-mmio; read-only in QEMU too for a read-only bind, so the guest
 * kernel cannot write it whatever it does), unless it lies inside a tree
 * already shared with the same access. Regular files stay copies in the
 * initramfs (small; hello.cell's three files). A writable bind of a file
 * cannot be shared (9p exports directories) and is refused. Each source is
 * resolved on the host (symlinks followed, as a bind would) to the path
 * QEMU exports; the guest mounts it at /sysroot<source as named>, where the
 * cell's mount program finds it.
 */
#ifndef CELLOS_VM_SHARES_H
#define CELLOS_VM_SHARES_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/error.h"
#include "runtime/plan/vm_config.h"
#include "plan.h"

struct vm_share_list {
    size_t n;
    struct vm_share s[VM_MAX_SHARES];
};

/* Fill *out from the plan (nothing when the plan names a rootfs image). */
int vm_shares_plan(const struct plan *p, struct vm_share_list *out, struct cell_error *e);

/* Is bind op i's source served by a share (so not copied)? */
bool vm_shares_cover(const struct vm_share_list *l, const struct plan *p, size_t op_index);

/* "ro:/usr rw:/work" for the started event (buf of n bytes). */
void vm_shares_describe(const struct vm_share_list *l, char *buf, size_t n);

/* Is bind op i of the plan followed by a read-only remount of its target? */
bool vm_bind_is_readonly(const struct plan *p, size_t i);

#endif
