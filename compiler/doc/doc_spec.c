/*
 * doc_spec.c - type a CellOS document tree (see doc_spec.h).
 *
 * Each mapping is checked against the list of its fields: a field that is
 * published but refused gets its reason; any other unknown field is an
 * error naming the fields that are known there. Values are typed strictly:
 * a string field takes a quoted or plain scalar that is not a YAML
 * boolean, null or number; an integer field takes a plain decimal.
 */
#include "doc_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct field {
    const char *name;
    const char *refused; /* NULL: accepted; else why it is refused */
};

struct ctx {
    struct arena *a;
    struct diag *d;
};

static const char *q(char *buf, size_t n, const char *s)
{
    return diag_quote(buf, n, s, strlen(s));
}

/* Check the keys of map m (at path `where`) against fields. */
static bool check_fields(struct ctx *c, const struct doc_node *m, const char *where, const struct field *f,
                         size_t nf)
{
    bool ok = true;
    for (size_t i = 0; i < m->n; i++) {
        const char *k = m->keys[i]->s;
        size_t j;
        for (j = 0; j < nf; j++)
            if (!strcmp(f[j].name, k))
                break;
        char b[80];
        if (j < nf && !f[j].refused)
            continue;
        ok = false;
        if (j < nf) {
            diag_error(c->d, m->keys[i]->loc, "%s%s%s is not supported: %s", where ? where : "",
                       where ? "." : "", k, f[j].refused);
            continue;
        }
        char known[512] = "";
        size_t used = 0;
        for (j = 0; j < nf && used < sizeof known - 64; j++)
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", j ? ", " : "", f[j].name);
        diag_error(c->d, m->keys[i]->loc, "unknown field '%s' in %s (known: %s)", q(b, sizeof b, k),
                   where ? where : "the document", known);
    }
    return ok;
}

static bool want(struct ctx *c, const struct doc_node *n, enum doc_node_kind k, const char *what)
{
    if (n->kind == k)
        return true;
    static const char *names[] = { "", "a value", "a mapping", "a list" };
    diag_error(c->d, n->loc, "%s must be %s", what, names[k]);
    return false;
}

static bool plain_special(const struct doc_node *n, const char **what)
{
    if (!n->plain)
        return false;
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
    static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE",
                                         "yes",  "Yes",  "YES",  "no",    "No",    "NO",
                                         "on",   "On",   "ON",   "off",   "Off",   "OFF" };
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        if (!strcmp(n->s, nulls[i])) {
            *what = "null";
            return true;
        }
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++)
        if (!strcmp(n->s, bools[i])) {
            *what = "a boolean";
            return true;
        }
    const char *p = n->s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p >= '0' && *p <= '9') {
        *what = "a number";
        return true;
    }
    return false;
}

static bool get_str(struct ctx *c, const struct doc_node *n, const char *what, struct doc_str *out)
{
    if (!want(c, n, DN_SCALAR, what))
        return false;
    const char *kind;
    if (plain_special(n, &kind)) {
        diag_error(c->d, n->loc, "%s must be a string, not %s (quote it)", what, kind);
        return false;
    }
    if (n->len == 0) {
        diag_error(c->d, n->loc, "%s must not be empty", what);
        return false;
    }
    out->s = n->s;
    out->loc = n->loc;
    return true;
}

