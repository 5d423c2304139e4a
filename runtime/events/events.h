/*
 * events.h - the supervisor's signed, hash-chained CloudEvents stream.
 *
 * Supervisor side only: nothing here is linked into the cell's init or ever
 * runs after the cell's fork in the child. Every backend calls these in the
 * same order:
 *   ev_open -> ev_started -> ev_supervisor_step("plan_verified") ->
 *   ev_step for each cell_step_record received -> ev_completed ->
 *   ev_destroyed -> ev_seal -> ev_close
 * Each call writes one complete line (RFC 8785 canonical JSON, signed unless
 * the stream was opened unsigned) with a single write(2). A failing sink
 * makes the call return -1; the caller must then kill the cell and exit
 * non-zero, since nothing may run unrecorded. Block or ignore SIGPIPE in the
 * supervisor so that a closed pipe sink is an EPIPE error, not a death.
 * docs/events.md specifies the bytes.
 */
#ifndef CELLOS_EVENTS_H
#define CELLOS_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <sys/utsname.h>

#include "runtime/lib/error.h"
#include "plan.h"
#include "step_record.h"

/* An Ed25519 signing key held by the supervisor. */
struct ev_key {
    uint8_t seed[32]; /* secret; wiped by ev_key_wipe */
    uint8_t pk[32];   /* raw public key */
    uint8_t kid[32];  /* SHA-256(pk) */
};

/* Load a key file written by `cellrun keygen`. Fails closed: missing,
 * unreadable, group- or world-accessible, not owned by the caller, or
 * malformed is an error naming the file and the reason. */
int ev_key_load(const char *path, struct ev_key *key, struct cell_error *e);
void ev_key_wipe(struct ev_key *key);

enum ev_sink_kind {
    EV_SINK_FILE, /* path: opened O_APPEND|O_CREAT, mode 0600 */
    EV_SINK_STDOUT,
    EV_SINK_FD, /* fd: an inherited descriptor */
};

/* A clock for the `time` attribute; NULL uses CLOCK_REALTIME. Golden tests
 * pass a fixed clock. */
typedef void (*ev_clock_fn)(void *ctx, struct timespec *now);

struct ev_options {
    enum ev_sink_kind sink;
    const char *path;         /* EV_SINK_FILE */
    int fd;                   /* EV_SINK_FD */
    const struct ev_key *key; /* NULL: unsigned stream (--unsigned); the started event says so */
    uint8_t run_uuid[16];     /* random v4 per run; fixed in golden tests */
    const char *source;       /* "" or NULL: urn:uuid:<run uuid> */
    const char *subject;      /* "" or NULL: the cell name */
    ev_clock_fn clock;
    void *clock_ctx;
    /* Added by the events team (fields appended; zero-initialised = defaults): */
    const struct utsname *host;  /* host kernel for the started event; NULL: uname(2).
                                 * Golden tests pass a fixed one. */
    bool key_seed_only;          /* key holds only its seed (ev_key_load_seed): ev_open
                                 * derives the public key and kid itself, once, where it
                                 * otherwise re-derives them to check the caller's */
    const uint8_t *required_kid; /* non-NULL: refuse any other signing key (the plan's
                                 * HAS_KID), before the sink is opened */
    /* Added by the sinks work (issue 17): */
    const int *tee_fd;    /* non-NULL: every line is also appended to this regular
                           * file (the spool), with a file sink's rules: a short
                           * write is an error, fsync at seal. The caller owns it. */
    const char *tee_name; /* its name in messages */
    const char *fd_name;  /* EV_SINK_FD: its name in messages ("events fd N") */
};

struct ev_stream;

/* A flat key/value for the data of supervisor steps and backend extras. */
enum ev_kv_type {
    EV_KV_STR,
    EV_KV_INT,
    EV_KV_BOOL
};
struct ev_kv {
    const char *key;
    enum ev_kv_type type;
    const char *s; /* EV_KV_STR */
    int64_t i;     /* EV_KV_INT */
    bool b;        /* EV_KV_BOOL */
};

struct ev_started_info {
    const char *backend;       /* "native", "gvisor", "vm" */
    const struct ev_kv *extra; /* backend facts: oci config digest, runsc version, vm mode ... */
    size_t n_extra;
};

struct ev_completed_info {
    bool exited; /* true: exit_code is set; false: signal is set */
    int exit_code;
    int signal;
    uint64_t wall_us, cpu_user_us, cpu_sys_us; /* wall_us: the whole cell, from go to its end */
    uint64_t peak_memory_bytes;                /* 0 when unknown */
    /* the workload's own wall time, from its exec to the cell's end (what
     * the plan's wall-time limit bounds); only when it started */
    bool workload_started;
    uint64_t workload_wall_us;
    /* who ended the workload when it did not end on its own: "wall",
     * "memory", "seccomp", "signal"; NULL: it exited */
    const char *killed_by;
    /* Appended: more flat values for the data (e.g. egress totals); keys
     * must not collide with the fixed ones. */
    const struct ev_kv *extra;
    size_t n_extra;
};

/* Open the sink and prepare the stream; writes nothing yet. The signing key
 * is copied into memory that is excluded from core dumps and wiped in any
 * child forked afterwards (MADV_WIPEONFORK), so a cell forked after ev_open
 * never holds it: wipe your own copy (ev_key_wipe) right after ev_open. Do
 * not start a cell with CLONE_VM (shared memory) while a stream is open.
 * The key is checked (and its secret page set up) before the sink is
 * opened: a bad key leaves no file behind. */
