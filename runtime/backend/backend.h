/*
 * backend.h - how a backend (native, gvisor, vm) plugs into the supervisor.
 *
 * The supervisor core (supervisor.c) is backend-independent: it loads and
 * trust-checks the plan, opens the event stream, emits started and
 * plan_verified, bounds the set-up (go until the workload's exec) and
 * enforces the wall-time limit from that exec, forwards SIGINT/SIGTERM,
 * turns every step record into an event, and emits completed, destroyed and
 * the seal, then maps the outcome to cellrun's exit status. A backend only
 * runs the cell and hands the core:
 *   - one descriptor carrying struct cell_step_record (32 bytes each, in
 *     order; a pipe natively, a serial port or socket from a VM guest; the
 *     core reassembles records from any byte stream and never trusts them);
 *   - one process id the core waits for (the cell's init natively, runsc or
 *     qemu for the others); its end means the cell is over.
 *
 * Call order (the core guarantees it; every hook may be NULL except spawn):
 *   prepare  - host checks and resources (cgroups, bundle dirs, ...); the
 *              plan cannot run here -> error (exit 125). Nothing runs yet.
 *              May add notes (downgrades) and started-event facts.
 *   spawn    - create the cell, stopped before its first step: fill
 *              record_fd and pid. Called BEFORE the signing key is loaded:
 *              whatever spawn forks can never hold the key.
 *   go       - let the cell run its steps (after started/plan_verified).
 *   forward  - pass a signal (SIGINT, SIGTERM, ...) to the workload.
 *   kill     - kill everything of the cell now (wall time, sink failure).
 *   finish   - after pid was reaped with wait status `wstatus`: fill the
 *              result (the core fills it from the EXIT record and wstatus
 *              first; a backend may correct it; one without EXEC/EXIT
 *              records, e.g. gvisor from runsc's status, sets `decided`).
 *   cleanup  - idempotent; remove every host resource. Also called after a
 *              failed prepare or spawn.
 *   read_records - optional decoder of a framed record channel (below).
 * A backend must leave nothing on the host when cellrun is SIGKILLed at any
 * point (docs/runtime.md, "Cleanup guarantees"), e.g. with a reaper.
 */
#ifndef CELLOS_BACKEND_H
#define CELLOS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "runtime/cell/cell_side.h"
#include "runtime/lib/error.h"
#include "runtime/events/events.h"
#include "plan.h"

/* cellrun's own exit statuses (docs/runtime.md); a backend's process
 * exits with these where it gives up for the supervisor. */
#define CELLRUN_EXIT_FAILURE  125 /* cellrun or the cell's set-up failed */
#define CELLRUN_EXIT_NOEXEC   126 /* the workload could not be executed */
#define CELLRUN_EXIT_NOTFOUND 127 /* the workload was not found */

#define BACKEND_MAX_NOTES 16
#define BACKEND_MAX_FACTS 16

/* A downgrade or other fact the core turns into an event once the stream
 * is open: ev_supervisor_step(name, {what, why}). */
struct backend_note {
    char name[32]; /* "downgrade", "cgroup", ... (CELL_EV_STEP_PREFIX + name) */
    char what[64]; /* e.g. "limits.memory" */
    char why[320]; /* one line */
};

/* One started-event fact (ev_kv of type string or int). */
struct backend_fact {
    char key[32];
    char str[128];
    int64_t num;
    bool is_num;
};

/* The run as the core and the backend share it. The core fills the inputs
 * before prepare; the backend fills the outputs; priv is the backend's. */
struct backend_run {
    /* inputs */
    const struct plan *plan;
    char *const *extra_args; /* appended to argv (already allowed by the plan) */
    size_t n_extra_args;
    bool rootless;                           /* cellrun is not running as root */
    const char *const *pass_values;          /* host values of the plan's PASS env vars (index-aligned) */
    const struct cell_secret_value *secrets; /* secret values (index-aligned with plan->secrets) */
    char run_id[40];                         /* unique per run: "<pid>-<random hex>" */
    int start_fd;                            /* >= 0: the OCI create's start gate (cell_config.start_fd;
                                              * native only), else -1 */
    unsigned long share_ns;                  /* CLONE_NEW* types the cell shares with the supervisor
                                              * instead of making (supervisor.h; native only) */
    const char *plan_path;                   /* the plan file as given (the vm backend ships its bytes
                                     * to the guest, after checking they decode to `plan`) */

