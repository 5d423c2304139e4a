/*
 * vm_kvm_probe.h - does KVM run guests on this host? /dev/kvm opening is
 * not enough (a nested host may accept every ioctl and then never run a
 * real kernel), so the answer comes from running guests under a deadline:
 *   1. a tiny guest through the KVM API directly (long mode, one vCPU,
 *      three instructions that write to an I/O port and halt), KVM_RUN
 *      interrupted by a timer signal at the deadline;
 *   2. the guest kernel itself under `qemu-system-x86_64 -M microvm,accel=kvm`
 *      with no init (it panics at once and, with panic=-1 and -no-reboot,
 *      QEMU exits): a working KVM does this well within the deadline.
 * Both run in child processes that are killed and reaped at the deadline.
 * The verdict is cached per host boot (keyed by the kernel's boot id) in a
 * root-owned state directory (default /run/cellos, CELLOS_VM_STATE_DIR): a
 * directory not owned by root, open to others, or reached through a symlink
 * is refused; the cache file is written to a temp name and renamed.
 */
#ifndef CELLOS_VM_KVM_PROBE_H
#define CELLOS_VM_KVM_PROBE_H

#include <stdbool.h>

#include "runtime/lib/error.h"

#define VM_STATE_DIR_DEFAULT     "/run/cellos"
#define VM_KVM_PROBE_DEADLINE_MS 1000u
#define VM_KVM_TINY_DEADLINE_MS  300u

struct vm_kvm_verdict {
    bool usable;
    bool cached;   /* read from the state directory, not probed now */
    unsigned ms;   /* how long the probe took (0 when cached) */
    char why[200]; /* for a broken KVM: what failed */
};

/* Probe (or read the cached verdict). kernel_fd: an fd of the guest kernel
 * to boot under QEMU+KVM (-1: the tiny guest only); qemu: the QEMU binary
 * (NULL: the tiny guest only). Returns -1 only when the state directory is
 * unsafe or cannot be made (e says why); a broken KVM is a verdict, not an
 * error. No caching when not root. */
int vm_kvm_check(int kernel_fd, const char *qemu, struct vm_kvm_verdict *v, struct cell_error *e);

#endif