static bool get_uint(struct ctx *c, const struct doc_node *n, const char *what, uint64_t min, uint64_t max,
                     struct doc_int *out)
{
    if (!want(c, n, DN_SCALAR, what))
        return false;
    bool digits = n->plain && n->len > 0 && n->len <= 20;
    for (size_t i = 0; digits && i < n->len; i++)
        digits = n->s[i] >= '0' && n->s[i] <= '9';
    if (!digits || (n->len > 1 && n->s[0] == '0')) {
        diag_error(c->d, n->loc, "%s must be a whole number", what);
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(n->s, NULL, 10);
    if (errno || v < min || v > max) {
        diag_error(c->d, n->loc, "%s must be %llu..%llu", what, (unsigned long long)min,
                   (unsigned long long)max);
        return false;
    }
    out->set = true;
    out->v = v;
    out->loc = n->loc;
    return true;
}

static bool get_bool(struct ctx *c, const struct doc_node *n, const char *what, bool *out)
{
    if (!want(c, n, DN_SCALAR, what))
        return false;
    if (n->plain && !strcmp(n->s, "true"))
        *out = true;
    else if (n->plain && !strcmp(n->s, "false"))
        *out = false;
    else {
        diag_error(c->d, n->loc, "%s must be true or false", what);
        return false;
    }
    return true;
}

/* A list of strings; `what` names the list, its items are `what[]`. */
static bool get_strs(struct ctx *c, const struct doc_node *n, const char *what, struct doc_str **out,
                     size_t *cnt)
{
    if (!want(c, n, DN_SEQ, what))
        return false;
    *out = arena_alloc(c->a, (n->n + 1) * sizeof **out);
    *cnt = n->n;
    char item[96];
    snprintf(item, sizeof item, "%s[]", what);
    bool ok = true;
    for (size_t i = 0; i < n->n; i++)
        ok &= get_str(c, n->vals[i], item, &(*out)[i]);
    return ok;
}

/* spec.id and the artifact names: letters, digits, '-', '_', '.', not "." or "..". */
static bool portable_id(struct ctx *c, const struct doc_str *s, const char *what, size_t max)
{
    size_t n = strlen(s->s);
    bool ok = n >= 1 && n <= max && strcmp(s->s, ".") && strcmp(s->s, "..");
    for (size_t i = 0; ok && i < n; i++) {
        char ch = s->s[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '_' || ch == '.';
    }
    if (!ok) {
        char b[80];
        diag_error(c->d, s->loc, "%s '%s' must be 1..%zu letters, digits, '-', '_' or '.' (not . or ..)",
                   what, q(b, sizeof b, s->s), max);
    }
    return ok;
}

/* An absolute, normalised path (docs/language.md's path rules). */
static bool abs_path(struct ctx *c, const struct doc_str *s, const char *what)
{
    const char *p = s->s;
    size_t n = strlen(p);
    bool ok = p[0] == '/' && n < 4096 && (n == 1 || p[n - 1] != '/');
    for (const char *seg = p + 1; ok && seg <= p + n;) {
        const char *e = strchr(seg, '/');
        size_t len = e ? (size_t)(e - seg) : strlen(seg);
        if (n > 1 &&
            (len == 0 || len > 255 || (len == 1 && seg[0] == '.') || (len == 2 && !strncmp(seg, "..", 2))))
            ok = false;
        if (!e)
            break;
        seg = e + 1;
    }
    if (!ok) {
        char b[80];
        diag_error(c->d, s->loc, "%s '%s' must be an absolute path without '.', '..', '//' or a trailing '/'",
                   what, q(b, sizeof b, s->s));
    }
    return ok;
}

static bool envelope(struct ctx *c, const struct doc_node *root, struct doc *out,
                     const struct doc_node **spec)
{
    if (!want(c, root, DN_MAP, "the document"))
        return false;
    static const struct field top[] = {
        { "apiVersion", NULL },
        { "kind", NULL },
        { "spec", NULL },
        { "metadata", "metadata is not part of a cellos.io/v1 cell document (name the cell with spec.id)" },
    };
    bool ok = check_fields(c, root, NULL, top, sizeof top / sizeof *top);
    const struct doc_node *av = doc_map_get(root, "apiVersion"), *k = doc_map_get(root, "kind");
    *spec = doc_map_get(root, "spec");
    struct doc_str s;
    if (!av) {
        diag_error(c->d, root->loc, "apiVersion is missing (expected \"cellos.io/v1\")");
        ok = false;
    } else if (get_str(c, av, "apiVersion", &s) && strcmp(s.s, "cellos.io/v1")) {
        char b[80];
        diag_error(c->d, s.loc, "apiVersion '%s' is not supported (expected \"cellos.io/v1\")",
                   q(b, sizeof b, s.s));
        ok = false;
    }
    if (!k) {
        diag_error(c->d, root->loc, "kind is missing (ExecutionCell or PolicyPack)");
        return false;
    }
    if (!get_str(c, k, "kind", &s))
        return false;
    out->kind_loc = s.loc;
    if (!strcmp(s.s, "ExecutionCell"))
        out->kind = DOC_CELL;
    else if (!strcmp(s.s, "PolicyPack"))
        out->kind = DOC_PACK;
    else {
        char b[80];
        diag_error(c->d, s.loc, "kind '%s' is not supported (ExecutionCell or PolicyPack)%s",
                   q(b, sizeof b, s.s),
                   !strcmp(s.s, "Formation") ? "; a Formation is a multi-cell server-side object" : "");
        return false;
    }
    if (!*spec) {
        diag_error(c->d, root->loc, "spec is missing");
        return false;
    }
    return ok && want(c, *spec, DN_MAP, "spec");
}

/* ---- ExecutionCell ------------------------------------------------------ */

static bool cell_authority(struct ctx *c, const struct doc_node *n, struct doc_cell *dc)
{
    static const struct field f[] = {
        { "secretRefs", NULL },
        { "egressRules", NULL },
        { "dnsAuthority", NULL },
    };
    if (!want(c, n, DN_MAP, "spec.authority"))
        return false;
    bool ok = check_fields(c, n, "spec.authority", f, sizeof f / sizeof *f);
    const struct doc_node *v;
    if ((v = doc_map_get(n, "secretRefs"))) {
        if (get_strs(c, v, "spec.authority.secretRefs", &dc->secret_refs, &dc->n_secret_refs)) {
            for (size_t i = 0; i < dc->n_secret_refs; i++) {
                const char *s = dc->secret_refs[i].s;
                bool good = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_';
                size_t len = strlen(s);
                for (size_t j = 1; good && j < len; j++)
                    good = (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                        (s[j] >= '0' && s[j] <= '9') || s[j] == '_' || (s[j] == '-' && j + 1 < len);
                good = good && len <= 200;
                if (!good) {
                    char b[80];
                    diag_error(c->d, dc->secret_refs[i].loc,
                               "secretRef '%s' must be a name of letters, digits, '_' and inner '-'",
                               q(b, sizeof b, s));
                    ok = false;
                }
                for (size_t j = 0; j < i; j++)
                    if (!strcmp(dc->secret_refs[j].s, s)) {
                        char b[80];
                        diag_error(c->d, dc->secret_refs[i].loc, "secretRef '%s' given twice",
                                   q(b, sizeof b, s));
                        diag_note(c->d, dc->secret_refs[j].loc, "first given here");
                        ok = false;
                    }
            }
        } else
            ok = false;
    }
    if ((v = doc_map_get(n, "egressRules"))) {
        if (!want(c, v, DN_SEQ, "spec.authority.egressRules"))
            return false;
        dc->egress = arena_alloc(c->a, (v->n + 1) * sizeof *dc->egress);
        for (size_t i = 0; i < v->n; i++) {
            const struct doc_node *r = v->vals[i];
            static const struct field rf[] = {
                { "host", NULL },
                { "port", NULL },
                { "protocol", "the upstream rule's protocol field is not published; rules are tcp" },
            };
            if (!want(c, r, DN_MAP, "an egress rule") ||
                !check_fields(c, r, "spec.authority.egressRules[]", rf, sizeof rf / sizeof *rf)) {
                ok = false;
                continue;
            }
            /* appended only once valid: later checks read every host */
            struct doc_egress *e = &dc->egress[dc->n_egress];
            const struct doc_node *h = doc_map_get(r, "host"), *p = doc_map_get(r, "port");
            if (!h || !p) {
                diag_error(c->d, r->loc, "an egress rule needs host and port");
                ok = false;
                continue;
            }
            struct doc_int port = { 0 };
            if (!get_str(c, h, "spec.authority.egressRules[].host", &e->host) ||
                !get_uint(c, p, "spec.authority.egressRules[].port", 1, 65535, &port)) {
                ok = false;
                continue;
            }
            e->port = (uint32_t)port.v;
            e->port_loc = port.loc;
            dc->n_egress++;
            if (!strncmp(e->host.s, "*.", 2)) {
                char hb[80];
                diag_error(
                    c->d, e->host.loc,
                    "a wildcard egress host ('%s') is not supported: egress names are resolved when the "
                    "cell starts, so each host must be named",
                    q(hb, sizeof hb, e->host.s));
                ok = false;
            }
        }
    }
    if ((v = doc_map_get(n, "dnsAuthority"))) {
        static const struct field df[] = { { "hostnameAllowlist", NULL } };
        if (!want(c, v, DN_MAP, "spec.authority.dnsAuthority") ||
            !check_fields(c, v, "spec.authority.dnsAuthority", df, 1))
            return false;
        const struct doc_node *l = doc_map_get(v, "hostnameAllowlist");
        struct doc_str *names = NULL;
        size_t nn = 0;
        if (l && get_strs(c, l, "spec.authority.dnsAuthority.hostnameAllowlist", &names, &nn)) {
            /* The cell does no DNS of its own: the supervisor resolves the
             * egress hosts when the cell starts. A name that is one of the
             * egress hosts adds nothing; any other name would be authority
             * we cannot give. */
            for (size_t i = 0; i < nn; i++) {
                bool found = false;
                for (size_t j = 0; j < dc->n_egress && !found; j++)
                    found = !strcmp(dc->egress[j].host.s, names[i].s);
                if (!found) {
                    char b[80];
                    diag_error(c->d, names[i].loc,
                               "spec.authority.dnsAuthority.hostnameAllowlist: '%s' is not an egress host; "
                               "cells get no DNS of their own (the supervisor resolves egress hosts)",
                               q(b, sizeof b, names[i].s));
                    ok = false;
                }
            }
        } else if (l)
            ok = false;
    }
    return ok;
}

static bool cell_run(struct ctx *c, const struct doc_node *n, struct doc_cell *dc)
{
    static const struct field f[] = {
        { "argv", NULL },
        { "workingDirectory", NULL },
        { "secretDelivery", NULL },
        { "timeoutMs", NULL },
        { "limits", NULL },
        { "env", "it is not published upstream (write `env` in the imported policy)" },
    };
    if (!want(c, n, DN_MAP, "spec.run"))
        return false;
    dc->has_run = true;
    dc->run_loc = n->loc;
    bool ok = check_fields(c, n, "spec.run", f, sizeof f / sizeof *f);
    const struct doc_node *v;
    if (!(v = doc_map_get(n, "argv"))) {
        diag_error(c->d, n->loc, "spec.run.argv is missing");
        ok = false;
    } else if (get_strs(c, v, "spec.run.argv", &dc->argv, &dc->argc)) {
        if (dc->argc == 0) {
            diag_error(c->d, v->loc, "spec.run.argv must name a program");
            ok = false;
        } else if (dc->argv[0].s[0] == '/' && !abs_path(c, &dc->argv[0], "spec.run.argv[0]")) {
            ok = false;
        } else if (dc->argv[0].s[0] != '/' && strchr(dc->argv[0].s, '/')) {
            diag_error(c->d, dc->argv[0].loc,
                       "spec.run.argv[0] must be an absolute path or a bare program name");
            ok = false;
        }
    } else
        ok = false;
    if ((v = doc_map_get(n, "workingDirectory")) &&
        !(get_str(c, v, "spec.run.workingDirectory", &dc->working_dir) &&
          abs_path(c, &dc->working_dir, "spec.run.workingDirectory")))
        ok = false;
    if (dc->working_dir.s && !strcmp(dc->working_dir.s, "/")) {
        diag_error(c->d, dc->working_dir.loc,
                   "spec.run.workingDirectory cannot be '/' (a tmpfs is mounted there)");
        ok = false;
    }
    if ((v = doc_map_get(n, "secretDelivery"))) {
        struct doc_str s;
        if (!get_str(c, v, "spec.run.secretDelivery", &s))
            ok = false;
        else if (!strcmp(s.s, "env")) {
            dc->delivery = DD_ENV;
            dc->delivery_loc = s.loc;
        } else if (!strcmp(s.s, "runtimeBroker") || !strcmp(s.s, "runtimeLeasedBroker")) {
            diag_error(c->d, s.loc,
                       "secretDelivery '%s' is not supported: it needs the upstream runtime secret broker, "
                       "which cellrun does not have (use env)",
                       s.s);
            ok = false;
        } else {
            char b[80];
            diag_error(c->d, s.loc,
                       "secretDelivery '%s' is not one of env, runtimeBroker, runtimeLeasedBroker",
                       q(b, sizeof b, s.s));
            ok = false;
        }
    }
    if ((v = doc_map_get(n, "timeoutMs")) &&
        !get_uint(c, v, "spec.run.timeoutMs", 1, 86400000ull * 365, &dc->timeout_ms))
        ok = false;
    if ((v = doc_map_get(n, "limits"))) {
        static const struct field lf[] = {
            { "memoryMaxBytes", NULL },
            { "cpuMax", "its shape is not published upstream (write `cpu` in the imported policy)" },
        };
        if (!want(c, v, DN_MAP, "spec.run.limits"))
            return false;
        dc->has_limits = true;
        dc->limits_loc = v->loc;
        ok &= check_fields(c, v, "spec.run.limits", lf, sizeof lf / sizeof *lf);
        const struct doc_node *m = doc_map_get(v, "memoryMaxBytes");
        if (m &&
            !get_uint(c, m, "spec.run.limits.memoryMaxBytes", 1024 * 1024, UINT64_MAX >> 1, &dc->memory_max))
            ok = false;
    }
    return ok;
}

static bool cell_export(struct ctx *c, const struct doc_node *n, struct doc_cell *dc)
{
    static const struct field f[] = { { "artifacts", NULL } };
    if (!want(c, n, DN_MAP, "spec.export") || !check_fields(c, n, "spec.export", f, 1))
        return false;
    dc->export_loc = n->loc;
    const struct doc_node *l = doc_map_get(n, "artifacts");
    if (!l)
        return true;
    if (!want(c, l, DN_SEQ, "spec.export.artifacts"))
        return false;
    dc->artifacts = arena_alloc(c->a, (l->n + 1) * sizeof *dc->artifacts);
    bool ok = true;
    for (size_t i = 0; i < l->n; i++) {
        static const struct field af[] = { { "name", NULL }, { "path", NULL } };
        const struct doc_node *r = l->vals[i];
        if (!want(c, r, DN_MAP, "an artifact") || !check_fields(c, r, "spec.export.artifacts[]", af, 2)) {
            ok = false;
            continue;
        }
        const struct doc_node *nm = doc_map_get(r, "name"), *p = doc_map_get(r, "path");
        if (!nm || !p) {
            diag_error(c->d, r->loc, "an artifact needs name and path");
            ok = false;
            continue;
        }
        struct doc_artifact *ar = &dc->artifacts[dc->n_artifacts];
        if (!get_str(c, nm, "spec.export.artifacts[].name", &ar->name) ||
            !portable_id(c, &ar->name, "artifact name", 255) ||
            !get_str(c, p, "spec.export.artifacts[].path", &ar->path) ||
            !abs_path(c, &ar->path, "spec.export.artifacts[].path"))
            ok = false;
        else
            dc->n_artifacts++;
    }
    return ok;
}

static bool read_cell(struct ctx *c, const struct doc_node *spec, struct doc_cell *dc)
{
    dc->spec_loc = spec->loc;
    static const struct field f[] = {
        { "id", NULL },
        { "correlation", NULL },
        { "authority", NULL },
        { "lifetime", NULL },
        { "run", NULL },
        { "export", NULL },
        { "policy", NULL },
        { "placement", "its shape is not published upstream" },
        { "identity", "its shape is not published upstream" },
    };
    bool ok = check_fields(c, spec, "spec", f, sizeof f / sizeof *f);
    const struct doc_node *v;
    if (!(v = doc_map_get(spec, "id"))) {
        diag_error(c->d, spec->loc, "spec.id is missing");
        ok = false;
    } else if (!get_str(c, v, "spec.id", &dc->id) || !portable_id(c, &dc->id, "spec.id", 64))
        ok = false;
    if ((v = doc_map_get(spec, "correlation"))) {
        static const struct field cf[] = { { "correlationId", NULL } };
        if (want(c, v, DN_MAP, "spec.correlation") && check_fields(c, v, "spec.correlation", cf, 1)) {
            const struct doc_node *ci = doc_map_get(v, "correlationId");
            if (ci && !get_str(c, ci, "spec.correlation.correlationId", &dc->correlation_id))
                ok = false;
        } else
            ok = false;
    }
    /* egress rules before dnsAuthority needs them: authority is read whole */
    if ((v = doc_map_get(spec, "authority")) && !cell_authority(c, v, dc))
        ok = false;
    if ((v = doc_map_get(spec, "lifetime"))) {
        static const struct field lf[] = { { "ttlSeconds", NULL } };
        if (want(c, v, DN_MAP, "spec.lifetime") && check_fields(c, v, "spec.lifetime", lf, 1)) {
            const struct doc_node *t = doc_map_get(v, "ttlSeconds");
            if (t && !get_uint(c, t, "spec.lifetime.ttlSeconds", 1, 86400ull * 365, &dc->ttl_seconds))
                ok = false;
        } else
            ok = false;
    }
    if ((v = doc_map_get(spec, "run"))) {
        if (!cell_run(c, v, dc))
            ok = false;
    } else {
        diag_error(c->d, spec->loc,
                   "spec.run is missing: a lifecycle-only cell has no command, and a cell plan needs one");
        ok = false;
    }
    if ((v = doc_map_get(spec, "export")) && !cell_export(c, v, dc))
        ok = false;
    if ((v = doc_map_get(spec, "policy"))) {
        static const struct field pf[] = { { "packId", NULL }, { "packVersion", NULL } };
        if (want(c, v, DN_MAP, "spec.policy") && check_fields(c, v, "spec.policy", pf, 2)) {
            const struct doc_node *pi = doc_map_get(v, "packId"), *pv = doc_map_get(v, "packVersion");
            if (pi && !get_str(c, pi, "spec.policy.packId", &dc->pack_id))
                ok = false;
            if (pv && !get_str(c, pv, "spec.policy.packVersion", &dc->pack_version))
                ok = false;
        } else
            ok = false;
    }
    /* the ids that go into the plan's provenance and the started event */
    const struct doc_str *ids[] = { &dc->correlation_id, &dc->pack_id, &dc->pack_version };
    static const char *const id_names[] = { "spec.correlation.correlationId", "spec.policy.packId",
                                            "spec.policy.packVersion" };
    for (size_t i = 0; i < 3; i++) {
        const char *s = ids[i]->s;
        bool good = !s || strlen(s) <= 255;
        for (const char *p = s; good && p && *p; p++)
            good = *p >= 0x20 && *p < 0x7f;
        if (!good) {
            diag_error(c->d, ids[i]->loc, "%s must be 1 to 255 printable ASCII bytes", id_names[i]);
            ok = false;
        }
    }
    if (dc->pack_version.s && !dc->pack_id.s) {
        diag_error(c->d, dc->pack_version.loc, "spec.policy.packVersion needs spec.policy.packId");
        ok = false;
    }
    if (ok && dc->n_secret_refs && dc->delivery != DD_ENV) {
        diag_error(
            c->d, dc->secret_refs[0].loc,
            "spec.authority.secretRefs needs spec.run.secretDelivery: env (nothing else delivers them)");
        ok = false;
    }
    if (ok && dc->delivery == DD_ENV && !dc->n_secret_refs) {
        diag_error(c->d, dc->delivery_loc,
                   "secretDelivery: env without spec.authority.secretRefs delivers nothing");
        ok = false;
    }
    return ok;
}

/* ---- PolicyPack --------------------------------------------------------- */

static bool read_pack(struct ctx *c, const struct doc_node *spec, struct doc_pack *p)
{
    static const struct field f[] = { { "id", NULL }, { "version", NULL }, { "rules", NULL } };
    bool ok = check_fields(c, spec, "spec", f, sizeof f / sizeof *f);
    const struct doc_node *v;
    if (!(v = doc_map_get(spec, "id"))) {
        diag_error(c->d, spec->loc, "spec.id is missing (the pack's name)");
        ok = false;
    } else if (!get_str(c, v, "spec.id", &p->id) || !portable_id(c, &p->id, "spec.id", 64))
        ok = false;
    if ((v = doc_map_get(spec, "version")) && !get_str(c, v, "spec.version", &p->version))
        ok = false;
    const struct doc_node *r = doc_map_get(spec, "rules");
    if (!r) {
        diag_error(c->d, spec->loc, "spec.rules is missing");
        return false;
    }
    static const struct field rf[] = {
        { "maxLifetimeTtlSeconds", NULL },
        { "maxMemoryMaxBytes", NULL },
        { "maxRunTimeoutMs", NULL },
        { "requireEgressDeclared", NULL },
        { "forbidOutboundEgressRules", NULL },
        { "allowedEgressHosts", NULL },
        { "requireRuntimeSecretDelivery", NULL },
        { "requireResourceLimits", NULL },
        { "secretRefAllowlist", "its semantics are not published upstream" },
    };
    if (!want(c, r, DN_MAP, "spec.rules") || !check_fields(c, r, "spec.rules", rf, sizeof rf / sizeof *rf))
        return false;
    if ((v = doc_map_get(r, "maxLifetimeTtlSeconds")) &&
        !get_uint(c, v, "spec.rules.maxLifetimeTtlSeconds", 1, 86400ull * 365, &p->max_ttl))
        ok = false;
    if ((v = doc_map_get(r, "maxMemoryMaxBytes")) &&
        !get_uint(c, v, "spec.rules.maxMemoryMaxBytes", 1024 * 1024, UINT64_MAX >> 1, &p->max_memory))
        ok = false;
    if ((v = doc_map_get(r, "maxRunTimeoutMs")) &&
        !get_uint(c, v, "spec.rules.maxRunTimeoutMs", 1, 86400000ull * 365, &p->max_timeout))
        ok = false;
    struct {
        const char *name;
        bool *val;
        struct loc *loc;
    } flags[] = {
        { "requireEgressDeclared", &p->require_egress, &p->require_egress_loc },
        { "forbidOutboundEgressRules", &p->forbid_egress, &p->forbid_egress_loc },
        { "requireRuntimeSecretDelivery", &p->require_runtime_secrets, &p->require_runtime_secrets_loc },
        { "requireResourceLimits", &p->require_limits, &p->require_limits_loc },
    };
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if ((v = doc_map_get(r, flags[i].name))) {
            char what[80];
            snprintf(what, sizeof what, "spec.rules.%s", flags[i].name);
            if (!get_bool(c, v, what, flags[i].val))
                ok = false;
            *flags[i].loc = v->loc;
        }
    if ((v = doc_map_get(r, "allowedEgressHosts"))) {
        p->has_allowed_hosts = true;
        p->allowed_hosts_loc = v->loc;
        if (!get_strs(c, v, "spec.rules.allowedEgressHosts", &p->allowed_hosts, &p->n_allowed_hosts))
            ok = false;
    }
    if (p->require_egress && p->forbid_egress) {
        diag_error(c->d, p->forbid_egress_loc,
                   "forbidOutboundEgressRules and requireEgressDeclared together admit no cell");
        ok = false;
    }
    return ok;
}

/* ---- files -------------------------------------------------------------- */

static int read_all(const char *path, char **text, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
    if (!f)
        return errno;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int e = 0;
    while (buf) {
        if (n == cap) {
            if (cap > DOC_MAX_INPUT) {
                e = EFBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                e = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                e = EIO;
            break;
        }
    }
    if (!buf)
        e = ENOMEM;
    if (f != stdin)
        fclose(f);
    if (e) {
        free(buf);
        return e;
    }
    *text = buf;
    *len = n;
    return 0;
}

int doc_load_text(struct arena *a, struct diag *d, const char *name, const char *text, size_t len,
                  struct doc *out)
{
    memset(out, 0, sizeof *out);
    out->path = name;
    uint32_t file = diag_add_source(d, name, text, len);
    struct ctx c = { .a = a, .d = d };
    const struct doc_node *root = doc_yaml_read(a, d, file), *spec;
    if (!root || !envelope(&c, root, out, &spec))
        return 1;
    bool ok = out->kind == DOC_CELL ? read_cell(&c, spec, &out->cell) : read_pack(&c, spec, &out->pack);
    return ok && !diag_has_errors(d) ? 0 : 1;
}

int doc_load(struct arena *a, struct diag *d, const char *path, struct doc *out)
{
    char *text = NULL;
    size_t len = 0;
    int e = read_all(path, &text, &len);
    if (e) {
        memset(out, 0, sizeof *out);
        out->path = path;
        uint32_t file = diag_add_source(d, path, "", 0);
        diag_error_file(d, file, "cannot read document: %s", e == EFBIG ? "larger than 1 MiB" : strerror(e));
        return 2;
    }
    int rc = doc_load_text(a, d, strcmp(path, "-") ? path : "<stdin>", text, len, out);
    out->path = path;
    free(text);
    return rc;
}

bool doc_is_document(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!strcmp(path, "-"))
        return false;
    if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json")))
        return true;
    if (dot && !strcmp(dot, ".cell"))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4097];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    const char *p = buf;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '{')
        return true;
    for (const char *l = buf; l; l = strchr(l, '\n')) {
        l += *l == '\n';
        if (!strncmp(l, "apiVersion:", 11) || !strncmp(l, "kind:", 5))
            return true;
    }
    return false;
}
