/*
 * guest_cgroup.c - the plan's limits inside a VM guest: a cgroup v2
 * hierarchy mounted at /sys/fs/cgroup with one child "cell" that carries
 * memory.max (and memory.swap.max 0), pids.max and cpu.max. The workload
 * joins it through the cell side's CGROUP step (cell_config.cgroup_fds).
 * A limit the guest kernel cannot enforce is skipped when the plan marks it
 * best-effort (the step then reports DEGRADED) and fails the step otherwise.
 */
#include "guest_init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"

static int put(int dir, const char *file, const char *v)
{
    int fd = openat(dir, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, v, strlen(v));
    int e = errno;
    close(fd);
    if (n != (ssize_t)strlen(v)) {
        errno = n < 0 ? e : EIO;
        return -1;
    }
    return 0;
}

int guest_cgroup_setup(const struct plan *p, struct cell_config *c)
{
    const struct {
        uint64_t want;
        uint32_t best_effort, bit;
        const char *ctrl;
    } lim[] = {
        { p->limits.memory, CP_LIMIT_MEMORY_BEST_EFFORT, 0x1u, "memory" },
        { p->limits.pids, CP_LIMIT_PIDS_BEST_EFFORT, 0x2u, "pids" },
        { p->limits.cpu_millis, CP_LIMIT_CPU_BEST_EFFORT, 0x4u, "cpu" },
    };
    if (!p->limits.memory && !p->limits.pids && !p->limits.cpu_millis)
        return 0; /* nothing to limit: the step is skipped */
    if (mount("cgroup2", CG_ROOT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return -1;
    int root = open(CG_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -1;
    for (size_t i = 0; i < sizeof lim / sizeof *lim; i++) {
        char v[32];
        snprintf(v, sizeof v, "+%s", lim[i].ctrl);
        if (lim[i].want)
            put(root, "cgroup.subtree_control", v); /* checked through the limit files below */
    }
    if (mkdirat(root, "cell", 0755) < 0 && errno != EEXIST) {
        close(root);
        return -1;
    }
    int dir = openat(root, "cell", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(root);
    if (dir < 0)
        return -1;
    uint32_t detail = 0x8u; /* v2 */
    for (size_t i = 0; i < sizeof lim / sizeof *lim; i++) {
        if (!lim[i].want)
            continue;
        char v[64];
        int r;
        if (i == 0) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)lim[i].want);
            r = put(dir, "memory.max", v);
            if (r == 0 && put(dir, "memory.swap.max", "0") < 0 && errno != ENOENT)
                r = -1;
        } else if (i == 1) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)lim[i].want);
            r = put(dir, "pids.max", v);
        } else {
            unsigned long long quota = (unsigned long long)lim[i].want * 100;
            snprintf(v, sizeof v, "%llu 100000", quota < 1000 ? 1000 : quota);
            r = put(dir, "cpu.max", v);
        }
        if (r == 0) {
            detail |= lim[i].bit;
        } else if (p->limits.flags & lim[i].best_effort) {
            c->cgroup_degraded = true;
        } else {
            int e = errno;
            close(dir);
            errno = e;
            return -1;
        }
    }
    c->cgroup_fds[0] = dir;
    c->n_cgroup_fds = 1;
    c->cgroup_detail = detail;
    c->todo |= CELL_DO_CGROUP;
    return 0;
}
