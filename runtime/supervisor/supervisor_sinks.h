/*
 * supervisor_sinks.h - the run's sinks: one local sink at most, remote
 * sinks through the spool and cellsend (supervisor_sinks.c).
 */
#ifndef CELLOS_SUPERVISOR_SINKS_H
#define CELLOS_SUPERVISOR_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/lib/error.h"
#include "runtime/spool/spool.h"

struct sup_options;

struct sup_sinks {
    const char *local;                   /* FILE, "-" or "fd:N"; NULL: none given */
    const char *remote[SPOOL_MAX_SINKS]; /* remote sink specs */
    size_t n_remote;
    bool require;                         /* --require-delivered */
    int wait_ms, ready_ms;                /* drain bound after the run, ready bound */
    char spool[SPOOL_PATH_MAX];           /* the spool directory */
    char run[SPOOL_RUN_LEN + 1];          /* the run UUID */
    char spool_name[SPOOL_PATH_MAX + 16]; /* "the spool DIR/RUN.jsonl" */
    char sender_path[SPOOL_PATH_MAX];
    int spool_fd; /* RUN.jsonl, locked while open */
    int ready_fd; /* the sender's "ok"/"error: ..." (--require-delivered) */
    int wake_fd;  /* closed when the stream is complete */
    pid_t sender;
    char env_copy[8192]; /* $CELLOS_EVENTS split in place */
};

/* plan_requires: the plan's events { require delivered; } (as --require-delivered).
 * Sort and check the specs, find the spool and the sender: before the cell
 * exists, so a bad spec, a full spool or a missing sender refuses the run. */
int sup_sinks_plan(struct sup_sinks *k, const struct sup_options *o, bool plan_requires,
                   struct cell_error *e);
/* Create the run's spool files (no-op without remote sinks). */
int sup_sinks_open_spool(struct sup_sinks *k, const char *run_uuid, struct cell_error *e);
/* Start cellsend on the run (after the stream is open; once: later calls
 * do nothing). cellrun starts it when the workload starts, at once under
 * --require-delivered, and at the latest in sup_sinks_finish. */
int sup_sinks_start_sender(struct sup_sinks *k, struct cell_error *e);
/* --require-delivered: wait until the sender confirms delivery of what is
 * written so far; an error or the bound refuses the run. */
int sup_sinks_wait_ready(struct sup_sinks *k, struct cell_error *e);
/* After the stream is closed: release the spool, wait up to wait_ms for the
 * sender, say what is left. */
void sup_sinks_finish(struct sup_sinks *k, void (*say)(const char *msg));

#endif
