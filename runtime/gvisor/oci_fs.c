/*
 * oci_fs.c - the plan's mount op program as gVisor mounts (see oci.h).
 *
 * The program is interpreted against a model of the cell's tree: a list of
 * mounts (each with what backs it) and the entries cellrun itself creates in
 * the filesystems it stages. Paths are resolved in the model the way the
 * native interpreter resolves them in the kernel (RESOLVE_IN_ROOT: ".." stops
 * at the root, absolute symlinks restart at the cell's root, at most 40
 * links, a final symlink is refused where native refuses it), reading the
 * host (lstat/readlink, never a write) only beneath host trees the plan
 * binds. Inside filesystems gVisor synthesises (procfs, devpts, its tmpfs)
 * the model knows only the mount points and says "unknown" otherwise.
 *
 * Invariants of the result:
 *  - live mounts have unique canonical destinations; a mount placed at D
 *    covers (removes) every mount at or below D, as in the kernel;
 *  - every mount point lies in a filesystem cellrun stages (an entry is
 *    created), in a filesystem gVisor owns (gVisor creates it), or already
 *    exists in a bound host tree; gVisor is never left to create anything
 *    in a host tree (native refuses that with EROFS, and so do we);
 *  - gVisor's own mounts (/proc, /sys, /dev, /dev/pts, /tmp), which runsc
 *    adds whenever the config has none there, are always pre-empted by a
 *    mount of ours showing exactly what the plan's tree has there (or an
 *    empty read-only directory where the plan has nothing).
 */
#include "oci.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40
#define PATHBUF   (CP_MAX_PATH + 1)

struct fs {
    const struct plan *p;
    struct oci_bundle *b;
    struct cell_error *e;
    size_t cap_m, cap_e;
    bool *staged_op; /* TMPFS/WORKSPACE ops staged on the host */
    int cur_op;      /* the op being translated, -1 after the program */
};

/* ---- paths ----------------------------------------------------------------- */


/* path relative to dir (path under dir): "" for dir itself. */
static const char *rel_to(const char *path, const char *dir)
{
    if (strcmp(dir, "/") == 0)
        return path + 1;
    const char *r = path + strlen(dir);
    return *r == '/' ? r + 1 : r;
}

static int join(char *out, size_t n, const char *a, const char *b)
{
    int w;
    if (!b[0])
        w = snprintf(out, n, "%s", a);
    else if (!a[0] || strcmp(a, "/") == 0)
        w = snprintf(out, n, "%s%s", a[0] ? "/" : "", b);
    else
        w = snprintf(out, n, "%s/%s", a, b);
    if (w < 0 || (size_t)w >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static void parent_of(char *path)
{
    char *s = strrchr(path, '/');
    if (!s || s == path)
        strcpy(path, "/");
    else
        *s = 0;
}

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- the model --------------------------------------------------------------- */

/* Add a mount at m->dst. On top (the kernel's order): it covers every
 * mount at or below dst. Beneath (a cover of a runsc mount point): mounts
 * below dst stay, gVisor mounts them on top of it (it mounts shorter
 * destinations first). */
static int add_mount_at(struct fs *f, const struct oci_mount *m, bool beneath)
{
    struct oci_bundle *b = f->b;
    if (b->n_mounts == f->cap_m) {
        size_t cap = f->cap_m ? f->cap_m * 2 : 32;
        struct oci_mount *n = realloc(b->mounts, cap * sizeof *n);
        if (!n)
            return cell_err_sys(f->e, ENOMEM, "gvisor: translating the mount program");
        b->mounts = n;
        f->cap_m = cap;
    }
    for (size_t i = 1; i < b->n_mounts; i++)
        if (b->mounts[i].live && sys_path_within(b->mounts[i].dst, m->dst) &&
            (!beneath || strcmp(b->mounts[i].dst, m->dst) == 0))
            b->mounts[i].live = false;
    b->mounts[b->n_mounts] = *m;
    b->mounts[b->n_mounts].live = true;
    b->mounts[b->n_mounts].dst = strdup(m->dst);
    b->mounts[b->n_mounts].host = m->host ? strdup(m->host) : NULL;
    if (!b->mounts[b->n_mounts].dst || (m->host && !b->mounts[b->n_mounts].host))
        return cell_err_sys(f->e, ENOMEM, "gvisor: translating the mount program");
    b->n_mounts++;
    return (int)b->n_mounts - 1;
}

static int add_mount(struct fs *f, const struct oci_mount *m)
{
    return add_mount_at(f, m, false);
}

static int add_entry(struct fs *f, int mount, const char *rel, enum oci_entry_type t, uint32_t mode,
                     const char *target, int op)
{
    struct oci_bundle *b = f->b;
    if (b->n_entries == f->cap_e) {
        size_t cap = f->cap_e ? f->cap_e * 2 : 64;
        struct oci_entry *n = realloc(b->entries, cap * sizeof *n);
        if (!n)
            return cell_err_sys(f->e, ENOMEM, "gvisor: translating the mount program");
        b->entries = n;
        f->cap_e = cap;
    }
    struct oci_entry *en = &b->entries[b->n_entries];
    memset(en, 0, sizeof *en);
    en->mount = mount;
    en->rel = strdup(rel);
    en->type = t;
    en->mode = mode;
    en->target = target ? strdup(target) : NULL;
    en->op = op;
    en->cause = f->cur_op;
    en->live = true;
    if (!en->rel || (target && !en->target))
        return cell_err_sys(f->e, ENOMEM, "gvisor: translating the mount program");
    b->n_entries++;
    return 0;
}

static bool stages_entries(enum oci_fs_kind k)
{
    return k == OCI_FS_ROOT || k == OCI_FS_STAGED || k == OCI_FS_SECRETS;
}

static bool gvisor_owned(enum oci_fs_kind k)
{
    return k == OCI_FS_TMPFS || k == OCI_FS_PROC || k == OCI_FS_DEVPTS || k == OCI_FS_MASK_DIR;
}

/* The live mount covering a canonical path. */
static int covering(const struct oci_bundle *b, const char *path)
{
    int best = 0;
    size_t bestlen = 0;
    for (size_t i = 1; i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        size_t l = strlen(m->dst);
        if (m->live && sys_path_within(path, m->dst) && l > bestlen) {
            best = (int)i;
            bestlen = l;
        }
    }
    return best;
}

/* What one canonical cell path is (symlinks in it are not followed). */
enum kind_of {
    K_NONE,
    K_DIR,
    K_FILE,
    K_LINK,
    K_UNKNOWN
};
struct look {
    enum kind_of kind;
    int err;              /* K_NONE: ENOENT or ENOTDIR */
    int mount;            /* covering mount */
    char target[PATHBUF]; /* K_LINK */
    mode_t mode;          /* K_FILE/K_DIR when known (host) */
    bool exec_ok;         /* K_FILE: some execute bit */
};

/* Is path a strict ancestor (or equal) of a live mount's dst lying within
 * mount `in`? gVisor creates those directories. */
static bool leads_to_mount(const struct oci_bundle *b, const char *path, int in)
{
    for (size_t i = 1; i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        if ((int)i != in && m->live && sys_path_within(m->dst, path) && covering(b, path) == in)
            return true;
    }
    return false;
}

static int look_in(const struct oci_bundle *b, int mi, const char *rel, struct look *l);

/* Look up rel inside a ROOT/STAGED/SECRETS mount's entries. */
static int look_entries(const struct oci_bundle *b, int mi, const char *rel, struct look *l)
{
    for (size_t i = 0; i < b->n_entries; i++) {
        const struct oci_entry *en = &b->entries[i];
        if (!en->live || en->mount != mi || strcmp(en->rel, rel) != 0)
            continue;
        if (en->type == OCI_E_DIR) {
            l->kind = K_DIR;
            l->mode = en->mode;
        } else if (en->type == OCI_E_FILE) {
            l->kind = K_FILE;
            l->mode = en->mode;
        } else {
            l->kind = K_LINK;
            snprintf(l->target, sizeof l->target, "%s", en->target);
        }
        return 0;
    }
    l->kind = K_NONE;
    l->err = ENOENT;
    return 0;
}

/* Look up rel inside a clone: on the host, or inside the mount it clones. */
static int look_clone(const struct oci_bundle *b, int mi, const char *rel, struct look *l)
{
    const struct oci_mount *m = &b->mounts[mi];
    char sub[PATHBUF];
    if (m->from >= 0) {
        if (join(sub, sizeof sub, m->host, rel) < 0)
            return -1;
        int save = l->mount;
        int r = look_in(b, m->from, sub, l);
        l->mount = save;
        return r;
    }
    char host[PATHBUF];
    if (join(host, sizeof host, m->host, rel) < 0)
        return -1;
    struct stat st, rootst;
    /* the clone's own root is what its source names: a bind follows a
     * source that is a symlink, as native's does (Debian's
     * /usr/lib64/ld-linux-x86-64.so.2 is one); below it, entries are lstat'ed */
    if ((rel[0] ? lstat(host, &st) : stat(host, &st)) < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            l->kind = K_NONE;
            l->err = errno;
            return 0;
        }
        return -1;
    }
    /* a non-recursive clone does not carry host submounts: below a
     * directory of another device it shows the (empty) mount point */
    if (!m->recursive && rel[0] && stat(m->host, &rootst) == 0) {
        char par[PATHBUF];
        snprintf(par, sizeof par, "%s", host);
        parent_of(par);
        struct stat pst;
        if (lstat(par, &pst) == 0 && pst.st_dev != rootst.st_dev) {
            l->kind = K_NONE;
            l->err = ENOENT;
            return 0;
        }
    }
    l->mode = st.st_mode;
    if (S_ISDIR(st.st_mode)) {
        l->kind = K_DIR;
    } else if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(host, l->target, sizeof l->target - 1);
        if (n < 0)
            return -1;
        l->target[n] = 0;
        l->kind = K_LINK;
    } else {
        l->kind = K_FILE;
        l->exec_ok = S_ISREG(st.st_mode) && (st.st_mode & 0111);
    }
    return 0;
}

