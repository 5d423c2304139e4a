/*
 * vm_shares.c - the 9p shares of a VM cell (see vm_shares.h). Shares are
 * listed parents first (by path length), so a share inside another is
 * mounted over it in the guest.
 */
#include "vm_shares.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/lib/sys_util.h"

bool vm_bind_is_readonly(const struct plan *p, size_t i)
{
    for (size_t j = i + 1; j < p->fs.n_ops; j++)
        if (p->fs.ops[j].opcode == CP_OP_REMOUNT && (p->fs.ops[j].flags & CP_MNT_RDONLY) &&
            strcmp(p->fs.ops[j].dst, p->fs.ops[i].dst) == 0)
            return true;
    return false;
}

/* The share serving `src` with access rw: the deepest share containing it. */
static const struct vm_share *serving(const struct vm_share_list *l, const char *src)
{
    const struct vm_share *best = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (sys_path_within(src, l->s[i].guest) && (!best || strlen(l->s[i].guest) > strlen(best->guest)))
            best = &l->s[i];
    return best;
}

bool vm_shares_cover(const struct vm_share_list *l, const struct plan *p, size_t op_index)
{
    const struct plan_mount_op *op = &p->fs.ops[op_index];
    const struct vm_share *s = serving(l, op->src);
    return s && s->rw == !vm_bind_is_readonly(p, op_index);
}

static int by_length(const void *a, const void *b)
{
    const struct vm_share *x = a, *y = b;
    size_t lx = strlen(x->guest), ly = strlen(y->guest);
    return lx < ly ? -1 : lx > ly ? 1 : strcmp(x->guest, y->guest);
}

int vm_shares_plan(const struct plan *p, struct vm_share_list *out, struct cell_error *e)
{
    memset(out, 0, sizeof *out);
    if (p->has_vm && (p->vm.flags & CP_VM_HAS_ROOTFS))
        return 0;
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        if (op->opcode != CP_OP_BIND)
            continue;
        bool rw = !vm_bind_is_readonly(p, i);
        struct stat st;
        if (stat(op->src, &st) < 0) {
            if (errno == ENOENT && (op->flags & CP_MNT_OPTIONAL))
                continue; /* the guest reports it SKIPPED */
            return cell_err_sys(e, errno, "bind source %s (plan mount op %zu)", op->src, i);
        }
        if (!S_ISDIR(st.st_mode)) {
            if (rw)
                return cell_err(e, 0,
                                "the vm backend cannot share a writable host file with the guest (9p "
                                "exports directories): bind of %s to %s (plan mount op %zu, policy line %u)",
                                op->src, op->dst, i, op->line);
            continue; /* a read-only file: copied into the initramfs */
        }
        const struct vm_share *have = serving(out, op->src);
        if (have && have->rw == rw && (have->recursive || !(op->flags & CP_MNT_RECURSIVE)))
            continue;
        if (out->n == VM_MAX_SHARES)
            return cell_err(e, 0, "the plan binds more than %d host directories into the VM", VM_MAX_SHARES);
        struct vm_share *s = &out->s[out->n];
        if (!realpath(op->src, s->host))
            return cell_err_sys(e, errno, "bind source %s (plan mount op %zu)", op->src, i);
        if (strlen(op->src) >= sizeof s->guest)
            return cell_err(e, ENAMETOOLONG, "bind source %s is too long", op->src);
        snprintf(s->guest, sizeof s->guest, "%s", op->src);
        s->rw = rw;
        s->recursive = (op->flags & CP_MNT_RECURSIVE) != 0;
        out->n++;
    }
    qsort(out->s, out->n, sizeof out->s[0], by_length);
    for (size_t i = 0; i < out->n; i++)
        snprintf(out->s[i].tag, sizeof out->s[i].tag, "c%u", (unsigned)(i % 100));
    return 0;
}

void vm_shares_describe(const struct vm_share_list *l, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n && off < n; i++) {
        int w =
            snprintf(buf + off, n - off, "%s%s:%s", i ? " " : "", l->s[i].rw ? "rw" : "ro", l->s[i].guest);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}
