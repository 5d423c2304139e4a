/*
 * doc_yaml.c - libyaml events -> struct doc_node tree (see doc_yaml.h).
 *
 * One recursive descent over the event stream: each call consumes exactly
 * the events of one node. Limits (depth, node count) are checked before
 * anything is allocated for a node, so hostile input costs at most
 * DOC_MAX_NODES small allocations.
 */
#include "doc_yaml.h"

#include <string.h>
#include <yaml.h>

struct reader {
    struct arena *a;
    struct diag *d;
    uint32_t file;
    yaml_parser_t p;
    size_t nodes;
    bool failed;
};

static struct loc mark_loc(const struct reader *r, yaml_mark_t start, yaml_mark_t end)
{
    struct loc l = {
        .file = r->file,
        .line = (uint32_t)start.line + 1,
        .col = (uint32_t)start.column + 1,
        .end_line = (uint32_t)end.line + 1,
        .end_col = (uint32_t)end.column,
    };
    if (l.end_line < l.line || (l.end_line == l.line && l.end_col < l.col)) {
        l.end_line = l.line;
        l.end_col = l.col;
    }
    return l;
}

static struct loc event_loc(const struct reader *r, const yaml_event_t *e)
{
    return mark_loc(r, e->start_mark, e->end_mark);
}

/* Next event; false after reporting libyaml's error. */
static bool next(struct reader *r, yaml_event_t *e)
{
    if (yaml_parser_parse(&r->p, e))
        return true;
    yaml_mark_t m = r->p.problem_mark;
    struct loc l = mark_loc(r, m, m);
    if (r->p.context)
        diag_error(r->d, l, "invalid YAML: %s %s", r->p.problem ? r->p.problem : "error", r->p.context);
    else
        diag_error(r->d, l, "invalid YAML: %s", r->p.problem ? r->p.problem : "error");
    r->failed = true;
    return false;
}

static bool refuse_props(struct reader *r, const yaml_event_t *e, const yaml_char_t *anchor,
                         const yaml_char_t *tag, bool implicit_tag)
{
    if (anchor) {
        diag_error(r->d, event_loc(r, e), "anchors and aliases are not accepted in a CellOS document (&%s)",
                   (const char *)anchor);
        return false;
    }
    if (tag && !implicit_tag) {
        char q[80];
        diag_error(r->d, event_loc(r, e), "tags are not accepted in a CellOS document (%s)",
                   diag_quote(q, sizeof q, (const char *)tag, strlen((const char *)tag)));
        return false;
    }
    return true;
}

static struct doc_node *node(struct reader *r, yaml_event_t *e, unsigned depth);

/* Children of a mapping or sequence until its end event. */
static bool children(struct reader *r, struct doc_node *n, unsigned depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t e;
        if (!next(r, &e))
            return false;
        if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
            n->loc.end_line = (uint32_t)e.end_mark.line + 1;
            n->loc.end_col = (uint32_t)e.end_mark.column;
            yaml_event_delete(&e);
            return true;
        }
        struct doc_node *key = NULL;
        if (n->kind == DN_MAP) {
            key = node(r, &e, depth + 1);
            if (!key)
                return false;
            if (key->kind != DN_SCALAR) {
                diag_error(r->d, key->loc, "a mapping key must be a plain name");
                return false;
            }
            for (size_t i = 0; i < n->n; i++)
                if (!strcmp(n->keys[i]->s, key->s)) {
                    char q[80];
                    diag_error(r->d, key->loc, "duplicate key '%s'",
                               diag_quote(q, sizeof q, key->s, key->len));
                    diag_note(r->d, n->keys[i]->loc, "first given here");
                    return false;
                }
            if (!next(r, &e))
                return false;
        }
        struct doc_node *val = node(r, &e, depth + 1);
        if (!val)
            return false;
        if (n->n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct doc_node **nv = arena_alloc(r->a, nc * sizeof *nv);
            if (cap)
                memcpy(nv, n->vals, cap * sizeof *nv);
            n->vals = nv;
            if (n->kind == DN_MAP) {
                struct doc_node **nk = arena_alloc(r->a, nc * sizeof *nk);
                if (cap)
                    memcpy(nk, n->keys, cap * sizeof *nk);
                n->keys = nk;
            }
            cap = nc;
        }
        if (n->kind == DN_MAP)
            n->keys[n->n] = key;
        n->vals[n->n++] = val;
    }
}

