/*
 * supervisor.c - the backend-independent supervisor core (see supervisor.h
 * and backend.h for the order of things).
 *
 * Invariants:
 *  - nothing of the workload runs before the started and plan_verified
 *    events are written (the backend's cell waits for go);
 *  - the signing key is loaded only after the backend spawned the cell, and
 *    our copy is wiped right after the stream took it;
 *  - every record from the cell is bounds-checked here and by
 *    ev_step_queue, and becomes exactly one event; a bad record or a
 *    failing sink kills the cell (nothing runs unrecorded) and the run
 *    fails with 125;
 *  - signing is off the cell's critical path: records are queued for the
 *    stream's signer thread, which signs and writes them in order while the
 *    cell goes on (its exec waits for no signature); a sink failure there
 *    wakes the watch loop (ev_signer_fd), which kills the cell; every other
 *    event, and so completed, destroyed and the seal, waits until the queue
 *    is written, and ev_close ends the thread after writing what is queued.
 *    A crash of cellrun anywhere leaves an unsealed stream of whole lines
 *    in order: verify reports it cut off (exit 3);
 *  - every path out of supervisor_run goes through teardown: the backend's
 *    cleanup runs whatever happened;
 *  - two clocks bound the cell, so nothing runs unbounded: the set-up bound
 *    from go until the workload starts (the EXEC record; a VM's boot has its
 *    own allowance until GUEST_BOOT), then the plan's wall-time limit from
 *    the workload's start. A cell that never reports EXEC is killed at the
 *    set-up bound.
 */
#include "supervisor.h"
#include "supervisor_sinks.h"
#include "seccomp_notify.h"
#include "runtime/backend/backend.h"
#include "backend_table.h"
#include "runtime/cell/cell_side.h"
#include "event_types.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "runtime/events/sign_verify.h"
#include "runtime/lib/sys_util.h"
#include "runtime/net/net.h"
#include "runtime/export/export.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sup {
    const struct sup_options *o;
    struct plan *plan;
    const struct backend_ops *be;
    struct backend_run run;
    struct sup_inputs in;
    struct ev_stream *ev;
    struct sup_sinks sinks; /* local sink, remote sinks, spool, sender */
    struct sc_notify sn;    /* the seccomp denial listener (seccomp_notify.h) */
    int sigfd;
    sigset_t oldmask;

    /* what the records said */
    bool exec_ok, exec_failed, have_exit, setup_failed;
    int exec_err;
    int exit_wstatus;
    struct cell_step_record failed;                     /* the first FAILED record */
    uint8_t rbuf[16 * sizeof(struct cell_step_record)]; /* records read at once */
    size_t rlen;

    /* how it ended */
    bool reaped, timed_out, setup_timed_out, killed, sink_failed, bad_record;
    int wstatus;
    struct rusage ru;
    uint64_t t_go_ns, t_end_ns;
    uint64_t t_boot_ns; /* GUEST_BOOT received (VM), else 0 */
    uint64_t t_exec_ns; /* the workload started (EXEC ok), else 0 */
    uint64_t setup_ms;  /* the set-up bound (setup_timeout_ms) */
    bool gated;         /* the cell waits at its start gate (sup_options.start_gate) */
    char why[600];      /* the failure message, when any */
    /* the verdict: the workload exited 0 (outcome succeeded), and who
     * ended it when not itself (completed's killedby; docs/events.md) */
    bool workload_ok;
    const char *killedby;
    char cell_id[40];   /* the run's UUID: the export directory's name */
    bool export_failed; /* a required artifact failed */
    uint64_t export_ns; /* time the export took (added to the wall-time deadline) */
    char export_why[600];
};

/* The set-up bound: CELLOS_SETUP_TIMEOUT_MS (1 ms .. 1 h) when set, else
 * 60 s. A value that is not such a number is refused, not ignored. */
static int setup_timeout_ms(uint64_t *out, struct cell_error *e)
{
    const char *v = getenv("CELLOS_SETUP_TIMEOUT_MS");
    *out = SUP_DEFAULT_SETUP_TIMEOUT_MS;
    if (!v || !v[0])
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || v[0] < '0' || v[0] > '9' || n < 1 || n > 3600000)
        return cell_err(e, 0,
                        "CELLOS_SETUP_TIMEOUT_MS=\"%.32s\": not a number of milliseconds "
                        "from 1 to 3600000",
                        v);
    *out = (uint64_t)n;
    return 0;
}

/* When did the step of record r end, on our clock? The native cell and the
 * gVisor monitor share our CLOCK_MONOTONIC: the record's own time when it
 * lies between go and now. A backend whose records carry a clock of the
 * cell's own (a VM guest's) says so (guest_clock): the time it arrived. A
 * forged time can only be earlier than now, which shortens the cell's own
 * allowance. */
static uint64_t record_time(const struct sup *s, const struct cell_step_record *r)
{
    uint64_t now = sys_now_ns();
    if (s->run.guest_clock)
        return now;
    return r->mono_ns >= s->t_go_ns && r->mono_ns <= now ? r->mono_ns : now;
}

static void say(const char *msg)
{
    fprintf(stderr, "cellrun: %s\n", msg);
}

/* ---- failure descriptions ---------------------------------------------- */

