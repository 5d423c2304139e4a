/*
 * lower.c - the mount op program from the checked filesystem grants (see
 * lower.h and docs/language.md, "Lowering").
 *
 * Invariants of the output (the plan reader checks them too): op 0 is
 * ROOTFS; one PIVOT_ROOT, followed only by REMOUNT "/" and CHDIR; MKDIR is
 * only emitted for directories in the cell's own tmpfs trees (the root, a
 * tmpfs, the workspace, the dev tmpfs), never inside a host tree bound in
 * or inside proc, where the directory must already exist.
 */
#include "lower.h"

#include <stdlib.h>
#include <string.h>

#include "units.h"

/* ---- a set of paths (open addressing) ------------------------------------ */

struct pathset {
    const char **slot;
    size_t cap, n;
};

static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool ps_has(const struct pathset *ps, const char *s, size_t n)
{
    if (!ps->cap)
        return false;
    size_t h = (size_t)str_hash(s, n) & (ps->cap - 1);
    while (ps->slot[h]) {
        if (strlen(ps->slot[h]) == n && !memcmp(ps->slot[h], s, n))
            return true;
        h = (h + 1) & (ps->cap - 1);
    }
    return false;
}

static void ps_add(struct arena *a, struct pathset *ps, const char *s, size_t n)
{
    if (ps_has(ps, s, n))
        return;
    if ((ps->n + 1) * 2 > ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 64;
        const char **ns = arena_alloc(a, ncap * sizeof *ns);
        for (size_t i = 0; i < ps->cap; i++) {
            if (!ps->slot[i])
                continue;
            size_t h = (size_t)str_hash(ps->slot[i], strlen(ps->slot[i])) & (ncap - 1);
            while (ns[h])
                h = (h + 1) & (ncap - 1);
            ns[h] = ps->slot[i];
        }
        ps->slot = ns;
        ps->cap = ncap;
    }
    size_t h = (size_t)str_hash(s, n) & (ps->cap - 1);
    while (ps->slot[h])
        h = (h + 1) & (ps->cap - 1);
    ps->slot[h] = arena_strndup(a, s, n);
    ps->n++;
}

/* ---- the program ------------------------------------------------------------ */

struct lower {
    struct arena *a;
    struct plan_mount_op *ops;
    size_t n, cap;
    struct pathset exists;      /* directories known to exist in the cell */
    struct pathset host_backed; /* dsts of binds, proc and devnodes: their insides are not ours */
    struct pathset fresh;       /* dsts of tmpfs, workspace and dev tmpfs: their insides are ours */
};

static struct plan_mount_op *emit(struct lower *L, uint16_t opcode, uint16_t flags, const char *src,
                                  const char *dst, uint32_t line)
{
    if (L->n == L->cap) {
        size_t ncap = L->cap ? L->cap * 2 : 32;
        struct plan_mount_op *n = arena_alloc(L->a, ncap * sizeof *n);
        if (L->n)
            memcpy(n, L->ops, L->n * sizeof *n);
        L->ops = n;
        L->cap = ncap;
    }
    struct plan_mount_op *op = &L->ops[L->n++];
    memset(op, 0, sizeof *op);
    op->opcode = opcode;
    op->flags = flags;
    op->src = src ? src : "";
    op->dst = dst ? dst : "";
    op->line = line;
    return op;
}

/* Is path (its first n bytes) inside a host-backed tree? The nearest mount
 * above it decides: a bind, proc or devnode destination (the tree is not
 * ours to write) or a fresh tmpfs, workspace or the root (it is). */
static bool inside_host(const struct lower *L, const char *path, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        if (path[i - 1] != '/')
            continue;
        if (ps_has(&L->host_backed, path, i - 1))
            return true;
        if (ps_has(&L->fresh, path, i - 1))
            return false;
    }
    return false;
}

/* Make every directory above dst (and dst itself when self is set) exist. */
static void make_dirs(struct lower *L, const char *dst, bool self, uint32_t line)
{
    size_t len = strlen(dst);
    for (size_t i = 1; i <= len; i++) {
        if (i < len && dst[i] != '/')
            continue;
        if (i == len && !self)
            break;
        if (ps_has(&L->exists, dst, i))
            continue;
        if (inside_host(L, dst, i)) {
            ps_add(L->a, &L->exists, dst, i);
            continue;
        }
        struct plan_mount_op *op = emit(L, CP_OP_MKDIR, 0, NULL, arena_strndup(L->a, dst, i), line);
        op->mode = LOWER_MKDIR_MODE;
        ps_add(L->a, &L->exists, dst, i);
    }
}

