/*
 * oci_events.c - the signed events the OCI commands write on their own
 * (a container refused at create, an exec into a running cell), as one
 * short stream each to runtime.conf's sink: started (of an empty plan named
 * after what happened, the container and config digest as facts), the
 * step, destroyed, seal. A container's own run is the supervisor's stream.
 */
#include "oci_rt.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "plan.h"

#include <stdio.h>
#include <string.h>

int ocr_event(const struct ocr_conf *c, const char *id, const char *digest, const char *step,
              const char *what_key, const char *what, bool ok, char *why, size_t whylen)
{
    struct cell_error e = { 0 };
    struct ev_key key;
    bool have = false;
    memset(&key, 0, sizeof key);
    if (!c->unsigned_run && c->key[0]) {
        if (ev_key_load_seed(c->key, &key, &e) < 0) {
            snprintf(why, whylen, "%s", e.msg);
            return -1;
        }
        have = true;
    }
    struct ev_options eo;
    memset(&eo, 0, sizeof eo);
    eo.sink = EV_SINK_FILE;
    eo.path = c->events;
    eo.key = have ? &key : NULL;
    eo.key_seed_only = true;
    eo.subject = id;
    struct ev_stream *s = NULL;
    int rc = -1;
    if (ev_run_uuid_generate(eo.run_uuid, &e) == 0 && ev_open(&s, &eo, &e) == 0) {
        struct ev_kv kv[] = {
            { .key = "container", .type = EV_KV_STR, .s = id },
            { .key = "configdigest", .type = EV_KV_STR, .s = digest },
            { .key = what_key, .type = EV_KV_STR, .s = what },
        };
        struct plan p;
        memset(&p, 0, sizeof p);
        p.meta.name = step;
        p.meta.source = "config.json";
        p.meta.compiler = "cellrun " CELLRUN_OCI_VERSION;
        p.process.cwd = "/";
        struct ev_started_info si = { .backend = "none", .extra = kv, .n_extra = 2 };
        if (ev_started(s, &p, &si, &e) == 0 && ev_supervisor_step(s, step, kv, 3, &e) == 0 &&
            ev_destroyed(s, ok, false, &e) == 0 && ev_seal(s, &e) == 0)
            rc = 0;
    }
    if (rc < 0)
        snprintf(why, whylen, "%s", e.msg);
    ev_close(s);
    if (have)
        ev_key_wipe(&key);
    return rc;
}
