/*
 * check_fs.c - filesystem grants: typing each grant, narrow-authority rules
 * (`unsafe` exactly where needed), the parts a dev or proc grant implies,
 * and the checks across grants: one grant per destination, nothing beneath
 * a symlink, mask or device, no dir or symlink created inside a host tree,
 * no read-only view shadowed by a writable view of the same host files,
 * masks that hide something, and a cwd and argv[0] the cell can reach.
 *
 * The rules are documented in docs/language.md ("filesystem").
 */
#include "check_int.h"

#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>

#define DEV_TMPFS_SIZE (64u * 1024)
#define SHM_SIZE       (64u * 1024 * 1024)

/* rw of these trees needs unsafe (the path itself or anything beneath it) */
static const char *const rw_trees[] = {
    "/bin",  "/boot", "/dev", "/etc",  "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/root", "/run", "/sbin", "/sys", "/usr",   "/var",
};
/* ... except beneath these, which are meant for writable data */
static const char *const rw_tree_exceptions[] = { "/var/cache", "/var/tmp" };
/* rw of exactly these needs unsafe (beneath them is fine) */
static const char *const rw_exact[] = { "/home", "/media", "/mnt", "/opt", "/srv", "/tmp" };
/* ro of these trees needs unsafe: host kernel state, devices, sockets, root's home */
static const char *const ro_trees[] = { "/boot", "/dev", "/proc", "/root", "/run", "/sys", "/var/run" };
/* devices a `device` grant may name without unsafe */
static const char *const safe_devices[] = {
    "/dev/full", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero",
};
/* what `dev` makes: host device nodes, then symlinks */
static const char *const dev_nodes[] = { "full", "null", "random", "tty", "urandom", "zero" };
static const struct {
    const char *name, *target;
} dev_links[] = {
    { "fd", "/proc/self/fd" },      { "ptmx", "pts/ptmx" },          { "stderr", "/proc/self/fd/2" },
    { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
};
/* what `proc` hides (optional masks) and makes read-only. The last seven:
 * host-wide kernel state readable by host root only (mode 0400, no
 * capability check in the kernel): physical page flags and counts, slab
 * and vmalloc layouts, serial line counters. The cell's uid 0 is host root
 * (identity maps), so without a mask a root job reads them. */
static const char *const proc_masks[] = {
    "acpi",       "asound",        "bus",        "fs",          "irq",           "kallsyms",
    "kcore",      "key-users",     "keys",       "kmsg",        "latency_stats", "sched_debug",
    "scsi",       "sysrq-trigger", "timer_list", "timer_stats", "kpagecgroup",   "kpagecount",
    "kpageflags", "pagetypeinfo",  "slabinfo",   "tty/driver",  "vmallocinfo",
};
static const char *const proc_readonly[] = { "sys" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list_within(const char *p, const char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sys_path_within(p, l[i]))
            return true;
    return false;
}

static bool in_list_exact(const char *p, const char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p, l[i]))
            return true;
    return false;
}

static bool rw_needs_unsafe(const char *src)
{
    if (!strcmp(src, "/"))
        return true;
    if (in_list_exact(src, rw_exact, N(rw_exact)))
        return true;
    if (in_list_within(src, rw_tree_exceptions, N(rw_tree_exceptions)) &&
        !in_list_exact(src, rw_tree_exceptions, N(rw_tree_exceptions)))
        return false;
    return in_list_within(src, rw_trees, N(rw_trees));
}

static bool ro_needs_unsafe(const char *src)
{
    return !strcmp(src, "/") || in_list_within(src, ro_trees, N(ro_trees));
}

bool check_rw_needs_unsafe(const char *host_path)
{
    return rw_needs_unsafe(host_path);
}

bool check_ro_needs_unsafe(const char *host_path)
{
    return ro_needs_unsafe(host_path);
}

