/*
 * oci_stage.c - build a translated bundle on the host (see oci.h). Runs in
 * the gVisor monitor, inside its private mount namespace, before runsc
 * starts; also used to export a bundle to a plain directory.
 *
 * Invariants:
 *  - everything is created beneath the bundle directory fd, each path
 *    resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a
 *    symlink the skeleton itself contains is never followed while staging;
 *  - host trees are cloned by descriptor (open_tree) before anything is
 *    mounted over a path a source may lie under, and their flags (read-only,
 *    nosuid, nodev, noexec) are set on the clones with mount_setattr, so the
 *    host kernel enforces them on every file gVisor's gofer opens (gVisor
 *    itself ignores nodev on bind mounts);
 *  - nothing is ever written outside the bundle: the host tree is never
 *    touched (all mount points were decided by the translation).
 */
#include "runtime/cell/cell_side.h"
#include "oci.h"
#include "runtime/lib/sys_util.h"
#include "runtime/net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Open path beneath dirfd, never following a symlink. */
static int beneath(int dirfd, const char *path, int flags)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how, sizeof how);
}

/* The parent directory of rel (beneath root) and rel's last component. */
static int parent_fd(int root, const char *rel, const char **base)
{
    const char *s = strrchr(rel, '/');
    if (!s) {
        *base = rel;
        return fcntl(root, F_DUPFD_CLOEXEC, 3);
    }
    char par[CP_MAX_PATH + 1];
    size_t n = (size_t)(s - rel);
    if (n >= sizeof par) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(par, rel, n);
    par[n] = 0;
    *base = s + 1;
    return beneath(root, par, O_PATH | O_DIRECTORY);
}

/* A new tmpfs as a detached mount fd. */
static int new_tmpfs(uint64_t size, uint32_t mode, unsigned attrs)
{
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    char buf[32];
    if (size) {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)size);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", buf, 0) < 0)
            return sys_close_quiet(fs);
    }
    snprintf(buf, sizeof buf, "%o", mode);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", buf, 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return sys_close_quiet(fs);
    int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    sys_close_quiet(fs);
    return m;
}

