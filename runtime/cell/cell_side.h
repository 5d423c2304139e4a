/*
 * cell_side.h - the cell side of CellOS: the interpreter that turns a plan
 * into a running, confined workload, step by step, from inside the cell.
 *
 * This is the one entry point shared by every backend that runs our own
 * code inside the boundary: the native backend calls it in the child it
 * clones into new namespaces; the VM backend links the same files into a
 * statically built guest init (Makefile: CELL_SIDE_SRC). The files behind
 * this header therefore use libc and the kernel only: no libsodium, no
 * libseccomp, no event code, no supervisor state, no signing key.
 *
 * Every step ends with exactly one struct cell_step_record written to the
 * report sink (a close-on-exec pipe natively, a serial port in a VM). A step
 * that fails reports CELL_STEP_FAILED with its errno and the cell stops
 * there; the supervisor names the step in its one-line error.
 */
#ifndef CELLOS_CELL_SIDE_H
#define CELLOS_CELL_SIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"
#include "step_record.h"

/* Where step records go. emit() writes one whole record or fails (-1 with
 * errno). fd is the descriptor the sink needs kept open across the cell's
 * fd cleanup (it must be close-on-exec so the workload never holds it), or
 * -1 when the sink uses no descriptor. */
struct cell_report {
    int (*emit)(struct cell_report *self, const struct cell_step_record *rec);
    int fd;
    void *ctx;
};

/* The native sink: write(2) of 32 bytes to fd (a pipe: atomic). */
void cell_report_fd_init(struct cell_report *r, int fd);

/* Build a record stamped with CLOCK_MONOTONIC and send it. Returns the
 * sink's result. */
int cell_report_step(struct cell_report *r, uint16_t step, uint16_t result, uint32_t op_index, int err,
                     uint32_t detail);

/* A secret's value as the supervisor read it (never reported anywhere). */
struct cell_secret_value {
    const char *value; /* bytes, not necessarily NUL-terminated */
    size_t len;
};

/* Which steps the caller wants the cell side to perform. A VM guest, whose
 * boundary is the VM, may leave out the namespace-specific ones. */
#define CELL_DO_UID_MAP  0x01u /* write uid/gid maps (rootless user namespace) */
#define CELL_DO_CGROUP   0x02u /* join the cgroups in cgroup_fds, then unshare the cgroup ns */
#define CELL_DO_MOUNTS   0x04u /* MOUNT_PRIVATE and the mount op program */
#define CELL_DO_HOSTNAME 0x08u
#define CELL_DO_LOOPBACK 0x10u

#define CELL_MAX_CGROUPS 8

/* Everything the cell side needs, prepared by the host side before the
 * cell starts. All pointers stay valid for the cell's life (natively they
 * are in the cloned address space; nothing here is shared back). */
struct cell_config {
    const struct plan *plan;
    uint32_t todo;     /* CELL_DO_* */
    uint32_t ns_flags; /* CLONE_NEW* flags the cell was created with (NAMESPACES detail) */
    /* errno of the namespaces the cell's process made itself before its
     * first step (natively the network and IPC namespaces, made beside the
     * supervisor's key and first events), 0 when that worked or there were
     * none: the NAMESPACES step fails with it */
    int ns_err;

    /* the workload's argv: the plan's, plus extra args when the plan allows */
    char *const *extra_args;
    size_t n_extra_args;

    /* values of the plan's CP_ENV_PASS variables, index-aligned with
     * plan->process.env (NULL: unset on the host, the variable is left out) */
    const char *const *pass_values;

    /* secret values, index-aligned with plan->secrets.items */
    const struct cell_secret_value *secrets;

    /* The cell's own user namespace. userns: the cell runs in one (natively
     * always); nested user namespaces are then disabled in it
     * (max_user_namespaces = 0). With CELL_DO_UID_MAP (rootless) the cell
     * maps the plan's ids onto host_uid/host_gid itself; otherwise the host
     * side wrote the maps before the cell started (uid_map_by_host). */
    uid_t host_uid;
    gid_t host_gid;
    bool userns;
    bool uid_map_by_host;

    /* cgroup directories to join (each holds a cgroup.procs file), and the
     * CGROUP step's detail and result (DEGRADED when a best-effort limit is
     * not enforced). */
    int cgroup_fds[CELL_MAX_CGROUPS];
    size_t n_cgroup_fds;
    uint32_t cgroup_detail;
    bool cgroup_degraded;

    /* A directory of the host tree the new root is mounted over inside the
     * cell's private mount namespace (never touched on the host). */
    const char *stage_dir;

    /* Egress (network egress, enforced outside the cell by runtime/net/):
     * the resolv.conf text placed over the root's /etc/resolv.conf by the
     * loopback step. NULL: the plan's egress cannot be enforced here and the
     * loopback step refuses it. */
    const char *resolv_conf;
    /* net_wait: before that, wait for one 'r' on net_ready_fd (the egress
     * gateway is ready; EOF: it failed, the step fails with ENETDOWN). */
    bool net_wait;
    int net_ready_fd;

    /* Where BIND sources are read from: NULL, the host's own tree (native);
     * else a directory holding a copy of the host's tree (a VM guest's
     * /sysroot), in which each source is resolved as if it were / (openat2
     * RESOLVE_IN_ROOT), so the copy's absolute symlinks, such as Debian's
     * /usr/lib64/ld-linux-x86-64.so.2 -> /lib/..., lead where they lead on
     * the host and never out of the copy. */
    const char *src_root;

    /* descriptors the cell side must keep open during set-up besides the
     * report sink's (none natively); closed before exec like every other. */
    const int *keep_fds;
    size_t n_keep_fds;