static int look_in(const struct oci_bundle *b, int mi, const char *rel, struct look *l)
{
    const struct oci_mount *m = &b->mounts[mi];
    l->mount = mi;
    if (!rel[0]) {
        switch (m->kind) {
        case OCI_FS_MASK_FILE:
            l->kind = K_FILE;
            l->mode = S_IFREG | 0444;
            return 0;
        case OCI_FS_CLONE: return look_clone(b, mi, rel, l);
        default:
            l->kind = K_DIR;
            l->mode = S_IFDIR | m->mode;
            return 0;
        }
    }
    switch (m->kind) {
    case OCI_FS_ROOT:
    case OCI_FS_STAGED:
    case OCI_FS_SECRETS: return look_entries(b, mi, rel, l);
    case OCI_FS_CLONE: return look_clone(b, mi, rel, l);
    case OCI_FS_MASK_FILE:
        l->kind = K_NONE;
        l->err = ENOTDIR;
        return 0;
    case OCI_FS_TMPFS:
    case OCI_FS_MASK_DIR:
        l->kind = K_NONE;
        l->err = ENOENT;
        return 0;
    case OCI_FS_PROC:
    case OCI_FS_DEVPTS: l->kind = K_UNKNOWN; return 0;
    }
    errno = EINVAL;
    return -1;
}

/* Look up one canonical cell path. */
static int look(const struct oci_bundle *b, const char *path, struct look *l)
{
    memset(l, 0, sizeof *l);
    int mi = covering(b, path);
    const struct oci_mount *m = &b->mounts[mi];
    if (look_in(b, mi, rel_to(path, m->dst), l) < 0)
        return -1;
    /* gVisor makes the directories leading to mounts inside its own fs */
    if ((l->kind == K_NONE || l->kind == K_UNKNOWN) && gvisor_owned(m->kind) && leads_to_mount(b, path, mi))
        l->kind = K_DIR;
    return 0;
}

/* Resolve a cell path beneath the root. out: the canonical path reached
 * (the whole path when found; for K_NONE the missing component's path),
 * and what it is. follow_final: follow a final symlink. */
struct res {
    char path[PATHBUF];
    struct look l;
};

