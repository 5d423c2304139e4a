/*
 * sender.h - drain one run's spool to its remote sinks (cellsend's engine).
 * Reads DIR/RUN.jsonl from the lowest acknowledged offset, delivers each
 * complete line to every sink that has not acknowledged it, records each
 * sink's progress in DIR/RUN.N.acked after the sink acknowledged, and
 * removes the run's files once the writer is gone (its flock is free) and
 * every sink has all of it. Temporary failures back off (100 ms doubling
 * to 5 s) and retry; a permanent one (an HTTP 4xx) is written to
 * DIR/RUN.N.failed and to stderr, and that sink's rest stays in the spool.
 */
#ifndef CELLOS_SENDER_H
#define CELLOS_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/lib/error.h"

struct sender_opts {
    bool follow;        /* wait for the writer (cellrun) to finish */
    int ready_fd;       /* >= 0: write "ok\n" once every sink acknowledged
                        * everything written so far, "error: WHY\n" on the
                        * first failure before that; then close it */
    int stop_fd;        /* >= 0: readable means stop now (a signalfd) */
    int wake_fd;        /* >= 0: the writer's pipe: EOF means it is done
                         * (else only the writer's flock says so) */
    int64_t give_up_ms; /* > 0: stop retrying after this long (flush) */
    int timeout_ms;     /* connect and acknowledgement waits */
    bool quiet;         /* no progress lines on stderr */
};

/* Returns 0: all delivered and the run's files removed; 1: something is
 * left in the spool (stopped, gave up, or a permanent failure); -1: the
 * spool itself could not be read (e says why). */
int sender_run(const char *dir, const char *run, const struct sender_opts *o, struct cell_error *e);

#endif
