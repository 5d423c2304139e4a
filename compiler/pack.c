/*
 * pack.c - policy loading and pack resolution (see pack.h).
 *
 * Invariants: each pack file is parsed at most once; the units array lists
 * packs in post-order of the `use` graph (a pack after everything it uses)
 * and the top unit last; a pack on the current resolution stack that is
 * used again is a cycle, reported at that `use` with the whole chain.
 */
#include "pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellos_paths.h" /* CELLOS_PACKDIR, generated from the Makefile's PREFIX */

#include "parse.h"
#include "runtime/lib/sys_util.h"

/* A pack being or having been resolved. */
struct pack_state {
    const char *name;
    bool done; /* resolved (false while on the stack) */
    struct pack_state *next;
};

struct loader {
    struct arena *a;
    struct diag *d;
    const struct load_opts *o;
    const char *top_dir; /* directory of the top file ("." when none) */
    struct pack_state *packs;
    const char **stack; /* pack names being resolved, for cycle messages */
    size_t depth;
    struct policy_unit *units;
    size_t n_units, cap_units;
};

#define MAX_PACK_DEPTH 64

bool pack_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > 200 || s[0] == '/')
        return false;
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != '/')
            j++;
        size_t l = j - i;
        if (l == 0 || (l == 1 && s[i] == '.') || (l == 2 && s[i] == '.' && s[i + 1] == '.'))
            return false;
        for (size_t k = i; k < j; k++) {
            char c = s[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-'))
                return false;
        }
        i = j + 1;
    }
    return true;
}

/* Read a whole file (at most PARSE_MAX_SOURCE + 1 bytes) into a malloc'd
 * buffer. Returns 0, or an errno value. */
static int read_file(const char *path, char **out, size_t *len)
{
    return sys_read_file(path, PARSE_MAX_SOURCE, 0, out, len, NULL);
}

static void add_unit(struct loader *L, const struct ast_unit *u, const char *pack_name, struct loc use_loc)
{
    if (L->n_units == L->cap_units) {
        size_t cap = L->cap_units ? L->cap_units * 2 : 8;
        struct policy_unit *n = arena_alloc(L->a, cap * sizeof *n);
        if (L->n_units)
            memcpy(n, L->units, L->n_units * sizeof *n);
        L->units = n;
        L->cap_units = cap;
    }
    struct policy_unit *pu = &L->units[L->n_units++];
    pu->unit = u;
    pu->pack_name = pack_name;
    pu->use_loc = use_loc;
}

