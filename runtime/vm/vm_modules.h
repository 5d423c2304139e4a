/*
 * vm_modules.h - kernel modules a guest needs that its kernel does not have
 * built in (Debian's cloud kernel builds virtio-mmio, virtio-blk, squashfs
 * and vsock as modules). `make vm-kernel` unpacks them beside the kernel as
 * <kernel dir>/lib/modules/<release>/; this resolves wanted module names to
 * files, dependencies first, from modules.order and each module's .modinfo
 * "depends=" entry. The guest loads them in that order with finit_module;
 * the guest kernel runs with module.sig_enforce=1, so only modules signed
 * by the (SHA-256-checked) kernel's build key load.
 */
#ifndef CELLOS_VM_MODULES_H
#define CELLOS_VM_MODULES_H

#include <stddef.h>

#include "runtime/lib/error.h"

#define VM_MAX_MODULES 16

struct vm_module_list {
    size_t n;
    char name[VM_MAX_MODULES][64];   /* module name, e.g. "virtio_ring" */
    char path[VM_MAX_MODULES][4096]; /* host path of the .ko */
};

/* The kernel release of an image: from a bzImage's header, or from the
 * "Linux version " banner of an ELF vmlinux. */
int vm_kernel_release(const char *kernel_path, char *buf, size_t n, struct cell_error *e);

/* Resolve `wanted` (n_wanted names) for the kernel at kernel_path into
 * *out, dependencies before dependents, each module once. A module listed
 * in modules.builtin is skipped (nothing to load). */
int vm_modules_resolve(const char *kernel_path, const char *const *wanted, size_t n_wanted,
                       struct vm_module_list *out, struct cell_error *e);

/* The .modinfo "depends=" value of a module image (empty string when none). */
int vm_modinfo_depends(const unsigned char *img, size_t len, char *buf, size_t n, struct cell_error *e);

#endif
