/*
 * mount_ops.c - the interpreter of the plan's mount op program (cell side).
 *
 * Runs inside the cell's private mount namespace (after MOUNT_PRIVATE) and
 * builds the cell's root on a fresh tmpfs, one op at a time, reporting each
 * as a MOUNT_OP record. Invariants:
 *  - every dst is resolved beneath the new root with openat2(RESOLVE_IN_ROOT
 *    | RESOLVE_NO_MAGICLINKS): a symlink in the tree can never lead a mount
 *    or a write outside the root, and a final component that is a symlink is
 *    refused (ELOOP) rather than followed;
 *  - mounts are made with the new mount API on descriptors (open_tree,
 *    fsopen/fsmount, move_mount, mount_setattr), so the object resolved is
 *    the object mounted on: there is no window between check and use;
 *  - missing mount points and MKDIR/SYMLINK ops only ever create entries on
 *    mounts this program made fresh (tmpfs); never inside a bind of a host
 *    directory, so the host tree is never written;
 *  - no host mount is ever touched: everything happens in the cell's own
 *    mount namespace, which dies with the cell.
 */
#include "cell_int.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FRESH 256

struct mount_state {
    const struct cell_config *c;
    int rootfd; /* O_PATH of the new root */
    bool pivoted;
    uint64_t fresh[MAX_FRESH]; /* mount ids of mounts made here from scratch */
    size_t n_fresh;
    int *srcfd;    /* per op: the host tree cloned before any mount (or -1) */
    int *srcerr;   /* per op: errno of that clone when it failed */
    bool *skipped; /* per op: it was skipped (an OPTIONAL op, absent) */
    int mask_src;  /* the file masks' tmpfs, attached under the stage until
                    * the pivot detaches it with the old root (or -1) */
};

/* The mount id and whether fd is the root of its mount. */
static int fd_mount_info(int fd, uint64_t *mnt_id, bool *mount_root)
{
    struct statx st;
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_TYPE, &st) < 0)
        return -1;
    if (mnt_id) {
        if (!(st.stx_mask & STATX_MNT_ID)) {
            errno = ENOSYS;
            return -1;
        }
        *mnt_id = st.stx_mnt_id;
    }
    if (mount_root)
        *mount_root = (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    return 0;
}

static int note_fresh(struct mount_state *s, int mfd)
{
    uint64_t id;
    if (fd_mount_info(mfd, &id, NULL) < 0)
        return -1;
    if (s->n_fresh >= MAX_FRESH) {
        errno = E2BIG;
        return -1;
    }
    s->fresh[s->n_fresh++] = id;
    return 0;
}

/* May entries be created in the directory fd? Only on our own fresh mounts. */
static int may_create_in(struct mount_state *s, int dirfd)
{
    uint64_t id;
    if (fd_mount_info(dirfd, &id, NULL) < 0)
        return -1;
    for (size_t i = 0; i < s->n_fresh; i++)
        if (s->fresh[i] == id)
            return 0;
    errno = EROFS; /* a bind of the host: never written by set-up */
    return -1;
}

/* Open `path` (absolute, normalised, as the cell sees it) beneath the new
 * root. The final component is not followed when it is a symlink: with
 * O_PATH|O_NOFOLLOW the link itself is opened, and refused here. */
static int open_in_root(int rootfd, const char *path, int oflags)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(oflags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char *rel = (path[0] == '/' && path[1]) ? path + 1 : ".";
    int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return sys_close_quiet(fd);
    if (S_ISLNK(st.st_mode)) {
        close(fd);
        errno = ELOOP;
        return -1;
    }
    return fd;
}

/* Split "/a/b/c" into parent "/a/b" (in buf) and base "c". */
static int split_path(const char *path, char *parent, size_t n, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash || !slash[1]) {
        errno = EINVAL;
        return -1;
    }
    size_t plen = (size_t)(slash - path);
    if (plen == 0)
        plen = 1; /* parent of "/x" is "/" */
    if (plen >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(parent, path, plen);
    parent[plen] = 0;
    *base = slash + 1;
    return 0;
}

/* Open the parent directory of path, creating missing ancestors (mode
 * 0755) on fresh mounts only. Returns an O_PATH directory fd. */
