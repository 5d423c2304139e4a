/*
 * backend_util.c - the helpers every backend calls: notes and facts that
 * tell the supervisor what to put in events, and the one teardown of a
 * process-tree cell (native, gVisor). No state of its own; the table of
 * backends is the supervisor's (runtime/supervisor/backend_table.c).
 */
#include "backend.h"
#include "cgroup.h"
#include "runtime/events/jcs.h"
#include "runtime/lib/sys_util.h"

#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

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
    jcs_utf8_cut(n->what); /* cut at a byte limit: never half a character in an event */
    jcs_utf8_cut(n->why);
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

void backend_close_pipes(int *const pipes[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 2; j++)
            if (pipes[i][j] >= 0)
                close(pipes[i][j]);
}
