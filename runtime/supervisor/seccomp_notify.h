/*
 * seccomp_notify.h - the supervisor's end of the seccomp denial listener
 * (docs/runtime.md, "Naming a refused call").
 *
 * Natively the cell loads the plan's program with its kill returns turned
 * into SECCOMP_RET_USER_NOTIF and reports the listener's fd in its SECCOMP
 * record; the workload then waits in its execve until the supervisor holds
 * the listener. The supervisor takes it from the workload (pidfd_getfd), and
 * for each notification runs the plan's own program over the call: a call
 * the program allows (the cell's execve) continues, one it fails gets the
 * same errno, and one it kills is named (syscall, arguments, the deciding
 * rule or default and its policy line), reported as a signed
 * dev.cellos.events.cell.seccomp.v1.denied event and its caller is killed
 * with SIGKILL without an answer: the call never runs.
 *
 * Invariant: a notification is never answered with CONTINUE unless the
 * plan's program returns ALLOW (or LOG) for exactly that seccomp_data.
 */
#ifndef CELLOS_SECCOMP_NOTIFY_H
#define CELLOS_SECCOMP_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "plan.h"
#include "runtime/events/events.h"
#include "runtime/lib/error.h"

struct sc_notify {
    int fd;            /* the listener (ours), -1 when none */
    pid_t workload;    /* the workload's pid (the cell init's child) */
    bool denied;       /* a call was refused and its caller killed */
    bool denied_main;  /* ... and the caller was the workload's first process */
    unsigned n_denied; /* denials so far */
    char line[480];    /* the first denial, as the stderr line says it */
    /* --learn: every notification is recorded here and let run */
    bool learn;
    struct sc_learnt *learnt;
};

void sc_notify_init(struct sc_notify *n);

/* Take the listener the workload holds as fd `cell_fd`; the workload is
 * the only child of the cell's init `init_pid`. */
int sc_notify_take(struct sc_notify *n, pid_t init_pid, uint32_t cell_fd, struct cell_error *e);

/* Answer one notification (the listener is readable). Returns 1 when a
 * call was refused (event written, caller killed), 0 otherwise, -1 when the
 * event could not be written (the caller is killed all the same). A
 * listener that hung up is closed (n->fd = -1). */
int sc_notify_handle(struct sc_notify *n, const struct plan *p, struct ev_stream *ev, struct cell_error *e);

void sc_notify_close(struct sc_notify *n);

/* --learn: print the syscalls section allowing what was recorded (names in
 * order, ioctl requests and socket families as predicates where every value
 * seen has a name), then free the record. */
void sc_notify_print_learnt(struct sc_notify *n, FILE *f);
void sc_notify_free(struct sc_notify *n);

#endif