static void describe_step_failure(struct sup *s, const struct cell_step_record *r)
{
    const char *name = cell_step_name(r->step);
    const char *err = r->err > 0 && r->err < 4096 ? strerror(r->err) : "failed";
    if (r->step == CELL_STEP_MOUNT_OP && r->op_index < s->plan->fs.n_ops) {
        const struct plan_mount_op *op = &s->plan->fs.ops[r->op_index];
        const char *opn = plan_mount_opcode_name(op->opcode);
        char what[480];
        int n = snprintf(what, sizeof what, "%s", opn ? opn : "?");
        if (op->src[0] && n >= 0 && (size_t)n < sizeof what)
            n += snprintf(what + n, sizeof what - (size_t)n, " %.200s%s", op->src, op->dst[0] ? " ->" : "");
        if (op->dst[0] && n >= 0 && (size_t)n < sizeof what)
            n += snprintf(what + n, sizeof what - (size_t)n, " %.200s", op->dst);
        if (op->line && n >= 0 && (size_t)n < sizeof what)
            snprintf(what + n, sizeof what - (size_t)n, ", policy line %u", op->line);
        snprintf(s->why, sizeof s->why, "step mount_op %u (%s): %s", r->op_index, what, err);
        return;
    }
    if (r->step == CELL_STEP_INIT && r->detail == 1) {
        snprintf(s->why, sizeof s->why, "step init: working directory %s: %s", s->plan->process.cwd, err);
        return;
    }
    if (r->step == CELL_STEP_SECRETS && r->detail < s->plan->secrets.n_items) {
        const struct plan_secret *sec = &s->plan->secrets.items[r->detail];
        snprintf(s->why, sizeof s->why, "step secrets: %.64s -> %.200s: %s", sec->name, sec->target, err);
        return;
    }
    if (r->step == CELL_STEP_LANDLOCK && r->err == EOPNOTSUPP) {
        if (r->detail == 0)
            snprintf(
                s->why, sizeof s->why,
                "step landlock: the plan requires Landlock (landlock required;) and this kernel has none");
        else
            snprintf(s->why, sizeof s->why,
                     "step landlock: the plan requires Landlock (landlock required;) and this kernel's "
                     "Landlock ABI "
                     "%u lacks part of the ruleset (ABI 6 has all of it)",
                     r->detail);
        return;
    }
    if (r->step == CELL_STEP_LOOPBACK && r->err == EOPNOTSUPP) {
        snprintf(s->why, sizeof s->why, "step loopback: egress rules cannot be enforced here");
        return;
    }
    snprintf(s->why, sizeof s->why, "step %s: %s", name ? name : "?", err);
}

/* ---- records ------------------------------------------------------------- */

static int export_step(struct sup *s, struct cell_error *e);

static int take_record(struct sup *s, const struct cell_step_record *r, struct cell_error *e)
{
    if (r->magic != CELL_STEP_MAGIC || !cell_step_name(r->step) || r->result > CELL_STEP_DEGRADED ||
        r->pad != 0 || (r->step == CELL_STEP_MOUNT_OP && r->op_index >= s->plan->fs.n_ops) ||
        (r->step == CELL_STEP_SECCOMP && r->op_index &&
         (!s->run.seccomp_listener || r->result != CELL_STEP_OK || r->op_index > 65536))) {
        s->bad_record = true;
        return cell_err(e, 0, "cell: malformed step record (step %u, result %u)", r->step, r->result);
    }
    /* queued for the signer thread: the cell goes on (its exec waits for
     * no signature); a bad record is refused here, a sink failure comes
     * back through ev_signer_fd */
    if (s->ev && ev_step_queue(s->ev, s->plan, r, e) < 0) {
        s->sink_failed = true;
        return -1;
    }
    if (r->result == CELL_STEP_FAILED) {
        if (r->step == CELL_STEP_EXEC) {
            s->exec_failed = true;
            s->exec_err = r->err;
        } else if (!s->setup_failed) {
            s->setup_failed = true;
            s->failed = *r;
        }
    } else if (r->step == CELL_STEP_EXEC) {
        s->exec_ok = true;
        if (!s->t_exec_ns)
            s->t_exec_ns = record_time(s, r); /* the workload's wall clock starts */
        if (s->o->start_gate && s->o->step_hook &&
            s->o->step_hook(s->o->hold_ctx, s->run.pid, r->step, e) < 0)
            return -1;
        /* the set-up is over: the sender may take the CPU now */
        if (sup_sinks_start_sender(&s->sinks, e) < 0)
            return -1;
    } else if (r->step == CELL_STEP_SECCOMP && r->op_index) {
        /* the workload waits in its execve until we hold its listener */
        if (sc_notify_take(&s->sn, s->run.pid, r->op_index - 1, e) < 0)
            return -1;
    } else if (r->step == CELL_STEP_LANDLOCK && s->o->start_gate && !s->gated) {
        /* built, stopped before exec until `start`: the set-up is over */
        s->gated = true;
        if (s->o->step_hook && s->o->step_hook(s->o->hold_ctx, s->run.pid, r->step, e) < 0)
            return -1;
    } else if (r->step == CELL_STEP_GUEST_BOOT) {
        if (!s->t_boot_ns)
            s->t_boot_ns = sys_now_ns(); /* the VM is up: the set-up bound starts */
    } else if (r->step == CELL_STEP_EXIT) {
        s->have_exit = true;
        s->exit_wstatus = (int)r->detail;
        return export_step(s, e);
    }
    return 0;
}

/* The workload is over and the cell's init holds its mounts (hold_fd):
 * copy the artifacts out (--export-dir) or say they were not, then let the
 * init go. */