static int resolve(const struct oci_bundle *b, const char *path, bool follow_final, struct res *r)
{
    char rest[PATHBUF * 2];
    snprintf(rest, sizeof rest, "%s", path);
    char cur[PATHBUF] = "/";
    int links = 0;
    memset(r, 0, sizeof *r);
    const char *s = rest;
    for (;;) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char comp[PATHBUF];
        if (n >= sizeof comp) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(comp, s, n);
        comp[n] = 0;
        s += n;
        while (*s == '/')
            s++;
        bool last = !*s;
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            parent_of(cur);
            continue;
        }
        char next[PATHBUF];
        if (join(next, sizeof next, cur, comp) < 0)
            return -1;
        if (look(b, next, &r->l) < 0)
            return -1;
        if (r->l.kind == K_UNKNOWN || r->l.kind == K_NONE) {
            /* the unresolved rest rides along for the caller's message */
            if (join(r->path, sizeof r->path, next, s) < 0)
                return -1;
            return 0;
        }
        if (r->l.kind == K_LINK && (!last || follow_final)) {
            if (++links > MAX_LINKS) {
                r->l.kind = K_NONE;
                r->l.err = ELOOP;
                snprintf(r->path, sizeof r->path, "%s", next);
                return 0;
            }
            char nrest[PATHBUF * 2];
            int w = snprintf(nrest, sizeof nrest, "%s/%s", r->l.target, s);
            if (w < 0 || (size_t)w >= sizeof nrest) {
                errno = ENAMETOOLONG;
                return -1;
            }
            if (r->l.target[0] == '/')
                strcpy(cur, "/");
            memcpy(rest, nrest, (size_t)w + 1);
            s = rest;
            continue;
        }
        if (!last && r->l.kind != K_DIR) {
            r->l.kind = K_NONE;
            r->l.err = ENOTDIR;
            snprintf(r->path, sizeof r->path, "%s", next);
            return 0;
        }
        snprintf(cur, sizeof cur, "%s", next);
    }
    snprintf(r->path, sizeof r->path, "%s", cur);
    if (strcmp(cur, "/") == 0)
        return look(b, "/", &r->l);
    return 0;
}

/* ---- per-op helpers ----------------------------------------------------------- */

static const char *opname(const struct plan_mount_op *op)
{
    const char *n = plan_mount_opcode_name(op->opcode);
    return n ? n : "?";
}

/* A translation refusal: names the op and its policy line. */
static int refuse(struct fs *f, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct fs *f, size_t i, const char *fmt, ...)
{
    const struct plan_mount_op *op = &f->p->fs.ops[i];
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char line[32] = "";
    if (op->line)
        snprintf(line, sizeof line, ", policy line %u", op->line);
    return cell_err(f->e, 0, "filesystem: op %zu (%s %.200s%s): the gvisor backend cannot run this: %s", i,
                    opname(op), op->dst[0] ? op->dst : op->src, line, why);
}

static void fail_op(struct fs *f, size_t i, int err)
{
    f->b->ops[i].how = OCI_HOW_FAILED;
    f->b->ops[i].err = err;
    if (f->b->fail_op < 0)
        f->b->fail_op = (int)i;
}

/* Create a directory at the canonical path canon (its parent exists) in
 * the filesystem that owns it: an entry where cellrun stages, nothing where
 * gVisor makes it; never in a host tree (EROFS, as native). */
static int make_dir(struct fs *f, const char *canon, uint32_t mode, int *err)
{
    int owner = covering(f->b, canon);
    const struct oci_mount *om = &f->b->mounts[owner];
    if (stages_entries(om->kind))
        return add_entry(f, owner, rel_to(canon, om->dst), OCI_E_DIR, mode, NULL, -1) < 0 ? -2 : 0;
    if (om->kind == OCI_FS_CLONE) {
        *err = EROFS;
        return -1;
    }
    if (om->kind == OCI_FS_MASK_FILE) {
        *err = ENOTDIR;
        return -1;
    }
    return 0; /* gVisor-owned: it makes the directory */
}

/* The canonical path of path's parent directory, creating missing
 * ancestors (mode 0755) the way native's open_parent does: each missing
 * one in the resolved directory above it. 0, -1 with *err, -2 refusal. */
static int ensure_parent(struct fs *f, const char *path, char *canon_parent, int *err, int depth)
{
    char par[PATHBUF];
    snprintf(par, sizeof par, "%s", path);
    parent_of(par);
    struct res r;
    if (resolve(f->b, par, true, &r) < 0) {
        *err = errno;
        return -1;
    }
    if (r.l.kind == K_DIR || r.l.kind == K_UNKNOWN) {
        snprintf(canon_parent, PATHBUF, "%s", r.path);
        return 0;
    }
    if (r.l.kind != K_NONE) {
        *err = ENOTDIR;
        return -1;
    }
    if (r.l.err != ENOENT || strcmp(par, "/") == 0) {
        *err = r.l.err;
        return -1;
    }
    if (depth > 256) {
        *err = ELOOP;
        return -1;
    }
    char gp[PATHBUF];
    int rc = ensure_parent(f, par, gp, err, depth + 1);
    if (rc < 0)
        return rc;
    if (join(canon_parent, PATHBUF, gp, base_of(par)) < 0) {
        *err = errno;
        return -1;
    }
    return make_dir(f, canon_parent, 0755, err);
}

/* The canonical mount point for a mount at dst, created when missing
 * where native creates it. 0, -1 with *err (native's errno), -2 refusal. */
static int mount_point(struct fs *f, size_t i, const char *dst, bool want_dir, char *canon, int *err)
{
    (void)i;
    char par[PATHBUF];
    int rc = ensure_parent(f, dst, par, err, 0);
    if (rc < 0)
        return rc;
    if (join(canon, PATHBUF, par, base_of(dst)) < 0) {
        *err = errno;
        return -1;
    }
    struct look l;
    if (look(f->b, canon, &l) < 0) {
        *err = errno;
        return -1;
    }
    if (l.kind == K_LINK) {
        *err = ELOOP; /* a mount never follows a final symlink */
        return -1;
    }
    if (l.kind == K_DIR || l.kind == K_FILE) {
        if (want_dir != (l.kind == K_DIR)) {
            *err = want_dir ? ENOTDIR : EISDIR;
            return -1;
        }
        return 0;
    }
    if (l.kind == K_UNKNOWN)
        return 0;
    if (l.err != ENOENT) {
        *err = l.err;
        return -1;
    }
    if (want_dir)
        return make_dir(f, canon, 0755, err);
    int owner = covering(f->b, canon);
    const struct oci_mount *om = &f->b->mounts[owner];
    if (stages_entries(om->kind))
        return add_entry(f, owner, rel_to(canon, om->dst), OCI_E_FILE, 0444, NULL, -1) < 0 ? -2 : 0;
    if (om->kind == OCI_FS_CLONE) {
        *err = EROFS;
        return -1;
    }
    if (om->kind == OCI_FS_MASK_FILE) {
        *err = ENOTDIR;
        return -1;
    }
    return 0; /* gVisor-owned */
}