static int grant_cmp(const void *x, const void *y)
{
    const struct fs_grant *const *a = x, *const *b = y;
    int r = path_cmp((*a)->dst, (*b)->dst);
    if (r)
        return r;
    return *a < *b ? -1 : *a > *b;
}

static void lower_grant(struct lower *L, const struct fs_grant *g)
{
    uint32_t line = g->loc.line;
    uint16_t noexec = g->noexec ? CP_MNT_NOEXEC : 0;
    struct plan_mount_op *op;
    switch (g->kind) {
    case AS_RO:
    case AS_RW:
        make_dirs(L, g->dst, false, line);
        emit(L, CP_OP_BIND, g->optional ? CP_MNT_OPTIONAL : 0, g->src, g->dst, line);
        emit(L, CP_OP_REMOUNT,
             (uint16_t)((g->kind == AS_RO ? CP_MNT_RDONLY : 0) | CP_MNT_NOSUID | CP_MNT_NODEV | noexec), NULL,
             g->dst, line);
        ps_add(L->a, &L->host_backed, g->dst, strlen(g->dst));
        ps_add(L->a, &L->exists, g->dst, strlen(g->dst));
        return;
    case AS_TMPFS:
    case AS_WORKSPACE:
        make_dirs(L, g->dst, true, line);
        op = emit(L, g->kind == AS_TMPFS ? CP_OP_TMPFS : CP_OP_WORKSPACE,
                  (uint16_t)(CP_MNT_NOSUID | CP_MNT_NODEV | noexec), NULL, g->dst, line);
        op->size = g->size;
        op->mode = g->mode;
        ps_add(L->a, &L->fresh, g->dst, strlen(g->dst));
        return;
    case AS_DEV:
        make_dirs(L, g->dst, true, line);
        op = emit(L, CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NOEXEC, NULL, g->dst, line);
        op->size = g->size;
        op->mode = g->mode;
        ps_add(L->a, &L->fresh, g->dst, strlen(g->dst));
        return;
    case AS_PROC:
        make_dirs(L, g->dst, true, line);
        emit(L, CP_OP_PROC, 0, NULL, g->dst, line);
        ps_add(L->a, &L->host_backed, g->dst, strlen(g->dst));
        return;
    case GK_DEVPTS:
        make_dirs(L, g->dst, true, line);
        emit(L, CP_OP_DEVPTS, 0, NULL, g->dst, line);
        return;
    case AS_DEVICE:
        make_dirs(L, g->dst, false, line);
        emit(L, CP_OP_DEVNODE, g->optional ? CP_MNT_OPTIONAL : 0, g->src, g->dst, line);
        ps_add(L->a, &L->host_backed, g->dst, strlen(g->dst));
        ps_add(L->a, &L->exists, g->dst, strlen(g->dst));
        return;
    case AS_MASK: emit(L, CP_OP_MASK, g->optional ? CP_MNT_OPTIONAL : 0, NULL, g->dst, line); return;
    case AS_DIR:
        make_dirs(L, g->dst, false, line);
        op = emit(L, CP_OP_MKDIR, 0, NULL, g->dst, line);
        op->mode = g->mode;
        ps_add(L->a, &L->exists, g->dst, strlen(g->dst));
        return;
    case AS_SYMLINK:
        make_dirs(L, g->dst, false, line);
        emit(L, CP_OP_SYMLINK, 0, g->src, g->dst, line);
        return;
    case GK_REMOUNT_RO:
        emit(L, CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC, NULL, g->dst,
             line);
        return;
    }
}

void policy_lower(struct arena *a, struct policy *pol)
{
    struct lower L = { .a = a };
    struct plan_mount_op *root = emit(&L, CP_OP_ROOTFS, 0, NULL, NULL, 0);
    root->size = LOWER_ROOTFS_SIZE;
    root->mode = LOWER_ROOTFS_MODE;
    ps_add(a, &L.exists, "/", 1);

    size_t n = pol->n_grants;
    const struct fs_grant **order = arena_alloc(a, (n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = &pol->grants[i];
    if (n > 1)
        qsort(order, n, sizeof *order, grant_cmp);
    for (size_t i = 0; i < n; i++)
        lower_grant(&L, order[i]);

    emit(&L, CP_OP_PIVOT_ROOT, 0, NULL, NULL, 0);
    emit(&L, CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, NULL, "/", 0);
    emit(&L, CP_OP_CHDIR, 0, NULL, pol->plan.process.cwd ? pol->plan.process.cwd : "/", 0);

    pol->plan.fs.ops = L.ops;
    pol->plan.fs.n_ops = L.n;
}
