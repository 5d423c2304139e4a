/*
 * cell_landlock.c - the Landlock step (cell side): the plan's filesystem
 * grants as a Landlock ruleset, applied to the workload after no_new_privs
 * and just before seccomp, with raw syscalls (no liblandlock).
 *
 * The ruleset is derived here, at run time, from the plan's mount op
 * program (no plan section of its own): after PIVOT_ROOT every grant's dst
 * is a path of the new root. Each op that mounts something gets a rule on
 * its dst, with the access its *planned* flags allow (the REMOUNT ops of
 * the same dst included), never what the mount table says, so that a mount
 * the set-up got wrong (a bind left writable) is still held by this wall:
 *  - bind of a host tree: read-only -> read files, list dirs, execute
 *    (not with NOEXEC); writable -> also every write right but making
 *    device nodes;
 *  - tmpfs, workspace: the same by their flags (writable unless remounted
 *    read-only);
 *  - proc: read files and list dirs;
 *  - devnode, devpts: read, write, truncate, device ioctls;
 *  - the cell's root: list directories only (inherited below it, this
 *    adds listing the plan's own layout: the root, mkdir'd directories,
 *    masks); nothing in it can be read, written, created or executed;
 *  - mkdir'd directories, symlinks, masks: nothing of their own;
 *  - the directories holding file secrets: read;
 *  - the files the workload already holds as fds 0-2 and passed fds (a host
 *    file, the caller's terminal): reopening the same file by path
 *    (/dev/stdout) with the access the fd has; pipes and sockets need none.
 * With `network none` TCP bind and connect are handled with no rule (none
 * allowed); with loopback or egress the network is not handled (Landlock
 * matches ports, not addresses, and the policy allows every port on lo).
 * Abstract unix sockets and signals are scoped to the workload's domain.
 *
 * ABI: the kernel's version decides what is handled (best effort); a right
 * the ruleset wants but the ABI lacks makes the step DEGRADED, and so does
 * a kernel without Landlock; with CP_PROC_LANDLOCK_REQUIRED either fails
 * the step (EOPNOTSUPP) and the cell stops. ABI 7 adds only audit-log
 * flags, left at the kernel's defaults.
 *
 * Test builds only (-DCELLOS_TEST_KNOBS, never cellrun or the VM guest):
 * CELLOS_TEST_LANDLOCK_ABI=N pretends the kernel's ABI is at most N.
 */
#include "cell_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule       445
#define SYS_landlock_restrict_self  446
#endif

/* The kernel's UAPI (linux/landlock.h), spelled out: the build host's
 * headers may predate the network and scope fields. Passing the whole
 * struct is fine on older kernels as long as the fields they lack are 0. */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};
struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_RULESET_VERSION 1u
#define LL_RULE_PATH_BENEATH      1

#define LL_FS_EXECUTE     (1ull << 0)
#define LL_FS_WRITE_FILE  (1ull << 1)
#define LL_FS_READ_FILE   (1ull << 2)
#define LL_FS_READ_DIR    (1ull << 3)
#define LL_FS_REMOVE_DIR  (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR   (1ull << 6)
#define LL_FS_MAKE_DIR    (1ull << 7)
#define LL_FS_MAKE_REG    (1ull << 8)
#define LL_FS_MAKE_SOCK   (1ull << 9)
#define LL_FS_MAKE_FIFO   (1ull << 10)
#define LL_FS_MAKE_BLOCK  (1ull << 11)
#define LL_FS_MAKE_SYM    (1ull << 12)
#define LL_FS_REFER       (1ull << 13) /* ABI 2 */
#define LL_FS_TRUNCATE    (1ull << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV   (1ull << 15) /* ABI 5 */
#define LL_NET_BIND_TCP   (1ull << 0)  /* ABI 4 */
#define LL_NET_CONNECT    (1ull << 1)  /* ABI 4 */
#define LL_SCOPE_ABSTRACT (1ull << 0)  /* ABI 6 */
#define LL_SCOPE_SIGNAL   (1ull << 1)  /* ABI 6 */

#define LL_FS_ABI1 ((1ull << 13) - 1)
#define LL_FS_ALL  (LL_FS_ABI1 | LL_FS_REFER | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
/* rights a rule on a file (not a directory) may carry */
#define LL_FS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define LL_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_WRITE                                                                                             \
    (LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |             \
     LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE)
#define LL_DEVICE (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* The ABI this kernel offers (0: no Landlock, or disabled at boot). */
static int kernel_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 0)
        abi = 0;
#ifdef CELLOS_TEST_KNOBS
    const char *knob = getenv("CELLOS_TEST_LANDLOCK_ABI");
    if (knob && *knob) {
        long k = atol(knob);
        if (k >= 0 && k < abi)
            abi = k;
    }
#endif
    return (int)abi;
}

static uint64_t fs_for_abi(int abi)
{
    uint64_t fs = LL_FS_ABI1;
    if (abi >= 2)
        fs |= LL_FS_REFER;
    if (abi >= 3)
        fs |= LL_FS_TRUNCATE;
    if (abi >= 5)
        fs |= LL_FS_IOCTL_DEV;
    return fs;
}

/* The flags a mount op's dst ends up with: its own, and those of every
 * later REMOUNT of the same dst (a remount only ever adds flags). */
static uint16_t planned_flags(const struct plan *p, size_t i)
{
    uint16_t f = p->fs.ops[i].flags;
    for (size_t j = i + 1; j < p->fs.n_ops; j++)
        if (p->fs.ops[j].opcode == CP_OP_REMOUNT && !strcmp(p->fs.ops[j].dst, p->fs.ops[i].dst))
            f |= p->fs.ops[j].flags;
    return f;
}

