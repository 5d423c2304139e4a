/*
 * supervisor_backends.c - the table of backends built into cellrun, and the
 * note/fact helpers backends use to tell the core what to put in events.
 * A backend team adds one line to `table` (and its file); nothing else.
 */
#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const struct backend_ops backend_gvisor;      /* backend_gvisor.c */
static const struct backend_ops *const table[] = {
    &backend_native,
    &backend_gvisor,
    &backend_vm,
};

const struct backend_ops *backend_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const struct backend_ops *backend_by_kind(uint32_t kind)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (table[i]->kind == kind)
            return table[i];
    return NULL;
}

const char *backend_names(void)
{
    static char buf[128];
    buf[0] = 0;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (i)
            strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
        strncat(buf, table[i]->name, sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

void backend_note(struct backend_run *r, const char *name, const char *what, const char *fmt, ...)
{
    if (r->n_notes >= BACKEND_MAX_NOTES) {
        struct backend_note *last = &r->notes[BACKEND_MAX_NOTES - 1];
        snprintf(last->why, sizeof last->why, "more notes than fit; later ones dropped");
        return;
    }
    struct backend_note *n = &r->notes[r->n_notes++];
    snprintf(n->name, sizeof n->name, "%s", name);
    snprintf(n->what, sizeof n->what, "%s", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->why, sizeof n->why, fmt, ap);
    va_end(ap);
}

void backend_fact_str(struct backend_run *r, const char *key, const char *value)
{
    if (r->n_facts >= BACKEND_MAX_FACTS)
        return;
    struct backend_fact *f = &r->facts[r->n_facts++];
    snprintf(f->key, sizeof f->key, "%s", key);
    snprintf(f->str, sizeof f->str, "%s", value);
    f->is_num = false;
}

void backend_fact_num(struct backend_run *r, const char *key, int64_t value)
{
    if (r->n_facts >= BACKEND_MAX_FACTS)
        return;
    struct backend_fact *f = &r->facts[r->n_facts++];
    snprintf(f->key, sizeof f->key, "%s", key);
    f->num = value;
    f->is_num = true;
}