static const char *kind_name(int k)
{
    switch (k) {
    case AS_RO: return "ro";
    case AS_RW: return "rw";
    case AS_TMPFS: return "tmpfs";
    case AS_WORKSPACE: return "workspace";
    case AS_PROC: return "proc";
    case AS_DEV: return "dev";
    case AS_MASK: return "mask";
    case AS_DIR: return "dir";
    case AS_SYMLINK: return "symlink";
    case AS_DEVICE: return "device";
    case GK_DEVPTS: return "devpts";
    case GK_REMOUNT_RO: return "read-only remount";
    }
    return "?";
}

static const char *opt_name(enum ast_opt_kind k)
{
    switch (k) {
    case AO_AT: return "at";
    case AO_OPTIONAL: return "optional";
    case AO_UNSAFE: return "unsafe";
    case AO_SIZE: return "size";
    case AO_MODE: return "mode";
    case AO_NOEXEC: return "noexec";
    case AO_SHA256: return "sha256";
    case AO_REQUIRED: return "required";
    case AO_ANY_NAME: return "any-name";
    }
    return "?";
}

/* Which options each grant takes (bit per enum ast_opt_kind) and the text
 * that says so. */
static unsigned opts_allowed(int kind, const char **text)
{
#define B(x) (1u << (x))
    switch (kind) {
    case AS_RO:
    case AS_RW:
        *text = "at, optional, noexec and unsafe";
        return B(AO_AT) | B(AO_OPTIONAL) | B(AO_NOEXEC) | B(AO_UNSAFE);
    case AS_TMPFS:
    case AS_WORKSPACE: *text = "size, mode and noexec"; return B(AO_SIZE) | B(AO_MODE) | B(AO_NOEXEC);
    case AS_MASK: *text = "optional"; return B(AO_OPTIONAL);
    case AS_DIR: *text = "mode"; return B(AO_MODE);
    case AS_DEVICE: *text = "optional and unsafe"; return B(AO_OPTIONAL) | B(AO_UNSAFE);
    default: *text = "no options"; return 0;
    }
#undef B
}

static struct fs_grant *add_grant(struct chk *c)
{
    return CHK_PUSH(c, c->grants, c->pol->n_grants, c->cap_grants);
}

static void add_implied(struct chk *c, size_t parent, int kind, const char *dst, const char *src)
{
    const struct fs_grant *pg = &c->grants[parent];
    struct loc loc = pg->loc, dloc = pg->dst_loc;
    struct fs_grant *g = add_grant(c);
    g->kind = kind;
    g->dst = dst;
    g->src = src;
    g->implied = true;
    g->parent = parent;
    g->loc = loc;
    g->dst_loc = dloc;
}

static const char *join(struct chk *c, const char *dir, const char *name)
{
    return !strcmp(dir, "/") ? arena_printf(c->a, "/%s", name) : arena_printf(c->a, "%s/%s", dir, name);
}

static void expand_dev(struct chk *c, size_t gi)
{
    const char *d = c->grants[gi].dst;
    for (size_t i = 0; i < N(dev_nodes); i++)
        add_implied(c, gi, AS_DEVICE, join(c, d, dev_nodes[i]), arena_printf(c->a, "/dev/%s", dev_nodes[i]));
    add_implied(c, gi, GK_DEVPTS, join(c, d, "pts"), NULL);
    add_implied(c, gi, AS_TMPFS, join(c, d, "shm"), NULL);
    struct fs_grant *shm = &c->grants[c->pol->n_grants - 1];
    shm->size = SHM_SIZE;
    shm->mode = 01777;
    shm->noexec = true;
    for (size_t i = 0; i < N(dev_links); i++)
        add_implied(c, gi, AS_SYMLINK, join(c, d, dev_links[i].name), dev_links[i].target);
    c->grants[gi].size = DEV_TMPFS_SIZE;
    c->grants[gi].mode = 0755;
}

static void expand_proc(struct chk *c, size_t gi)
{
    const char *d = c->grants[gi].dst;
    for (size_t i = 0; i < N(proc_masks); i++) {
        add_implied(c, gi, AS_MASK, join(c, d, proc_masks[i]), NULL);
        c->grants[c->pol->n_grants - 1].optional = true;
    }
    for (size_t i = 0; i < N(proc_readonly); i++)
        add_implied(c, gi, GK_REMOUNT_RO, join(c, d, proc_readonly[i]), NULL);
}