/* Canonical path for an op that creates an entry (MKDIR, SYMLINK): missing
 * ancestors are made as native makes them; the entry itself must land in a
 * filesystem cellrun stages. 0, -1 with *err, -2 refusal. */
static int entry_parent(struct fs *f, size_t i, const char *dst, char *canon, int *owner, int *err)
{
    char par[PATHBUF];
    int rc = ensure_parent(f, dst, par, err, 0);
    if (rc < 0)
        return rc;
    if (join(canon, PATHBUF, par, base_of(dst)) < 0) {
        *err = errno;
        return -1;
    }
    *owner = covering(f->b, canon);
    const struct oci_mount *om = &f->b->mounts[*owner];
    if (stages_entries(om->kind))
        return 0;
    if (om->kind == OCI_FS_CLONE) {
        *err = EROFS;
        return -1;
    }
    refuse(f, i, "it lies in a filesystem gVisor makes (%s), where cellrun cannot create entries", om->dst);
    return -2;
}

static const char *const allowed_devices[] = {
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
};

/* /proc entries that are directories on Linux (for masks inside gVisor's
 * procfs, where the model cannot look). */
static bool proc_dir_name(const char *name)
{
    static const char *const dirs[] = { "acpi", "asound", "bus", "driver",  "fs",       "irq",
                                        "scsi", "sys",    "tty", "sysvipc", "pressure", "dynamic_debug" };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (strcmp(name, dirs[i]) == 0)
            return true;
    return false;
}

/* ---- ops ----------------------------------------------------------------------- */

/* What an entry-creating op finds at its dst: 1 with the canonical path,
 * its owning mount and what is there now; 0 when the op failed (recorded
 * with fail_op); -1 on a refusal or error (in f->e). */
static int entry_at(struct fs *f, size_t i, const struct plan_mount_op *op, char *canon, int *owner,
                    struct look *l)
{
    int err = 0;
    int r = entry_parent(f, i, op->dst, canon, owner, &err);
    if (r == -2)
        return -1;
    if (r < 0) {
        fail_op(f, i, err);
        return 0;
    }
    if (look(f->b, canon, l) < 0)
        return cell_err_sys(f->e, errno, "gvisor: op %zu", i);
    return 1;
}

static int op_mkdir(struct fs *f, size_t i, const struct plan_mount_op *op)
{
    char canon[PATHBUF];
    int owner;
    struct look l;
    int r = entry_at(f, i, op, canon, &owner, &l);
    if (r <= 0)
        return r;
    if (l.kind == K_DIR) {
        f->b->ops[i].how = OCI_HOW_HOST; /* exists: native accepts it */
        return 0;
    }
    if (l.kind != K_NONE) {
        fail_op(f, i, l.kind == K_LINK ? ELOOP : ENOTDIR);
        return 0;
    }
    const struct oci_mount *om = &f->b->mounts[owner];
    if (add_entry(f, owner, rel_to(canon, om->dst), OCI_E_DIR, op->mode, NULL, (int)i) < 0)
        return -1;
    f->b->ops[i].how = OCI_HOW_HOST;
    return 0;
}

static int op_symlink(struct fs *f, size_t i, const struct plan_mount_op *op)
{
    char canon[PATHBUF];
    int owner;
    struct look l;
    int r = entry_at(f, i, op, canon, &owner, &l);
    if (r <= 0)
        return r;
    if (l.kind == K_LINK && strcmp(l.target, op->src) == 0) {
        f->b->ops[i].how = OCI_HOW_HOST;
        return 0;
    }
    if (l.kind != K_NONE) {
        fail_op(f, i, EEXIST);
        return 0;
    }
    const struct oci_mount *om = &f->b->mounts[owner];
    if (add_entry(f, owner, rel_to(canon, om->dst), OCI_E_SYMLINK, 0777, op->src, (int)i) < 0)
        return -1;
    f->b->ops[i].how = OCI_HOW_HOST;
    return 0;
}

static int op_bind(struct fs *f, size_t i, const struct plan_mount_op *op, bool device)
{
    struct stat st;
    if (stat(op->src, &st) < 0) {
        if (errno == ENOENT && (op->flags & CP_MNT_OPTIONAL)) {
            f->b->ops[i].how = OCI_HOW_SKIPPED;
            return 0;
        }
        fail_op(f, i, errno);
        return 0;
    }
    if (device) {
        bool ok = false;
        for (size_t k = 0; k < sizeof allowed_devices / sizeof *allowed_devices; k++)
            ok |= strcmp(op->src, allowed_devices[k]) == 0;
        if (!ok)
            return refuse(f, i,
                          "gVisor serves host devices as plain files; only /dev/null, "
                          "/dev/zero, /dev/full, /dev/random, /dev/urandom and /dev/tty are supported");
        if (!S_ISCHR(st.st_mode)) {
            fail_op(f, i, ENODEV);
            return 0;
        }
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        return refuse(f, i,
                      "the source is a device node, which gVisor would open despite nodev "
                      "(grant it as a device)");
    }
    char canon[PATHBUF];
    int err = 0;
    int r = mount_point(f, i, op->dst, S_ISDIR(st.st_mode), canon, &err);
    if (r == -2)
        return -1;
    if (r < 0) {
        fail_op(f, i, err);
        return 0;
    }
    struct oci_mount m = {
        .kind = OCI_FS_CLONE,
        .dst = canon,
        .op = (int)i,
        .recursive = (op->flags & CP_MNT_RECURSIVE) != 0,
        .is_dir = S_ISDIR(st.st_mode),
        .device = device,
        .host = (char *)op->src,
        .from = -1,
        .stage = (int)f->b->n_clones++,
    };
    if (add_mount(f, &m) < 0)
        return -1;
    f->b->ops[i].how = OCI_HOW_GVISOR;
    return 0;
}

