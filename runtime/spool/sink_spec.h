/*
 * sink_spec.h - the remote event sinks named on cellrun's command line
 * (--events URL, $CELLOS_EVENTS): NATS JetStream and CloudEvents over
 * HTTP. Parsing only (libc): cellrun checks every spec before the run and
 * writes them into the spool; cellsend parses them again to deliver.
 *
 *   nats://[USER:PASS@|TOKEN@]HOST[:PORT][/SUBJECT-TEMPLATE][#OPTIONS]
 *   tls://...                     the same, TLS required
 *   http[s]://HOST[:PORT]/PATH[?QUERY][#OPTIONS]   structured mode
 *   options (after '#', '&'-separated, never sent anywhere):
 *     ca=FILE  nkey=SEEDFILE  creds=CREDSFILE  tls  (NATS)
 *     batch  ca=FILE  batchmax=N                 (HTTP)
 * docs/events.md ("Sinks") is the reference.
 */
#ifndef CELLOS_SINK_SPEC_H
#define CELLOS_SINK_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/error.h"

#define SINK_SPEC_MAX     2048 /* bytes of one spec */
#define SINK_FIELD_MAX    256
#define SINK_PATH_MAX     1024
#define SINK_DEFAULT_SUBJ "cellos.events.{run}"

enum sink_kind {
    SINK_NATS,
    SINK_HTTP,
};

struct sink_spec {
    enum sink_kind kind;
    bool tls;                     /* NATS: tls:// or #tls; HTTP: https */
    bool batch;                   /* HTTP: application/cloudevents-batch+json */
    unsigned batch_max;           /* HTTP batched: events per POST */
    char host[SINK_FIELD_MAX];    /* NATS */
    unsigned port;                /* NATS */
    char user[SINK_FIELD_MAX];    /* NATS user (with pass) */
    char pass[SINK_FIELD_MAX];    /* NATS password */
    char token[SINK_FIELD_MAX];   /* NATS token (userinfo without ':') */
    char subject[SINK_FIELD_MAX]; /* NATS subject template ({run}, {type}) */
    char url[SINK_SPEC_MAX];      /* HTTP: the URL without #options */
    char ca[SINK_PATH_MAX];       /* CA file for TLS; "" = system default */
    char nkey[SINK_PATH_MAX];     /* NATS nkey seed file */
    char creds[SINK_PATH_MAX];    /* NATS creds file (JWT + seed) */
    char display[SINK_SPEC_MAX];  /* the spec without password/token, for messages */
};

/* Whether spec names a remote sink (nats://, tls://, http://, https://). */
bool sink_spec_is_remote(const char *spec);

/* Parse spec; an error names the spec (without secrets) and what is wrong. */
int sink_spec_parse(const char *spec, struct sink_spec *out, struct cell_error *e);

/* Expand the NATS subject template for one event: {run} -> run, {type} ->
 * the event type after "dev.cellos.events.cell." (e.g. step.v1.exec).
 * Returns the length, or -1 when it does not fit or is not a valid subject. */
int sink_subject_expand(const char *tmpl, const char *run, const char *type, size_t type_len, char *out,
                        size_t cap);

#endif