    /* Export (natively, a plan with an export section): after the workload
     * ends, the cell's PID 1 kills what is left in the cell, reports EXIT
     * and then stays alive, holding the cell's mounts, until hold_fd (the
     * read end of a pipe the supervisor writes nothing to) reaches EOF: the
     * supervisor copies the artifacts through /proc/<init>/root meanwhile
     * (runtime/export/). Only when hold is true. */
    bool hold;
    int hold_fd;

    /* The supervisor can take a seccomp listener from the workload (native:
     * it is the parent, with pidfd_getfd): the filter's kill returns become
     * SECCOMP_RET_USER_NOTIF so that it can say which call was refused
     * before it kills (cell_seccomp_load_notify). */
    bool seccomp_listener;
    /* The OCI runtime's create (runtime/oci/): with start_gate, the workload
     * stops after every set-up step but the seccomp load (after its LANDLOCK
     * record, its signals at their defaults) until one byte arrives on
     * start_fd (`cellrun start`); EOF or an error ends it with 125 and no
     * exec. start_fd is kept through the FDS step and is close-on-exec. */
    bool start_gate;
    int start_fd;
    /* `cellrun --learn`: instead of the plan's filter, one that lets the
     * cell's record write through and notifies every other call, which the
     * supervisor records and lets run (cell_seccomp_load_learn). */
    bool seccomp_learn;
};

/* Mount op program interpreter (mount_ops.c): performs every op in order,
 * reporting each as a MOUNT_OP record. On failure returns -1 with errno set
 * (the failing op's record already sent). */
int cell_mount_program(const struct cell_config *c, struct cell_report *rep);

/* The MOUNT_ATTR_* bits (mount_setattr, fsmount) of a mount op's
 * CP_MNT_RDONLY/NOSUID/NODEV/NOEXEC flags (mount_ops.c). */
unsigned cell_mount_attrs(uint16_t flags);

/* Run every step and exec the workload. In the calling process (which must
 * be PID 1 of the cell's pid namespace natively, or the guest's init) this
 * becomes the cell's init after the set-up: it forks the workload, reaps,
 * forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to it and returns
 * the exit status the init should exit with (the workload's code, 128+N for
 * signal N). On a failed step returns -1 (the failure was reported). */
int cell_run_steps(const struct cell_config *c, struct cell_report *rep);

/* Exit status for a wait status as shells report it: code, or 128+signal. */
int cell_status_to_exit(int wstatus);

/* cell_seccomp.c, for the supervisor side too: the audit arch of this
 * machine, the plan's program for it, and whether that program returns
 * SECCOMP_RET_USER_NOTIF anywhere. */
uint32_t cell_audit_arch(void);
const struct plan_sc_program *cell_seccomp_program(const struct plan *p);
bool cell_seccomp_uses_notify(const struct plan *p);

/* For a process that joins a running cell (`cellrun exec`) and must take
 * the workload's authority: capabilities (bounding, ambient, ids, then
 * every set = keep; cell_caps.c), the grants as a Landlock ruleset
 * (cell_landlock.c; needs no_new_privs; only c->plan is read; *abi: the
 * kernel's Landlock ABI, 0 for none; *degraded: applied without something
 * the ruleset wants, or not at all; -1 with errno on failure, EOPNOTSUPP
 * when the plan requires Landlock and the kernel cannot give all of it),
 * and the plan's seccomp filter, loaded last (cell_seccomp.c). */
int cell_caps_apply(uint64_t keep, uid_t uid, gid_t gid, bool set_groups);
/* Replace the inherited session keyring (cellrun's, the host's) with a
 * fresh anonymous one (cell_keyring.c); 0 also where the kernel has no
 * keyrings, -1 with errno otherwise. */
int cell_keyring_detach(void);
int cell_landlock_apply(const struct cell_config *c, uint32_t *abi, bool *degraded);
int cell_seccomp_load(const struct plan *p, uint32_t *n_insns);

/* The denial listener (docs/runtime.md, "Naming a refused call"): the
 * plan's program with every kill-process/kill-thread return turned into
 * SECCOMP_RET_USER_NOTIF, after a prefix that also notifies the cell's own
 * execve, recognised by CELL_SC_EXEC_COOKIE in its fourth argument (which
 * execve ignores), so that the workload waits in that execve until the
 * supervisor holds the listener (the listener fd is close-on-exec). Every
 * other call runs two more instructions than the plan's program. */
#define CELL_SC_EXEC_COOKIE  0x43454c4c45584543ull /* "CELLEXEC" */
#define CELL_SC_NOTIFY_EXTRA 7u                    /* instructions of the prefix */

/* Write the rewritten program into out (capacity cap instructions); returns
 * its length, or 0 when there is nothing to rewrite (no kill return), the
 * program returns A somewhere, or it would not fit. */
size_t cell_seccomp_notify_program(const struct plan_sc_program *prog, struct cp_bpf_insn *out, size_t cap);

/* Load the rewritten program with SECCOMP_FILTER_FLAG_NEW_LISTENER;
 * *listener: its fd. Where there is nothing to rewrite or the kernel refuses
 * a listener (an outer filter already has one), loads the plan's program
 * as cell_seccomp_load does, *listener = -1. */
int cell_seccomp_load_notify(const struct plan *p, uint32_t *n_insns, int *listener);

/* `cellrun --learn`: load the learning filter (every call but write(2) to
 * record_fd notifies) with a listener, *listener its fd. */
int cell_seccomp_load_learn(int record_fd, uint32_t *n_insns, int *listener);

#endif