    /* outputs */
    int record_fd; /* records arrive here (-1 when none) */
    pid_t pid;     /* the process whose end ends the cell */
    struct backend_note notes[BACKEND_MAX_NOTES];
    size_t n_notes;
    struct backend_fact facts[BACKEND_MAX_FACTS];
    size_t n_facts;
    void *priv;
    /* Set by a backend (at the latest in finish) that had to end the cell by
     * force on its own, e.g. a VM guest that died, went silent or broke the
     * report protocol: the run fails with forced_why and the destroyed event
     * says terminalState Forced. */
    bool forced;
    char forced_why[256];
    /* Set by a backend in prepare whose cell needs time before it can even
     * report (a VM's boot): the core's set-up bound (go until the EXEC
     * record) is extended by this much until the GUEST_BOOT record, after
     * which the plain set-up bound counts from that record. The wall-time
     * limit always counts from EXEC. */
    uint64_t boot_allowance_ms;
    /* Set by a backend in prepare whose records carry times of a clock of
     * the cell's own (a VM guest's CLOCK_MONOTONIC counts from its boot):
     * the core then times steps (the EXEC that starts the wall clock) by
     * their arrival, not by the record's mono_ns. */
    bool guest_clock;
    /* Set by a backend that started egress enforcement (runtime/net/): the
     * core turns its reports into events while the cell runs and asks for
     * its counters before the completed event; the backend stops it in
     * cleanup. */
    struct net_gw *net;
    /* Set by a backend whose cell's init holds its mounts after EXIT for
     * the export (native, a plan with an export section): the write end
     * of the pipe it waits on; the core copies the artifacts when EXIT
     * arrives, then closes it (and sets -1). -1 otherwise (the core sets
     * -1 before prepare). */
    int hold_fd;
    /* Set by a backend in prepare whose cell may report a seccomp denial
     * listener (the SECCOMP record's op_index): the workload is the only
     * child of `pid` and the core may take the listener from it with
     * pidfd_getfd (runtime/supervisor/seccomp_notify.h). */
    bool seccomp_listener;
    /* Input (`cellrun --learn`): the cell loads the learning filter instead
     * of the plan's; refused in prepare by a backend that cannot. */
    bool seccomp_learn;
};

/* Final outcome of a run, filled by the core and possibly by finish(). */
struct backend_result {
    bool decided; /* set by finish(): the backend knows the workload's
                                     * outcome itself (e.g. runsc's exit status) and the
                                     * fields below are it, with or without EXEC/EXIT records */
    bool exited;  /* true: exit_code; false: signal */
    int exit_code;
    int signal;
    uint64_t cpu_user_us, cpu_sys_us;
    uint64_t peak_memory_bytes; /* 0 when unknown */
    uint64_t oom_kills;         /* processes the cgroup's OOM killer killed; 0 when none or unknown */
};

struct net_gw;
struct backend_ops {
    const char *name; /* "native", "gvisor", "vm" */
    uint32_t kind;    /* enum cp_backend */
    int (*prepare)(struct backend_run *r, struct cell_error *e);
    int (*spawn)(struct backend_run *r, struct cell_error *e);
    int (*go)(struct backend_run *r, struct cell_error *e);
    void (*forward)(struct backend_run *r, int sig);
    void (*kill)(struct backend_run *r);
    void (*finish)(struct backend_run *r, int wstatus, const struct rusage *ru, struct backend_result *res);
    void (*cleanup)(struct backend_run *r);
    /* Optional: wait until the cell's namespaces all exist (natively the
     * child makes its network namespace itself while the supervisor loads
     * the key and writes the first events). Called after those events,
     * before the caller's hold (which may publish the cell's pid) and go;
     * -1 with e when the cell is gone. */
    int (*settle)(struct backend_run *r, struct cell_error *e);
    /* Optional: decode a framed record channel (e.g. the VM's serial
     * frames). Called when record_fd is readable (it is non-blocking):
     * reads what is available and returns how many whole records it put in
     * out (at most max; 0 = none yet); sets *eof when no record can follow;
     * -1 with e on a protocol fault (the core kills the cell: 125). NULL:
     * record_fd carries bare 32-byte records. The core checks every record
     * it gets either way. */
    int (*read_records)(struct backend_run *r, struct cell_step_record *out, size_t max, bool *eof,
                        struct cell_error *e);
};

/* The teardown a backend whose cell is one host process tree shares
 * (native, gvisor): an unreleased cell is let fall (its go pipe *sync_wr
 * closed), the cell process killed and reaped if it still runs, the record
 * pipe closed, and the cell's cgroups removed (a note when the reaper must
 * retry). Idempotent. */
struct cgroup_set;
void backend_teardown_cell(struct backend_run *r, int *sync_wr, struct cgroup_set *cg);

/* Close both ends of each of n pipes; an end of -1 (never opened) is
 * skipped. For a spawn's failure paths. */
void backend_close_pipes(int *const pipes[], size_t n);

/* Helpers for backends (supervisor_backends.c). Both truncate; a full
 * list drops the note/fact (and says so in the last note). */
void backend_note(struct backend_run *r, const char *name, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void backend_fact_str(struct backend_run *r, const char *key, const char *value);
void backend_fact_num(struct backend_run *r, const char *key, int64_t value);

#endif