/* The access a mount op grants beneath its dst; 0: no rule of its own. */
static uint64_t op_access(const struct plan *p, size_t i)
{
    const struct plan_mount_op *op = &p->fs.ops[i];
    uint16_t f = planned_flags(p, i);
    uint64_t exec = (f & CP_MNT_NOEXEC) ? 0 : LL_FS_EXECUTE;
    switch (op->opcode) {
    case CP_OP_BIND:
    case CP_OP_TMPFS:
    case CP_OP_WORKSPACE: return LL_READ | exec | ((f & CP_MNT_RDONLY) ? 0 : LL_WRITE);
    case CP_OP_PROC: return LL_READ;
    case CP_OP_DEVNODE: return LL_DEVICE;
    case CP_OP_DEVPTS: return LL_DEVICE | LL_FS_READ_DIR;
    default: return 0;
    }
}

/* One rule on the object fd refers to, narrowed to what the ruleset handles
 * and, for anything but a directory, to the rights a file rule may hold. */
static int add_rule(int ruleset, int fd, uint64_t access, uint64_t handled)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        access &= LL_FS_FILE;
    access &= handled;
    if (!access)
        return 0;
    struct ll_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };
    return (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
}

/* A grant's dst opened with the workload's own credentials (this step runs
 * after caps): one it cannot reach (absent, hidden by a later mount, below a
 * directory it may not search) gets no rule. Leaving a rule out only ever
 * takes access away: Landlock then gives that place no more than an
 * enclosing grant does, and the workload could not open it by path now. */
static int add_path_rule(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
    int fd = cell_open_in_root(path, O_PATH);
    if (fd < 0)
        return (errno == ENOENT || errno == EACCES || errno == ENOTDIR || errno == ELOOP) ? 0 : -1;
    int r = add_rule(ruleset, fd, access, handled);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* An fd the workload holds: the same file may be reopened with its access.
 * Pipes, sockets and anonymous inodes cannot carry a rule (EBADFD) and
 * need none: Landlock does not restrict reopening them. */
static int add_fd_rule(int ruleset, int fd, uint64_t handled)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return 0; /* not open */
    struct stat st;
    if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
        return 0;
    uint64_t a = 0;
    if ((fl & O_ACCMODE) != O_WRONLY)
        a |= LL_FS_READ_FILE;
    if ((fl & O_ACCMODE) != O_RDONLY)
        a |= LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
    if (S_ISCHR(st.st_mode))
        a |= LL_FS_IOCTL_DEV;
    if (add_rule(ruleset, fd, a, handled) < 0)
        return errno == EBADFD ? 0 : -1;
    return 0;
}

static int add_rules(const struct cell_config *c, int ruleset, uint64_t handled)
{
    const struct plan *p = c->plan;
    if (add_path_rule(ruleset, "/", LL_FS_READ_DIR, handled) < 0)
        return -1;
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        uint64_t a = op_access(p, i);
        if (a && add_path_rule(ruleset, p->fs.ops[i].dst, a, handled) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        const struct plan_secret *s = &p->secrets.items[i];
        if (s->delivery == CP_SECRET_FILE && add_path_rule(ruleset, s->target, LL_FS_READ_FILE, handled) < 0)
            return -1;
    }
    for (int fd = 0; fd <= 2; fd++)
        if (add_fd_rule(ruleset, fd, handled) < 0)
            return -1;
    for (size_t i = 0; i < p->process.n_pass_fds; i++)
        if (add_fd_rule(ruleset, (int)p->process.pass_fds[i], handled) < 0)
            return -1;
    return 0;
}

int cell_landlock_apply(const struct cell_config *c, uint32_t *abi_out, bool *degraded)
{
    const struct plan *p = c->plan;
    bool required = p->process.flags & CP_PROC_LANDLOCK_REQUIRED;
    int abi = kernel_abi();
    *abi_out = (uint32_t)abi;
    *degraded = false;

    struct ll_ruleset_attr want = {
        .handled_access_fs = LL_FS_ALL,
        .handled_access_net = p->net.mode == CP_NET_NONE ? LL_NET_BIND_TCP | LL_NET_CONNECT : 0,
        .scoped = LL_SCOPE_ABSTRACT | LL_SCOPE_SIGNAL,
    };
    struct ll_ruleset_attr have = {
        .handled_access_fs = abi >= 1 ? fs_for_abi(abi) : 0,
        .handled_access_net = abi >= 4 ? want.handled_access_net : 0,
        .scoped = abi >= 6 ? want.scoped : 0,
    };
    if (abi < 1 || have.handled_access_fs != want.handled_access_fs ||
        have.handled_access_net != want.handled_access_net || have.scoped != want.scoped) {
        if (required) {
            errno = EOPNOTSUPP; /* fail closed: the policy asked for the whole wall */
            return -1;
        }
        *degraded = true;
        if (abi < 1)
            return 0; /* nothing to apply */
    }

    int rs = (int)syscall(SYS_landlock_create_ruleset, &have, sizeof have, 0);
    if (rs < 0)
        return -1;
    int r = add_rules(c, rs, have.handled_access_fs);
    if (r == 0)
        r = (int)syscall(SYS_landlock_restrict_self, rs, 0);
    int e = errno;
    close(rs);
    errno = e;
    return r < 0 ? -1 : 0;
}