static int open_parent(struct mount_state *s, const char *path, const char **base, int depth)
{
    char parent[CP_MAX_PATH + 1];
    if (split_path(path, parent, sizeof parent, base) < 0)
        return -1;
    int fd = open_in_root(s->rootfd, parent, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    if (depth > 256) {
        errno = ELOOP;
        return -1;
    }
    const char *pbase;
    int gfd = open_parent(s, parent, &pbase, depth + 1);
    if (gfd < 0)
        return -1;
    if (may_create_in(s, gfd) < 0)
        return sys_close_quiet(gfd);
    if (mkdirat(gfd, pbase, 0755) < 0 && errno != EEXIST)
        return sys_close_quiet(gfd);
    close(gfd);
    return open_in_root(s->rootfd, parent, O_PATH | O_DIRECTORY);
}

/* An O_PATH fd of the mount point at path, created (directory or empty
 * file) when missing, on a fresh mount only. */
static int mount_point(struct mount_state *s, const char *path, bool want_dir)
{
    int fd = open_in_root(s->rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT)
        goto check;
    const char *base;
    int pfd = open_parent(s, path, &base, 0);
    if (pfd < 0)
        return -1;
    if (may_create_in(s, pfd) < 0)
        return sys_close_quiet(pfd);
    if (want_dir) {
        if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
            return sys_close_quiet(pfd);
    } else {
        /* mknodat of a regular file: creates, never opens or follows */
        if (mknodat(pfd, base, S_IFREG | 0444, 0) < 0 && errno != EEXIST)
            return sys_close_quiet(pfd);
    }
    close(pfd);
    fd = open_in_root(s->rootfd, path, O_PATH);
check:
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return sys_close_quiet(fd);
    if (want_dir != !!S_ISDIR(st.st_mode)) {
        close(fd);
        errno = want_dir ? ENOTDIR : EISDIR;
        return -1;
    }
    return fd;
}

/* Take the host tree cloned for op i in phase 0 (ownership moves to the
 * caller). ENOENT for an OPTIONAL op is "skip". */
static int take_src(struct mount_state *s, size_t i)
{
    int fd = s->srcfd[i];
    s->srcfd[i] = -1;
    if (fd < 0)
        errno = s->srcerr[i] ? s->srcerr[i] : EBADF;
    return fd;
}

static int attach(int mfd, int target)
{
    return move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

unsigned cell_mount_attrs(uint16_t f)
{
    unsigned a = 0;
    if (f & CP_MNT_RDONLY)
        a |= MOUNT_ATTR_RDONLY;
    if (f & CP_MNT_NOSUID)
        a |= MOUNT_ATTR_NOSUID;
    if (f & CP_MNT_NODEV)
        a |= MOUNT_ATTR_NODEV;
    if (f & CP_MNT_NOEXEC)
        a |= MOUNT_ATTR_NOEXEC;
    return a;
}

/* A new detached filesystem instance (tmpfs, proc, devpts) as a mount fd. */
static int new_fs(const char *type, uint64_t size, int mode, const char *const *opts, unsigned attrs)
{
    int fs = fsopen(type, FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    char buf[32];
    if (size) {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)size);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", buf, 0) < 0)
            return sys_close_quiet(fs);
    }
    if (mode >= 0) {
        snprintf(buf, sizeof buf, "%o", (unsigned)mode);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", buf, 0) < 0)
            return sys_close_quiet(fs);
    }
    for (; opts && opts[0]; opts += 2) /* {key, value}; value NULL: a flag */
        if ((opts[1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0)
                     : fsconfig(fs, FSCONFIG_SET_FLAG, opts[0], NULL, 0)) < 0)
            return sys_close_quiet(fs);
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return sys_close_quiet(fs);
    int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    sys_close_quiet(fs);
    return m;
}

/* A tmpfs of the plan (rootfs, tmpfs, workspace), its inodes bounded too.
 * `size` bounds only the data: every inode (an empty file, a directory, a
 * symlink) costs about 1 KiB of kernel memory beside it, and tmpfs allows
 * half of RAM's pages as inodes by default. A "64MiB" /tmp took 300000
 * empty files and 300 MB of slab in 1.6 s here, and could go on for
 * gigabytes (only a memory limit, when the plan has one, bounds that).
 * One inode per KiB of size, at least 1024, keeps a tmpfs's whole footprint
 * within about twice its size (escape probe tmpfs_inodes). A size of 0
 * (none) keeps the kernel's defaults for both. */
static int plan_tmpfs(uint64_t size, int mode, unsigned attrs)
{
    if (!size)
        return new_fs("tmpfs", 0, mode, NULL, attrs);
    char n[24];
    uint64_t k = size / 1024;
    snprintf(n, sizeof n, "%llu", (unsigned long long)(k < 1024 ? 1024 : k));
    const char *const opts[] = { "nr_inodes", n, NULL, NULL };
    return new_fs("tmpfs", size, mode, opts, attrs);
}

/* Mount a fresh filesystem on the directory dst (created if needed). */
static int mount_fresh_at(struct mount_state *s, const char *dst, int mfd)
{
    int t = mount_point(s, dst, true);
    if (t < 0)
        return sys_close_quiet(mfd);
    int r = attach(mfd, t);
    sys_close_quiet(t);
    if (r < 0)
        return sys_close_quiet(mfd);
    r = note_fresh(s, mfd);
    sys_close_quiet(mfd);
    return r;
}

static int op_rootfs(struct mount_state *s, const struct plan_mount_op *op)
{
    if (s->rootfd >= 0) { /* a second ROOTFS would shadow the first */
        errno = EINVAL;
        return -1;
    }
    int m = plan_tmpfs(op->size, (int)op->mode, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (m < 0)
        return -1;
    int stage = open(s->c->stage_dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (stage < 0)
        return sys_close_quiet(m);
    int r = attach(m, stage);
    sys_close_quiet(stage);
    if (r < 0 || note_fresh(s, m) < 0)
        return sys_close_quiet(m);
    s->rootfd = openat(m, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    sys_close_quiet(m);
    return s->rootfd < 0 ? -1 : 0;
}

static int op_mkdir(struct mount_state *s, const struct plan_mount_op *op)
{
    const char *base;
    int p = open_parent(s, op->dst, &base, 0);
    if (p < 0)
        return -1;
    if (may_create_in(s, p) < 0)
        return sys_close_quiet(p);
    if (mkdirat(p, base, (mode_t)op->mode) < 0) {
        if (errno != EEXIST)
            return sys_close_quiet(p);
        sys_close_quiet(p);
        int d = open_in_root(s->rootfd, op->dst, O_PATH | O_DIRECTORY);
        return d < 0 ? -1 : (close(d), 0);
    }
    /* set the exact mode (umask is 0 on the cell side, but be explicit) */
    int d = openat(p, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    sys_close_quiet(p);
    if (d < 0)
        return -1;
    int r = fchmod(d, (mode_t)op->mode);
    sys_close_quiet(d);
    return r;
}

/* BIND and DEVNODE: clone the host tree at src and attach it at dst. */
static int op_bind(struct mount_state *s, const struct plan_mount_op *op, size_t idx, bool device,
                   bool *skipped)
{
    int tree = take_src(s, idx);
    if (tree < 0) {
        if (errno == ENOENT && (op->flags & CP_MNT_OPTIONAL)) {
            *skipped = true;
            return 0;
        }
        return -1;
    }
    struct stat st;
    if (fstat(tree, &st) < 0)
        return sys_close_quiet(tree);
    if (device && !S_ISCHR(st.st_mode)) {
        close(tree);
        errno = ENODEV;
        return -1;
    }
    if (device) {
        /* the node is the host's inode: a cell uid that owns it (uid 0 in
         * root mode) could chmod or chown it on a writable mount, changing
         * the host's /dev/null; a read-only mount refuses that (EROFS),
         * while reads and writes of the device itself go on */
        struct mount_attr a;
        memset(&a, 0, sizeof a);
        a.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
        if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
            return sys_close_quiet(tree);
    }
    int t = mount_point(s, op->dst, S_ISDIR(st.st_mode));
    if (t < 0)
        return sys_close_quiet(tree);
    int r = attach(tree, t);
    sys_close_quiet(t);
    sys_close_quiet(tree);
    return r;
}

static int op_tmpfs(struct mount_state *s, const struct plan_mount_op *op, bool workspace)
{
    int m = plan_tmpfs(op->size, (int)op->mode, cell_mount_attrs(op->flags));
    if (m < 0)
        return -1;
    /* the workspace and every tmpfs the policy writes (line != 0; not the
     * implied ones such as /dev's) belong to the cell's uid and gid */
    if (workspace || op->line != 0) {
        const struct plan *p = s->c->plan;
        if (fchownat(m, "", p->process.uid, p->process.gid, AT_EMPTY_PATH) < 0)
            return sys_close_quiet(m);
    }
    return mount_fresh_at(s, op->dst, m);
}

/* proc is mounted read-only. Its generic entries (/proc/kpageflags,
 * /proc/meminfo, /proc/tty/driver ...) keep one mode and owner for every
 * proc instance of the host: a chmod in the cell's proc rewrites the
 * kernel's entry, and every proc mounted afterwards (the host's, other
 * cells') shows it. The owner is host root, and so is the cell's uid 0
 * (identity maps), so without a read-only mount a root workload without
 * any capability could make root-only kernel state world-readable, or
 * hide /proc/meminfo from the host's users, for good (escape probe
 * proc_chmod). Landlock does not cover chmod; it already refuses every
 * write to /proc, so the workload loses nothing it had. */
static int op_proc(struct mount_state *s, const struct plan_mount_op *op)
{
    unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
#ifdef CELLOS_TEST_KNOBS
    /* test builds only: the simulated set-up bug of op_remount, for proc
     * (runtime_landlock.t: Landlock still refuses every write there) */
    const char *bug = getenv("CELLOS_TEST_WRITABLE_MOUNT");
    if (bug && !strcmp(bug, op->dst))
        attrs &= ~(unsigned)MOUNT_ATTR_RDONLY;
#endif
    int m = new_fs("proc", 0, -1, NULL, attrs);
    if (m < 0)
        return -1;
    int t = mount_point(s, op->dst, true);
    if (t < 0)
        return sys_close_quiet(m);
    int r = attach(m, t);
    sys_close_quiet(t);
    sys_close_quiet(m);
    return r;
}

/* The cell's devpts holds at most 256 ptys. Every devpts instance but the
 * host's first draws from one pool (kernel.pty.max less kernel.pty.reserve:
 * 3072 by default), so without a bound one cell took all of it (3071 ptys
 * from one process here) and no other cell or container of the host could
 * get a terminal until it ended (escape probe devpts_max). */
static int op_devpts(struct mount_state *s, const struct plan_mount_op *op)
{
    static const char *const opts[] = { "ptmxmode", "0666", "mode", "0620", "max", "256", NULL };
    int m = new_fs("devpts", 0, -1, opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    if (m < 0)
        return -1;
    int t = mount_point(s, op->dst, true);
    if (t < 0)
        return sys_close_quiet(m);
    int r = attach(m, t);
    sys_close_quiet(t);
    sys_close_quiet(m);
    return r;
}

/* Is the mount at dst one that came from a RECURSIVE bind (so a REMOUNT
 * must reach the host submounts it brought along)? */
static bool from_rbind(const struct plan *p, size_t upto, const char *dst)
{
    bool r = false;
    for (size_t i = 0; i < upto; i++) {
        const struct plan_mount_op *o = &p->fs.ops[i];
        if (strcmp(o->dst, dst) != 0)
            continue;
        r = o->opcode == CP_OP_BIND && (o->flags & CP_MNT_RECURSIVE);
    }
    return r;
}


/* Does an op at dst target only what a skipped OPTIONAL op would have
 * mounted? True when the last op before `upto` placing something at exactly
 * dst was skipped (e.g. the REMOUNT that makes an optional bind read-only),
 * or, when dst does not exist (errno ENOENT from the caller), when it lies
 * beneath the dst of a skipped op. Such an op is skipped too. */
static bool targets_skipped(const struct mount_state *s, size_t upto, const char *dst, bool absent)
{
    const struct plan *p = s->c->plan;
    for (size_t i = upto; i-- > 0;) {
        const struct plan_mount_op *o = &p->fs.ops[i];
        bool mounts = o->opcode == CP_OP_BIND || o->opcode == CP_OP_DEVNODE || o->opcode == CP_OP_MASK ||
            o->opcode == CP_OP_TMPFS || o->opcode == CP_OP_WORKSPACE || o->opcode == CP_OP_PROC ||
            o->opcode == CP_OP_DEVPTS;
        if (mounts && strcmp(o->dst, dst) == 0)
            return s->skipped[i];
    }
    if (!absent)
        return false;
    for (size_t i = 0; i < upto; i++)
        if (s->skipped[i] && sys_path_within(dst, p->fs.ops[i].dst))
            return true;
    return false;
}

static int op_remount(struct mount_state *s, const struct plan_mount_op *op, size_t idx, bool *skipped)
{
    if (targets_skipped(s, idx, op->dst, false)) {
        *skipped = true; /* the optional mount it belongs to is absent */
        return 0;
    }
    int t = open_in_root(s->rootfd, op->dst, O_PATH);
    if (t < 0) {
        if (errno == ENOENT && targets_skipped(s, idx, op->dst, true)) {
            *skipped = true;
            return 0;
        }
        return -1;
    }
    bool is_root;
    if (fd_mount_info(t, NULL, &is_root) < 0)
        return sys_close_quiet(t);
    if (!is_root) {
        /* make dst a mount of its own first, so only dst changes */
        int self = open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (self < 0)
            return sys_close_quiet(t);
        int r = attach(self, t);
        sys_close_quiet(self);
        sys_close_quiet(t);
        if (r < 0)
            return -1;
        t = open_in_root(s->rootfd, op->dst, O_PATH);
        if (t < 0)
            return -1;
    }
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = cell_mount_attrs(op->flags);
#ifdef CELLOS_TEST_KNOBS
    /* test builds only: simulate a set-up bug that leaves one read-only
     * mount writable (tests/e2e/runtime_landlock.t: Landlock must hold) */
    const char *bug = getenv("CELLOS_TEST_WRITABLE_MOUNT");
    if (bug && !strcmp(bug, op->dst))
        a.attr_set &= ~(uint64_t)MOUNT_ATTR_RDONLY;
#endif
    unsigned fl = AT_EMPTY_PATH;
    if (from_rbind(s->c->plan, idx, op->dst))
        fl |= AT_RECURSIVE;
    int r = mount_setattr(t, "", fl, &a, sizeof a);
    sys_close_quiet(t);
    return r;
}

/* Op idx's own empty read-only file, cloned from the file masks' tmpfs
 * while it is attached (before the pivot); EBADF after. */
static void mask_clone(struct mount_state *s, size_t idx)
{
    if (s->mask_src < 0) {
        s->srcerr[idx] = EBADF;
        return;
    }
    s->srcfd[idx] = open_tree(s->mask_src, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (s->srcfd[idx] < 0)
        s->srcerr[idx] = errno;
}

/* Before the pivot: a clone for every later MASK whose dst may be a file
 * then. Only a mask over an existing non-directory uses one; a dst absent
 * now is absent after the pivot too (only REMOUNT, MASK and CHDIR may
 * follow it, and none creates a path), and a directory stays one. Every
 * other case (a dst that cannot be looked at now) gets a clone too, so a
 * mask never lacks its file; one left unused costs only its close. Not
 * cloning blindly matters: each clone nobody uses is a detached mount
 * whose close waits for an RCU grace period (40-100 us on the bench
 * machine, at times milliseconds), on the set-up's path. */
static void mask_clones_for_pivot(struct mount_state *s, size_t pivot_idx)
{
    const struct plan *p = s->c->plan;
    for (size_t i = pivot_idx + 1; i < p->fs.n_ops; i++) {
        if (p->fs.ops[i].opcode != CP_OP_MASK || s->srcfd[i] >= 0 || s->srcerr[i])
            continue;
        int t = open_in_root(s->rootfd, p->fs.ops[i].dst, O_PATH);
        struct stat st;
        bool need = true;
        if (t < 0 && errno == ENOENT)
            need = false;
        else if (t >= 0 && fstat(t, &st) == 0 && S_ISDIR(st.st_mode))
            need = false;
        sys_close_quiet(t);
        if (need)
            mask_clone(s, i);
    }
}

static int op_mask(struct mount_state *s, const struct plan_mount_op *op, size_t idx, bool *skipped)
{
    int t = open_in_root(s->rootfd, op->dst, O_PATH);
    if (t < 0) {
        if (errno == ENOENT && ((op->flags & CP_MNT_OPTIONAL) || targets_skipped(s, idx, op->dst, true))) {
            *skipped = true;
            return 0;
        }
        return -1;
    }
    struct stat st;
    if (fstat(t, &st) < 0)
        return sys_close_quiet(t);
    int m;
    if (S_ISDIR(st.st_mode)) {
        /* an empty directory: read-only mount of a read-only superblock */
        static const char *const opts[] = { "nr_inodes", "1", "ro", NULL, NULL };
        m = new_fs("tmpfs", 4096, 0555, opts,
                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    } else {
        if (s->srcfd[idx] < 0 && !s->srcerr[idx])
            mask_clone(s, idx); /* a mask before the pivot */
        m = take_src(s, idx);   /* an empty read-only file (mask_file_sources) */
    }
    if (m < 0)
        return sys_close_quiet(t);
    int r = attach(m, t);
    sys_close_quiet(m);
    sys_close_quiet(t);
    return r;
}

static int op_symlink(struct mount_state *s, const struct plan_mount_op *op)
{
    const char *base;
    int p = open_parent(s, op->dst, &base, 0);
    if (p < 0)
        return -1;
    if (may_create_in(s, p) < 0)
        return sys_close_quiet(p);
    if (symlinkat(op->src, p, base) < 0) {
        if (errno != EEXIST)
            return sys_close_quiet(p);
        char have[CP_MAX_PATH + 1];
        ssize_t n = readlinkat(p, base, have, sizeof have - 1);
        sys_close_quiet(p);
        if (n < 0)
            return -1;
        have[n] = 0;
        if (strcmp(have, op->src) != 0) {
            errno = EEXIST;
            return -1;
        }
        return 0;
    }
    sys_close_quiet(p);
    return 0;
}

static int op_pivot(struct mount_state *s, size_t idx)
{
    mask_clones_for_pivot(s, idx);
    if (fchdir(s->rootfd) < 0)
        return -1;
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return -1;
    /* the old root is now stacked on "."; detach it (and every host mount,
     * and the file masks' tmpfs under the stage) */
    if (umount2(".", MNT_DETACH) < 0)
        return -1;
    s->mask_src = sys_close_quiet(s->mask_src);
    if (chdir("/") < 0)
        return -1;
    sys_close_quiet(s->rootfd);
    s->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    s->pivoted = true;
    return s->rootfd < 0 ? -1 : 0;
}

static int op_chdir(struct mount_state *s, const struct plan_mount_op *op)
{
    int d = open_in_root(s->rootfd, op->dst, O_PATH | O_DIRECTORY);
    if (d < 0)
        return -1;
    int r = fchdir(d);
    sys_close_quiet(d);
    return r;
}

static int run_op(struct mount_state *s, size_t i, bool *skipped)
{
    const struct plan_mount_op *op = &s->c->plan->fs.ops[i];
    if (op->opcode != CP_OP_ROOTFS && s->rootfd < 0) {
        errno = EINVAL; /* the program must start with ROOTFS */
        return -1;
    }
    switch (op->opcode) {
    case CP_OP_ROOTFS: return op_rootfs(s, op);
    case CP_OP_MKDIR: return op_mkdir(s, op);
    case CP_OP_BIND: return op_bind(s, op, i, false, skipped);
    case CP_OP_TMPFS: return op_tmpfs(s, op, false);
    case CP_OP_WORKSPACE: return op_tmpfs(s, op, true);
    case CP_OP_REMOUNT: return op_remount(s, op, i, skipped);
    case CP_OP_PROC: return op_proc(s, op);
    case CP_OP_DEVNODE: return op_bind(s, op, i, true, skipped);
    case CP_OP_DEVPTS: return op_devpts(s, op);
    case CP_OP_MASK: return op_mask(s, op, i, skipped);
    case CP_OP_SYMLINK: return op_symlink(s, op);
    case CP_OP_PIVOT_ROOT: return op_pivot(s, i);
    case CP_OP_CHDIR: return op_chdir(s, op);
    }
    errno = EINVAL;
    return -1;
}

/* The source of file MASKs' files: an empty regular file (0444) on a tiny
 * tmpfs whose superblock is read-only, cloned per MASK with the mount flags
 * rdonly, nosuid, nodev and noexec. Reading a masked file gives nothing
 * (EOF); opening it for writing fails (EROFS) whatever the opener's
 * capabilities over files (CAP_DAC_OVERRIDE included), and a bind remount
 * read-write would not help (the superblock itself is read-only). There is
 * no device behind it at all, so unlike a /dev/null bind (which stays
 * writable on a read-only mount) nothing written can land anywhere.
 * open_tree() cannot clone from a detached mount on the kernels we support,
 * so the tmpfs is attached over the stage directory (in the cell's own
 * private mount namespace, before the root is built there, which then
 * covers it) and stays there until the pivot detaches it with the old
 * root: the clones are taken just before the pivot, only for the masks
 * that will use one (mask_clones_for_pivot), or at a MASK before it. A
 * failure here is recorded per MASK op (reported by the op, skipped for an
 * optional mask of an absent path). */
static int mask_file_sources(struct mount_state *s)
{
    const struct plan *p = s->c->plan;
    bool any = false;
    for (size_t i = 0; i < p->fs.n_ops; i++)
        any |= p->fs.ops[i].opcode == CP_OP_MASK;
    if (!any)
        return 0;
    static const char *const opts[] = { "nr_inodes", "2", NULL };
    int m = new_fs("tmpfs", 4096, 0555, opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    int stage = -1, fsfd = -1;
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_RDONLY;
    if (m < 0 || mknodat(m, "empty", S_IFREG | 0444, 0) < 0 ||
        (fsfd = fspick(m, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC)) < 0 ||
        fsconfig(fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
        fsconfig(fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0 ||
        mount_setattr(m, "", AT_EMPTY_PATH, &a, sizeof a) < 0 ||
        (stage = open(s->c->stage_dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
        attach(m, stage) < 0) {
        int err = errno;
        sys_close_quiet(fsfd);
        sys_close_quiet(stage);
        sys_close_quiet(m);
        for (size_t i = 0; i < p->fs.n_ops; i++)
            if (p->fs.ops[i].opcode == CP_OP_MASK)
                s->srcerr[i] = err;
        return 0;
    }
    sys_close_quiet(fsfd);
    sys_close_quiet(stage);
    s->mask_src = m; /* attached: closing it later detaches nothing */
    return 0;
}

/* Clone the tree at `path` resolved inside root as if root were / (every
 * symlink on the way, absolute ones included, stays inside it), as the
 * host would resolve it in its own tree. */
static int clone_in_root(int root, const char *path, unsigned fl)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char *rel = (path[0] == '/' && path[1]) ? path + 1 : ".";
    int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof how);
    if (fd < 0)
        return -1;
    int t = open_tree(fd, "", fl | AT_EMPTY_PATH);
    int saved = errno;
    close(fd);
    errno = saved;
    return t;
}

/* Phase 0: clone every host tree the program uses (BIND and DEVNODE
 * sources) before the first mount of the program can shadow it (the new
 * root is mounted over a host directory, e.g. /tmp, and later ops run after
 * the host root is detached), and make the sources of file MASKs. */
static int clone_sources(struct mount_state *s)
{
    const struct plan *p = s->c->plan;
    s->srcfd = malloc(p->fs.n_ops * sizeof *s->srcfd);
    s->srcerr = calloc(p->fs.n_ops, sizeof *s->srcerr);
    s->skipped = calloc(p->fs.n_ops, sizeof *s->skipped);
    if (!s->srcfd || !s->srcerr || !s->skipped)
        return -1;
    for (size_t i = 0; i < p->fs.n_ops; i++)
        s->srcfd[i] = -1;
    int src_root = -1;
    if (s->c->src_root && (src_root = open(s->c->src_root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        unsigned fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_NO_AUTOMOUNT;
        if (op->opcode != CP_OP_BIND && op->opcode != CP_OP_DEVNODE)
            continue;
        if (op->opcode == CP_OP_BIND && (op->flags & CP_MNT_RECURSIVE))
            fl |= AT_RECURSIVE;
        if (op->opcode == CP_OP_BIND && src_root >= 0)
            s->srcfd[i] = clone_in_root(src_root, op->src, fl);
        else
            s->srcfd[i] = open_tree(AT_FDCWD, op->src, fl);
        if (s->srcfd[i] < 0)
            s->srcerr[i] = errno;
    }
    sys_close_quiet(src_root);
    return mask_file_sources(s);
}

int cell_mount_program(const struct cell_config *c, struct cell_report *rep)
{
    struct mount_state s = { .c = c, .rootfd = -1, .mask_src = -1 };
    int rc = clone_sources(&s);
    if (rc < 0) {
        int err = errno;
        cell_report_step(rep, CELL_STEP_MOUNT_OP, CELL_STEP_FAILED, 0, err, c->plan->fs.ops[0].opcode);
        for (size_t i = 0; s.srcfd && s.srcerr && s.skipped && i < c->plan->fs.n_ops; i++)
            sys_close_quiet(s.srcfd[i]);
        free(s.srcfd);
        free(s.srcerr);
        free(s.skipped);
        sys_close_quiet(s.mask_src);
        errno = err;
        return -1;
    }
    for (size_t i = 0; i < c->plan->fs.n_ops; i++) {
        bool skipped = false;
        /* a post-pivot op relies on the pivot having happened */
        if (s.pivoted != false && c->plan->fs.ops[i].opcode != CP_OP_REMOUNT &&
            c->plan->fs.ops[i].opcode != CP_OP_MASK && c->plan->fs.ops[i].opcode != CP_OP_CHDIR) {
            errno = EINVAL;
            rc = -1;
        } else {
            rc = run_op(&s, i, &skipped);
        }
        int err = errno;
        s.skipped[i] = rc == 0 && skipped;
        uint16_t res = rc < 0 ? CELL_STEP_FAILED : skipped ? CELL_STEP_SKIPPED : CELL_STEP_OK;
        if (cell_report_step(rep, CELL_STEP_MOUNT_OP, res, (uint32_t)i, rc < 0 ? err : 0,
                             c->plan->fs.ops[i].opcode) < 0 &&
            rc == 0) {
            rc = -1;
            err = errno;
        }
        if (rc < 0) {
            errno = err;
            break;
        }
    }
    if (rc == 0 && !s.pivoted) {
        errno = EINVAL; /* a program without PIVOT_ROOT leaves the host root visible */
        rc = -1;
    }
    int err = errno;
    for (size_t i = 0; i < c->plan->fs.n_ops; i++)
        sys_close_quiet(s.srcfd[i]);
    free(s.srcfd);
    free(s.srcerr);
    free(s.skipped);
    sys_close_quiet(s.rootfd);
    sys_close_quiet(s.mask_src);
    errno = err;
    return rc;
}

int cell_open_in_root(const char *path, int oflags)
{
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -1;
    int fd = open_in_root(root, path, oflags);
    int e = errno;
    sys_close_quiet(root);
    errno = e;
    return fd;
}

int cell_chdir_in_root(const char *path)
{
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -1;
    int d = open_in_root(root, path, O_PATH | O_DIRECTORY);
    sys_close_quiet(root);
    if (d < 0)
        return -1;
    int r = fchdir(d);
    sys_close_quiet(d);
    return r;
}

int cell_mount_private_dir(const char *dir, uid_t uid, gid_t gid)
{
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -1;
    int t = open_in_root(root, dir, O_PATH | O_DIRECTORY);
    sys_close_quiet(root);
    if (t < 0)
        return -1;
    static const char *const opts[] = { "nr_inodes", "1024", NULL };
    int m = new_fs("tmpfs", 1u << 20, 0700, opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (m < 0)
        return sys_close_quiet(t);
    int r = fchownat(m, "", uid, gid, AT_EMPTY_PATH);
    if (r == 0)
        r = attach(m, t);
    sys_close_quiet(m);
    sys_close_quiet(t);
    return r;
}

/* open_tree(OPEN_TREE_CLONE) of the file in the detached tmpfs m, on a
 * kernel before 6.15 (a VM guest's 6.1), which refuses to clone from a
 * mount outside the caller's namespace (EINVAL): attach m over dst's
 * directory for a moment, clone the file from there, detach m again. The
 * cell's init is alone at this point (no workload yet). */
static int clone_attached(int m, const char *dst)
{
    char dir[512], path[600];
    const char *slash = strrchr(dst, '/');
    if (!slash || slash == dst || (size_t)(slash - dst) >= sizeof dir) {
        errno = EINVAL;
        return -1;
    }
    memcpy(dir, dst, (size_t)(slash - dst));
    dir[slash - dst] = 0;
    if (move_mount(m, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/file", dir);
    int t = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    int err = errno;
    if (umount2(dir, MNT_DETACH) < 0 && t >= 0) {
        err = errno;
        t = sys_close_quiet(t);
    }
    errno = err;
    return t;
}

int cell_place_file(const char *dst, const char *text)
{
    struct stat st;
    if (lstat(dst, &st) < 0 || !S_ISREG(st.st_mode))
        return 1;
    static const char *const opts[] = { "nr_inodes", "4", NULL };
    int m = new_fs("tmpfs", 65536, 0755, opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (m < 0)
        return -1;
    int f = openat(m, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    size_t len = strlen(text);
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_RDONLY;
    int t = -1, rc = -1;
    bool written = f >= 0 && write(f, text, len) == (ssize_t)len;
    f = sys_close_quiet(f); /* a file open for writing would make the read-only switch EBUSY */
    if (written && mount_setattr(m, "", AT_EMPTY_PATH, &a, sizeof a) == 0) {
        t = open_tree(m, "file", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (t < 0 && errno == EINVAL)
            t = clone_attached(m, dst);
    }
    if (t >= 0)
        rc = move_mount(t, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH);
    int err = errno;
    sys_close_quiet(f);
    sys_close_quiet(t);
    sys_close_quiet(m);
    errno = err;
    return rc;
}