static int op_tmpfs(struct fs *f, size_t i, const struct plan_mount_op *op, bool workspace)
{
    char canon[PATHBUF];
    int err = 0;
    int r = mount_point(f, i, op->dst, true, canon, &err);
    if (r == -2)
        return -1;
    if (r < 0) {
        fail_op(f, i, err);
        return 0;
    }
    bool staged = f->staged_op[i];
    struct oci_mount m = {
        .kind = staged ? OCI_FS_STAGED : OCI_FS_TMPFS,
        .dst = canon,
        .op = (int)i,
        .flags = op->flags & (CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC),
        .size = op->size,
        .mode = op->mode,
        .chown = workspace || op->line != 0, /* as native: the policy's tmpfs are the cell's */
        .uid = f->p->process.uid,
        .gid = f->p->process.gid,
        .from = -1,
        .stage = staged ? (int)f->b->n_staged++ : -1,
        .is_dir = true,
    };
    if (add_mount(f, &m) < 0)
        return -1;
    f->b->ops[i].how = OCI_HOW_GVISOR;
    return 0;
}

static int op_fresh(struct fs *f, size_t i, const struct plan_mount_op *op, enum oci_fs_kind k)
{
    char canon[PATHBUF];
    int err = 0;
    int r = mount_point(f, i, op->dst, true, canon, &err);
    if (r == -2)
        return -1;
    if (r < 0) {
        fail_op(f, i, err);
        return 0;
    }
    struct oci_mount m = {
        .kind = k,
        .dst = canon,
        .op = (int)i,
        .is_dir = true,
        .from = -1,
        .stage = -1,
        .flags = k == OCI_FS_PROC ? (CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC)
                                  : (CP_MNT_NOSUID | CP_MNT_NOEXEC),
    };
    if (add_mount(f, &m) < 0)
        return -1;
    f->b->ops[i].how = OCI_HOW_GVISOR;
    return 0;
}

/* An empty read-only mount hiding dst (a directory or a file). */
static int add_mask_at(struct fs *f, int op, const char *canon, bool dir, bool beneath)
{
    struct oci_mount m = {
        .kind = dir ? OCI_FS_MASK_DIR : OCI_FS_MASK_FILE,
        .dst = (char *)canon,
        .op = op,
        .flags = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC,
        .is_dir = dir,
        .size = 4096,
        .mode = 0555,
        .from = -1,
        .stage = -1,
    };
    return add_mount_at(f, &m, beneath) < 0 ? -1 : 0;
}

static int add_mask(struct fs *f, int op, const char *canon, bool dir)
{
    return add_mask_at(f, op, canon, dir, false);
}

/* As native (mount_ops.c): does op i target only what a skipped OPTIONAL
 * op would have mounted? The last op before i placing something at exactly
 * dst was skipped, or (dst absent) dst lies beneath a skipped op's dst. */
static bool targets_skipped(const struct fs *f, size_t i, const char *dst, bool absent)
{
    const struct plan *p = f->p;
    for (size_t k = i; k-- > 0;) {
        const struct plan_mount_op *o = &p->fs.ops[k];
        bool mounts = o->opcode == CP_OP_BIND || o->opcode == CP_OP_DEVNODE || o->opcode == CP_OP_MASK ||
            o->opcode == CP_OP_TMPFS || o->opcode == CP_OP_WORKSPACE || o->opcode == CP_OP_PROC ||
            o->opcode == CP_OP_DEVPTS;
        if (mounts && strcmp(o->dst, dst) == 0)
            return f->b->ops[k].how == OCI_HOW_SKIPPED;
    }
    if (!absent)
        return false;
    for (size_t k = 0; k < i; k++)
        if (f->b->ops[k].how == OCI_HOW_SKIPPED && sys_path_within(dst, p->fs.ops[k].dst))
            return true;
    return false;
}

static int op_mask(struct fs *f, size_t i, const struct plan_mount_op *op)
{
    struct res r;
    if (resolve(f->b, op->dst, false, &r) < 0)
        return cell_err_sys(f->e, errno, "gvisor: op %zu", i);
    switch (r.l.kind) {
    case K_NONE:
        if (r.l.err == ENOENT && ((op->flags & CP_MNT_OPTIONAL) || targets_skipped(f, i, op->dst, true))) {
            f->b->ops[i].how = OCI_HOW_SKIPPED;
            return 0;
        }
        fail_op(f, i, r.l.err);
        return 0;
    case K_LINK: fail_op(f, i, ELOOP); return 0;
    case K_UNKNOWN:
        /* inside gVisor's procfs or devpts: mask what is or would be
         * there; gVisor makes the mount point when it is absent */
        if (add_mask(f, (int)i, r.path, proc_dir_name(base_of(r.path))) < 0)
            return -1;
        break;
    default:
        if (add_mask(f, (int)i, r.path, r.l.kind == K_DIR) < 0)
            return -1;
    }
    f->b->ops[i].how = OCI_HOW_GVISOR;
    return 0;
}

