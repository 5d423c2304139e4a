/*
 * guest_init.h - the VM guest's PID 1 (see guest_init.c). The static guest
 * init binary's main() only calls guest_init_main().
 */
#ifndef CELLOS_GUEST_INIT_H
#define CELLOS_GUEST_INIT_H

#include "runtime/cell/cell_side.h"

/* Run the whole guest: never returns (ends the VM with reboot(2)). */
int guest_init_main(void);

/* The framed report sink (vm_channel.h) over fd. The sequence counter and
 * the record count live in a MAP_SHARED page so the init and the workload
 * child it forks (which reports the per-process steps) number frames as
 * one stream. */
int guest_report_init(struct cell_report *r, int fd);
/* The cell process's outcome (cell_run_steps' value: an exit status, or
 * -1 for a failed set-up step), kept in the same shared page so the guest
 * init, its parent, can read it after the cell process ends. */
void guest_report_set_result(struct cell_report *r, int result);
int guest_report_result(const struct cell_report *r);

/* Send the final STATUS frame. */
int guest_report_status(struct cell_report *r, uint32_t kind, uint32_t value);

/* The plan's memory/pids/cpu limits as a cgroup v2 child the workload
 * joins (guest_cgroup.c): fills c->cgroup_fds and adds CELL_DO_CGROUP.
 * 0 also when the plan has no limit; -1 with errno when a limit that is not
 * best-effort cannot be enforced. */
int guest_cgroup_setup(const struct plan *p, struct cell_config *c);

/* Egress (guest_net.c): wait for the virtio-net interface ifname, move it
 * into the network namespace of process cell and give it the cell's
 * addresses and default routes via the gateway there. NULL, or the step
 * that failed (errno set). */
const char *guest_net_up(const char *ifname, pid_t cell);

#endif