void check_fs_stmt(struct chk *c, const struct ast_stmt *s)
{
    const char *allowed_text;
    unsigned allowed = opts_allowed(s->kind, &allowed_text);
    const struct ast_opt *seen[AO_SHA256 + 1] = { 0 };
    bool ok = true;
    for (const struct ast_opt *o = s->opts; o; o = o->next) {
        if (!(allowed & (1u << o->kind))) {
            diag_error(c->d, o->loc, "'%s' does not apply to %s (it takes %s)", opt_name(o->kind),
                       kind_name(s->kind), allowed_text);
            ok = false;
            continue;
        }
        if (seen[o->kind]) {
            diag_error(c->d, o->loc, "option '%s' given twice", opt_name(o->kind));
            diag_note(c->d, seen[o->kind]->loc, "first given here");
            ok = false;
            continue;
        }
        seen[o->kind] = o;
    }

    struct fs_grant g = { .kind = s->kind, .loc = s->loc, .dst_loc = s->vals->loc };
    const char *main_path;
    if (chk_path(c, s->vals, &main_path)) {
        c->fs_dropped++;
        return;
    }
    if (s->kind == AS_RO || s->kind == AS_RW || s->kind == AS_DEVICE) {
        g.src = main_path;
        g.dst = main_path;
        if (seen[AO_AT]) {
            g.dst_loc = seen[AO_AT]->val->loc;
            if (chk_path(c, seen[AO_AT]->val, &g.dst))
                return;
        }
    } else {
        g.dst = main_path;
    }
    if (!strcmp(g.dst, "/")) {
        diag_error(c->d, g.dst_loc,
                   "a grant cannot replace the cell's root '/': cellc builds the root; "
                   "grant paths beneath it");
        return;
    }
    if (seen[AO_OPTIONAL])
        g.optional = true;
    if (seen[AO_NOEXEC])
        g.noexec = true;

    const struct ast_opt *u = seen[AO_UNSAFE] ? chk_unsafe_opt(c, s->opts) : NULL;
    switch (s->kind) {
    case AS_RW:
        if (rw_needs_unsafe(g.src)) {
            if (!u)
                diag_error(c->d, s->vals->loc, "read-write access to host %s needs unsafe \"why\"", g.src);
            else
                chk_add_unsafe(c, "rw-bind", g.src, u);
        } else if (u) {
            chk_unneeded_unsafe(c, u, arena_printf(c->a, "%s is not a protected host path", g.src));
        }
        break;
    case AS_RO:
        if (ro_needs_unsafe(g.src)) {
            if (!u)
                diag_error(c->d, s->vals->loc, "read access to host %s needs unsafe \"why\"", g.src);
            else
                chk_add_unsafe(c, "ro-bind", g.src, u);
        } else if (u) {
            chk_unneeded_unsafe(c, u, arena_printf(c->a, "%s is not a protected host path", g.src));
        }
        break;
    case AS_DEVICE:
        if (!sys_path_within(g.src, "/dev") || !strcmp(g.src, "/dev")) {
            diag_error(c->d, s->vals->loc, "a device grant names a device beneath /dev, not %s", g.src);
            return;
        }
        if (!in_list_exact(g.src, safe_devices, N(safe_devices))) {
            if (!u)
                diag_error(c->d, s->vals->loc, "access to device %s needs unsafe \"why\"", g.src);
            else
                chk_add_unsafe(c, "device", g.src, u);
        } else if (u) {
            chk_unneeded_unsafe(c, u, arena_printf(c->a, "%s is a harmless device", g.src));
        }
        break;
    case AS_TMPFS:
    case AS_WORKSPACE:
        if (!seen[AO_SIZE]) {
            diag_error(c->d, s->loc, "%s needs a size, e.g. `%s \"%s\" size 64MiB;`", kind_name(s->kind),
                       kind_name(s->kind), g.dst);
            ok = false;
        } else if (chk_bytes(c, seen[AO_SIZE]->val, &g.size)) {
            ok = false;
        } else if (g.size < 4096) {
            diag_error(c->d, seen[AO_SIZE]->val->loc, "%s size must be at least 4KiB", kind_name(s->kind));
            ok = false;
        }
        g.mode = 01777;
        if (seen[AO_MODE] && chk_mode(c, seen[AO_MODE]->val, 07777, &g.mode))
            ok = false;
        if (s->kind == AS_WORKSPACE) {
            if (!chk_once(c, &c->workspace, s->loc, "workspace"))
                ok = false;
        }
        break;
    case AS_DIR:
        g.mode = 0755;
        if (seen[AO_MODE] && chk_mode(c, seen[AO_MODE]->val, 07777, &g.mode))
            ok = false;
        break;
    case AS_SYMLINK: {
        const struct ast_val *t = s->vals2;
        if (t->len == 0 || memchr(t->s, 0, t->len) || t->len > CP_MAX_PATH) {
            diag_error(c->d, t->loc, "a symlink target is 1 to %d bytes without NUL", CP_MAX_PATH);
            ok = false;
        }
        g.src = t->s;
        break;
    }
    default: break;
    }
    if (!ok)
        return;

    /* at most one proc, dev and workspace */
    if (s->kind == AS_PROC || s->kind == AS_DEV) {
        for (size_t i = 0; i < c->pol->n_grants; i++) {
            const struct fs_grant *o = &c->grants[i];
            if (o->kind == (int)s->kind && !o->implied) {
                diag_error(c->d, s->loc, "a cell has at most one %s grant", kind_name(s->kind));
                diag_note(c->d, o->loc, "previous grant here");
                return;
            }
        }
    }
    struct fs_grant *ng = add_grant(c);
    *ng = g;
    size_t gi = c->pol->n_grants - 1;
    if (s->kind == AS_DEV)
        expand_dev(c, gi);
    else if (s->kind == AS_PROC)
        expand_proc(c, gi);
}

