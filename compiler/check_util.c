/*
 * check_util.c - the helpers every part of the type checker uses (check.c,
 * check_fs.c, check_sc.c): arena arrays, duplicate detection, quoting for
 * messages, `unsafe` options and the typed scalars. They depend on nothing
 * of the checker's sections, so the sections depend on them and never on
 * each other (check.c drives check_fs.c and check_sc.c, not the reverse).
 */
#include "check_int.h"

#include <stdlib.h>
#include <string.h>

void *chk_push(struct chk *c, void **arr, size_t *n, size_t *cap, size_t elem)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        void *na = arena_alloc(c->a, ncap * elem);
        if (*n)
            memcpy(na, *arr, *n * elem);
        *arr = na;
        *cap = ncap;
    }
    void *e = (char *)*arr + (*n)++ * elem;
    memset(e, 0, elem);
    return e;
}

bool chk_once(struct chk *c, struct seen *s, struct loc l, const char *what)
{
    if (s->set) {
        diag_error(c->d, l, "duplicate %s", what);
        diag_note(c->d, s->loc, "previous %s here", what);
        return false;
    }
    s->set = true;
    s->loc = l;
    return true;
}

const char *chk_q(struct chk *c, const struct ast_val *v)
{
    char buf[300];
    return arena_strdup(c->a, diag_quote(buf, sizeof buf, v->s, v->len));
}

const struct ast_opt *chk_unsafe_opt(struct chk *c, const struct ast_opt *opts)
{
    for (const struct ast_opt *o = opts; o; o = o->next) {
        if (o->kind != AO_UNSAFE)
            continue;
        bool blank = true;
        for (size_t i = 0; i < o->val->len; i++)
            if (o->val->s[i] != ' ' && o->val->s[i] != '\t')
                blank = false;
        if (blank)
            diag_error(c->d, o->val->loc, "unsafe needs a reason: say why this authority is needed");
        else if (memchr(o->val->s, 0, o->val->len))
            diag_error(c->d, o->val->loc, "the unsafe reason contains a NUL byte");
        return o;
    }
    return NULL;
}

void chk_add_unsafe(struct chk *c, const char *kind, const char *subject, const struct ast_opt *u)
{
    struct plan_unsafe_grant *g = CHK_PUSH(c, c->unsafe, c->n_unsafe, c->cap_unsafe);
    g->kind = kind;
    g->subject = subject;
    g->reason = u->val->s;
    g->line = u->loc.line;
}

void chk_unneeded_unsafe(struct chk *c, const struct ast_opt *u, const char *what)
{
    diag_error(c->d, u->loc, "unsafe is not needed here: %s; remove it so the grants that need it stand out",
               what);
}

int chk_path(struct chk *c, const struct ast_val *v, const char **out)
{
    char err[200];
    if (check_path(v->s, v->len, err, sizeof err)) {
        diag_error(c->d, v->loc, "invalid path \"%s\": %s", chk_q(c, v), err);
        return -1;
    }
    *out = v->s;
    return 0;
}

int chk_uint(struct chk *c, const struct ast_val *v, uint64_t max, uint64_t *out)
{
    char err[200];
    if (parse_uint(v->s, max, out, err, sizeof err)) {
        diag_error(c->d, v->loc, "%s", err);
        return -1;
    }
    return 0;
}

int chk_bytes(struct chk *c, const struct ast_val *v, uint64_t *out)
{
    char err[200];
    if (parse_bytes(v->s, out, err, sizeof err)) {
        diag_error(c->d, v->loc, "%s", err);
        return -1;
    }
    return 0;
}

int chk_duration(struct chk *c, const struct ast_val *v, uint64_t *out_ms)
{
    char err[200];
    if (parse_duration_ms(v->s, out_ms, err, sizeof err)) {
        diag_error(c->d, v->loc, "%s", err);
        return -1;
    }
    return 0;
}

int chk_mode(struct chk *c, const struct ast_val *v, uint32_t max, uint32_t *out)
{
    char err[200];
    if (parse_mode(v->s, max, out, err, sizeof err)) {
        diag_error(c->d, v->loc, "%s", err);
        return -1;
    }
    return 0;
}

int chk_text(struct chk *c, const struct ast_val *v, const char *what, const char **out)
{
    if (memchr(v->s, 0, v->len)) {
        diag_error(c->d, v->loc, "%s contains a NUL byte", what);
        return -1;
    }
    *out = v->s;
    return 0;
}