static struct pack_state *find_pack(struct loader *L, const char *name)
{
    for (struct pack_state *p = L->packs; p; p = p->next)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

static void resolve_uses(struct loader *L, const struct ast_file *f);

/* Check the shape of a parsed file: exactly one unit, uses before it. */
static const struct ast_unit *single_unit(struct loader *L, const struct ast_file *f)
{
    const struct ast_unit *u = f->units;
    if (!u) {
        struct loc l = { .file = f->file, .line = 1, .col = 1, .end_line = 1, .end_col = 1 };
        diag_error(L->d, l, "no cell or pack in this file");
        return NULL;
    }
    for (const struct ast_unit *x = u->next; x; x = x->next) {
        diag_error(L->d, x->loc, "a file holds exactly one cell or pack");
        diag_note(L->d, u->loc, "the first one is here");
    }
    if (f->use_after_unit)
        diag_error(L->d, f->use_after_unit_loc, "'use' must come before the %s",
                   u->is_pack ? "pack" : "cell");
    return u;
}

static void load_pack(struct loader *L, const struct ast_use *use)
{
    const char *name = use->name->s;
    char q[256];
    if (!pack_name_valid(name, use->name->len)) {
        diag_error(L->d, use->name->loc,
                   "invalid pack name '%s' (segments of letters, digits, '_', '.', '-' separated by '/')",
                   diag_quote(q, sizeof q, name, use->name->len));
        return;
    }
    struct pack_state *ps = find_pack(L, name);
    if (ps && ps->done)
        return; /* already resolved: each pack once */
    if (ps) {
        /* on the stack: a cycle */
        char chain[2048];
        size_t o = 0;
        chain[0] = 0;
        size_t start = 0;
        for (size_t i = 0; i < L->depth; i++)
            if (!strcmp(L->stack[i], name))
                start = i;
        for (size_t i = start; i < L->depth && o < sizeof chain - 300; i++)
            o += (size_t)snprintf(chain + o, sizeof chain - o, "%s -> ", L->stack[i]);
        snprintf(chain + o, sizeof chain - o, "%s", name);
        diag_error(L->d, use->name->loc, "pack cycle: %s", chain);
        return;
    }
    if (L->depth >= MAX_PACK_DEPTH) {
        diag_error(L->d, use->name->loc, "packs nest more than %d deep", MAX_PACK_DEPTH);
        return;
    }

    /* search path: -I dirs, then $CELLOS_PATH, ./policies, the top file's
     * directory and the installed packs (docs/language.md) */
    const char *dirs[100];
    size_t nd = 0, n_given = 0;
    for (size_t i = 0; i < L->o->n_include && nd < 64; i++)
        dirs[nd++] = L->o->include_dirs[i];
    n_given = nd;
    if (!L->o->no_default_path) {
        const char *env = getenv("CELLOS_PATH");
        for (const char *p = env; p && *p && nd < 94;) {
            const char *colon = strchr(p, ':');
            size_t l = colon ? (size_t)(colon - p) : strlen(p);
            if (l)
                dirs[nd++] = arena_printf(L->a, "%.*s", (int)l, p);
            p += l + (colon ? 1 : 0);
        }
        n_given = nd;
        dirs[nd++] = "policies";
        dirs[nd++] = L->top_dir;
        dirs[nd++] = CELLOS_PACKDIR;
    }
    char *text = NULL;
    size_t len = 0;
    const char *found = NULL;
    int read_err = 0;
    const char *err_path = NULL;
    for (size_t i = 0; i < nd && !found; i++) {
        char *path = arena_printf(L->a, "%s/%s.cell", dirs[i], name);
        int e = read_file(path, &text, &len);
        if (e == 0)
            found = path;
        else if (e != ENOENT && e != ENOTDIR && !read_err) {
            read_err = e;
            err_path = path;
        }
    }
    if (!found) {
        if (read_err) {
            diag_error(L->d, use->name->loc, "cannot read pack '%s' from %s: %s", name, err_path,
                       strerror(read_err));
            return;
        }
        char searched[2048];
        size_t o = 0;
        searched[0] = 0;
        char cwd[512];
        if (!getcwd(cwd, sizeof cwd))
            snprintf(cwd, sizeof cwd, ".");
        for (size_t i = 0; i < nd && o < sizeof searched - 260; i++) {
            /* the implied relative directories as absolute paths; -I and
             * $CELLOS_PATH ones as the user wrote them */
            bool rel = i >= n_given && dirs[i][0] != '/' && strcmp(cwd, ".") != 0;
            bool dot = rel && strcmp(dirs[i], ".") == 0;
            o += (size_t)snprintf(searched + o, sizeof searched - o, "%s%s%s%s", i ? ", " : "",
                                  rel ? cwd : "", rel && !dot ? "/" : "", dot ? "" : dirs[i]);
        }
        diag_error(L->d, use->name->loc,
                   "cannot find pack '%s': no %s.cell in %s; add a directory with -I DIR or $CELLOS_PATH",
                   name, name, searched);
        return;
    }

    ps = arena_alloc(L->a, sizeof *ps);
    ps->name = name;
    ps->next = L->packs;
    L->packs = ps;

    uint32_t file = diag_add_source(L->d, found, text, len);
    free(text);
    struct ast_file *f;
    if (parse_file(L->a, L->d, file, &f) != 0) {
        ps->done = true;
        return;
    }
    const struct ast_unit *u = single_unit(L, f);
    if (!u) {
        ps->done = true;
        return;
    }
    if (!u->is_pack) {
        diag_error(L->d, u->loc, "%s holds a cell; a file used as a pack must hold `pack \"%s\" { ... }`",
                   found, name);
        diag_note(L->d, use->loc, "used as a pack here");
        ps->done = true;
        return;
    }
    if (strcmp(u->name->s, name) != 0) {
        diag_error(L->d, u->name->loc, "pack file declares '%s' but is used as '%s'",
                   diag_quote(q, sizeof q, u->name->s, u->name->len), name);
        diag_note(L->d, use->loc, "used here");
    }

    L->stack[L->depth++] = name;
    resolve_uses(L, f);
    L->depth--;
    ps->done = true;
    add_unit(L, u, name, use->loc);
}

static void resolve_uses(struct loader *L, const struct ast_file *f)
{
    for (const struct ast_use *u = f->uses; u; u = u->next)
        load_pack(L, u);
}

/* Directory part of path ("." when none). */
static const char *dir_of(struct arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return arena_strndup(a, path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int load_top(struct arena *a, struct diag *d, const char *name, uint32_t file,
                    const struct load_opts *o, struct policy_src *out)
{
    static const struct load_opts none = { 0 };
    struct loader L = {
        .a = a,
        .d = d,
        .o = o ? o : &none,
        .top_dir = dir_of(a, name),
    };
    L.stack = arena_alloc(a, MAX_PACK_DEPTH * sizeof *L.stack);
    memset(out, 0, sizeof *out);
    out->source_name = arena_strdup(a, base_of(name));

    struct ast_file *f;
    if (parse_file(a, d, file, &f) != 0)
        return 1;
    const struct ast_unit *u = single_unit(&L, f);
    if (!u)
        return 1;
    if (u->is_pack) {
        /* checking a pack alone: it resolves its own uses */
        out->top_is_pack = true;
        struct pack_state *ps = arena_alloc(a, sizeof *ps);
        ps->name = u->name->s;
        ps->next = L.packs;
        L.packs = ps;
        L.stack[L.depth++] = u->name->s;
        resolve_uses(&L, f);
        L.depth--;
        ps->done = true;
        add_unit(&L, u, u->name->s, u->loc);
    } else {
        resolve_uses(&L, f);
        add_unit(&L, u, NULL, u->loc);
    }
    out->units = L.units;
    out->n_units = L.n_units;
    return diag_has_errors(d) ? 1 : 0;
}

int policy_load_text(struct arena *a, struct diag *d, const char *name, const char *text, size_t len,
                     const struct load_opts *o, struct policy_src *out)
{
    uint32_t file = diag_add_source(d, name, text, len);
    return load_top(a, d, name, file, o, out);
}

int policy_load_file(struct arena *a, struct diag *d, const char *path, const struct load_opts *o,
                     struct policy_src *out)
{
    char *text;
    size_t len;
    int e = read_file(path, &text, &len);
    if (e) {
        memset(out, 0, sizeof *out);
        uint32_t file = diag_add_source(d, path, "", 0);
        diag_error_file(d, file, "cannot read policy: %s", strerror(e));
        return 2;
    }
    uint32_t file = diag_add_source(d, path, text, len);
    free(text);
    return load_top(a, d, path, file, o, out);
}
