/*
 * supervisor_backends.c - the table of backends built into cellrun, and the
 * note/fact helpers backends use to tell the core what to put in events.
 * A backend team adds one line to `table` (and its file); nothing else.
 */
#include "runtime/lib/backend.h"
#include "runtime/lib/cgroup.h"
#include "runtime/lib/sys_util.h"

#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

extern const struct backend_ops backend_gvisor; /* backend_gvisor.c */
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

void backend_teardown_cell(struct backend_run *r, int *sync_wr, struct cgroup_set *cg)
{
    if (*sync_wr >= 0) {
        close(*sync_wr); /* an unreleased cell exits on EOF */
        *sync_wr = -1;
    }
    if (r->pid > 0) {
        /* never leave a cell behind: it is killed and reaped here if the
         * core did not get that far */
        sys_kill_and_reap(r->pid);
        r->pid = -1;
    }
    if (r->record_fd >= 0) {
        close(r->record_fd);
        r->record_fd = -1;
    }
    if (cgroup_cleanup(cg) < 0)
        backend_note(r, "teardown", "cgroup", "could not remove %s now; the reaper retries", cg->name);
}