static int op_remount(struct fs *f, size_t i, const struct plan_mount_op *op)
{
    uint16_t fl = op->flags & (CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC);
    struct oci_bundle *b = f->b;
    if (strcmp(op->dst, "/") == 0) {
        b->mounts[0].flags |= fl;
        b->ops[i].how = OCI_HOW_GVISOR;
        return 0;
    }
    if (targets_skipped(f, i, op->dst, false)) {
        b->ops[i].how = OCI_HOW_SKIPPED; /* the optional mount it belongs to is absent */
        return 0;
    }
    struct res r;
    if (resolve(b, op->dst, false, &r) < 0)
        return cell_err_sys(f->e, errno, "gvisor: op %zu", i);
    if (r.l.kind == K_NONE) {
        if (r.l.err == ENOENT && targets_skipped(f, i, op->dst, true))
            b->ops[i].how = OCI_HOW_SKIPPED;
        else
            fail_op(f, i, r.l.err);
        return 0;
    }
    if (r.l.kind == K_LINK) {
        fail_op(f, i, ELOOP);
        return 0;
    }
    int mi = covering(b, r.path);
    struct oci_mount *m = &b->mounts[mi];
    if (strcmp(m->dst, r.path) == 0 && r.l.kind != K_UNKNOWN) {
        m->flags |= fl; /* dst is a mount of its own */
        b->ops[i].how = OCI_HOW_GVISOR;
        return 0;
    }
    if (r.l.kind != K_UNKNOWN && (stages_entries(m->kind) || m->kind == OCI_FS_CLONE)) {
        /* a sub-path: bind it onto itself with the flags, as native does */
        struct oci_mount c = {
            .kind = OCI_FS_CLONE,
            .dst = r.path,
            .op = (int)i,
            .flags = m->flags | fl,
            .is_dir = r.l.kind == K_DIR,
            .host = (char *)rel_to(r.path, m->dst),
            .from = mi,
            .stage = (int)b->n_clones++,
        };
        if (add_mount(f, &c) < 0)
            return -1;
        b->ops[i].how = OCI_HOW_GVISOR;
        return 0;
    }
    /* inside a filesystem gVisor makes (procfs: e.g. /proc/sys), which
     * cannot be re-mounted in part: read-only becomes an empty read-only
     * directory there (narrower than the plan: its contents are hidden) */
    if (!(fl & CP_MNT_RDONLY)) {
        if (fl & CP_MNT_NOEXEC)
            return refuse(f, i, "%s lies in a filesystem gVisor makes, which cannot be made noexec in part",
                          r.path);
        b->ops[i].how = OCI_HOW_GVISOR; /* nosuid/nodev: see docs/backends.md */
        return 0;
    }
    bool dir = r.l.kind == K_DIR || (r.l.kind == K_UNKNOWN && proc_dir_name(base_of(r.path)));
    bool in_proc = m->kind == OCI_FS_PROC; /* add_mask may move b->mounts: m is not used after it */
    if (add_mask(f, (int)i, r.path, dir) < 0)
        return -1;
    oci_note(b, "filesystem.remount",
             "%.80s lies in gVisor's %s, which cannot be re-mounted in part: "
             "it is an empty read-only %s instead",
             r.path, in_proc ? "procfs" : "own filesystem", dir ? "directory" : "file");
    b->ops[i].how = OCI_HOW_GVISOR;
    return 0;
}

static int op_chdir(struct fs *f, size_t i, const struct plan_mount_op *op)
{
    struct res r;
    if (resolve(f->b, op->dst, true, &r) < 0)
        return cell_err_sys(f->e, errno, "gvisor: op %zu", i);
    if (r.l.kind == K_NONE) {
        fail_op(f, i, r.l.err);
        return 0;
    }
    if (r.l.kind != K_DIR && r.l.kind != K_UNKNOWN) {
        fail_op(f, i, ENOTDIR);
        return 0;
    }
    f->b->ops[i].how = OCI_HOW_GVISOR;
    return 0;
}

/* ---- after the program -------------------------------------------------------- */

/* File secrets: one secrets mount per directory holding one. */
static int secrets(struct fs *f)
{
    const struct plan *p = f->p;
    struct oci_bundle *b = f->b;
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        const struct plan_secret *s = &p->secrets.items[i];
        if (s->delivery != CP_SECRET_FILE)
            continue;
        char dir[PATHBUF];
        snprintf(dir, sizeof dir, "%s", s->target);
        parent_of(dir);
        if (strcmp(dir, "/") == 0) {
            b->secrets_err = EINVAL; /* native never places a secret at the root */
            return 0;
        }
        struct res r;
        if (resolve(b, dir, false, &r) < 0)
            return cell_err_sys(f->e, errno, "gvisor: secrets");
        if (r.l.kind == K_NONE || r.l.kind == K_LINK || (r.l.kind != K_DIR && r.l.kind != K_UNKNOWN)) {
            b->secrets_err = r.l.kind == K_NONE ? r.l.err : r.l.kind == K_LINK ? ELOOP : ENOTDIR;
            return 0;
        }
        int mi = -1;
        for (size_t k = 0; k < b->n_mounts; k++)
            if (b->mounts[k].kind == OCI_FS_SECRETS && strcmp(b->mounts[k].dst, r.path) == 0)
                mi = (int)k;
        if (mi < 0) {
            struct oci_mount m = {
                .kind = OCI_FS_SECRETS,
                .dst = r.path,
                .op = -1,
                .size = 1u << 20,
                .mode = 0500,
                .chown = true,
                .uid = p->process.uid,
                .gid = p->process.gid,
                .is_dir = true,
                .flags = CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC,
                .from = -1,
                .stage = (int)b->n_secret_dirs++,
            };
            mi = add_mount(f, &m);
            if (mi < 0)
                return -1;
        }
        const char *name = base_of(s->target);
        for (size_t k = 0; k < b->n_secret_files; k++)
            if (b->secret_files[k].mount == mi && strcmp(b->secret_files[k].name, name) == 0) {
                b->secrets_err = EEXIST;
                return 0;
            }
        struct oci_secret_file *n = realloc(b->secret_files, (b->n_secret_files + 1) * sizeof *n);
        if (!n)
            return cell_err_sys(f->e, ENOMEM, "gvisor: secrets");
        b->secret_files = n;
        n[b->n_secret_files] = (struct oci_secret_file){ .mount = mi, .name = strdup(name), .secret = i };
        if (!n[b->n_secret_files].name)
            return cell_err_sys(f->e, ENOMEM, "gvisor: secrets");
        b->n_secret_files++;
    }
    return 0;
}

/* Egress: the cell's resolver names its DNS answerer (runtime/net). As on
 * the native backend, a read-only file is mounted over /etc/resolv.conf
 * when the cell's tree has one (a regular file, final symlink not
 * followed); without one nothing is placed (LOOPBACK detail 3). */
static int resolv_conf(struct fs *f)
{
    struct oci_bundle *b = f->b;
    struct res r;
    if (resolve(b, "/etc/resolv.conf", false, &r) < 0)
        return cell_err_sys(f->e, errno, "gvisor: /etc/resolv.conf");
    if (r.l.kind != K_FILE || (r.l.mode && !S_ISREG(r.l.mode)))
        return 0;
    struct oci_mount m = {
        .kind = OCI_FS_MASK_FILE,
        .resolv = true,
        .dst = r.path,
        .op = -1,
        .flags = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC,
        .mode = 0444,
        .from = -1,
        .stage = -1,
    };
    if (add_mount(f, &m) < 0)
        return -1;
    b->resolv_placed = true;
    return 0;
}

