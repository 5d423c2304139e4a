/*
 * cgroup.h - the cell's cgroups, supervisor side: create them with the
 * plan's limits (v2 where the host has the controllers there, v1
 * otherwise), hand their directory fds to the cell (which joins them itself
 * before any workload code runs), read peak memory, and remove them.
 *
 * Cleanup survives cellrun's SIGKILL: before the first cgroup is created a
 * tiny reaper process is forked; it waits for the supervisor's end (EOF on a
 * pipe only the supervisor holds) and then kills whatever is left in the
 * cgroups and removes them. After a normal run the supervisor removes them
 * itself and tells the reaper, which exits at once.
 */
#ifndef CELLOS_CGROUP_H
#define CELLOS_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "runtime/lib/error.h"
#include "plan.h"

/* CGROUP step detail bits (docs/runtime.md) */
#define CG_DETAIL_MEMORY 0x1u /* memory limit enforced */
#define CG_DETAIL_PIDS   0x2u /* pids limit enforced */
#define CG_DETAIL_CPU    0x4u /* cpu bandwidth limit enforced */
#define CG_DETAIL_V2     0x8u /* on the unified (v2) hierarchy; else v1 */

#define CG_MAX 4

struct cgroup_dir {
    char ctrl[16]; /* "memory", "pids", "cpu", or "unified" for v2 */
    int parentfd;  /* the supervisor's own cgroup directory */
    int dirfd;     /* the cell's cgroup, -1 until created */
};

struct cgroup_set {
    char name[64]; /* "cellos-<run id>" */
    struct cgroup_dir d[CG_MAX];
    size_t n;
    bool v2;
    uint32_t detail; /* CG_DETAIL_* */
    bool degraded;   /* a best-effort limit is not enforced */
    pid_t reaper;
    int reaper_fd; /* write end; EOF tells the reaper to clean */
};

/* Decide, create and configure. Limits the host cannot enforce: refused
 * (error naming the limit) unless the plan marks them best-effort, in which
 * case a downgrade note is added to r and the set is degraded. */
int cgroup_prepare(struct cgroup_set *cs, const struct plan *p, struct backend_run *r, struct cell_error *e);
/* Directory fds the cell joins (cgroup.procs in each). */
size_t cgroup_fds(const struct cgroup_set *cs, int *fds, size_t max);
/* Peak memory of the cell in bytes, 0 when unknown. */
uint64_t cgroup_peak_memory(const struct cgroup_set *cs);
/* How many processes of the cell the kernel's OOM killer killed (the
 * oom_kill counter of v2 memory.events or v1 memory.oom_control); 0 when
 * none or unknown. */
uint64_t cgroup_oom_kills(const struct cgroup_set *cs);
/* Kill what is left, remove the cgroups, release the reaper. Idempotent.
 * Returns 0 when nothing is left behind. */
int cgroup_cleanup(struct cgroup_set *cs);
void cgroup_init(struct cgroup_set *cs);

#endif