/* ---- checks across grants ---------------------------------------------------- */

struct gref {
    const struct fs_grant *g;
    size_t idx;
};

static int gref_cmp(const void *a, const void *b)
{
    const struct gref *x = a, *y = b;
    int r = path_cmp(x->g->dst, y->g->dst);
    if (r)
        return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *describe(struct chk *c, const struct fs_grant *g)
{
    if (g->implied) {
        const struct fs_grant *p = &c->grants[g->parent];
        return arena_printf(c->a, "the %s grant of %s", kind_name(p->kind), p->dst);
    }
    if (g->kind == AS_RO || g->kind == AS_RW)
        return arena_printf(c->a, "the %s grant of %s", kind_name(g->kind), g->src);
    return arena_printf(c->a, "the %s grant", kind_name(g->kind));
}

static bool is_bind(const struct fs_grant *g)
{
    return g->kind == AS_RO || g->kind == AS_RW;
}

/* Does some grant of the cell make path exist: a grant at or above it that
 * provides a directory tree, or a grant beneath it (whose parents are made)? */
static const struct fs_grant *deepest_cover(struct chk *c, const char *path)
{
    const struct fs_grant *best = NULL;
    for (size_t i = 0; i < c->pol->n_grants; i++) {
        const struct fs_grant *g = &c->grants[i];
        if (sys_path_within(path, g->dst) && (!best || strlen(g->dst) > strlen(best->dst)))
            best = g;
    }
    return best;
}

/* Resolve symlink grants in path, as the cell would; NULL on a loop. */
static const char *resolve_links(struct chk *c, const char *path)
{
    for (int hop = 0; hop < 40; hop++) {
        const struct fs_grant *link = NULL;
        /* at most one symlink grant contains path: nothing may lie beneath a symlink */
        for (size_t i = 0; i < c->pol->n_grants && !link; i++) {
            const struct fs_grant *g = &c->grants[i];
            if (g->kind == AS_SYMLINK && sys_path_within(path, g->dst))
                link = g;
        }
        if (!link)
            return path;
        const char *rest = path + strlen(link->dst);
        char *raw;
        if (link->src[0] == '/') {
            raw = arena_printf(c->a, "%s%s", link->src, rest);
        } else {
            const char *slash = strrchr(link->dst, '/');
            size_t dl = (size_t)(slash - link->dst);
            raw = arena_printf(c->a, "%.*s/%s%s", (int)dl, link->dst, link->src, rest);
        }
        /* normalise: drop empty and "." components, apply ".." */
        size_t n = strlen(raw);
        char *out = arena_alloc(c->a, n + 2);
        size_t o = 0;
        size_t i = 0;
        while (i < n) {
            while (i < n && raw[i] == '/')
                i++;
            size_t j = i;
            while (j < n && raw[j] != '/')
                j++;
            size_t l = j - i;
            if (l == 0 || (l == 1 && raw[i] == '.')) {
                /* skip */
            } else if (l == 2 && raw[i] == '.' && raw[i + 1] == '.') {
                while (o > 0 && out[o - 1] != '/')
                    o--;
                if (o > 0)
                    o--;
            } else {
                out[o++] = '/';
                memcpy(out + o, raw + i, l);
                o += l;
            }
            i = j;
        }
        if (o == 0)
            out[o++] = '/';
        out[o] = 0;
        path = out;
    }
    return NULL;
}

static void check_reachable(struct chk *c)
{
    const struct plan *p = c->p;
    if (c->fs_dropped)
        return; /* a grant with an error is missing: fix that first */
    if (c->argv.set && c->argc > 0 && !c->src->top_is_pack) {
        const char *a0 = c->argv_list[0];
        const char *r = resolve_links(c, a0);
        const struct fs_grant *g = r ? deepest_cover(c, r) : NULL;
        if (!r)
            diag_error(c->d, c->argv0_loc, "argv[0] %s runs into a symlink loop", a0);
        else if (!g || (!is_bind(g) && g->kind != AS_DEVICE))
            diag_error(c->d, c->argv0_loc,
                       "argv[0] %s%s%s is not inside any ro or rw grant, so the cell "
                       "cannot run it",
                       a0, strcmp(r, a0) ? " (resolved to " : "",
                       strcmp(r, a0) ? arena_printf(c->a, "%s)", r) : "");
    }
    if (c->cwd.set && strcmp(p->process.cwd, "/") != 0) {
        const char *r = resolve_links(c, p->process.cwd);
        const struct fs_grant *g = r ? deepest_cover(c, r) : NULL;
        bool made = false;
        if (r)
            for (size_t i = 0; i < c->pol->n_grants && !made; i++)
                if (sys_path_within(c->grants[i].dst, r))
                    made = true;
        if (!r || (!made && (!g || g->kind == AS_MASK || g->kind == AS_DEVICE || g->kind == AS_SYMLINK)))
            diag_error(c->d, c->cwd_val_loc,
                       "cwd %s does not exist in the cell: no filesystem grant "
                       "provides it",
                       p->process.cwd);
    }
}

static int src_cmp(const void *a, const void *b)
{
    const struct fs_grant *const *x = a, *const *y = b;
    int r = strcmp((*x)->src, (*y)->src);
    if (r)
        return r;
    return *x < *y ? -1 : *x > *y;
}

/* The first rw grant (in src order) whose src is exactly `src` (n bytes), or
 * NULL; rw is sorted by src. */
static size_t rw_find(const struct fs_grant **rw, size_t n, const char *src, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strncmp(rw[mid]->src, src, len);
        if (r == 0 && rw[mid]->src[len] != 0)
            r = 1;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ro view of host files that a rw grant exposes writable elsewhere. For
 * each ro grant, every ancestor of its host path is looked up among the rw
 * grants' host paths: O(n log n * depth). */
static void check_shadowed(struct chk *c)
{
    size_t n = c->pol->n_grants, nrw = 0;
    const struct fs_grant **rw = arena_alloc(c->a, (n ? n : 1) * sizeof *rw);
    for (size_t i = 0; i < n; i++)
        if (c->grants[i].kind == AS_RW)
            rw[nrw++] = &c->grants[i];
    if (!nrw)
        return;
    if (nrw > 1)
        qsort(rw, nrw, sizeof *rw, src_cmp);
    for (size_t i = 0; i < n; i++) {
        const struct fs_grant *r = &c->grants[i];
        if (r->kind != AS_RO)
            continue;
        size_t len = strlen(r->src);
        /* prefixes of r->src that end at a component boundary, and "/" */
        for (size_t k = len;; k--) {
            if ((k == len || r->src[k] == '/') && !(k == 0 && len == 1)) {
                size_t plen = k == 0 ? 1 : k;
                for (size_t j = rw_find(rw, nrw, r->src, plen);
                     j < nrw && strlen(rw[j]->src) == plen && !strncmp(rw[j]->src, r->src, plen); j++) {
                    const struct fs_grant *w = rw[j];
                    const char *rest = strcmp(w->src, "/") ? r->src + strlen(w->src)
                        : strcmp(r->src, "/")              ? r->src
                                                           : "";
                    const char *expect = strcmp(w->dst, "/") ? arena_printf(c->a, "%s%s", w->dst, rest)
                        : rest[0]                            ? rest
                                                             : "/";
                    if (!strcmp(expect, r->dst))
                        continue; /* a read-only window over the same place: a real narrowing */
                    diag_error(c->d, r->dst_loc,
                               "read-only grant of %s is shadowed: the rw grant of %s makes "
                               "the same files writable at %s",
                               r->src, w->src, expect);
                    diag_note(c->d, w->loc, "rw grant here");
                }
            }
            if (k == 0)
                break;
        }
    }
}

/* A secret delivered as a file is written by the runtime on a private
 * tmpfs at its target: the target must not be a grant's destination, nor
 * lie in a host tree, beneath a symlink, a mask or a device. */
static void check_secret_files(struct chk *c)
{
    for (size_t i = 0; i < c->n_secrets; i++) {
        const struct secret_c *sc = &c->secrets[i];
        if (sc->s.delivery != CP_SECRET_FILE)
            continue;
        const struct fs_grant *g = deepest_cover(c, sc->s.target);
        if (!g)
            continue;
        const char *why = NULL;
        if (!strcmp(g->dst, sc->s.target))
            why = "is also the destination of";
        else if (is_bind(g))
            why = "would be written inside the host tree of";
        else if (g->kind == AS_SYMLINK || g->kind == AS_MASK || g->kind == AS_DEVICE)
            why = "lies beneath";
        if (!why)
            continue;
        diag_error(c->d, sc->target_loc, "secret file %s %s %s", sc->s.target, why, describe(c, g));
        diag_note(c->d, g->implied ? c->grants[g->parent].loc : g->loc, "grant here");
    }
}

void check_fs_final(struct chk *c)
{
    size_t n = c->pol->n_grants;
    struct gref *v = arena_alloc(c->a, (n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].g = &c->grants[i];
        v[i].idx = i;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, gref_cmp);

    /* sweep in dst order with a stack of enclosing grants */
    const struct fs_grant **stack = arena_alloc(c->a, (n ? n : 1) * sizeof *stack);
    size_t sp = 0;
    for (size_t k = 0; k < n; k++) {
        const struct fs_grant *g = v[k].g;
        if (k > 0 && !strcmp(v[k - 1].g->dst, g->dst)) {
            const struct fs_grant *o = v[k - 1].g;
            const struct fs_grant *later = g, *earlier = o;
            if (later->implied && !earlier->implied) {
                later = o;
                earlier = g;
            }
            if (!later->implied) {
                if (earlier->implied)
                    diag_error(c->d, later->dst_loc, "%s is already provided by %s", later->dst,
                               describe(c, earlier));
                else
                    diag_error(c->d, later->dst_loc, "second grant for %s", later->dst);
                diag_note(c->d, earlier->implied ? c->grants[earlier->parent].loc : earlier->loc,
                          "previous grant here");
            }
            continue;
        }
        while (sp > 0 && !sys_path_within(g->dst, stack[sp - 1]->dst))
            sp--;
        const struct fs_grant *up = sp ? stack[sp - 1] : NULL;
        if (up && !(g->implied && up == &c->grants[g->parent])) {
            const char *why = NULL;
            if (up->kind == AS_SYMLINK)
                why = "lies beneath the symlink";
            else if (up->kind == AS_MASK)
                why = "lies beneath the masked path";
            else if (up->kind == AS_DEVICE)
                why = "lies beneath the device";
            else if (is_bind(up) && (g->kind == AS_DIR || g->kind == AS_SYMLINK))
                why = "would be created inside the host directory bound at";
            if (why && !g->implied) {
                diag_error(c->d, g->dst_loc, "%s %s %s", g->dst, why, up->dst);
                diag_note(c->d, up->implied ? c->grants[up->parent].loc : up->loc, "%s here",
                          describe(c, up));
            }
        }
        if (g->kind == AS_MASK && !g->implied) {
            if (!up)
                diag_error(c->d, g->dst_loc, "mask %s hides nothing: no grant provides it", g->dst);
        }
        stack[sp++] = g;
    }
    check_shadowed(c);
    check_reachable(c);
    check_secret_files(c);
}

void check_fs_rw_writable(struct chk *c)
{
    uint32_t uid = c->p->process.uid, gid = c->p->process.gid;
    /* Natively (as root) every id of the cell is the host's: a file the job
     * makes or chmods in a host directory keeps owner and mode there, so a
     * job that can own root's files (uid 0, or CAP_CHOWN with CAP_FOWNER)
     * can leave a setuid-root program on the host, which any host user who
     * reaches it runs as root unless the host mounts it nosuid (the cell's
     * own nosuid binds do not protect the host). Not an error: writing the
     * directory is what the grant says; the owner is what it may not say. */
    uint64_t caps = c->p->process.capabilities;
    bool host_root = uid == 0 || ((caps & (1ull << CAP_CHOWN)) && (caps & (1ull << CAP_FOWNER)));
    for (size_t i = 0; host_root && i < c->pol->n_grants; i++) {
        const struct fs_grant *g = &c->grants[i];
        if (g->kind == AS_RW && !g->implied && g->src)
            diag_warning(c->d, g->loc,
                         "rw %s: the cell's %s, so a file the job makes there, a setuid-root one included, "
                         "can belong to host root (natively every id is the host's); mount %s nosuid on the "
                         "host, or run the job as another user without CAP_CHOWN and CAP_FOWNER",
                         g->src, uid == 0 ? "uid is 0" : "capabilities include CAP_CHOWN and CAP_FOWNER",
                         g->src);
    }
    if (uid == 0)
        return;
    for (size_t i = 0; i < c->pol->n_grants; i++) {
        const struct fs_grant *g = &c->grants[i];
        struct stat st;
        if (g->kind != AS_RW || g->implied || !g->src || stat(g->src, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        bool w = st.st_uid == uid ? (st.st_mode & S_IWUSR) && (st.st_mode & S_IXUSR)
            : st.st_gid == gid    ? (st.st_mode & S_IWGRP) && (st.st_mode & S_IXGRP)
                                  : (st.st_mode & S_IWOTH) && (st.st_mode & S_IXOTH);
        if (!w)
            diag_warning(c->d, g->loc,
                         "rw %s: the host directory (owner %u, group %u, mode %04o) is not writable by the "
                         "cell's uid %u (gid %u): the job will get EACCES there; chown/chmod it on the host, "
                         "or set the process's user",
                         g->src, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
                         (unsigned)uid, (unsigned)gid);
    }
}
