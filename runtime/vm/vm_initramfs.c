/*
 * vm_initramfs.c - assemble the per-run initramfs of a VM cell (see
 * vm_initramfs.h). Two passes over the same walk: the first only sums
 * entry sizes, so a plan over its limit is refused before a byte is
 * written; the second writes. Directory entries are sorted by byte value
 * so the archive does not depend on readdir order. Only directories,
 * regular files and symlinks are copied; a non-recursive bind does not
 * cross into other file systems (as a bind mount would not).
 */
#include "vm_initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/cpio.h"
#include "runtime/lib/sys_util.h"

struct walk {
    struct cpio_writer w;
    int writing; /* 0: sizing pass */
    uint64_t total;
    char dirs[64][512]; /* parent directories already emitted */
    size_t n_dirs;
    struct cell_error *e;
    const char *cur_bind; /* the bind being copied, for the limit message */
    uint64_t bind_start;  /* total when it started */
    const char *advice;   /* what the limit messages tell the user to do */
};

#define ADVICE_VM   "raise initramfs-limit in the vm section, or give it a rootfs image"
#define ADVICE_NOVM "the plan has no vm section: add one naming a rootfs image, or raising initramfs-limit"

/* Sizing pass: stop as soon as the archive cannot fit (a huge tree is not
 * walked to its end just to be refused). */
static int over_limit(struct walk *k)
{
    if (k->writing || !k->w.limit || k->total + CPIO_TRAILER_SIZE <= k->w.limit)
        return 0;
    if (k->cur_bind)
        return cell_err(k->e, EFBIG,
                        "initramfs would exceed its limit of %llu bytes: the read-only bind of %s takes "
                        "more than %llu bytes (%s)",
                        (unsigned long long)k->w.limit, k->cur_bind,
                        (unsigned long long)(k->total - k->bind_start), k->advice);
    return cell_err(k->e, EFBIG, "initramfs would need more than its limit of %llu bytes (%s)",
                    (unsigned long long)k->w.limit, k->advice);
}

static int emit_dir(struct walk *k, const char *name, mode_t perm)
{
    for (size_t i = 0; i < k->n_dirs; i++)
        if (strcmp(k->dirs[i], name) == 0)
            return 0;
    if (k->n_dirs < sizeof k->dirs / sizeof k->dirs[0] && strlen(name) < sizeof k->dirs[0])
        snprintf(k->dirs[k->n_dirs++], sizeof k->dirs[0], "%s", name);
    k->total += cpio_entry_size(strlen(name), 0);
    return k->writing ? cpio_add_dir(&k->w, name, perm, k->e) : 0;
}

static int emit_data(struct walk *k, const char *name, mode_t perm, const void *d, size_t n)
{
    k->total += cpio_entry_size(strlen(name), n);
    return k->writing ? cpio_add_data(&k->w, name, perm, d, n, k->e) : 0;
}

