/*
 * http_sink.h - CloudEvents over HTTP (the CloudEvents HTTP protocol
 * binding, structured and batched content modes) with libcurl: one POST
 * per event (Content-Type application/cloudevents+json, the body exactly
 * the stream's line without its LF) or one POST per batch
 * (application/cloudevents-batch+json: "[" line "," line ... "]").
 * 2xx is delivered; 429, 5xx and transport errors are temporary; any other
 * status is a permanent failure (the receiver refuses the event).
 */
#ifndef CELLOS_HTTP_SINK_H
#define CELLOS_HTTP_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/error.h"
#include "runtime/spool/sink_spec.h"

struct http_sink;
struct sink_line {
    const char *p; /* the line without LF */
    size_t n;
};

int http_sink_open(struct http_sink **out, const struct sink_spec *s, int timeout_ms, struct cell_error *e);

/* One request: the first of lines[0..n) (structured) or a batch of the
 * leading ones (batched), so that the caller records progress after each
 * request. *delivered = lines the receiver accepted; -1 with e and
 * *permanent (a 4xx other than 408 and 429) when it refused them. */
int http_sink_send(struct http_sink *h, const struct sink_line *lines, size_t n, size_t *delivered,
                   bool *permanent, struct cell_error *e);

void http_sink_close(struct http_sink *h);

#endif