static int export_step(struct sup *s, struct cell_error *e)
{
    if (s->run.hold_fd < 0)
        return 0;
    int rc = 0;
    uint64_t t0 = sys_now_ns();
    if (s->ev && s->o->export_dir) {
        rc = export_artifacts(s->plan, s->run.pid, s->o->export_dir, s->cell_id, s->ev, &s->export_failed,
                              s->export_why, sizeof s->export_why, e);
    } else if (s->ev) {
        char why[128];
        snprintf(why, sizeof why, "no --export-dir: %zu artifact(s) not exported", s->plan->export_.n_items);
        struct ev_kv d[] = {
            { .key = "what", .type = EV_KV_STR, .s = "export" },
            { .key = "why", .type = EV_KV_STR, .s = why },
        };
        rc = ev_supervisor_step(s->ev, "export_skipped", d, 2, e);
    }
    if (rc < 0)
        s->sink_failed = true;
    close(s->run.hold_fd);
    s->run.hold_fd = -1;
    s->export_ns = sys_now_ns() - t0;
    return rc;
}

/* Read what is available; 1 on EOF, 0 otherwise, -1 on a fatal problem. */
static int pump_records(struct sup *s, struct cell_error *e)
{
    if (s->be->read_records) {
        for (;;) {
            struct cell_step_record recs[16];
            bool eof = false;
            int n = s->be->read_records(&s->run, recs, 16, &eof, e);
            if (n < 0 || n > 16) {
                s->bad_record = true;
                return n < 0 ? -1 : cell_err(e, 0, "cell: record decoder returned %d", n);
            }
            for (int i = 0; i < n; i++)
                if (take_record(s, &recs[i], e) < 0)
                    return -1;
            if (eof)
                return 1;
            if (n == 0)
                return 0;
        }
    }
    /* bare records on a pipe: read what is there (up to 16 records) at
     * once; a read that returns less than asked for emptied the pipe, so
     * no second read(2) just to hear EAGAIN */
    for (;;) {
        size_t want = sizeof s->rbuf - s->rlen;
        ssize_t n = read(s->run.record_fd, s->rbuf + s->rlen, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return cell_err_sys(e, errno, "cell: reading step records");
        }
        if (n == 0) {
            if (s->rlen) {
                s->bad_record = true;
                return cell_err(e, 0, "cell: truncated step record at end of stream");
            }
            return 1;
        }
        s->rlen += (size_t)n;
        /* take the whole records out first (a failing one must not leave
         * the rest behind as a "truncated" record), keep a partial one */
        struct cell_step_record recs[sizeof s->rbuf / sizeof(struct cell_step_record)];
        size_t k = s->rlen / sizeof recs[0];
        memcpy(recs, s->rbuf, k * sizeof recs[0]);
        memmove(s->rbuf, s->rbuf + k * sizeof recs[0], s->rlen - k * sizeof recs[0]);
        s->rlen -= k * sizeof recs[0];
        for (size_t i = 0; i < k; i++)
            if (take_record(s, &recs[i], e) < 0)
                return -1;
        if ((size_t)n < want)
            return 0;
    }
}

/* ---- the run ------------------------------------------------------------- */

static int open_events(struct sup *s, const struct ev_key *key, struct cell_error *e)
{
    struct ev_options eo;
    memset(&eo, 0, sizeof eo);
    const char *spec = s->sinks.local;
    if (!spec && s->sinks.n_remote) {
        /* remote sinks only: the spool is the stream's one sink */
        eo.sink = EV_SINK_FD;
        eo.fd = -1;
    } else if (!spec || !spec[0]) {
        eo.sink = EV_SINK_FD;
        eo.fd = 2;
    } else if (strcmp(spec, "-") == 0) {
        eo.sink = EV_SINK_STDOUT;
    } else if (strncmp(spec, "fd:", 3) == 0) {
        char *end;
        long fd = strtol(spec + 3, &end, 10);
        if (*end || end == spec + 3 || fd < 0 || fd > 65535)
            return cell_err(e, 0, "events: bad sink \"%s\" (want FILE, - or fd:N)", spec);
        eo.sink = EV_SINK_FD;
        eo.fd = (int)fd;
    } else {
        eo.sink = EV_SINK_FILE;
        eo.path = spec;
    }
    eo.key = key;
    eo.key_seed_only = true;
    if (s->plan->events.flags & CP_EV_HAS_KID)
        eo.required_kid = s->plan->events.signing_kid;
    if (ev_run_uuid_generate(eo.run_uuid, e) < 0)
        return -1;
    snprintf(s->cell_id, sizeof s->cell_id,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", eo.run_uuid[0],
             eo.run_uuid[1], eo.run_uuid[2], eo.run_uuid[3], eo.run_uuid[4], eo.run_uuid[5], eo.run_uuid[6],
             eo.run_uuid[7], eo.run_uuid[8], eo.run_uuid[9], eo.run_uuid[10], eo.run_uuid[11],
             eo.run_uuid[12], eo.run_uuid[13], eo.run_uuid[14], eo.run_uuid[15]);
    eo.source = s->plan->events.source;
    eo.subject = s->plan->events.subject;
    if (s->sinks.n_remote) {
        char uuid[40];
        snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 eo.run_uuid[0], eo.run_uuid[1], eo.run_uuid[2], eo.run_uuid[3], eo.run_uuid[4],
                 eo.run_uuid[5], eo.run_uuid[6], eo.run_uuid[7], eo.run_uuid[8], eo.run_uuid[9],
                 eo.run_uuid[10], eo.run_uuid[11], eo.run_uuid[12], eo.run_uuid[13], eo.run_uuid[14],
                 eo.run_uuid[15]);
        if (sup_sinks_open_spool(&s->sinks, uuid, e) < 0)
            return -1;
        if (eo.fd == -1 && eo.sink == EV_SINK_FD) {
            eo.fd = s->sinks.spool_fd;
            eo.fd_name = s->sinks.spool_name;
        } else {
            eo.tee_fd = &s->sinks.spool_fd;
            eo.tee_name = s->sinks.spool_name;
        }
    }
    if (ev_open(&s->ev, &eo, e) < 0)
        return -1;
    /* the sender starts now only when delivery must be confirmed before
     * the workload; otherwise once the workload runs (or the run ends),
     * so that it never competes with the cell's set-up */
    return s->sinks.require ? sup_sinks_start_sender(&s->sinks, e) : 0;
}

