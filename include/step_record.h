/*
 * step_record.h - what the cell side reports to the supervisor, step by step.
 *
 * The cell (the child that sets itself up before exec, or the init of a VM
 * guest) performs the plan's steps in order and, after each, writes one
 * fixed-size struct cell_step_record to its report channel: a close-on-exec
 * pipe natively, a dedicated serial port or vsock from a VM guest. The
 * supervisor reads them, never trusts them beyond their bounds (a record
 * whose fields are out of range is itself a failure of the cell), and turns
 * each into a signed event of type dev.cellos.events.cell.step.v1.<name>.
 * The cell never signs anything and never holds a key.
 *
 * 32 bytes, little-endian, written with one write(2) (atomic on a pipe since
 * 32 <= PIPE_BUF). docs/runtime.md and docs/events.md describe each step.
 */
#ifndef CELLOS_STEP_RECORD_H
#define CELLOS_STEP_RECORD_H

#include <stdint.h>

#define CELL_STEP_MAGIC 0x43535431u /* "CST1" */

/* The steps, in the order the native cell performs them. A VM guest or the
 * gVisor backend performs a subset and may add its own at the end of this
 * list; numbers are stable once released, new steps are appended. */
enum cell_step {
    CELL_STEP_NAMESPACES = 1,    /* unshare/clone of user?, mount, pid, net, ipc, uts, cgroup */
    CELL_STEP_UID_MAP = 2,       /* uid/gid maps written (rootless mode) */
    CELL_STEP_CGROUP = 3,        /* cell placed in its cgroup with its limits (detail: flags) */
    CELL_STEP_MOUNT_PRIVATE = 4, /* / made MS_PRIVATE|MS_REC */
    CELL_STEP_MOUNT_OP = 5,      /* one op of the mount program; op_index says which */
    CELL_STEP_HOSTNAME = 6,
    CELL_STEP_LOOPBACK = 7, /* lo brought up */
    CELL_STEP_RLIMITS = 8,
    CELL_STEP_FDS = 9,      /* fds above 2 closed except the passed ones */
    CELL_STEP_ENV = 10,     /* environment cleared and set */
    CELL_STEP_SECRETS = 11, /* secret files/env delivered (values never reported) */
    CELL_STEP_CAPS = 12,    /* capabilities dropped from every set but the granted */
    CELL_STEP_NO_NEW_PRIVS = 13,
    CELL_STEP_SECCOMP = 14,    /* filter loaded; detail: instruction count; op_index: the
                                * denial listener's fd + 1 (0: none; cell_side.h) */
    CELL_STEP_EXEC = 15,       /* about to execve; result/err say if it failed */
    CELL_STEP_INIT = 16,       /* the cell's init (pid 1) is up; detail: its pid on the host side if known */
    CELL_STEP_GUEST_BOOT = 17, /* VM guest kernel up and its init started */
    CELL_STEP_GUEST_MOUNTS = 18, /* VM guest's own /proc, /sys, /dev mounted */
    CELL_STEP_EXIT = 19,         /* workload ended; detail: wait status (as waitpid gives it) */
    CELL_STEP_LANDLOCK = 20,     /* Landlock ruleset of the grants applied (after no_new_privs, before
                                  * seccomp); detail: the kernel's Landlock ABI (0: none) */
    CELL_STEP_MAX = 20
};

/* result values */
#define CELL_STEP_OK       0 /* done */
#define CELL_STEP_FAILED   1 /* failed; err holds the errno; the cell stops here */
#define CELL_STEP_SKIPPED  2 /* not needed or optional and absent (e.g. an OPTIONAL bind) */
#define CELL_STEP_DEGRADED 3 /* done without something the plan marked best-effort */

struct cell_step_record {
    uint32_t magic;    /* CELL_STEP_MAGIC */
    uint16_t step;     /* enum cell_step */
    uint16_t result;   /* CELL_STEP_OK / FAILED / SKIPPED / DEGRADED */
    uint32_t op_index; /* MOUNT_OP: index into the plan's mount ops; SECCOMP: see above; else 0 */
    int32_t err;       /* errno when result is FAILED; else 0 */
    uint32_t detail;   /* step-specific, documented per step above */
    uint32_t pad;      /* 0 */
    uint64_t mono_ns;  /* CLOCK_MONOTONIC of the cell when the step ended */
};
_Static_assert(sizeof(struct cell_step_record) == 32, "step record is 32 bytes");

/* The lower-case name used in the event type dev.cellos.events.cell.step.v1.<name>
 * ("namespaces", "uid_map", "cgroup", "mount_private", "mount_op", "hostname",
 * "loopback", "rlimits", "fds", "env", "secrets", "caps", "no_new_privs",
 * "seccomp", "exec", "init", "guest_boot", "guest_mounts", "exit", "landlock"). */
static inline const char *cell_step_name(uint32_t step)
{
    static const char *const names[CELL_STEP_MAX + 1] = {
        [CELL_STEP_NAMESPACES] = "namespaces",
        [CELL_STEP_UID_MAP] = "uid_map",
        [CELL_STEP_CGROUP] = "cgroup",
        [CELL_STEP_MOUNT_PRIVATE] = "mount_private",
        [CELL_STEP_MOUNT_OP] = "mount_op",
        [CELL_STEP_HOSTNAME] = "hostname",
        [CELL_STEP_LOOPBACK] = "loopback",
        [CELL_STEP_RLIMITS] = "rlimits",
        [CELL_STEP_FDS] = "fds",
        [CELL_STEP_ENV] = "env",
        [CELL_STEP_SECRETS] = "secrets",
        [CELL_STEP_CAPS] = "caps",
        [CELL_STEP_NO_NEW_PRIVS] = "no_new_privs",
        [CELL_STEP_SECCOMP] = "seccomp",
        [CELL_STEP_EXEC] = "exec",
        [CELL_STEP_INIT] = "init",
        [CELL_STEP_GUEST_BOOT] = "guest_boot",
        [CELL_STEP_GUEST_MOUNTS] = "guest_mounts",
        [CELL_STEP_EXIT] = "exit",
        [CELL_STEP_LANDLOCK] = "landlock",
    };
    return (step >= 1 && step <= CELL_STEP_MAX) ? names[step] : 0;
}

#endif