/* runsc mounts its own procfs, sysfs, dev, devpts and a writable tmpfs at
 * /tmp wherever the config has no mount there. Pre-empt each with a mount
 * that shows what the plan's tree has there. */
static int covers(struct fs *f)
{
    static const char *const paths[] = { "/dev", "/dev/pts", "/proc", "/sys", "/tmp" };
    struct oci_bundle *b = f->b;
    char made[128] = "";
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
        const char *path = paths[k];
        bool mounted = false;
        for (size_t i = 0; i < b->n_mounts; i++)
            mounted |= b->mounts[i].live && strcmp(b->mounts[i].dst, path) == 0;
        if (mounted)
            continue;
        struct res r;
        if (resolve(b, path, false, &r) < 0)
            return cell_err_sys(f->e, errno, "gvisor: %s", path);
        if (strcmp(r.path, path) != 0 && r.l.kind != K_NONE)
            return cell_err(f->e, 0,
                            "filesystem: the gvisor backend cannot run this: %s is a symlink "
                            "or lies behind one, and runsc mounts its own filesystem there",
                            path);
        if (r.l.kind == K_UNKNOWN)
            continue; /* inside procfs/devpts: not a runsc mount point */
        if (r.l.kind == K_LINK || r.l.kind == K_FILE)
            return cell_err(f->e, 0,
                            "filesystem: the gvisor backend cannot run this: %s is not a "
                            "directory, and runsc mounts its own filesystem there",
                            path);
        int mi = covering(b, path);
        struct oci_mount *m = &b->mounts[mi];
        if (r.l.kind == K_DIR && (stages_entries(m->kind) || m->kind == OCI_FS_CLONE)) {
            /* the plan's own directory: shown through a bind of itself */
            uint16_t fl = m->flags;
            struct oci_mount c = {
                .kind = OCI_FS_CLONE,
                .dst = (char *)path,
                .op = -1,
                .flags = fl,
                .is_dir = true,
                .host = (char *)rel_to(path, m->dst),
                .from = mi,
                .stage = (int)b->n_clones++,
            };
            if (add_mount_at(f, &c, true) < 0)
                return -1;
            continue;
        }
        if (r.l.kind == K_DIR) {
            /* a directory inside a gVisor tmpfs or mask: empty, read-only */
            if (add_mask_at(f, -1, path, true, true) < 0)
                return -1;
            continue;
        }
        /* absent from the plan's tree: an empty read-only directory */
        char canon[PATHBUF];
        int err = 0;
        int rc = mount_point(f, 0, path, true, canon, &err);
        if (rc == -2)
            return -1;
        if (rc < 0)
            return cell_err(f->e, 0,
                            "filesystem: the gvisor backend cannot run this: runsc mounts its "
                            "own filesystem at %s, and it cannot be covered there (%s)",
                            path, strerror(err));
        if (add_mask(f, -1, canon, true) < 0)
            return -1;
        size_t l = strlen(made);
        snprintf(made + l, sizeof made - l, "%s%s", l ? " " : "", path);
    }
    if (made[0])
        oci_note(b, "filesystem.covers",
                 "%s: absent from the plan, present in the cell as empty read-only "
                 "directories (runsc would otherwise mount its own filesystems there)",
                 made);
    return 0;
}

static bool gofer_backed(enum oci_fs_kind k)
{
    return k == OCI_FS_ROOT || k == OCI_FS_STAGED || k == OCI_FS_CLONE || k == OCI_FS_SECRETS ||
        k == OCI_FS_MASK_FILE;
}

/* runsc's gofer re-creates every bind mount of the config on the host side,
 * inside the root directory, ignoring gVisor's own filesystems: each bind's
 * destination must exist in the host-side tree too (e.g. the skeleton's
 * /proc/kcore under a mask that gVisor places over its procfs). Make the
 * missing ones where cellrun stages; refuse where that is a host tree. */
static int gofer_mount_points(struct fs *f)
{
    struct oci_bundle *b = f->b;
    for (size_t i = 1; i < b->n_mounts; i++) {
        const struct oci_mount *m = &b->mounts[i];
        if (!m->live || !gofer_backed(m->kind))
            continue;
        /* the deepest other live host-side mount above m */
        int g = 0;
        size_t gl = 1;
        for (size_t k = 1; k < b->n_mounts; k++) {
            const struct oci_mount *o = &b->mounts[k];
            size_t l = strlen(o->dst);
            if (k != i && o->live && gofer_backed(o->kind) && sys_path_within(m->dst, o->dst) &&
                strcmp(o->dst, m->dst) != 0 && l > gl) {
                g = (int)k;
                gl = l;
            }
        }
        const struct oci_mount *gm = &b->mounts[g];
        const char *rel = rel_to(m->dst, gm->dst);
        /* each component below gm, then the mount point itself */
        char sub[PATHBUF];
        size_t at = 0;
        for (;;) {
            const char *slash = strchr(rel + at, '/');
            bool last = !slash;
            size_t end = last ? strlen(rel) : (size_t)(slash - rel);
            memcpy(sub, rel, end);
            sub[end] = 0;
            struct look l;
            memset(&l, 0, sizeof l);
            if (look_in(b, g, sub, &l) < 0)
                return cell_err_sys(f->e, errno, "gvisor: %s", m->dst);
            bool want_dir = !last || m->is_dir || m->kind != OCI_FS_MASK_FILE;
            if (m->kind == OCI_FS_CLONE && last)
                want_dir = m->is_dir;
            if (l.kind == K_NONE) {
                if (!stages_entries(gm->kind))
                    return cell_err(f->e, 0,
                                    "filesystem: the gvisor backend cannot run this: runsc's gofer "
                                    "would create %s inside the host tree bound at %s",
                                    m->dst, gm->dst);
                if (add_entry(f, g, sub, want_dir ? OCI_E_DIR : OCI_E_FILE, want_dir ? 0755 : 0444, NULL,
                              -1) < 0)
                    return -1;
            } else if (l.kind == K_LINK || (want_dir ? l.kind != K_DIR : l.kind == K_DIR)) {
                return cell_err(f->e, 0,
                                "filesystem: the gvisor backend cannot run this: %s is a %s where "
                                "runsc's gofer needs a mount point for %s",
                                sub,
                                l.kind == K_LINK      ? "symlink"
                                    : l.kind == K_DIR ? "directory"
                                                      : "file",
                                m->dst);
            }
            if (last)
                break;
            at = end + 1;
        }
    }
    return 0;
}

