/*
 * verify.h - offline verification of CellOS event streams (docs/events.md,
 * "Verifying"). `cellrun verify` is a thin command around ev_verify_buffer.
 *
 * A file may hold several runs appended to it concurrently (each line is one
 * write(2) on O_APPEND): lines are assigned to runs by their chain, so every
 * run is checked on its own, in file order, and every line must belong to
 * exactly one run.
 */
#ifndef CELLOS_VERIFY_H
#define CELLOS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keys.h"

/* Exit statuses of `cellrun verify`. */
#define EV_VERIFY_OK       0 /* every run verified and sealed */
#define EV_VERIFY_BAD      1 /* anything wrong (first bad line reported) or a usage error */
#define EV_VERIFY_UNSEALED 3 /* everything present verified, but a run has no seal (cut off) */

#define EV_VERIFY_MAX_INPUT (256u * 1024 * 1024) /* bytes of a stream file */
#define EV_VERIFY_MAX_LINE  (1024u * 1024)       /* bytes of one event line */

struct ev_verify_opts {
    const struct ev_trust *trust; /* required unless allow_unsigned */
    bool allow_unsigned;          /* --unsigned: the stream must be unsigned */
    bool has_plan;                /* --plan: every started must name plan_digest */
    uint8_t plan_digest[32];
};

struct ev_verify_run {
    char source[256]; /* truncated for display */
    char runid[40];   /* the started event's data.runid, or "" */
    char sigkid[65];  /* "" when unsigned */
    char plandigest[72];
    uint64_t events;
    size_t first_line, last_line;
    bool sealed;
};

struct ev_verify_result {
    size_t lines;               /* complete lines checked */
    size_t bad_line;            /* 1-based line of the first fault, 0 when none */
    char why[512];              /* the fault, one line */
    struct ev_verify_run *runs; /* malloc'd; free with ev_verify_result_free */
    size_t n_runs;
    size_t partial_line;  /* 1-based line number of an incomplete last line (no newline), 0 when none */
    size_t partial_bytes; /* its length: a write cut off by a crash, not verified */
};

/* Verify len bytes of stream text. Returns EV_VERIFY_OK, EV_VERIFY_UNSEALED
 * or EV_VERIFY_BAD (then r->bad_line and r->why say where and why). */
int ev_verify_buffer(const char *buf, size_t len, const struct ev_verify_opts *o, struct ev_verify_result *r);
void ev_verify_result_free(struct ev_verify_result *r);

/* --artifacts DIR (verify_artifacts.c): every export completed event of the
 * (verified) stream text names DIR/<cellid>/<name> with its size and SHA-256;
 * each must match, and those directories hold nothing else. 0 when all
 * match (*n_ok: how many), else -1 with why. */
int ev_verify_artifacts(const char *buf, size_t len, const char *dir, size_t *n_ok, char *why, size_t wn);

/* `cellrun verify EVENTS (--trust KEYS.json | --unsigned) [--plan PLAN]`
 * (runtime/events/verify.c). Exit 0 verified and sealed, 3 verified but not sealed
 * (cut off), 1 anything else (the first bad line and why on stderr). */
int cellrun_cmd_verify(int argc, char **argv);

#endif
