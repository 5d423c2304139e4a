/*
 * events_fixture.h - what the events_* unit tests share: a plan over the
 * mount ops a test names (the ops are the test's, the plan only points at
 * them) and the options of a signed stream to a file with a fixed run id.
 * Header-only; everything static.
 */
#ifndef CELLOS_EVENTS_FIXTURE_H
#define CELLOS_EVENTS_FIXTURE_H

#include <stddef.h>
#include <string.h>

#include "plan.h"
#include "runtime/events/events.h"

static inline struct plan events_test_plan(const char *name, const char *source, struct plan_mount_op *ops,
                                           size_t n_ops)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = name;
    p.meta.source = source;
    p.meta.compiler = "cellc test";
    p.fs.ops = ops;
    p.fs.n_ops = n_ops;
    p.events.source = "";
    p.events.subject = "";
    return p;
}

/* file NULL: the caller sets the sink; key NULL: an unsigned stream */
static inline struct ev_options events_file_opts(const struct ev_key *key, const char *file)
{
    struct ev_options o;
    memset(&o, 0, sizeof o);
    o.sink = EV_SINK_FILE;
    o.path = file;
    o.key = key;
    memset(o.run_uuid, 0x42, 16);
    return o;
}

#endif