static int emit_start(struct sup *s, struct cell_error *e)
{
    struct ev_kv extra[BACKEND_MAX_FACTS];
    size_t n = 0;
    for (size_t i = 0; i < s->run.n_facts; i++, n++) {
        extra[n] = (struct ev_kv){ .key = s->run.facts[i].key };
        if (s->run.facts[i].is_num) {
            extra[n].type = EV_KV_INT;
            extra[n].i = s->run.facts[i].num;
        } else {
            extra[n].type = EV_KV_STR;
            extra[n].s = s->run.facts[i].str;
        }
    }
    struct ev_started_info si = { .backend = s->be->name, .extra = extra, .n_extra = n };
    if (ev_started(s->ev, s->plan, &si, e) < 0)
        return -1;
    char digest[PLAN_DIGEST_STR_LEN + 1];
    plan_digest_string(s->plan->digest, digest);
    struct ev_kv kv[] = {
        { .key = "plandigest", .type = EV_KV_STR, .s = digest },
        { .key = "plan_signed", .type = EV_KV_BOOL, .b = s->plan->signed_plan },
        { .key = "trusted", .type = EV_KV_BOOL, .b = s->o->trust_path != NULL },
    };
    if (ev_supervisor_step(s->ev, "plan_verified", kv, sizeof kv / sizeof *kv, e) < 0)
        return -1;
    if (s->o->learn) {
        struct ev_kv d[] = {
            { .key = "what", .type = EV_KV_STR, .s = "seccomp" },
            { .key = "why",
              .type = EV_KV_STR,
              .s = "--learn: the plan's syscall filter is not enforced; every call runs and is recorded" },
        };
        if (ev_supervisor_step(s->ev, "downgrade", d, 2, e) < 0)
            return -1;
    }
    if (s->o->unsigned_run) {
        struct ev_kv d[] = {
            { .key = "what", .type = EV_KV_STR, .s = "signing" },
            { .key = "why", .type = EV_KV_STR, .s = "--unsigned: events are not signed" },
        };
        if (ev_supervisor_step(s->ev, "downgrade", d, 2, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < s->run.n_notes; i++) {
        struct ev_kv d[] = {
            { .key = "what", .type = EV_KV_STR, .s = s->run.notes[i].what },
            { .key = "why", .type = EV_KV_STR, .s = s->run.notes[i].why },
        };
        if (ev_supervisor_step(s->ev, s->run.notes[i].name, d, 2, e) < 0)
            return -1;
    }
    s->run.n_notes = 0;
    return 0;
}

static void kill_cell(struct sup *s)
{
    if (!s->reaped && !s->killed && s->be->kill) {
        s->be->kill(&s->run);
        s->killed = true;
    }
}

static int reap(struct sup *s)
{
    if (s->reaped || s->run.pid <= 0)
        return s->reaped;
    int st;
    pid_t w = wait4(s->run.pid, &st, WNOHANG, &s->ru);
    if (w == s->run.pid) {
        s->reaped = true;
        s->wstatus = st;
        s->t_end_ns = sys_now_ns();
        s->run.pid = -1;
    }
    return s->reaped;
}

/* Watch the cell until its process ends. Returns -1 when the run must be
 * failed (the cell has been killed and reaped by then). */
static int watch(struct sup *s, struct cell_error *e)
{
    const uint64_t wall_ns = s->plan->limits.wall_ms * 1000000ull;
    bool eof = s->run.record_fd < 0;
    int rc = 0;
    if (!eof) {
        int fl = fcntl(s->run.record_fd, F_GETFL);
        if (fl < 0 || fcntl(s->run.record_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
            kill_cell(s);
            rc = cell_err_sys(e, errno, "cell: record channel");
        }
    }
    /* once the run failed (rc < 0, e says why), later errors, e.g. of a
     * cell being killed, go here and do not replace the reason */
    struct cell_error later;
    while (!s->reaped) {
        const char *sink_name = NULL;
        struct pollfd pf[6] = {
            { .fd = s->sigfd, .events = POLLIN },
            { .fd = eof ? -1 : s->run.record_fd, .events = POLLIN },
            { .fd = net_gw_fd(s->run.net), .events = POLLIN },
            { .fd = s->sn.fd, .events = POLLIN },
            { .fd = rc == 0 ? ev_signer_fd(s->ev) : -1, .events = POLLIN },
            /* a pipe or socket sink whose reader went away, even while
             * nothing is being written (POLLERR/POLLHUP) */
            { .fd = rc == 0 ? ev_sink_watch_fd(s->ev, &sink_name) : -1, .events = 0 },
        };
        int timeout = -1;
        /* until the workload starts: the set-up bound (after a VM's boot
         * allowance, which ends at GUEST_BOOT); then its wall-time limit */
        uint64_t end = 0;
        bool setup = !s->t_exec_ns && !s->gated; /* a gated cell waits for `start` */
        if (setup)
            end = s->t_boot_ns ? s->t_boot_ns + s->setup_ms * 1000000ull
                               : s->t_go_ns + (s->setup_ms + s->run.boot_allowance_ms) * 1000000ull;
        else if (wall_ns)
            end = s->t_exec_ns + wall_ns + s->export_ns; /* the copy is not the workload's time */
        if (end && !s->killed) {
            uint64_t now = sys_now_ns();
            if (now >= end) {
                if (setup)
                    s->setup_timed_out = true;
                else
                    s->timed_out = true;
                kill_cell(s);
                continue;
            }
            uint64_t left_ms = (end - now + 999999) / 1000000;
            timeout = left_ms > 1000000000 ? 1000000000 : (int)left_ms;
        }
        int n = poll(pf, 6, timeout);
        if (n < 0 && errno != EINTR) {
            rc = cell_err_sys(e, errno, "poll");
            kill_cell(s);
            break;
        }
        if (n <= 0)
            continue;
        if (pf[4].revents && rc == 0 && ev_sync(s->ev, e) < 0) {
            /* the signer thread could not write: nothing may run unrecorded */
            s->sink_failed = true;
            rc = -1;
            kill_cell(s);
        }
        if ((pf[5].revents & (POLLERR | POLLHUP)) && rc == 0) {
            s->sink_failed = true;
            rc = cell_err(e, EPIPE, "events: the event sink %s was closed by its reader", sink_name);
            kill_cell(s);
        }
        if (pf[2].revents) {
            int nr =
                net_gw_pump(s->run.net, s->ev, rc == 0 ? e : &later); /* -1 sink, -2 the gateway failed */
            if (nr < 0 && rc == 0) {
                s->sink_failed = nr == -1;
                rc = -1;
                kill_cell(s);
            }
        }
        if (pf[1].revents) {
            int r = pump_records(s, rc == 0 ? e : &later);
            if (r < 0 && rc == 0) {
                rc = -1;
                kill_cell(s);
            } else if (r == 1) {
                eof = true;
            }
        }
        if (pf[3].revents & POLLIN) {
            if (sc_notify_handle(&s->sn, s->plan, s->ev, rc == 0 ? e : &later) < 0 && rc == 0) {
                s->sink_failed = true;
                rc = -1;
                kill_cell(s);
            }
        } else if (pf[3].revents) {
            sc_notify_close(&s->sn); /* every filtered process is gone */
        }
        if (pf[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGCHLD) {
                    reap(s);
                } else if (s->be->forward && !s->killed) {
                    s->be->forward(&s->run, (int)si.ssi_signo);
                }
            }
        }
        reap(s);
    }
    /* the cell is over: take the records still buffered */
    if (!eof && s->run.record_fd >= 0) {
        struct cell_error e2;
        if (pump_records(s, rc < 0 ? &e2 : e) < 0 && rc == 0)
            rc = -1;
    }
    return rc;
}

/* cellrun's exit status from what the records and the backend said; fills
 * s->why on failure. */
static int conclude_status(struct sup *s, struct backend_result *res)
{
    if (s->sink_failed || s->bad_record)
        return CELLRUN_EXIT_FAILURE; /* why already set by the caller */
    if (s->run.forced) {
        snprintf(s->why, sizeof s->why, "%s", s->run.forced_why);
        return CELLRUN_EXIT_FAILURE;
    }
    if (s->timed_out) {
        snprintf(s->why, sizeof s->why, "wall-time limit of %llu ms reached: the cell was killed",
                 (unsigned long long)s->plan->limits.wall_ms);
        res->exited = false;
        res->signal = SIGKILL;
        return 128 + SIGKILL;
    }
    if (s->setup_timed_out) {
        snprintf(s->why, sizeof s->why,
                 "the cell's set-up did not finish within %llu ms%s: "
                 "the cell was killed (CELLOS_SETUP_TIMEOUT_MS)",
                 (unsigned long long)s->setup_ms,
                 s->t_boot_ns || !s->run.boot_allowance_ms ? "" : " after its boot allowance");
        return CELLRUN_EXIT_FAILURE;
    }
    if (s->setup_failed) {
        describe_step_failure(s, &s->failed);
        return CELLRUN_EXIT_FAILURE;
    }
    if (res->decided && !s->have_exit && !s->exec_failed) {
        /* a backend that reports no EXEC/EXIT records knows the outcome */
        if (res->exited)
            return res->exit_code;
        return res->signal ? 128 + res->signal : CELLRUN_EXIT_FAILURE;
    }
    if (s->exec_failed) {
        snprintf(s->why, sizeof s->why, "step exec: %s: %s", s->plan->process.argv[0],
                 s->exec_err > 0 && s->exec_err < 4096 ? strerror(s->exec_err) : "failed");
        return s->exec_err == ENOENT || s->exec_err == ENOTDIR ? CELLRUN_EXIT_NOTFOUND : CELLRUN_EXIT_NOEXEC;
    }
    if (!s->exec_ok && !s->have_exit) {
        if (WIFSIGNALED(s->wstatus))
            snprintf(s->why, sizeof s->why, "the cell died of signal %d during set-up", WTERMSIG(s->wstatus));
        else
            snprintf(s->why, sizeof s->why, "the cell ended during set-up (status %d)",
                     WIFEXITED(s->wstatus) ? WEXITSTATUS(s->wstatus) : -1);
        return CELLRUN_EXIT_FAILURE;
    }
    if (res->exited)
        return res->exit_code;
    if (res->signal)
        return 128 + res->signal;
    return CELLRUN_EXIT_FAILURE;
}

/* Who ended the workload when it did not end on its own: "wall", "memory"
 * (the cgroup's OOM killer), "seccomp" (SIGSYS: a refused system call),
 * "signal" (any other signal); NULL when it exited. Names the memory kill
 * on stderr as the wall-time kill is. */
static const char *killed_by(struct sup *s, const struct backend_result *res)
{
    if (s->timed_out)
        return "wall";
    if (res->exited || !res->signal || (!s->exec_ok && !res->decided))
        return NULL;
    if (res->oom_kills && res->signal == SIGKILL) {
        if (!s->why[0])
            snprintf(s->why, sizeof s->why,
                     "memory limit of %llu bytes (%llu MiB) reached: the kernel's OOM killer killed the "
                     "workload (%llu process%s)",
                     (unsigned long long)s->plan->limits.memory,
                     (unsigned long long)(s->plan->limits.memory >> 20), (unsigned long long)res->oom_kills,
                     res->oom_kills == 1 ? "" : "es");
        return "memory";
    }
    if (res->signal == SIGSYS) {
        if (!s->why[0] && s->sn.denied_main)
            snprintf(s->why, sizeof s->why, "%s", s->sn.line);
        else if (!s->why[0])
            snprintf(s->why, sizeof s->why,
                     "seccomp killed the workload (SIGSYS): it made a system call the policy's syscalls "
                     "section does not allow (cellc explain PLAN SYSCALL ... tells which rule decides)");
        return "seccomp";
    }
    return "signal";
}

/* The result and cellrun's exit status; fills s->why on failure. */
static int conclude(struct sup *s, struct backend_result *res)
{
    memset(res, 0, sizeof *res);
    int ws = s->have_exit ? s->exit_wstatus : s->wstatus;
    res->exited = WIFEXITED(ws);
    res->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 0;
    res->signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    /* the supervisor killed the workload for a refused call: as the
     * kernel's kill-process would have (128+SIGSYS) */
    if (s->sn.denied_main && res->signal == SIGKILL && !s->timed_out && !s->killed)
        res->signal = SIGSYS;
    res->cpu_user_us = (uint64_t)s->ru.ru_utime.tv_sec * 1000000u + (uint64_t)s->ru.ru_utime.tv_usec;
    res->cpu_sys_us = (uint64_t)s->ru.ru_stime.tv_sec * 1000000u + (uint64_t)s->ru.ru_stime.tv_usec;
    if (s->be->finish)
        s->be->finish(&s->run, s->wstatus, &s->ru, res);
    int rc = conclude_status(s, res);
    s->workload_ok = rc == 0; /* exited 0 and nothing else failed */
    if (!s->killedby)
        s->killedby = killed_by(s, res);
    return rc;
}

static int load_key(struct sup *s, struct ev_key *key, bool *have, struct cell_error *e)
{
    *have = false;
    if (s->o->unsigned_run)
        return 0;
    const char *path = s->o->key_path ? s->o->key_path : getenv("CELLOS_KEY");
    if (!path || !path[0])
        return cell_err(e, 0, "events: no signing key: pass --key FILE, set CELLOS_KEY, or run --unsigned");
    /* just the seed: ev_open derives the key pair once, checks it against
     * the plan's kid and fails the run before the cell is let go */
    if (ev_key_load_seed(path, key, e) < 0)
        return -1;
    *have = true;
    return 0;
}

static int setup_signals(struct sup *s, struct cell_error *e)
{
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, &s->oldmask) < 0)
        return cell_err_sys(e, errno, "signals");
    sigdelset(&set, SIGPIPE); /* only blocked: a dead sink gives EPIPE */
    s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->sigfd < 0)
        return cell_err_sys(e, errno, "signalfd");
    return 0;
}

