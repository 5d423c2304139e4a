/*
 * error.h - error objects carried up the call chain (crun style).
 *
 * A failing function fills a struct cell_error with the errno it saw (or 0)
 * and a one-line message naming the thing that failed, and returns -1. Only
 * main() turns an error into an exit status; nothing below it calls exit().
 * Messages never contain a newline.
 */
#ifndef CELLOS_ERROR_H
#define CELLOS_ERROR_H

#include <stddef.h>

struct cell_error {
    int err;       /* errno at the point of failure, or 0 */
    char msg[512]; /* one line, no trailing newline */
};

/* Set *e (when e is not NULL) from a printf-style message; returns -1. */
int cell_err(struct cell_error *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(err)" when err != 0. */
int cell_err_sys(struct cell_error *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "what: " (for context added by a caller). */
int cell_err_wrap(struct cell_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