int ev_open(struct ev_stream **out, const struct ev_options *o, struct cell_error *e);

/* The started event: plan digest, policy name, backend, host kernel, every
 * unsafe grant with its reason, whether signing is on, plus info->extra. */
int ev_started(struct ev_stream *s, const struct plan *p, const struct ev_started_info *info,
               struct cell_error *e);

/* One step reported by the cell. The record is checked (magic, step range,
 * op index < plan's op count for MOUNT_OP); a bad record is an error. */
int ev_step(struct ev_stream *s, const struct plan *p, const struct cell_step_record *r,
            struct cell_error *e);

/* A supervisor-side step: name is appended to CELL_EV_STEP_PREFIX
 * ("plan_verified", "downgrade", "teardown", "cgroup", ...). */
int ev_supervisor_step(struct ev_stream *s, const char *name, const struct ev_kv *kv, size_t n,
                       struct cell_error *e);

/* An artifact export event (CELL_EV_EXPORT_COMPLETED or _FAILED) with data kv. */
int ev_export(struct ev_stream *s, bool completed, const struct ev_kv *kv, size_t n, struct cell_error *e);
int ev_completed(struct ev_stream *s, const struct ev_completed_info *c, struct cell_error *e);

/* An egress event (runtime/net/): type CELL_EV_NETWORK_PREFIX + name, data
 * the flat key/values (name matches [a-z0-9_]). */
int ev_network(struct ev_stream *s, const char *name, const struct ev_kv *kv, size_t n, struct cell_error *e);

/* A refused system call (CELL_EV_SECCOMP_DENIED): data is kv, which must
 * hold "syscall" (its name) and "nr" (its number). */
int ev_seccomp_denied(struct ev_stream *s, const struct ev_kv *kv, size_t n, struct cell_error *e);

/* outcome succeeded|failed; terminalState Clean (forced=false) | Forced. */
int ev_destroyed(struct ev_stream *s, bool succeeded, bool forced, struct cell_error *e);

/* The last event: "events": N counting the seal itself; fsync of a file sink. */
int ev_seal(struct ev_stream *s, struct cell_error *e);

/* Release the stream (does not seal). Safe on NULL. */
void ev_close(struct ev_stream *s);

/* ---- added by the events team ------------------------------------------ */

/* Is s (non-empty) an RFC 3986 URI-reference by its characters: unreserved,
 * reserved, '%' with two hex digits? What `source` must be (the runtime
 * checks it before a run, cellc when it compiles `events { source ...; }`). */
bool ev_uri_reference(const char *s);

/* A random RFC 4122 version 4 UUID for ev_options.run_uuid. */
int ev_run_uuid_generate(uint8_t uuid[16], struct cell_error *e);

/* Before the cell starts: when the plan names a signing key (events section
 * HAS_KID), refuse any other key. key NULL (unsigned run) passes: the caller
 * records that downgrade with an ev_supervisor_step("downgrade", ...).
 * ev_started performs the same check. */
int ev_check_plan_key(const struct plan *p, const struct ev_key *key, struct cell_error *e);

/* Events written so far (the sequence number of the last one); after
 * ev_sync when records were queued. */
uint64_t ev_count(const struct ev_stream *s);

/* ---- signing off the critical path (the supervisor's records) ----------- */

/* ev_step for the signer thread: the record is checked here, at once (a bad
 * record is refused with the error ev_step would give), then queued; a
 * thread of the stream's own (started by the first call) composes, signs
 * and writes the queued records in order, batching the lines of records
 * that arrive together into one write(2) (whole lines, at most 16 KiB to a
 * regular file and PIPE_BUF to anything else). The thread is woken per 16
 * records, at once for an exec, exit or failed record, and by anything
 * that waits for the queue; it runs SCHED_BATCH (it never preempts the
 * caller or the cell when woken). Every other call on the
 * stream first waits until the queue is written, so the stream is exactly
 * what the same calls to ev_step would have made, only its `time`
 * attributes are when the thread composed each event. A full queue (4096
 * records) makes the caller wait. A sink failure in the thread kills the
 * stream: ev_signer_fd becomes readable and the next call returns the
 * error. ev_close lets the thread write what is queued, then ends it. The
 * thread blocks every signal. */
int ev_step_queue(struct ev_stream *s, const struct plan *p, const struct cell_step_record *r,
                  struct cell_error *e);

/* Wait until every queued record is written: 0, or -1 with the signer
 * thread's failure (the stream is then dead). */
int ev_sync(struct ev_stream *s, struct cell_error *e);

/* An eventfd that becomes readable when the signer thread failed; -1 while
 * no thread runs. The caller polls it to stop the cell at once. */
int ev_signer_fd(const struct ev_stream *s);

/* The sink's descriptor when it is a pipe or a socket (else -1), and its
 * name for messages: polled for nothing, it reports POLLERR/POLLHUP once
 * its reader is gone, so the caller can stop a cell whose events can no
 * longer be written even while nothing is being written. */
int ev_sink_watch_fd(const struct ev_stream *s, const char **name);

#endif