/* Unblock what setup_signals blocked, first discarding what is pending (a
 * SIGPIPE from a dead sink, a late SIGINT): those were handled, or belong to
 * a cell that is gone, and must not kill cellrun on its way out. */
static void restore_signals(struct sup *s)
{
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&set, sigs[i]);
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
    sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
}

static void random_hex(char *out, size_t nbytes)
{
    uint8_t b[16] = { 0 };
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, b, nbytes > sizeof b ? sizeof b : nbytes);
        (void)r;
        close(fd);
    }
    for (size_t i = 0; i < nbytes && i < sizeof b; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

int supervisor_run(const struct sup_options *o)
{
    return supervisor_run_backend(o, NULL);
}

int supervisor_run_backend(const struct sup_options *o, const struct backend_ops *forced)
{
    struct sup s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.sigfd = -1;
    s.run.record_fd = -1;
    s.run.hold_fd = -1;
    s.run.pid = -1;
    sc_notify_init(&s.sn);
    struct cell_error e = { 0 };
    int status = CELLRUN_EXIT_FAILURE;
    bool spawned = false;
    struct ev_key key;
    bool have_key = false;
    memset(&key, 0, sizeof key);

    struct plan_error pe;
    if (plan_read_file(o->plan_path, &s.plan, &pe) < 0) {
        char buf[700];
        plan_error_format(&pe, o->plan_path, buf, sizeof buf);
        say(buf);
        return CELLRUN_EXIT_FAILURE;
    }
    if (o->trust_path) {
        struct ev_trust *t = NULL;
        int r = ev_trust_load(o->trust_path, &t, &e);
        if (r == 0 && (r = plan_verify_trusted(s.plan, t, &e)) < 0)
            cell_err_wrap(&e, "plan %s refused by trust file %s", o->plan_path, o->trust_path);
        ev_trust_free(t);
        if (r < 0)
            goto fail_early;
    }
    if (forced) {
        s.be = forced;
    } else if (o->backend) {
        s.be = backend_by_name(o->backend);
        if (!s.be) {
            char names[64];
            cell_err(&e, 0, "backend \"%s\" is not built into this cellrun (have: %s)", o->backend,
                     backend_names(names, sizeof names));
            goto fail_early;
        }
    } else {
        s.be = backend_by_kind(s.plan->meta.backend);
        if (!s.be) {
            char names[64];
            cell_err(&e, 0,
                     "the plan asks for backend %u, which is not built into this cellrun "
                     "(have: %s); choose one with --backend",
                     s.plan->meta.backend, backend_names(names, sizeof names));
            goto fail_early;
        }
    }
    if (s.plan->export_.n_items && s.be->kind != CP_BACKEND_NATIVE) {
        cell_err(&e, 0, "export: the plan exports artifacts, which only the native backend can do (not %s)",
                 s.be->name);
        goto fail_early;
    }
    if (s.plan->export_.n_items && o->export_dir) {
        /* a directory, not a symlink to one (the copy follows none) */
        int dfd = open(o->export_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0) {
            cell_err_sys(&e, errno, "export: --export-dir %s", o->export_dir);
            goto fail_early;
        }
        close(dfd);
    }
    if (o->n_extra_args && !(s.plan->process.flags & CP_PROC_ALLOW_EXTRA_ARGS)) {
        cell_err(&e, 0, "process: the plan does not allow extra arguments after --");
        goto fail_early;
    }
    if (!o->unsigned_run && !o->key_path && !(getenv("CELLOS_KEY") && getenv("CELLOS_KEY")[0])) {
        cell_err(&e, 0, "events: no signing key: pass --key FILE, set CELLOS_KEY, or run --unsigned");
        goto fail_early;
    }
    if (sup_sinks_plan(&s.sinks, o, (s.plan->events.flags & CP_EV_REQUIRE_DELIVERED) != 0, &e) < 0)
        goto fail_early;
    {
        /* the event stream must never be a descriptor the workload holds */
        const char *spec = s.sinks.local;
        if (spec && strncmp(spec, "fd:", 3) == 0) {
            long fd = strtol(spec + 3, NULL, 10);
            for (size_t i = 0; i < s.plan->process.n_pass_fds; i++)
                if ((long)s.plan->process.pass_fds[i] == fd) {
                    cell_err(&e, 0,
                             "events: fd %ld is also passed to the cell; the workload "
                             "must not hold the event stream",
                             fd);
                    goto fail_early;
                }
        }
    }
    if (sup_inputs_read(s.plan, &s.in, &e) < 0)
        goto fail_early;
    if (setup_signals(&s, &e) < 0)
        goto fail_early;

    s.run.plan = s.plan;
    s.run.extra_args = o->extra_args;
    s.run.n_extra_args = o->n_extra_args;
    s.run.rootless = geteuid() != 0;
    s.run.pass_values = s.in.pass_values;
    s.run.secrets = s.in.secrets;
    s.run.plan_path = o->plan_path;
    s.run.seccomp_learn = o->learn;
    s.sn.learn = o->learn;
    if (setup_timeout_ms(&s.setup_ms, &e) < 0)
        goto fail_early;
    snprintf(s.run.run_id, sizeof s.run.run_id, "%ld-", (long)getpid());
    random_hex(s.run.run_id + strlen(s.run.run_id), 6);

    for (size_t i = 0; i < o->n_facts && s.run.n_facts < BACKEND_MAX_FACTS; i++)
        s.run.facts[s.run.n_facts++] = o->facts[i];
    for (size_t i = 0; i < o->n_notes && s.run.n_notes < BACKEND_MAX_NOTES; i++)
        s.run.notes[s.run.n_notes++] = o->notes[i];
    s.run.share_ns = o->share_ns;
    if (o->share_ns && s.be->kind != CP_BACKEND_NATIVE) {
        cell_err(&e, 0, "namespaces: joining an existing namespace needs the native backend (not %s)",
                 s.be->name);
        goto teardown;
    }
    s.run.start_fd = o->start_gate ? o->start_fd : -1;
    if (o->start_gate && s.be->kind != CP_BACKEND_NATIVE) {
        cell_err(&e, 0, "the start gate needs the native backend (not %s)", s.be->name);
        goto teardown;
    }
    if (s.be->prepare && s.be->prepare(&s.run, &e) < 0)
        goto teardown;
    if (o->learn && !s.run.seccomp_listener) {
        cell_err(&e, 0, "--learn needs the native backend (this run's is %s)", s.be->name);
        goto teardown;
    }
    if (s.be->spawn(&s.run, &e) < 0)
        goto teardown;
    spawned = true;
    /* the cell exists: whatever is loaded from here on it never holds */
    if (load_key(&s, &key, &have_key, &e) < 0)
        goto teardown;
    int r = open_events(&s, have_key ? &key : NULL, &e);
    if (have_key)
        ev_key_wipe(&key);
    if (r < 0 || emit_start(&s, &e) < 0) {
        s.sink_failed = s.ev != NULL;
        goto teardown;
    }
    /* --require-delivered: the sinks have the started event, or no workload */
    if (sup_sinks_wait_ready(&s.sinks, &e) < 0)
        goto teardown;
    /* the cell's namespaces exist before anyone learns its pid */
    if (s.be->settle && s.be->settle(&s.run, &e) < 0)
        goto teardown;
    if (o->hold && o->hold(o->hold_ctx, s.run.pid, &e) < 0)
        goto teardown;
    s.t_go_ns = sys_now_ns();
    if (s.be->go && s.be->go(&s.run, &e) < 0)
        goto teardown;

    int wrc = watch(&s, &e);
    struct backend_result res;
    status = conclude(&s, &res);
    if (wrc < 0) {
        snprintf(s.why, sizeof s.why, "%s", e.msg);
        status = CELLRUN_EXIT_FAILURE;
    }
    if (s.export_failed && !s.why[0]) {
        snprintf(s.why, sizeof s.why, "%s", s.export_why);
        status = CELLRUN_EXIT_FAILURE;
    }
    if (s.ev && !s.sink_failed && net_gw_finish(s.run.net, s.ev, &e) < 0) {
        s.sink_failed = true;
        snprintf(s.why, sizeof s.why, "%s", e.msg);
        status = CELLRUN_EXIT_FAILURE;
    }
    if (s.ev && !s.sink_failed) {
        uint64_t nc, nout, nin, dans, dref;
        net_gw_totals(s.run.net, &nc, &nout, &nin);
        net_gw_dns_totals(s.run.net, &dans, &dref);
        struct ev_kv net_kv[] = {
            { .key = "egressconnections", .type = EV_KV_INT, .i = (int64_t)nc },
            { .key = "egressbytesout", .type = EV_KV_INT, .i = (int64_t)nout },
            { .key = "egressbytesin", .type = EV_KV_INT, .i = (int64_t)nin },
            { .key = "egressdnsanswered", .type = EV_KV_INT, .i = (int64_t)dans },
            { .key = "egressdnsrefused", .type = EV_KV_INT, .i = (int64_t)dref },
        };
        struct ev_completed_info ci = {
            .exited = res.exited,
            .exit_code = res.exit_code,
            .signal = res.signal,
            .wall_us = (s.t_end_ns - s.t_go_ns) / 1000,
            .workload_started = s.t_exec_ns != 0,
            .workload_wall_us =
                s.t_exec_ns && s.t_end_ns > s.t_exec_ns ? (s.t_end_ns - s.t_exec_ns) / 1000 : 0,
            .cpu_user_us = res.cpu_user_us,
            .cpu_sys_us = res.cpu_sys_us,
            .peak_memory_bytes = res.peak_memory_bytes,
            .killed_by = s.killedby,
            .extra = s.run.net ? net_kv : NULL,
            .n_extra = s.run.net ? sizeof net_kv / sizeof *net_kv : 0,
        };
        if (ev_completed(s.ev, &ci, &e) < 0) {
            s.sink_failed = true;
            snprintf(s.why, sizeof s.why, "%s", e.msg);
            status = CELLRUN_EXIT_FAILURE;
        }
    }
    goto teardown_done_msg;

teardown:
    snprintf(s.why, sizeof s.why, "%s", e.msg);
teardown_done_msg:
    if (spawned)
        kill_cell(&s);
    sc_notify_close(&s.sn);
    if (s.be && s.be->cleanup)
        s.be->cleanup(&s.run);
    if (s.ev && !s.sink_failed) {
        bool clean = s.run.n_notes == 0;
        for (size_t i = 0; i < s.run.n_notes; i++) {
            struct ev_kv d[] = {
                { .key = "what", .type = EV_KV_STR, .s = s.run.notes[i].what },
                { .key = "why", .type = EV_KV_STR, .s = s.run.notes[i].why },
            };
            if (ev_supervisor_step(s.ev, s.run.notes[i].name, d, 2, &e) < 0)
                s.sink_failed = true;
        }
        /* outcome: the workload ran and exited 0, and nothing else failed;
         * terminalState Forced: the cell did not end on its own (docs/events.md) */
        bool ok = s.workload_ok && !s.setup_failed && !s.timed_out && !s.setup_timed_out && !s.bad_record &&
            !s.killed && s.why[0] == 0;
        bool forced = s.killed || s.timed_out || s.setup_timed_out || s.run.forced ||
            (s.killedby && strcmp(s.killedby, "signal") != 0);
        if (!s.sink_failed && (ev_destroyed(s.ev, ok && clean, forced, &e) < 0 || ev_seal(s.ev, &e) < 0)) {
            s.sink_failed = true;
        }
        if (s.sink_failed) {
            snprintf(s.why, sizeof s.why, "%s", e.msg);
            status = CELLRUN_EXIT_FAILURE;
        }
    }
    ev_close(s.ev);
    if (s.why[0])
        say(s.why);
    if (o->learn && s.t_exec_ns)
        sc_notify_print_learnt(&s.sn, stderr);
    sc_notify_free(&s.sn);
    sup_sinks_finish(&s.sinks, say);
    if (s.sigfd >= 0)
        close(s.sigfd);
    restore_signals(&s);
    sup_inputs_free(&s.in);
    plan_free(s.plan);
    return status;

fail_early:
    say(e.msg);
    sup_inputs_free(&s.in);
    if (s.sigfd >= 0)
        close(s.sigfd);
    plan_free(s.plan);
    return CELLRUN_EXIT_FAILURE;
}
