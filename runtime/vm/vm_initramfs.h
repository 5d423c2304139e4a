/*
 * vm_initramfs.h - the per-run initramfs of a VM cell (host side).
 *
 * Layout (cpio newc, deterministic):
 *   init                  the static guest init (PID 1)
 *   dev/console, proc/, sys/, dev/
 *   cellos/plan           the plan bytes exactly as cellrun read them
 *   cellos/guest.conf     run facts for the guest init (guest_conf.h format)
 *   cellos/modules/NN-name.ko   modules to load, in order
 *   cellos/stage/         where the cell's new root is built
 *   sysroot/<src>         the host files the plan binds read-only, copied
 *                         (when the vm section names no rootfs image; with
 *                         one, the image is mounted at /sysroot instead);
 *                         directories are 9p shares (vm_shares.h), which
 *                         the guest mounts at sysroot/<src>
 * The guest's mount program sees every bind source under /sysroot.
 *
 * Fail closed: a bind the plan leaves writable that no share serves is
 * refused; so is an initramfs larger than its limit, before anything
 * is written, with the sizes in the message.
 */
#ifndef CELLOS_VM_INITRAMFS_H
#define CELLOS_VM_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"
#include "plan.h"
#include "vm_modules.h"
#include "vm_shares.h"

#define VM_INITRAMFS_DEFAULT_LIMIT (64ull << 20)
#define VM_SYSROOT                 "sysroot"

struct vm_initramfs_spec {
    const struct plan *plan;
    const void *plan_bytes;
    size_t plan_len;
    const char *guest_init;               /* host path of the static guest init */
    const struct vm_module_list *modules; /* may be NULL */
    const char *guest_conf;               /* cellos/guest.conf content */
    uint64_t limit;                       /* 0: plan's initramfs_limit or the default */
    const char *sysroot_prefix;         /* host prefix bind sources are read from; "" in production (tests) */
    bool no_vm_section;                 /* the plan has none: the limit messages say to add one */
    const struct vm_share_list *shares; /* binds they serve are not copied; may be NULL */
};

/* Check that the plan's binds can be honoured in a VM (read-only) and,
 * without a rootfs image, compute the archive size; refuse over the limit. */
int vm_initramfs_build(const struct vm_initramfs_spec *s, int out_fd, uint64_t *size_out,
                       struct cell_error *e);

#endif