/* One node starting with event e (consumed here). */
static struct doc_node *node(struct reader *r, yaml_event_t *e, unsigned depth)
{
    struct doc_node *n = NULL;
    struct loc l = event_loc(r, e);
    if (++r->nodes > DOC_MAX_NODES) {
        diag_error(r->d, l, "the document has more than %u values", DOC_MAX_NODES);
        goto out;
    }
    if (depth > DOC_MAX_DEPTH) {
        diag_error(r->d, l, "the document is nested deeper than %u levels", DOC_MAX_DEPTH);
        goto out;
    }
    switch (e->type) {
    case YAML_ALIAS_EVENT:
        diag_error(r->d, l, "anchors and aliases are not accepted in a CellOS document (*%s)",
                   (const char *)e->data.alias.anchor);
        goto out;
    case YAML_SCALAR_EVENT:
        if (!refuse_props(r, e, e->data.scalar.anchor, e->data.scalar.tag, false))
            goto out;
        if (memchr(e->data.scalar.value, 0, e->data.scalar.length)) {
            diag_error(r->d, l, "a value holds a NUL byte");
            goto out;
        }
        n = arena_alloc(r->a, sizeof *n);
        n->kind = DN_SCALAR;
        n->loc = l;
        n->s = arena_strndup(r->a, (const char *)e->data.scalar.value, e->data.scalar.length);
        n->len = e->data.scalar.length;
        n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        bool map = e->type == YAML_MAPPING_START_EVENT;
        if (!refuse_props(r, e, map ? e->data.mapping_start.anchor : e->data.sequence_start.anchor,
                          map ? e->data.mapping_start.tag : e->data.sequence_start.tag, false))
            goto out;
        n = arena_alloc(r->a, sizeof *n);
        n->kind = map ? DN_MAP : DN_SEQ;
        n->loc = l;
        yaml_event_delete(e);
        if (!children(r, n, depth))
            return NULL;
        return n;
    }
    default: diag_error(r->d, l, "invalid YAML: unexpected event"); goto out;
    }
out:
    yaml_event_delete(e);
    return n;
}

struct doc_node *doc_yaml_read(struct arena *a, struct diag *d, uint32_t file)
{
    const struct diag_source *src = diag_source(d, file);
    if (!src)
        return NULL;
    if (src->len > DOC_MAX_INPUT) {
        diag_error_file(d, file, "the document is larger than %u bytes", DOC_MAX_INPUT);
        return NULL;
    }
    struct reader r = { .a = a, .d = d, .file = file };
    if (!yaml_parser_initialize(&r.p)) {
        diag_error_file(d, file, "cannot start the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&r.p, (const unsigned char *)src->text, src->len);
    struct doc_node *root = NULL;
    yaml_event_t e;
    /* stream start */
    if (!next(&r, &e))
        goto done;
    yaml_event_delete(&e);
    if (!next(&r, &e))
        goto done;
    if (e.type == YAML_STREAM_END_EVENT) {
        diag_error(d, event_loc(&r, &e), "the file holds no document");
        yaml_event_delete(&e);
        goto done;
    }
    if (e.data.document_start.tag_directives.start != e.data.document_start.tag_directives.end) {
        diag_error(d, event_loc(&r, &e), "%%TAG directives are not accepted in a CellOS document");
        yaml_event_delete(&e);
        goto done;
    }
    yaml_event_delete(&e);
    if (!next(&r, &e))
        goto done;
    root = node(&r, &e, 0);
    if (!root)
        goto done;
    /* document end, then the stream must end */
    if (!next(&r, &e)) {
        root = NULL;
        goto done;
    }
    yaml_event_delete(&e);
    if (!next(&r, &e)) {
        root = NULL;
        goto done;
    }
    if (e.type != YAML_STREAM_END_EVENT) {
        diag_error(d, event_loc(&r, &e), "a second document in the stream: one CellOS document per file");
        root = NULL;
    }
    yaml_event_delete(&e);
done:
    yaml_parser_delete(&r.p);
    return root;
}

struct doc_node *doc_map_get(const struct doc_node *m, const char *name)
{
    for (size_t i = 0; m && m->kind == DN_MAP && i < m->n; i++)
        if (!strcmp(m->keys[i]->s, name))
            return m->vals[i];
    return NULL;
}
