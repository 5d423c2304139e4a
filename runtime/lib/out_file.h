/*
 * out_file.h - the one way every command opens a file it was asked to
 * write (cellc -o, cellc sign, cellc --sign, cellrun keygen, the events file
 * sink, ...): the host is changed only as the user asked (issue 12).
 *
 * What is at the path decides how it is written:
 *   absent or a regular file  OUT_REPLACE: a temporary file beside it,
 *                             renamed over it at out_commit (atomic: a
 *                             failed write leaves the old file);
 *                             OUT_APPEND: opened O_APPEND, created with the
 *                             mode when absent (a log others may follow);
 *                             OUT_CREATE: must be absent; a temporary file
 *                             beside it, linked in at out_commit without
 *                             replacing anything (RENAME_NOREPLACE);
 *   a character device or fifo  written in place: O_WRONLY, no O_CREAT,
 *                             no O_TRUNC, no rename, no chmod or chown
 *                             (`cellc -o /dev/null` checks a policy);
 *   a unix socket             connected to (SOCK_STREAM) and written;
 *   "-"                       standard output, when OUT_DASH_STDOUT;
 *   a symbolic link           refused ("... is a symbolic link; refusing to
 *                             write through it"), errno ELOOP: a link in
 *                             the way may point anywhere (/etc/passwd);
 *   a directory, a block device  refused.
 * OUT_SECRET (a private key): only a new regular file, mode from the spec
 * (0600), created without following links; never a device, fifo, socket or
 * standard output, never over a file (OUT_CREATE) or a file owned by another
 * user.
 * Invariants: nothing outside the path and its temporary sibling
 * (PATH.tmp.XXXXXX, removed on failure) is created; an existing file that
 * is not replaced keeps its owner and mode.
 */
#ifndef CELLOS_OUT_FILE_H
#define CELLOS_OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

enum out_how {
    OUT_REPLACE,
    OUT_APPEND,
    OUT_CREATE
};

#define OUT_DASH_STDOUT 1u /* "-" is standard output */
#define OUT_SECRET      2u /* a private key (see above) */
#define OUT_KEEP_MODE   4u /* OUT_REPLACE of a regular file keeps its mode */

struct out_spec {
    enum out_how how;
    mode_t mode; /* of a file this call creates */
    unsigned flags;
};

enum out_kind {
    OUT_KIND_TEMP,     /* a temporary file, renamed or linked at out_commit */
    OUT_KIND_APPEND,   /* a regular file opened for appending */
    OUT_KIND_IN_PLACE, /* a character device, fifo or socket */
    OUT_KIND_STDOUT,   /* descriptor 1, never closed */
};

struct out_file {
    int fd;
    enum out_kind kind;
    enum out_how how;
    mode_t mode;      /* the mode out_commit gives a temporary file */
    const char *path; /* the caller's string */
    char *tmp;        /* OUT_KIND_TEMP: the temporary file's path */
};

/* Open path for writing as described above. -1 with e (the message names
 * the path). */
int out_open(struct out_file *o, const char *path, const struct out_spec *s, struct cell_error *e);

/* Finish: a temporary file is given its mode, synced and renamed (or
 * linked) into place; any other kind is closed (standard output is left
 * open). Always releases o. -1 with e when the file is not in place. */
int out_commit(struct out_file *o, struct cell_error *e);

/* Give up: a temporary file is removed; the descriptor is closed. */
void out_discard(struct out_file *o);

/* out_open + write all of buf + out_commit. */
int out_write_whole(const char *path, const void *buf, size_t n, const struct out_spec *s,
                    struct cell_error *e);

#endif