/* mkdir rel (mode) beneath root; an existing directory is accepted. */
static int make_dir(int root, const char *rel, uint32_t mode)
{
    const char *base;
    int p = parent_fd(root, rel, &base);
    if (p < 0)
        return -1;
    if (mkdirat(p, base, mode) < 0 && errno != EEXIST)
        return sys_close_quiet(p);
    int d = openat(p, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    sys_close_quiet(p);
    if (d < 0)
        return -1;
    int r = fchmod(d, mode);
    sys_close_quiet(d);
    return r;
}

static int make_file(int root, const char *rel, uint32_t mode)
{
    const char *base;
    int p = parent_fd(root, rel, &base);
    if (p < 0)
        return -1;
    int r = mknodat(p, base, S_IFREG | (mode & 07777), 0);
    if (r < 0 && errno == EEXIST) {
        struct stat st;
        r = fstatat(p, base, &st, AT_SYMLINK_NOFOLLOW);
        if (r == 0 && !S_ISREG(st.st_mode)) {
            errno = EEXIST;
            r = -1;
        }
    }
    sys_close_quiet(p);
    return r;
}

static int make_link(int root, const char *rel, const char *target)
{
    const char *base;
    int p = parent_fd(root, rel, &base);
    if (p < 0)
        return -1;
    int r = symlinkat(target, p, base);
    sys_close_quiet(p);
    return r;
}

/* Mount the detached mount m on the (existing) path rel beneath root. */
static int attach_at(int root, const char *rel, int m)
{
    int t = beneath(root, rel, O_PATH);
    if (t < 0)
        return -1;
    int r = move_mount(m, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    sys_close_quiet(t);
    return r;
}

static int write_file(int dir, const char *name, const char *data, size_t n, mode_t mode)
{
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    if (sys_write_all(fd, data, n) < 0 || fchmod(fd, mode) < 0)
        return sys_close_quiet(fd);
    return close(fd);
}

/* The bundle-relative directory holding mount mi's contents. */
static void home_of(const struct oci_bundle *b, int mi, char *out, size_t n)
{
    const struct oci_mount *m = &b->mounts[mi];
    switch (m->kind) {
    case OCI_FS_ROOT: snprintf(out, n, "rootfs"); break;
    case OCI_FS_STAGED: snprintf(out, n, "s/%d", m->stage); break;
    case OCI_FS_SECRETS: snprintf(out, n, "k/%d", m->stage); break;
    case OCI_FS_CLONE: snprintf(out, n, "m/%d", m->stage); break;
    default: out[0] = 0;
    }
}

int oci_stage_clone_sources(const struct oci_bundle *b, int *fds, int *fail_op, struct cell_error *e)
{
    for (size_t i = 0; i < b->n_mounts; i++)
        fds[i] = -1;
    for (size_t i = 0; i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        if (m->kind != OCI_FS_CLONE || m->from >= 0)
            continue;
        unsigned fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_NO_AUTOMOUNT;
        if (m->recursive)
            fl |= AT_RECURSIVE;
        fds[i] = open_tree(AT_FDCWD, m->host, fl);
        if (fds[i] < 0) {
            *fail_op = m->op;
            return cell_err_sys(e, errno, "gvisor: cloning %s", m->host);
        }
    }
    return 0;
}

static int fail(struct cell_error *e, int *fail_op, int op, const char *what, const char *path)
{
    *fail_op = op;
    return cell_err_sys(e, errno, "gvisor: staging %s %s", what, path);
}

int oci_stage_build(const struct oci_bundle *b, const struct plan *p, const struct cell_secret_value *secrets,
                    int bundle, bool mounts, const int *clone_fds, const char *config, size_t config_len,
                    uint64_t *done_ns, int *fail_op, struct cell_error *e)
{
    *fail_op = -1;
    char path[CP_MAX_PATH + 32];
    static const char *const dirs[] = { "state", "s", "m", "k", "rootfs" };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (mkdirat(bundle, dirs[i], i == 0 ? 0700 : 0755) < 0)
            return fail(e, fail_op, -1, "directory", dirs[i]);
    if (write_file(bundle, "config.json", config, config_len, 0600) < 0)
        return fail(e, fail_op, -1, "file", "config.json");
    if (write_file(bundle, "empty", "", 0, 0444) < 0)
        return fail(e, fail_op, -1, "file", "empty");
    if (b->egress &&
        write_file(bundle, "resolv.conf", net_resolv_conf(), strlen(net_resolv_conf()), 0444) < 0)
        return fail(e, fail_op, -1, "file", "resolv.conf");
    if (mounts && mkfifoat(bundle, "pidfifo", 0600) < 0)
        return fail(e, fail_op, -1, "fifo", "pidfifo");

    /* the filesystems cellrun stages: the root, staged tmpfs, secrets */
    for (size_t i = 0; i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        if (m->kind != OCI_FS_ROOT && m->kind != OCI_FS_STAGED && m->kind != OCI_FS_SECRETS)
            continue;
        home_of(b, (int)i, path, sizeof path);
        uint32_t mode = m->kind == OCI_FS_SECRETS ? 0700 : m->mode;
        if (m->kind != OCI_FS_ROOT && make_dir(bundle, path, 0755) < 0)
            return fail(e, fail_op, m->op, "directory", path);
        if (mounts) {
            /* read-only comes last, once the entries are made */
            int t = new_tmpfs(m->size, mode, cell_mount_attrs(m->flags & ~CP_MNT_RDONLY));
            if (t < 0 || attach_at(bundle, path, t) < 0) {
                sys_close_quiet(t);
                return fail(e, fail_op, m->op, "tmpfs", path);
            }
            sys_close_quiet(t);
        }
        int d = beneath(bundle, path, O_RDONLY | O_DIRECTORY);
        if (d < 0 || fchmod(d, mode) < 0 || (m->chown && mounts && fchown(d, m->uid, m->gid) < 0)) {
            sys_close_quiet(d);
            return fail(e, fail_op, m->op, "tmpfs", path);
        }
        sys_close_quiet(d);
        if (m->kind == OCI_FS_ROOT && m->op >= 0)
            done_ns[m->op] = sys_now_ns();
    }

    /* entries, in the order the translation made them (parents first) */
    for (size_t i = 0; i < b->n_entries; i++) {
        const struct oci_entry *en = &b->entries[i];
        char home[64];
        home_of(b, en->mount, home, sizeof home);
        int root = beneath(bundle, home, O_PATH | O_DIRECTORY);
        if (root < 0)
            return fail(e, fail_op, en->cause, "directory", home);
        int r;
        switch (en->type) {
        case OCI_E_DIR: r = make_dir(root, en->rel, en->mode); break;
        case OCI_E_FILE: r = make_file(root, en->rel, en->mode); break;
        default: r = make_link(root, en->rel, en->target); break;
        }
        sys_close_quiet(root);
        if (r < 0)
            return fail(e, fail_op, en->op >= 0 ? en->op : en->cause, "entry", en->rel);
        if (en->op >= 0)
            done_ns[en->op] = sys_now_ns();
    }

    /* file secrets: 0400, owned by the workload; then the directory 0500 */
    for (size_t i = 0; i < b->n_secret_files; i++) {
        const struct oci_secret_file *sf = &b->secret_files[i];
        const struct oci_mount *m = &b->mounts[sf->mount];
        home_of(b, sf->mount, path, sizeof path);
        int d = beneath(bundle, path, O_PATH | O_DIRECTORY);
        if (d < 0)
            return fail(e, fail_op, -1, "secrets", path);
        const struct cell_secret_value *v = secrets && mounts ? &secrets[sf->secret] : NULL;
        int r = write_file(d, sf->name, v && v->value ? v->value : "", v && v->value ? v->len : 0, 0400);
        if (r == 0 && mounts)
            r = fchownat(d, sf->name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW);
        sys_close_quiet(d);
        if (r < 0)
            return fail(e, fail_op, -1, "secret", sf->name);
    }
    for (size_t i = 0; i < b->n_mounts; i++) {
        if (b->mounts[i].kind != OCI_FS_SECRETS)
            continue;
        home_of(b, (int)i, path, sizeof path);
        int d = beneath(bundle, path, O_RDONLY | O_DIRECTORY);
        if (d < 0 || fchmod(d, 0500) < 0) {
            sys_close_quiet(d);
            return fail(e, fail_op, -1, "secrets", path);
        }
        sys_close_quiet(d);
    }
    (void)p;

    /* clones, with their flags enforced by the host kernel */
    for (size_t i = 0; mounts && i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        if (m->kind != OCI_FS_CLONE)
            continue;
        home_of(b, (int)i, path, sizeof path);
        int r = m->is_dir ? make_dir(bundle, path, 0755) : make_file(bundle, path, 0444);
        if (r < 0)
            return fail(e, fail_op, m->op, "mount point", path);
        int c;
        if (m->from < 0) {
            c = fcntl(clone_fds[i], F_DUPFD_CLOEXEC, 3);
        } else {
            char src[CP_MAX_PATH + 64];
            home_of(b, m->from, src, sizeof src);
            if (m->host[0]) {
                size_t l = strlen(src);
                snprintf(src + l, sizeof src - l, "/%s", m->host);
            }
            int s = beneath(bundle, src, O_PATH);
            c = s < 0 ? -1 : open_tree(s, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
            sys_close_quiet(s);
        }
        if (c < 0 || attach_at(bundle, path, c) < 0) {
            sys_close_quiet(c);
            return fail(e, fail_op, m->op, "clone", m->host ? m->host : path);
        }
        sys_close_quiet(c);
        struct mount_attr a;
        memset(&a, 0, sizeof a);
        a.attr_set = cell_mount_attrs(m->flags);
        if (a.attr_set) {
            int t = beneath(bundle, path, O_PATH);
            r = t < 0 ? -1
                      : mount_setattr(t, "", AT_EMPTY_PATH | (m->recursive ? AT_RECURSIVE : 0), &a, sizeof a);
            sys_close_quiet(t);
            if (r < 0)
                return fail(e, fail_op, m->op, "flags of", path);
        }
    }

    /* read-only staged filesystems (and a read-only root): now that
     * nothing more is created in them */
    for (size_t i = 0; mounts && i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        if ((m->kind != OCI_FS_ROOT && m->kind != OCI_FS_STAGED) || !(m->flags & CP_MNT_RDONLY))
            continue;
        home_of(b, (int)i, path, sizeof path);
        struct mount_attr a;
        memset(&a, 0, sizeof a);
        a.attr_set = MOUNT_ATTR_RDONLY;
        int t = beneath(bundle, path, O_PATH);
        int r = t < 0 ? -1 : mount_setattr(t, "", AT_EMPTY_PATH, &a, sizeof a);
        sys_close_quiet(t);
        if (r < 0)
            return fail(e, fail_op, m->op, "read-only", path);
    }
    return 0;
}