/* TMPFS/WORKSPACE ops with MKDIR/SYMLINK ops inside are staged on the host. */
static void decide_staging(struct fs *f)
{
    const struct plan *p = f->p;
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        if (op->opcode != CP_OP_TMPFS && op->opcode != CP_OP_WORKSPACE)
            continue;
        for (size_t j = i + 1; j < p->fs.n_ops; j++) {
            const struct plan_mount_op *o2 = &p->fs.ops[j];
            if ((o2->opcode == CP_OP_MKDIR || o2->opcode == CP_OP_SYMLINK) &&
                sys_path_within(o2->dst, op->dst) && strcmp(o2->dst, op->dst) != 0)
                f->staged_op[i] = true;
        }
    }
}

int oci_fs_translate(const struct plan *p, struct oci_bundle *b, struct cell_error *e)
{
    struct fs f = { .p = p, .b = b, .e = e };
    b->fail_op = -1;
    b->n_ops = p->fs.n_ops;
    b->ops = calloc(p->fs.n_ops ? p->fs.n_ops : 1, sizeof *b->ops);
    f.staged_op = calloc(p->fs.n_ops ? p->fs.n_ops : 1, sizeof *f.staged_op);
    if (!b->ops || !f.staged_op) {
        free(f.staged_op);
        return cell_err_sys(e, ENOMEM, "gvisor: translating the mount program");
    }
    decide_staging(&f);
    int rc = 0;
    for (size_t i = 0; i < p->fs.n_ops && rc == 0; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        f.cur_op = (int)i;
        if (b->fail_op >= 0) {
            b->ops[i].how = OCI_HOW_UNREACHED;
            continue;
        }
        switch (op->opcode) {
        case CP_OP_ROOTFS: {
            struct oci_mount root = {
                .kind = OCI_FS_ROOT,
                .dst = "/",
                .op = (int)i,
                .flags = CP_MNT_NOSUID | CP_MNT_NODEV,
                .size = op->size,
                .mode = op->mode,
                .is_dir = true,
                .from = -1,
                .stage = -1,
            };
            if (b->n_mounts != 0 || i != 0) {
                rc = cell_err(e, 0, "filesystem: op %zu: a second rootfs", i);
                break;
            }
            rc = add_mount(&f, &root) < 0 ? -1 : 0;
            b->ops[i].how = OCI_HOW_HOST;
            break;
        }
        case CP_OP_MKDIR: rc = op_mkdir(&f, i, op); break;
        case CP_OP_SYMLINK: rc = op_symlink(&f, i, op); break;
        case CP_OP_BIND: rc = op_bind(&f, i, op, false); break;
        case CP_OP_DEVNODE: rc = op_bind(&f, i, op, true); break;
        case CP_OP_TMPFS: rc = op_tmpfs(&f, i, op, false); break;
        case CP_OP_WORKSPACE: rc = op_tmpfs(&f, i, op, true); break;
        case CP_OP_PROC: rc = op_fresh(&f, i, op, OCI_FS_PROC); break;
        case CP_OP_DEVPTS: rc = op_fresh(&f, i, op, OCI_FS_DEVPTS); break;
        case CP_OP_MASK: rc = op_mask(&f, i, op); break;
        case CP_OP_REMOUNT: rc = op_remount(&f, i, op); break;
        case CP_OP_PIVOT_ROOT: b->ops[i].how = OCI_HOW_GVISOR; break;
        case CP_OP_CHDIR: rc = op_chdir(&f, i, op); break;
        default: rc = cell_err(e, 0, "filesystem: op %zu: unknown opcode %u", i, op->opcode);
        }
    }
    if (rc == 0 && b->n_mounts == 0)
        rc = cell_err(e, 0, "filesystem: the mount program has no rootfs");
    if (rc == 0 && (b->mounts[0].flags & CP_MNT_NOEXEC) && !(b->mounts[0].flags & CP_MNT_RDONLY))
        rc = cell_err(e, 0,
                      "filesystem: the gvisor backend cannot run this: a writable root "
                      "cannot be made noexec in gVisor");
    f.cur_op = -1;
    if (rc == 0 && b->fail_op < 0)
        rc = secrets(&f);
    if (rc == 0 && b->fail_op < 0 && p->net.mode == CP_NET_EGRESS)
        rc = resolv_conf(&f);
    if (rc == 0 && b->fail_op < 0)
        rc = covers(&f);
    if (rc == 0 && b->fail_op < 0)
        rc = gofer_mount_points(&f);
    b->root_readonly = b->n_mounts && (b->mounts[0].flags & CP_MNT_RDONLY);
    free(f.staged_op);
    return rc;
}

/* ---- checks on the final tree (used by oci_config.c) ---------------------------- */

/* errno native's execve would give argv0, 0 when fine or unknown. */
int oci_fs_exec_check(const struct oci_bundle *b, const char *argv0);
int oci_fs_exec_check(const struct oci_bundle *b, const char *argv0)
{
    struct res r;
    if (resolve(b, argv0, true, &r) < 0)
        return 0;
    if (r.l.kind == K_UNKNOWN)
        return 0;
    if (r.l.kind == K_NONE)
        return r.l.err;
    if (r.l.kind != K_FILE)
        return EACCES;
    const struct oci_mount *m = &b->mounts[r.l.mount];
    if (m->flags & CP_MNT_NOEXEC)
        return EACCES;
    if (m->kind == OCI_FS_CLONE && !r.l.exec_ok)
        return EACCES;
    if (m->kind != OCI_FS_CLONE)
        return EACCES; /* staged entries are never executables */
    return 0;
}

/* errno of a chdir to the working directory, 0 when fine or unknown. */
int oci_fs_dir_check(const struct oci_bundle *b, const char *dir);
int oci_fs_dir_check(const struct oci_bundle *b, const char *dir)
{
    struct res r;
    if (resolve(b, dir, true, &r) < 0)
        return 0;
    if (r.l.kind == K_NONE)
        return r.l.err;
    if (r.l.kind != K_DIR && r.l.kind != K_UNKNOWN)
        return ENOTDIR;
    return 0;
}
