/*
 * syscall_table_danger.c - the syscalls a policy may allow only with
 * `unsafe "why"`, each with the reason shown to the policy author.
 *
 * A syscall is listed when allowing it hands the cell authority over the
 * kernel or over other processes that the rest of the policy cannot narrow
 * (module loading, mounts, namespaces, debugging other processes, clocks,
 * the kernel log, ...) or when it is a well-known kernel attack surface that
 * ordinary jobs do not need (io_uring, userfaultfd, bpf, perf). The list is
 * sorted by name (binary search; the unit tests check order and that every
 * name is in the syscall table). Denying or erroring these needs no grant.
 */
#include <stdlib.h>
#include <string.h>

#include "syscall_table.h"

struct danger {
    const char *name;
    const char *why;
};

static const struct danger dangers[] = {
    { "acct", "switches process accounting on or off for the whole system" },
    { "add_key", "adds keys to kernel keyrings, which are not namespaced" },
    { "adjtimex", "can change the system clock (shared by every process on the host)" },
    { "bpf", "loads eBPF programs into the kernel: a large attack surface and tracing of the host" },
    { "chroot", "changes the root directory; with other authority a classic way out of a jail" },
    { "clock_adjtime", "can change the system clock (shared by every process on the host)" },
    { "clock_settime", "sets the system clock (shared by every process on the host)" },
    { "delete_module", "unloads kernel modules" },
    { "finit_module", "loads kernel modules: arbitrary code in the kernel" },
    { "fsconfig", "configures a new mount (new mount API)" },
    { "fsmount", "creates a mount (new mount API)" },
    { "fsopen", "opens a filesystem context for mounting (new mount API)" },
    { "fspick", "reconfigures an existing mount (new mount API)" },
    { "init_module", "loads kernel modules: arbitrary code in the kernel" },
    { "io_uring_enter",
      "io_uring bypasses seccomp for the operations it performs, and is a large attack surface" },
    { "io_uring_register",
      "io_uring bypasses seccomp for the operations it performs, and is a large attack surface" },
    { "io_uring_setup",
      "io_uring bypasses seccomp for the operations it performs, and is a large attack surface" },
    { "ioperm", "grants direct access to I/O ports" },
    { "iopl", "grants direct access to all I/O ports and the interrupt flag" },
    { "kexec_file_load", "loads a new kernel to boot into" },
    { "kexec_load", "loads a new kernel to boot into" },
    { "keyctl", "manipulates kernel keyrings, which are not namespaced" },
    { "lookup_dcookie", "reveals paths of files across the system (profiling interface)" },
    { "modify_ldt", "changes the x86 local descriptor table: historic kernel attack surface" },
    { "mount", "mounts filesystems: changes what the cell can see and can be used to escape" },
    { "mount_setattr", "changes mount properties (new mount API)" },
    { "move_mount", "moves mounts (new mount API)" },
    { "open_by_handle_at", "opens files by handle, bypassing path-based confinement (the 'shocker' escape)" },
    { "open_tree", "clones mounts (new mount API)" },
    { "perf_event_open",
      "performance monitoring: observes other processes and the kernel, large attack surface" },
    { "personality", "changes the execution domain (e.g. disables address space randomisation)" },
    { "pidfd_getfd", "copies a file descriptor out of another process" },
    { "pivot_root", "changes the root mount" },
    { "process_vm_readv", "reads the memory of another process" },
    { "process_vm_writev", "writes the memory of another process" },
    { "ptrace", "debugs other processes: reads and writes their memory and registers" },
    { "quotactl", "manipulates disk quotas of host filesystems" },
    { "quotactl_fd", "manipulates disk quotas of host filesystems" },
    { "reboot", "reboots or halts the system, or enables Ctrl-Alt-Del handling" },
    { "request_key", "requests keys from kernel keyrings, which are not namespaced" },
    { "setns", "joins other namespaces" },
    { "settimeofday", "sets the system clock (shared by every process on the host)" },
    { "swapoff", "stops swapping to a file or device" },
    { "swapon", "starts swapping to a file or device" },
    { "syslog", "reads or clears the kernel log, which leaks kernel addresses" },
    { "umount2", "unmounts filesystems: can expose what the cell's mounts hide" },
    { "unshare", "creates new namespaces (user namespaces expose much more kernel attack surface)" },
    { "uselib", "obsolete a.out library loader with a history of kernel bugs" },
    { "userfaultfd", "handles page faults in user space: a common kernel-exploit primitive" },
};

static int cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct danger *)elem)->name);
}

const char *sc_danger(const char *name)
{
    if (!name)
        return NULL;
    const struct danger *d =
        bsearch(name, dangers, sizeof dangers / sizeof dangers[0], sizeof dangers[0], cmp);
    return d ? d->why : NULL;
}
