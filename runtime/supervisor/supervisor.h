/*
 * supervisor.h - the backend-independent supervisor core of `cellrun PLAN`.
 *
 * supervisor_run() does everything between the command line and the exit
 * status: plan load and trust check, inputs from the host (PASS env values,
 * secrets), the backend's prepare/spawn, the signing key (loaded only after
 * the cell exists), the event stream, the set-up bound and the wall-time
 * limit, signal forwarding, step records -> events, completed/destroyed/seal,
 * teardown.
 */
#ifndef CELLOS_SUPERVISOR_H
#define CELLOS_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/backend/backend.h" /* CELLRUN_EXIT_* */

/* cellrun's exit statuses besides the workload's own */

/* The set-up bound (go until the workload's exec) when CELLOS_SETUP_TIMEOUT_MS
 * does not say otherwise; a backend adds its boot allowance (backend.h). */
#define SUP_DEFAULT_SETUP_TIMEOUT_MS 60000

#define SUP_MAX_EVENTS 9 /* --events given at most: one local sink and 8 remote */

struct backend_fact;
struct cell_error;
struct sup_options {
    const char *plan_path;
    char *const *extra_args; /* after `--` */
    size_t n_extra_args;
    const char *events[SUP_MAX_EVENTS]; /* --events: FILE, file:FILE, "-", "fd:N", or a
                                         * remote sink URL (docs/events.md, "Sinks") */
    size_t n_events;                    /* 0: $CELLOS_EVENTS (space-separated), else stderr */
    const char *spool;                  /* --spool DIR, or NULL: $CELLOS_SPOOL or the default */
    bool require_delivered;             /* --require-delivered: fail closed on an unreachable sink */
    const char *key_path;               /* NULL: $CELLOS_KEY */
    bool unsigned_run;                  /* --unsigned */
    bool learn;                         /* --learn: record the syscalls, enforce none */
    const char *trust_path;             /* --trust KEYS.json, or NULL */
    const char *backend;                /* --backend NAME, or NULL for the plan's */
    const char *export_dir;             /* --export-dir DIR, or NULL: artifacts not exported */
    /* Optional, for callers that run a plan on someone's behalf (the OCI
     * runtime, runtime/oci/): facts added to the started event, and a hold
     * called with the cell's process once it exists, stopped before its
     * first step, right before go; it may wait (for `cellrun start`) and
     * returns -1 with e to let the cell fall without running a step. */
    const struct backend_fact *facts;
    size_t n_facts;
    int (*hold)(void *ctx, pid_t cell_pid, struct cell_error *e);
    void *hold_ctx;
    /* The OCI runtime, for namespaces an engine made (runtime/oci/oci_join.c):
     * CLONE_NEWNET/NEWIPC/NEWUTS types the caller has already entered and the
     * cell shares instead of making its own (native backend only), and
     * notes the core turns into events after started (each join). */
    unsigned long share_ns;
    const struct backend_note *notes;
    size_t n_notes;
    /* The OCI create (native only): instead of a hold before go, the cell
     * runs every set-up step and its workload waits before the seccomp
     * load for a byte on start_fd (cell_side.h, start_gate). step_hook is
     * called when it got there (its LANDLOCK record; the set-up bound ends
     * there) and when the workload has exec'd (EXEC), with the step;
     * returning -1 with e fails the run. */
    bool start_gate;
    int start_fd;
    int (*step_hook)(void *ctx, pid_t cell_pid, unsigned step, struct cell_error *e);
};

/* Run the plan; returns cellrun's exit status. Messages go to stderr, one
 * line each, prefixed "cellrun: ". */
int supervisor_run(const struct sup_options *o);

/* The same with a given backend instead of the built-in table (tests use a
 * backend that sends forged records; o->backend is then ignored). */
struct backend_ops;
int supervisor_run_backend(const struct sup_options *o, const struct backend_ops *be);

/* supervisor_inputs.c: values the cell needs from the host, read before
 * the cell is spawned. Index-aligned with plan->process.env and
 * plan->secrets.items. */
struct plan;
struct cell_secret_value;
struct cell_error;
struct sup_inputs {
    const char **pass_values;
    struct cell_secret_value *secrets;
    size_t n_secrets;
};
int sup_inputs_read(const struct plan *p, struct sup_inputs *in, struct cell_error *e);
void sup_inputs_free(struct sup_inputs *in);

#endif
