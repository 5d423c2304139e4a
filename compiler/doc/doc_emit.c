/*
 * doc_emit.c - CellOS document -> policy text (see doc_emit.h).
 *
 * Mapping (docs/cellos-documents.md has the table):
 *   spec.id                      -> cell NAME
 *   spec.run.argv                -> process { argv ...; }
 *   spec.run.workingDirectory    -> filesystem { workspace DIR size 64MiB; } + process { cwd DIR; }
 *   spec.authority.egressRules   -> network egress { tcp HOST:PORT; }  (none: network none)
 *   spec.lifetime.ttlSeconds, spec.run.timeoutMs -> limits { wall (the smaller); }
 *   spec.run.limits.memoryMaxBytes -> limits { memory; }
 *   secretRefs + secretDelivery env -> secrets { secret N from env "CELLOS_SECRET_N" as env N; }
 *   spec.export.artifacts        -> export { artifact NAME from PATH; }  (max: the 64MiB default)
 *   (always)                      -> syscalls { default kill-process; }
 */
#include "doc_emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/units.h"

/* A string literal in our language: printable ASCII as is, `"` and `\`
 * escaped, other bytes as \xHH. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Text inside a `#` comment: printable ASCII as is, anything else (a
 * newline would end the comment and start policy text) as \xHH. */
static void put_comment(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
}

static const char *qs(char *buf, size_t n, const char *s)
{
    return diag_quote(buf, n, s, strlen(s));
}

/* An identifier of our language: [A-Za-z_]([A-Za-z0-9_-]*[A-Za-z0-9_])? */
static bool is_word(const char *s)
{
    size_t n = strlen(s);
    if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        bool al = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!al && !(c == '-' && i + 1 < n))
            return false;
    }
    return true;
}

static void put_bytes(FILE *f, uint64_t v)
{
    static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };
    for (int i = 0; i < 4; i++) {
        uint64_t u = 1ull << (10 * (4 - i));
        if (v >= u && v % u == 0) {
            fprintf(f, "%llu%s", (unsigned long long)(v / u), units[i]);
            return;
        }
    }
    fprintf(f, "%llu", (unsigned long long)v);
}

static void put_duration_ms(FILE *f, uint64_t ms)
{
    static const struct {
        uint64_t ms;
        const char *unit;
    } u[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };
    for (size_t i = 0; i < 4; i++)
        if (ms % u[i].ms == 0) {
            fprintf(f, "%llu%s", (unsigned long long)(ms / u[i].ms), u[i].unit);
            return;
        }
    fprintf(f, "%llums", (unsigned long long)ms);
}

