/*
 * gvisor.h - what the gVisor backend (backend_gvisor.c, supervisor side)
 * hands the monitor (gvisor_monitor.c), the process it forks to run runsc.
 *
 * The monitor is the gVisor counterpart of the native cell's init: forked
 * before the signing key is loaded, it stages the bundle in a private mount
 * namespace, starts `runsc run` as PID 1 of a new pid namespace (so that the
 * kernel kills gofer, sandbox and every stub when runsc dies), reports each
 * step as a struct cell_step_record on the record pipe, and ends when the
 * sandbox ends. It dies with the supervisor (PR_SET_PDEATHSIG) and runsc
 * dies with it (PR_SET_PDEATHSIG again), so SIGKILL of cellrun leaves
 * nothing: no process, no mount (all in the monitor's namespace), no file
 * (the bundle is a tmpfs only that namespace sees).
 *
 * Protocol with the supervisor:
 *   hello pipe (monitor -> supervisor): one line "ok\t<runsc version>\n"
 *     once the sandbox exists and is waiting (runsc blocks opening the
 *     pid-file FIFO), or once a failure is recorded; EOF means the monitor
 *     died;
 *   sync pipe (supervisor -> monitor): 'g' lets the container start;
 *   signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 sent to the
 *     monitor are passed to runsc, which passes them to the workload.
 */
#ifndef CELLOS_GVISOR_H
#define CELLOS_GVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci.h"

#define GVISOR_MAX_ARGS    24
#define GVISOR_MAX_CGROUPS 8

struct gvisor_monitor {
    const struct plan *plan;
    const struct oci_bundle *bundle;
    const struct cell_secret_value *secrets;
    int record_fd, hello_fd, sync_fd;
    int net_ready_fd;        /* egress: netd writes 'r' here when the network is ready; else -1 */
    int host_net_fd;         /* egress: the host's network namespace (runsc runs there) */
    int runsc_fd;            /* O_PATH of the runsc binary */
    char *const *argv;       /* runsc ... run ... <id> */
    const char *version_log; /* bundle file where runsc run logs "Version X", or
                                         * NULL: run `runsc --version` beside it */
    char container_id[64];
    char stage_dir[16];                 /* the directory the bundle tmpfs covers ("/tmp") */
    int cgroup_fds[GVISOR_MAX_CGROUPS]; /* directories to join */
    bool cgroup_v2[GVISOR_MAX_CGROUPS];
    size_t n_cgroup_fds;
    uint32_t cgroup_detail;
    bool cgroup_degraded;
    pid_t supervisor;
};

/* The monitor: never returns. */
void gvisor_monitor_main(const struct gvisor_monitor *m) __attribute__((noreturn));

/* Map runsc's error text ("...: no such file or directory") to an errno;
 * 0 when none matches. */
int gvisor_errno_of(const char *msg);

/* `cellrun --print-oci-config [--portable | --bundle DIR] PLAN [-- ARGS]`
 * (runtime/gvisor/oci_cmd.c): the gvisor backend's config.json for PLAN. */
int cellrun_cmd_oci_config(int argc, char **argv);

#endif