static int emit_file(struct walk *k, const char *name, mode_t perm, const char *src)
{
    struct stat st;
    if (stat(src, &st) < 0)
        return cell_err_sys(k->e, errno, "initramfs: %s", src);
    k->total += cpio_entry_size(strlen(name), (uint64_t)st.st_size);
    if (over_limit(k) < 0)
        return -1;
    return k->writing ? cpio_add_host_file(&k->w, name, perm, src, k->e) : 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Copy host path `src` (lstat'ed as st) to archive name `name`. */
static int copy_tree(struct walk *k, const char *src, const char *name, const struct stat *st, dev_t dev,
                     int recursive, int depth)
{
    if (depth > 64)
        return cell_err(k->e, ELOOP, "initramfs: %s nests more than 64 directories deep", src);
    if (S_ISLNK(st->st_mode)) {
        char t[4096];
        ssize_t n = readlink(src, t, sizeof t - 1);
        if (n <= 0)
            return cell_err_sys(k->e, n < 0 ? errno : EINVAL, "initramfs: readlink %s", src);
        t[n] = 0;
        k->total += cpio_entry_size(strlen(name), (uint64_t)n);
        return k->writing ? cpio_add_symlink(&k->w, name, t, k->e) : 0;
    }
    if (S_ISREG(st->st_mode))
        return emit_file(k, name, st->st_mode & 07777, src);
    if (!S_ISDIR(st->st_mode))
        return 0; /* devices, sockets, fifos: not copied */
    k->total += cpio_entry_size(strlen(name), 0);
    if (k->writing && cpio_add_dir(&k->w, name, st->st_mode & 07777, k->e) < 0)
        return -1;
    if (!recursive && st->st_dev != dev)
        return 0; /* a mount point: its content is another fs */
    struct dirent **ents;
    int n = scandir(src, &ents, NULL, cmp_names);
    if (n < 0)
        return cell_err_sys(k->e, errno, "initramfs: %s", src);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *d = ents[i]->d_name;
        if (rc == 0 && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            char cs[4096], cn[4096];
            struct stat cst;
            if (snprintf(cs, sizeof cs, "%s/%s", strcmp(src, "/") ? src : "", d) >= (int)sizeof cs ||
                snprintf(cn, sizeof cn, "%s/%s", name, d) >= (int)sizeof cn)
                rc = cell_err(k->e, ENAMETOOLONG, "initramfs: path under %s too long", src);
            else if (lstat(cs, &cst) < 0)
                rc = cell_err_sys(k->e, errno, "initramfs: %s", cs);
            else
                rc = copy_tree(k, cs, cn, &cst, dev, recursive, depth + 1);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

static int walk_all(const struct vm_initramfs_spec *s, struct walk *k)
{
    const struct plan *p = s->plan;
    if (emit_dir(k, "dev", 0755) < 0 || emit_dir(k, "proc", 0555) < 0 || emit_dir(k, "sys", 0555) < 0)
        return -1;
    k->total += cpio_entry_size(strlen("dev/console"), 0);
    if (k->writing && cpio_add_chardev(&k->w, "dev/console", 0600, 5, 1, k->e) < 0)
        return -1;
    if (emit_file(k, "init", 0755, s->guest_init) < 0 || emit_dir(k, "cellos", 0700) < 0 ||
        emit_dir(k, "cellos/stage", 0700) < 0 ||
        emit_data(k, "cellos/plan", 0400, s->plan_bytes, s->plan_len) < 0 ||
        emit_data(k, "cellos/guest.conf", 0400, s->guest_conf, strlen(s->guest_conf)) < 0)
        return -1;
    if (s->modules && s->modules->n) {
        if (emit_dir(k, "cellos/modules", 0700) < 0)
            return -1;
        for (size_t i = 0; i < s->modules->n; i++) {
            char nm[128];
            snprintf(nm, sizeof nm, "cellos/modules/%02zu-%s.ko", i, s->modules->name[i]);
            if (emit_file(k, nm, 0400, s->modules->path[i]) < 0)
                return -1;
        }
    }
    if (emit_dir(k, VM_SYSROOT, 0755) < 0)
        return -1;
    if (p->vm.flags & CP_VM_HAS_ROOTFS)
        return 0; /* bind sources come from the image */
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        if (op->opcode != CP_OP_BIND || (s->shares && vm_shares_cover(s->shares, p, i)))
            continue;
        int dup = 0; /* inside a tree copied already */
        for (size_t j = 0; j < i; j++)
            if (p->fs.ops[j].opcode == CP_OP_BIND && sys_path_within(op->src, p->fs.ops[j].src))
                dup = 1;
        if (dup)
            continue;
        char host[4200];
        snprintf(host, sizeof host, "%s%s", s->sysroot_prefix ? s->sysroot_prefix : "", op->src);
        struct stat st; /* a bind follows a symlinked source */
        if (stat(host, &st) < 0) {
            if (errno == ENOENT && (op->flags & CP_MNT_OPTIONAL))
                continue; /* the guest reports it SKIPPED */
            return cell_err_sys(k->e, errno, "bind source %s (plan mount op %zu)", op->src, i);
        }
        /* parents of the source, so the kernel's unpacker can create it */
        char name[4200];
        snprintf(name, sizeof name, VM_SYSROOT "%s", op->src);
        for (char *sl = strchr(name + strlen(VM_SYSROOT) + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
            *sl = 0;
            int r = emit_dir(k, name, 0755);
            *sl = '/';
            if (r < 0)
                return -1;
        }
        if (strcmp(op->src, "/") == 0)
            snprintf(name, sizeof name, VM_SYSROOT);
        k->cur_bind = op->src;
        k->bind_start = k->total;
        if (copy_tree(k, host, name, &st, st.st_dev, !!(op->flags & CP_MNT_RECURSIVE), 0) < 0)
            return -1;
        k->cur_bind = NULL;
    }
    return 0;
}

int vm_initramfs_build(const struct vm_initramfs_spec *s, int out_fd, uint64_t *size_out,
                       struct cell_error *e)
{
    const struct plan *p = s->plan;
    for (size_t i = 0; i < p->fs.n_ops; i++)
        if (p->fs.ops[i].opcode == CP_OP_BIND && !vm_bind_is_readonly(p, i) &&
            !(s->shares && vm_shares_cover(s->shares, p, i)))
            return cell_err(e, 0,
                            "the vm backend cannot share a writable host directory with the guest: "
                            "bind of %s to %s (plan mount op %zu, policy line %u) is not read-only",
                            p->fs.ops[i].src, p->fs.ops[i].dst, i, p->fs.ops[i].line);
    uint64_t limit = s->limit   ? s->limit
        : p->vm.initramfs_limit ? p->vm.initramfs_limit
                                : VM_INITRAMFS_DEFAULT_LIMIT;
    struct walk *k = calloc(1, sizeof *k);
    if (!k)
        return cell_err_sys(e, ENOMEM, "initramfs");
    k->e = e;
    k->advice = s->no_vm_section ? ADVICE_NOVM : ADVICE_VM;
    cpio_init(&k->w, -1, limit);
    int rc = walk_all(s, k);
    if (rc == 0 && k->total + CPIO_TRAILER_SIZE > limit)
        rc = cell_err(e, EFBIG, "initramfs would need %llu bytes, more than its limit of %llu bytes (%s)",
                      (unsigned long long)(k->total + CPIO_TRAILER_SIZE), (unsigned long long)limit,
                      k->advice);
    if (rc == 0 && size_out)
        *size_out = k->total + CPIO_TRAILER_SIZE;
    if (rc == 0) {
        uint64_t sized = k->total;
        memset(k, 0, sizeof *k);
        k->e = e;
        k->advice = s->no_vm_section ? ADVICE_NOVM : ADVICE_VM;
        k->writing = 1;
        cpio_init(&k->w, out_fd, limit);
        rc = walk_all(s, k);
        if (rc == 0)
            rc = cpio_finish(&k->w, e);
        if (rc == 0 && sized != k->total)
            rc = cell_err(e, EAGAIN, "initramfs: host files changed while the archive was built");
        if (rc == 0 && size_out)
            *size_out = k->w.offset;
    }
    free(k);
    return rc;
}
