/*
 * plan_caps.c - the table of plan_caps.h, sorted by name.
 */
#include "plan_caps.h"

#include <stdlib.h>
#include <string.h>

static const struct plan_cap_info table[] = {
    { "CAP_AUDIT_CONTROL", 30, "configures the audit subsystem" },
    { "CAP_AUDIT_READ", 37, "reads the audit log" },
    { "CAP_AUDIT_WRITE", 29, NULL },
    { "CAP_BLOCK_SUSPEND", 36, "blocks system suspend" },
    { "CAP_BPF", 39, "loads BPF programs and maps" },
    { "CAP_CHECKPOINT_RESTORE", 40, "checkpoints and restores processes (set_tid, map_files)" },
    { "CAP_CHOWN", 0, NULL },
    { "CAP_DAC_OVERRIDE", 1, "bypasses file permission checks" },
    { "CAP_DAC_READ_SEARCH", 2, "bypasses read permission checks and allows open_by_handle_at" },
    { "CAP_FOWNER", 3, NULL },
    { "CAP_FSETID", 4, NULL },
    { "CAP_IPC_LOCK", 14, NULL },
    { "CAP_IPC_OWNER", 15, "bypasses System V IPC permission checks" },
    { "CAP_KILL", 5, NULL },
    { "CAP_LEASE", 28, NULL },
    { "CAP_LINUX_IMMUTABLE", 9, "changes immutable and append-only file attributes" },
    { "CAP_MAC_ADMIN", 33, "configures mandatory access control" },
    { "CAP_MAC_OVERRIDE", 32, "overrides mandatory access control" },
    { "CAP_MKNOD", 27, "creates device nodes" },
    { "CAP_NET_ADMIN", 12, "administers network interfaces, routes and firewalls" },
    { "CAP_NET_BIND_SERVICE", 10, NULL },
    { "CAP_NET_BROADCAST", 11, NULL },
    { "CAP_NET_RAW", 13, "opens raw and packet sockets" },
    { "CAP_PERFMON", 38, "uses perf and other performance monitoring" },
    { "CAP_SETFCAP", 31, "writes file capabilities, a privilege-escalation primitive" },
    { "CAP_SETGID", 6, "lets the workload change its group ids" },
    { "CAP_SETPCAP", 8, "lets the workload change capability sets" },
    { "CAP_SETUID", 7, "lets the workload change its user ids" },
    { "CAP_SYSLOG", 34, "reads and configures the kernel log" },
    { "CAP_SYS_ADMIN", 21, "is the catch-all administrative capability (mount, namespaces, bpf, ...)" },
    { "CAP_SYS_BOOT", 22, "reboots and loads new kernels" },
    { "CAP_SYS_CHROOT", 18, "uses chroot, a step in many escapes" },
    { "CAP_SYS_MODULE", 16, "loads kernel modules" },
    { "CAP_SYS_NICE", 23, "raises priorities and sets real-time scheduling" },
    { "CAP_SYS_PACCT", 20, "configures process accounting" },
    { "CAP_SYS_PTRACE", 19, "traces and inspects other processes" },
    { "CAP_SYS_RAWIO", 17, "performs raw I/O on ports and devices" },
    { "CAP_SYS_RESOURCE", 24, "overrides resource limits" },
    { "CAP_SYS_TIME", 25, "sets the system clock" },
    { "CAP_SYS_TTY_CONFIG", 26, "configures terminals (vhangup)" },
    { "CAP_WAKE_ALARM", 35, NULL },
};

#define N (sizeof table / sizeof table[0])

static int by_name(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const struct plan_cap_info *)e)->name);
}

const struct plan_cap_info *plan_cap_by_name(const char *name)
{
    return bsearch(name, table, N, sizeof table[0], by_name);
}

const char *plan_cap_name(uint32_t bit)
{
    for (size_t i = 0; i < N; i++)
        if (table[i].bit == bit)
            return table[i].name;
    return NULL;
}

size_t plan_cap_count(void)
{
    return N;
}

const struct plan_cap_info *plan_cap_at(size_t i)
{
    return i < N ? &table[i] : NULL;
}
