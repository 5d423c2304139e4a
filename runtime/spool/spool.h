/*
 * spool.h - the durable local spool between cellrun and the remote event
 * sinks (docs/events.md, "The spool"). One directory; per run (RUN = the
 * run UUID):
 *   RUN.sinks      the run's remote sink specs, one a line (0600, fsynced,
 *                  written before the stream exists)
 *   RUN.jsonl      the stream, byte for byte what every other sink gets;
 *                  appended by cellrun (one write per line) while it holds
 *                  an exclusive flock on it: a free lock means no writer
 *   RUN.N.acked    bytes of RUN.jsonl sink N (0-based, line of RUN.sinks)
 *                  has acknowledged, 20 decimal digits and LF
 *   RUN.N.failed   a permanent failure of sink N (dead letter), one line
 * cellsend removes a run's files once the stream is complete (no writer)
 * and every sink acknowledged all of it. Libc only: linked into cellrun.
 */
#ifndef CELLOS_SPOOL_H
#define CELLOS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"

#define SPOOL_MAX_SINKS   8
#define SPOOL_DEFAULT_MAX (256ull << 20) /* bytes of *.jsonl in one spool */
#define SPOOL_RUN_LEN     36             /* a run UUID */
#define SPOOL_PATH_MAX    4096

/* DIR/RUN + suffix into out; -1 when it does not fit. */
int spool_path(char *out, size_t cap, const char *dir, const char *run, const char *suffix);

/* The spool directory to use: dir when given, else $CELLOS_SPOOL, else
 * /var/spool/cellos (euid 0) or $HOME/.local/state/cellos/spool; created
 * 0700 when missing. It must be a directory owned by the caller without
 * group or other write access, and hold at most max_bytes of streams
 * ($CELLOS_SPOOL_MAX bytes when set): a full spool refuses the run. */
int spool_open_dir(const char *dir, char *out, size_t cap, struct cell_error *e);

/* Create RUN.sinks (the specs) then RUN.jsonl (O_EXCL, O_APPEND, 0600),
 * flock it exclusively and fsync the directory. Returns the stream's fd
 * (O_CLOEXEC; the lock lasts until it is closed) or -1. */
int spool_create_run(const char *dir, const char *run, const char *const *specs, size_t n,
                     struct cell_error *e);

/* Read RUN.sinks: at most SPOOL_MAX_SINKS specs into specs[] (each
 * malloc'ed, free with spool_free_specs). Returns the count or -1. */
int spool_read_sinks(const char *dir, const char *run, char **specs, struct cell_error *e);
void spool_free_specs(char **specs, size_t n);

/* Whether a writer still holds RUN.jsonl's lock (fd: opened by the caller). */
bool spool_writer_active(int fd);

/* Whether name is "RUN.jsonl" with a UUID for RUN; copies RUN out. */
bool spool_run_name(const char *name, char run[SPOOL_RUN_LEN + 1]);

#endif