static const char *base_name(const char *p)
{
    if (!strcmp(p, "-"))
        return "standard input";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Look a bare program name up on path_env; absolute, normalised entries
 * only (an empty or relative entry would depend on the working directory). */
static char *resolve_on_path(const char *name, const char *path_env)
{
    if (!path_env)
        return NULL;
    const char *p = path_env;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (n > 0 && p[0] == '/' && n < 4000) {
            char *cand = malloc(n + strlen(name) + 2);
            if (!cand)
                return NULL;
            memcpy(cand, p, n);
            snprintf(cand + n, strlen(name) + 2, "%s%s", n == 1 ? "" : "/", name);
            struct stat st;
            bool norm = !strstr(cand, "//") && !strstr(cand, "/./") && !strstr(cand, "/../");
            if (norm && stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        if (!e)
            break;
        p = e + 1;
    }
    return NULL;
}

/* The emitter's output and line map. */
struct em {
    FILE *f;
    char **text;
    size_t *len;
    struct doc_linemap *map;
};

/* The line being written now comes from the field at loc. */
static void mark(struct em *e, struct loc loc)
{
    if (!e->map || fflush(e->f) != 0)
        return;
    size_t line = 0;
    for (size_t i = 0; *e->text && i < *e->len; i++)
        line += (*e->text)[i] == '\n';
    struct doc_linemap *m = e->map;
    if (line >= m->n) {
        size_t nn = line + 16;
        struct loc *nl = realloc(m->locs, nn * sizeof *nl);
        if (nl)
            m->locs = nl;
        bool *ns = nl ? realloc(m->set, nn * sizeof *ns) : NULL;
        if (!nl || !ns)
            return;
        m->set = ns;
        memset(m->set + m->n, 0, (nn - m->n) * sizeof *ns);
        m->n = nn;
    }
    m->locs[line] = loc;
    m->set[line] = true;
}

static bool is_ipv4(const char *s)
{
    return s[0] && strspn(s, "0123456789.") == strlen(s);
}

static int emit_cell(struct diag *d, const struct doc *doc, const struct doc_opts *o, struct em *em)
{
    FILE *f = em->f;
    const struct doc_cell *c = &doc->cell;
    int rc = 0;
    char *argv0 = NULL;
    if (c->argv[0].s[0] != '/') {
        argv0 = resolve_on_path(c->argv[0].s, o->path_env);
        if (!argv0) {
            char b[80];
            diag_error(d, c->argv[0].loc, "program '%s' is not on the PATH (%s)",
                       diag_quote(b, sizeof b, c->argv[0].s, strlen(c->argv[0].s)),
                       o->path_env ? "searched at compile time" : "PATH is not set");
            rc = 1;
        }
    }
    for (size_t i = 0; i < c->n_egress; i++) {
        const char *h = c->egress[i].host.s;
        char err[160];
        if (!is_ipv4(h) && !strchr(h, ':') && check_host(h, strlen(h), err, sizeof err)) {
            char b[80];
            diag_error(d, c->egress[i].host.loc, "invalid egress host '%s': %s", qs(b, sizeof b, h), err);
            rc = 1;
        }
    }
    if (rc) {
        free(argv0);
        return rc;
    }

    fputs("# Imported from ", f);
    put_comment(f, base_name(doc->path));
    fputs(" (cellos.io/v1 ExecutionCell) by `cellc import`.\n"
          "# A CellOS document does not say which host files the job may read: the\n"
          "# filesystem comes from ",
          f);
    put_comment(f, o->base);
    fputs(" and the syscall baseline from ", f);
    put_comment(f, o->syscalls);
    fputs(".\n", f);
    if (argv0) {
        fputs("# argv[0] \"", f);
        put_comment(f, c->argv[0].s);
        fputs("\" was found on the PATH at ", f);
        put_comment(f, argv0);
        fputs(".\n", f);
    }
    fputs("use ", f);
    put_str(f, o->base);
    fputs(";\nuse ", f);
    put_str(f, o->syscalls);
    fputs(";\n\n", f);
    mark(em, c->id.loc);
    fputs("cell ", f);
    if (is_word(c->id.s))
        fputs(c->id.s, f);
    else
        put_str(f, c->id.s);
    fputs(" {\n    process {\n", f);
    mark(em, c->argv[0].loc);
    fputs("        argv ", f);
    for (size_t i = 0; i < c->argc; i++) {
        if (i)
            fputs(", ", f);
        put_str(f, i == 0 && argv0 ? argv0 : c->argv[i].s);
    }
    fputs(";\n", f);
    if (c->working_dir.s) {
        mark(em, c->working_dir.loc);
        fputs("        cwd ", f);
        put_str(f, c->working_dir.s);
        fputs(";\n", f);
    }
    fputs("    }\n", f);
    if (c->working_dir.s) {
        fputs("    filesystem {\n", f);
        mark(em, c->working_dir.loc);
        fputs("        workspace ", f);
        put_str(f, c->working_dir.s);
        fputs(" size " DOC_WORKSPACE_SIZE ";\n    }\n", f);
    }
    if (!c->n_egress) {
        fputs("    network none;\n", f);
    } else {
        fputs("    network egress {\n", f);
        for (size_t i = 0; i < c->n_egress; i++) {
            const char *h = c->egress[i].host.s;
            mark(em, c->egress[i].host.loc);
            fputs("        tcp ", f);
            if (is_ipv4(h))
                fputs(h, f);
            else if (strchr(h, ':'))
                fprintf(f, "[%s]", h);
            else
                put_str(f, h);
            fprintf(f, ":%u;\n", c->egress[i].port);
        }
        fputs("    }\n", f);
    }
    bool wall = c->ttl_seconds.set || c->timeout_ms.set;
    if (wall || c->memory_max.set) {
        fputs("    limits {\n", f);
        if (c->memory_max.set) {
            mark(em, c->memory_max.loc);
            fputs("        memory ", f);
            put_bytes(f, c->memory_max.v);
            fputs(";\n", f);
        }
        if (wall) {
            uint64_t ms = UINT64_MAX;
            if (c->ttl_seconds.set)
                ms = c->ttl_seconds.v * 1000;
            if (c->timeout_ms.set && c->timeout_ms.v < ms)
                ms = c->timeout_ms.v;
            mark(em,
                 c->ttl_seconds.set && c->ttl_seconds.v * 1000 == ms ? c->ttl_seconds.loc
                                                                     : c->timeout_ms.loc);
            fputs("        wall ", f);
            put_duration_ms(f, ms);
            fprintf(f, ";%s\n",
                    c->ttl_seconds.set && c->timeout_ms.set ? "    # the smaller of ttlSeconds and timeoutMs"
                        : c->ttl_seconds.set                ? "    # spec.lifetime.ttlSeconds"
                                                            : "    # spec.run.timeoutMs");
        }
        fputs("    }\n", f);
    }
    fputs("    syscalls { default kill-process; }\n", f);
    /* the document's ids, for the started event (data.specId, ...) */
    fputs("    events {\n", f);
    mark(em, c->id.loc);
    fputs("        spec-id ", f);
    put_str(f, c->id.s);
    fputs(";\n", f);
    const struct {
        const char *kw;
        const struct doc_str *v;
    } ids[] = {
        { "correlation-id", &c->correlation_id },
        { "pack-id", &c->pack_id },
        { "pack-version", &c->pack_version },
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].v->s) {
            mark(em, ids[i].v->loc);
            fprintf(f, "        %s ", ids[i].kw);
            put_str(f, ids[i].v->s);
            fputs(";\n", f);
        }
    fputs("    }\n", f);
    if (c->n_secret_refs) {
        fputs("    secrets {\n", f);
        for (size_t i = 0; i < c->n_secret_refs; i++) {
            char env[256];
            size_t n = strlen(c->secret_refs[i].s);
            for (size_t j = 0; j <= n && j < sizeof env - 1; j++) {
                char ch = c->secret_refs[i].s[j];
                env[j] = ch == '-' ? '_' : (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
            }
            env[sizeof env - 1] = 0;
            mark(em, c->secret_refs[i].loc);
            fprintf(f, "        secret %s from env \"CELLOS_SECRET_%s\" as env %s;\n", c->secret_refs[i].s,
                    env, env);
        }
        fputs("    }\n", f);
    }
    if (c->n_artifacts) {
        fputs("    export {\n", f);
        for (size_t i = 0; i < c->n_artifacts; i++) {
            mark(em, c->artifacts[i].name.loc);
            fputs("        artifact ", f);
            put_str(f, c->artifacts[i].name.s);
            fputs(" from ", f);
            put_str(f, c->artifacts[i].path.s);
            fputs(";\n", f);
        }
        fputs("    }\n", f);
    }
    fputs("}\n", f);
    free(argv0);
    return 0;
}

static int emit_pack(struct diag *d, const struct doc *doc, FILE *f)
{
    const struct doc_pack *p = &doc->pack;
    int rc = 0;
    if (p->require_egress) {
        diag_error(
            d, p->require_egress_loc,
            "requireEgressDeclared has no pack ceiling in our language; admit with `cellc JOB --pack %s`",
            base_name(doc->path));
        rc = 1;
    }
    if (p->require_runtime_secrets) {
        diag_error(d, p->require_runtime_secrets_loc,
                   "requireRuntimeSecretDelivery has no pack ceiling in our language; admit with `cellc JOB "
                   "--pack %s`",
                   base_name(doc->path));
        rc = 1;
    }
    for (size_t i = 0; i < p->n_allowed_hosts; i++) {
        const char *h = p->allowed_hosts[i].s;
        char err[160], b[80];
        if (!strncmp(h, "*.", 2)) {
            diag_error(
                d, p->allowed_hosts[i].loc,
                "a wildcard host ('%s') has no pack ceiling in our language (egress-hosts names hosts)",
                qs(b, sizeof b, h));
            rc = 1;
        } else if (check_host(h, strlen(h), err, sizeof err)) {
            diag_error(d, p->allowed_hosts[i].loc, "invalid host '%s': %s", qs(b, sizeof b, h), err);
            rc = 1;
        }
    }
    if (rc)
        return rc;
    fputs("# Imported from ", f);
    put_comment(f, base_name(doc->path));
    fputs(" (cellos.io/v1 PolicyPack", f);
    if (p->version.s) {
        fputs(", version ", f);
        put_comment(f, p->version.s);
    }
    fputs(") by `cellc import`.\n", f);
    fputs("# A missing limit breaks a maximum here (no limit is more than any maximum).\npack ", f);
    put_str(f, p->id.s);
    fputs(" {\n    ceiling {\n", f);
    if (p->max_memory.set) {
        fputs("        memory ", f);
        put_bytes(f, p->max_memory.v);
        fputs(";    # maxMemoryMaxBytes\n", f);
    }
    if (p->max_ttl.set || p->max_timeout.set) {
        uint64_t ms = UINT64_MAX;
        if (p->max_ttl.set)
            ms = p->max_ttl.v * 1000;
        if (p->max_timeout.set && p->max_timeout.v < ms)
            ms = p->max_timeout.v;
        fputs("        wall ", f);
        put_duration_ms(f, ms);
        fprintf(f, ";    # %s\n",
                p->max_ttl.set && p->max_timeout.set
                    ? "the smaller of maxLifetimeTtlSeconds and maxRunTimeoutMs"
                    : p->max_ttl.set ? "maxLifetimeTtlSeconds"
                                     : "maxRunTimeoutMs");
    }
    if (p->forbid_egress || (p->has_allowed_hosts && !p->n_allowed_hosts))
        fprintf(f, "        egress none;    # %s\n",
                p->forbid_egress ? "forbidOutboundEgressRules" : "allowedEgressHosts: []");
    else if (p->n_allowed_hosts) {
        fputs("        egress-hosts ", f);
        for (size_t i = 0; i < p->n_allowed_hosts; i++) {
            if (i)
                fputs(", ", f);
            put_str(f, p->allowed_hosts[i].s);
        }
        fputs(";    # allowedEgressHosts\n", f);
    }
    if (p->require_limits)
        fputs("        require memory;    # requireResourceLimits\n", f);
    fputs("    }\n}\n", f);
    return 0;
}

int doc_emit(struct diag *d, const struct doc *doc, const struct doc_opts *o, char **text, size_t *len,
             struct doc_linemap *map)
{
    *text = NULL;
    *len = 0;
    if (map)
        memset(map, 0, sizeof *map);
    FILE *f = open_memstream(text, len);
    if (!f) {
        diag_error_file(d, 0, "out of memory");
        return 1;
    }
    struct em em = { .f = f, .text = text, .len = len, .map = map };
    int rc = doc->kind == DOC_CELL ? emit_cell(d, doc, o, &em) : emit_pack(d, doc, f);
    if (fclose(f) != 0 && !rc) {
        diag_error_file(d, 0, "out of memory");
        rc = 1;
    }
    if (rc) {
        free(*text);
        *text = NULL;
        *len = 0;
    }
    return rc;
}

void doc_linemap_free(struct doc_linemap *m)
{
    free(m->locs);
    free(m->set);
    memset(m, 0, sizeof *m);
}

static void remap_loc(struct loc *l, uint32_t emitted, const struct doc_linemap *m)
{
    if (l->file == emitted && l->line >= 1 && l->line <= m->n && m->set[l->line - 1])
        *l = m->locs[l->line - 1];
}

void doc_remap(struct diag *d, uint32_t emitted, const struct doc_linemap *m)
{
    for (size_t i = 0; i < d->n_items; i++) {
        remap_loc(&d->items[i].loc, emitted, m);
        for (size_t j = 0; j < d->items[i].n_notes; j++)
            remap_loc(&d->items[i].notes[j].loc, emitted, m);
    }
}

const char *doc_policy_name(struct arena *a, const char *doc_path)
{
    if (!strcmp(doc_path, "-"))
        return "stdin.cell";
    const char *b = base_name(doc_path);
    const char *dot = strrchr(b, '.');
    size_t stem = dot && dot != b ? (size_t)(dot - doc_path) : strlen(doc_path);
    return arena_printf(a, "%.*s.cell", (int)stem, doc_path);
}
