/*
 * vm_config.h - how a plan's vm section becomes a microVM: the kernel
 * command line, the Firecracker configuration file (`firecracker
 * --config-file`, the FullVmConfiguration of Firecracker's API schema) and
 * the equivalent QEMU `-M microvm` argument vector.
 *
 * Devices, the same in every mode:
 *   ttyS0  the kernel console (boot log; never the workload's output)
 *   report channel: QEMU: ttyS1 (isa-serial 0x2f8); Firecracker: vsock
 *          (guest CID 3 connects to host port VM_VSOCK_PORT)
 *   QEMU: ttyS2 / ttyS3 the workload's stdout / stderr (0x3e8, 0x2e8);
 *         Firecracker has one serial port: the workload writes to ttyS0
 *   the rootfs image, when the plan names one: a read-only virtio-blk drive
 *         (/dev/vda in the guest)
 *   QEMU, a plan granting egress: a virtio-net device (eth0 in the guest)
 *         on the tap the gateway made (runtime/net/, docs/network.md);
 *         otherwise no network device. Firecracker refuses egress plans.
 */
#ifndef CELLOS_VM_CONFIG_H
#define CELLOS_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"
#include "plan.h"

enum vm_mode {
    VM_MODE_FIRECRACKER = 1,
    VM_MODE_QEMU_KVM = 2,
    VM_MODE_QEMU_TCG = 3,
};

#define VM_GUEST_CID      3u
#define VM_VSOCK_PORT     1024u
#define VM_FC_INITRD_NAME "initramfs.cpio" /* relative: firecracker runs in the run's directory */
#define VM_FC_VSOCK_NAME  "vsock.sock"
#define VM_GUEST_MAC      "52:54:00:63:0e:12" /* the guest's eth0 (egress) */

/* "firecracker", "qemu-kvm", "qemu-tcg" */
const char *vm_mode_name(enum vm_mode m);

/* A host directory shared into the guest over 9p (virtio-9p-device on
 * QEMU's virtio-mmio): the guest mounts tag `tag` at /sysroot<guest>. */
#define VM_MAX_SHARES 16
struct vm_share {
    char tag[8];      /* "c0".."c15" */
    char host[4096];  /* the resolved host directory QEMU exports */
    char guest[4096]; /* the bind source as the plan names it */
    bool rw;          /* writes land on the host path */
    bool recursive;   /* mounts below it are shared too (else refused) */
};

struct vm_launch {
    enum vm_mode mode;
    const char *kernel; /* host path of the kernel image */
    const char *initrd; /* host path of the initramfs */
    const char *rootfs; /* host path of the read-only root image, or NULL */
    uint32_t vcpus;
    uint64_t mem_mib;
    const char *extra_bootargs; /* the plan's bootargs, appended last; may be NULL */
    uint64_t tsc_khz;           /* QEMU TCG: the guest TSC rate (= the host's) */
    /* QEMU: chardev file paths (a file or /proc/self/fd/N) of ttyS0..ttyS3 */
    const char *console, *channel, *out, *err;
    /* Firecracker */
    const char *vsock_uds;
    const char *qemu_binary;       /* NULL: "qemu-system-x86_64" */
    const char *name;              /* QEMU -name (e.g. "cellos-vm-<run id>"): finds a run's VMM */
    const struct vm_share *shares; /* QEMU: host directories shared over 9p */
    size_t n_shares;
    bool tap;   /* QEMU: a virtio-net device on the open tap tap_fd (egress) */
    int tap_fd; /* inherited by QEMU (not close-on-exec) */
};

/* Fill the plan-derived fields of *l (mode, kernel, rootfs, vcpus, memory,
 * extra boot args). Refuses what the vm backend cannot honour: egress rules
 * under Firecracker (QEMU gets a tap: runtime/net/), memory that is not a
 * whole number of MiB, Firecracker's vCPU rules (1 or even, at most 32). */
int vm_launch_from_plan(const struct plan *p, enum vm_mode mode, struct vm_launch *l, struct cell_error *e);

/* A plan without a vm section run with `--backend vm` gets the host's
 * defaults (docs/backends.md, "Plans without a vm section"): the given
 * kernel (the host's, not pinned by the plan), 1 vCPU, no rootfs image, no
 * extra boot args, and vm_host_default_memory_mib() of memory. The same
 * refusals as vm_launch_from_plan (egress). */
#define VM_HOST_HEADROOM_MIB  192u /* guest kernel, page cache, the unpacked initramfs */
#define VM_HOST_MIN_MIB       256u /* = the compiler's default `vm { memory }` */
#define VM_HOST_UNLIMITED_MIB 512u /* a plan with no memory limit */
int vm_launch_host_default(const struct plan *p, enum vm_mode mode, const char *kernel, struct vm_launch *l,
                           struct cell_error *e);
/* The plan's memory limit (bytes, 0 = none) rounded up to MiB plus
 * VM_HOST_HEADROOM_MIB, at least VM_HOST_MIN_MIB; VM_HOST_UNLIMITED_MIB
 * without a limit. */
uint64_t vm_host_default_memory_mib(uint64_t memory_limit);

/* The kernel command line for the mode, with the plan's arguments last. */
int vm_boot_args(const struct vm_launch *l, char *buf, size_t n, struct cell_error *e);

/* The Firecracker configuration document (malloc'd, NUL-terminated JSON,
 * keys in a fixed order, ending in a newline). */
int vm_firecracker_json(const struct vm_launch *l, char **json, struct cell_error *e);

/* A QEMU argument vector; vm_argv_free releases it. */
struct vm_argv {
    char **argv; /* NULL-terminated */
    size_t argc;
};
int vm_qemu_argv(const struct vm_launch *l, struct vm_argv *av, struct cell_error *e);
void vm_argv_free(struct vm_argv *av);

/* The host TSC rate in kHz (what a TCG guest's rdtsc counts at): measured
 * against CLOCK_MONOTONIC_RAW over ~20 ms. 0 when it cannot be measured. */
uint64_t vm_host_tsc_khz(void);

/* `cellc --emit firecracker-config PLAN`: print the Firecracker config of a
 * plan (initrd and vsock paths relative, as cellrun lays them out). */
int vm_emit_firecracker_config(const struct plan *p, char **json, struct cell_error *e);

#endif
