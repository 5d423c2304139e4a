/*
 * cgroup.c - create, limit and remove the cell's cgroups (supervisor side).
 *
 * Where: a child "cellos-<run id>" of the supervisor's own cgroup in each
 * hierarchy used (so nothing persistent is ever created above it, and a
 * delegated subtree works). Which: per controller, the unified hierarchy
 * when the host lists the controller in its cgroup.controllers, else the v1
 * hierarchy of that controller. A limit with neither is refused unless the
 * plan marks it best-effort (then: a downgrade note, CGROUP reports
 * DEGRADED). Cleanup is described in cgroup.h.
 */
#include "cgroup.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_ROOT "/sys/fs/cgroup"

void cgroup_init(struct cgroup_set *cs)
{
    memset(cs, 0, sizeof *cs);
    for (size_t i = 0; i < CG_MAX; i++)
        cs->d[i].parentfd = cs->d[i].dirfd = -1;
    cs->reaper = -1;
    cs->reaper_fd = -1;
}

/* Our own cgroup path in the hierarchy holding `ctrl` ("" for v2's 0::). */
static int own_path(const char *ctrl, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -1;
    char line[1024];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = 0;
        char *path = c2 + 1;
        path[strcspn(path, "\n")] = 0;
        bool match = false;
        if (!ctrl[0]) {
            match = strcmp(line, "0") == 0 && c1 + 1 == c2;
        } else {
            char *save, *tok;
            for (tok = strtok_r(c1 + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                if (strcmp(tok, ctrl) == 0)
                    match = true;
        }
        if (match && strlen(path) < n) {
            strcpy(out, path);
            found = 0;
            break;
        }
    }
    fclose(f);
    if (found < 0)
        errno = ENOENT;
    return found;
}

static bool is_cgroup2(const char *path)
{
    struct statfs s;
    return statfs(path, &s) == 0 && (unsigned long)s.f_type == CGROUP2_SUPER_MAGIC;
}

static int read_small(int dirfd, const char *file, char *buf, size_t n)
{
    int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, n - 1);
    int saved = errno;
    close(fd);
    if (r < 0) {
        errno = saved;
        return -1;
    }
    buf[r] = 0;
    return 0;
}

static int write_at(int dirfd, const char *file, const char *val)
{
    int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, val, strlen(val));
    int saved = errno;
    close(fd);
    if (w != (ssize_t)strlen(val)) {
        errno = w < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

static bool word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *s = list; (s = strstr(s, word)); s += n)
        if ((s == list || s[-1] == ' ') && (s[n] == 0 || s[n] == ' ' || s[n] == '\n'))
            return true;
    return false;
}

/* The reaper: waits for the supervisor's end, then empties and removes the
 * cgroups. Never returns. */
static void reaper_main(struct cgroup_set *cs, int rd)
{
    setsid();
    struct sigaction sa = { .sa_handler = SIG_IGN };
    int ign[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU };
    for (size_t i = 0; i < sizeof ign / sizeof *ign; i++)
        sigaction(ign[i], &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* keep only the pipe and the parent directories */
    for (int fd = 0; fd < 3; fd++) {
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul >= 0 && nul != fd) {
            dup2(nul, fd);
            close(nul);
        }
    }
    char c = 0;
    ssize_t n;
    do
        n = read(rd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1 && c == 'D')
        _exit(0); /* the supervisor cleaned up itself */
    /* the supervisor is gone: its cell dies with it (PDEATHSIG, pid ns);
     * kill stragglers and remove the directories, retrying while the last
     * tasks are being torn down */
    for (int attempt = 0; attempt < 1000; attempt++) {
        bool left = false;
        for (size_t i = 0; i < cs->n; i++) {
            if (cs->d[i].parentfd < 0)
                continue;
            if (unlinkat(cs->d[i].parentfd, cs->name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
                close(cs->d[i].parentfd);
                cs->d[i].parentfd = -1;
                continue;
            }
            left = true;
            char path[96], buf[4096];
            snprintf(path, sizeof path, "%s/cgroup.procs", cs->name);
            if (read_small(cs->d[i].parentfd, path, buf, sizeof buf) == 0)
                for (char *s = buf; *s;) {
                    long pid = strtol(s, &s, 10);
                    if (pid > 0)
                        kill((pid_t)pid, SIGKILL);
                    while (*s == '\n')
                        s++;
                }
        }
        if (!left)
            break;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    _exit(0);
}

static int start_reaper(struct cgroup_set *cs, struct cell_error *e)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return cell_err_sys(e, errno, "cgroup: reaper pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return cell_err_sys(e, errno, "cgroup: fork of the cleanup reaper");
    }
    if (pid == 0) {
        close(p[1]);
        int keep[CG_MAX + 1];
        size_t k = 0;
        keep[k++] = p[0];
        for (size_t i = 0; i < cs->n; i++)
            keep[k++] = cs->d[i].parentfd;
        /* close everything else (the supervisor may hold anything) */
        sys_close_fds_except(keep, k);
        reaper_main(cs, p[0]);
    }
    close(p[0]);
    cs->reaper = pid;
    cs->reaper_fd = p[1];
    return 0;
}

enum {
    L_MEMORY,
    L_PIDS,
    L_CPU,
    L_COUNT
};
static const char *const lim_ctrl[L_COUNT] = { "memory", "pids", "cpu" };
static const char *const lim_field[L_COUNT] = { "limits.memory", "limits.pids", "limits.cpu" };
static const uint32_t lim_be[L_COUNT] = { CP_LIMIT_MEMORY_BEST_EFFORT, CP_LIMIT_PIDS_BEST_EFFORT,
                                          CP_LIMIT_CPU_BEST_EFFORT };
static const uint32_t lim_detail[L_COUNT] = { CG_DETAIL_MEMORY, CG_DETAIL_PIDS, CG_DETAIL_CPU };

/* Refuse, or degrade when the plan allows it. */
static int unenforceable(struct cgroup_set *cs, const struct plan *p, struct backend_run *r, int lim,
                         const char *why, struct cell_error *e)
{
    if (!(p->limits.flags & lim_be[lim]))
        return cell_err(e, 0,
                        "cgroup: %s cannot be enforced on this host: %s "
                        "(mark it best-effort in the policy to run without it)",
                        lim_field[lim], why);
    backend_note(r, "downgrade", lim_field[lim], "best-effort limit not enforced: %s", why);
    cs->degraded = true;
    return 0;
}

static int open_parent(const char *root, const char *ctrl, char *why, size_t wn)
{
    char own[400], path[480];
    if (own_path(ctrl, own, sizeof own) < 0) {
        snprintf(why, wn, "cellrun is in no %s cgroup", ctrl[0] ? ctrl : "v2");
        return -1;
    }
    snprintf(path, sizeof path, "%s%s", root, own);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        snprintf(why, wn, "%s: %s", path, strerror(errno));
    return fd;
}

static int limit_values(const struct plan *p, int lim, bool v2, int dirfd)
{
    char v[64];
    switch (lim) {
    case L_MEMORY:
        snprintf(v, sizeof v, "%llu", (unsigned long long)p->limits.memory);
        if (write_at(dirfd, v2 ? "memory.max" : "memory.limit_in_bytes", v) < 0)
            return -1;
        /* no escape into swap: swap counts against the same limit */
        if (v2) {
            if (write_at(dirfd, "memory.swap.max", "0") < 0 && errno != ENOENT)
                return -1;
        } else if (write_at(dirfd, "memory.memsw.limit_in_bytes", v) < 0 && errno != ENOENT) {
            return -1;
        }
        return 0;
    case L_PIDS:
        snprintf(v, sizeof v, "%llu", (unsigned long long)p->limits.pids);
        return write_at(dirfd, "pids.max", v);
    case L_CPU: {
        unsigned long long quota = (unsigned long long)p->limits.cpu_millis * 100;
        if (quota < 1000)
            quota = 1000; /* the kernel's minimum quota is 1 ms */
        if (v2) {
            snprintf(v, sizeof v, "%llu 100000", quota);
            return write_at(dirfd, "cpu.max", v);
        }
        if (write_at(dirfd, "cpu.cfs_period_us", "100000") < 0)
            return -1;
        snprintf(v, sizeof v, "%llu", quota);
        return write_at(dirfd, "cpu.cfs_quota_us", v);
    }
    }
    errno = EINVAL;
    return -1;
}

int cgroup_prepare(struct cgroup_set *cs, const struct plan *p, struct backend_run *r, struct cell_error *e)
{
    bool need[L_COUNT] = { p->limits.memory > 0, p->limits.pids > 0, p->limits.cpu_millis > 0 };
    if (!need[L_MEMORY] && !need[L_PIDS] && !need[L_CPU])
        return 0;
    snprintf(cs->name, sizeof cs->name, "cellos-%s", r->run_id);

    /* which hierarchy for which limit */
    const char *v2root = is_cgroup2(CG_ROOT) ? CG_ROOT
        : is_cgroup2(CG_ROOT "/unified")     ? CG_ROOT "/unified"
                                             : NULL;
    char v2ctrls[512] = "", why[600];
    int v2parent = -1;
    if (v2root) {
        v2parent = open_parent(v2root, "", why, sizeof why);
        if (v2parent >= 0 && read_small(v2parent, "cgroup.controllers", v2ctrls, sizeof v2ctrls) < 0)
            v2ctrls[0] = 0;
    }
    int where[L_COUNT]; /* index into cs->d, or -1 */
    for (int l = 0; l < L_COUNT; l++) {
        where[l] = -1;
        if (!need[l])
            continue;
        if (v2parent >= 0 && word_in(v2ctrls, lim_ctrl[l])) {
            size_t i;
            for (i = 0; i < cs->n && strcmp(cs->d[i].ctrl, "unified") != 0; i++)
                ;
            if (i == cs->n) {
                snprintf(cs->d[i].ctrl, sizeof cs->d[i].ctrl, "unified");
                cs->d[i].parentfd = fcntl(v2parent, F_DUPFD_CLOEXEC, 3);
                if (cs->d[i].parentfd < 0) {
                    close(v2parent);
                    return cell_err_sys(e, errno, "cgroup: dup");
                }
                cs->n++;
                cs->v2 = true;
            }
            where[l] = (int)i;
            continue;
        }
        char root[64];
        snprintf(root, sizeof root, CG_ROOT "/%s", lim_ctrl[l]);
        int pfd = is_cgroup2(CG_ROOT) ? -1 : open_parent(root, lim_ctrl[l], why, sizeof why);
        if (pfd < 0) {
            if (is_cgroup2(CG_ROOT))
                snprintf(why, sizeof why, "the %s controller is not enabled in %s", lim_ctrl[l], v2root);
            if (unenforceable(cs, p, r, l, why, e) < 0) {
                if (v2parent >= 0)
                    close(v2parent);
                return -1;
            }
            continue;
        }
        snprintf(cs->d[cs->n].ctrl, sizeof cs->d[cs->n].ctrl, "%s", lim_ctrl[l]);
        cs->d[cs->n].parentfd = pfd;
        where[l] = (int)cs->n++;
    }
    if (v2parent >= 0)
        close(v2parent);
    if (cs->n == 0)
        return 0;

    /* from here on a SIGKILL of cellrun must not leave directories */
    if (start_reaper(cs, e) < 0)
        return -1;

    for (size_t i = 0; i < cs->n; i++) {
        struct cgroup_dir *d = &cs->d[i];
        if (strcmp(d->ctrl, "unified") == 0) {
            char want[64] = "";
            for (int l = 0; l < L_COUNT; l++)
                if (where[l] == (int)i) {
                    strcat(want, want[0] ? " +" : "+");
                    strcat(want, lim_ctrl[l]);
                }
            if (write_at(d->parentfd, "cgroup.subtree_control", want) < 0)
                return cell_err_sys(e, errno,
                                    "cgroup: enabling %s in the supervisor's v2 cgroup "
                                    "(it must be a delegated cgroup without processes of its own)",
                                    want);
        }
        if (mkdirat(d->parentfd, cs->name, 0755) < 0) {
            int err = errno;
            snprintf(why, sizeof why, "cannot create a %s cgroup: %s", d->ctrl, strerror(err));
            for (int l = 0; l < L_COUNT; l++)
                if (where[l] == (int)i) {
                    where[l] = -1;
                    if (unenforceable(cs, p, r, l, why, e) < 0)
                        return -1;
                }
            close(d->parentfd);
            d->parentfd = -1;
            continue;
        }
        d->dirfd = openat(d->parentfd, cs->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->dirfd < 0)
            return cell_err_sys(e, errno, "cgroup: open %s/%s", d->ctrl, cs->name);
    }
    for (int l = 0; l < L_COUNT; l++) {
        if (where[l] < 0)
            continue;
        struct cgroup_dir *d = &cs->d[where[l]];
        if (limit_values(p, l, strcmp(d->ctrl, "unified") == 0, d->dirfd) < 0)
            return cell_err_sys(e, errno, "cgroup: setting %s in %s/%s", lim_field[l], d->ctrl, cs->name);
        cs->detail |= lim_detail[l];
        if (strcmp(d->ctrl, "unified") == 0)
            cs->detail |= CG_DETAIL_V2;
    }
    return 0;
}

size_t cgroup_fds(const struct cgroup_set *cs, int *fds, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cs->n && n < max; i++)
        if (cs->d[i].dirfd >= 0)
            fds[n++] = cs->d[i].dirfd;
    return n;
}

uint64_t cgroup_peak_memory(const struct cgroup_set *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct cgroup_dir *d = &cs->d[i];
        if (d->dirfd < 0)
            continue;
        char buf[64];
        if (strcmp(d->ctrl, "unified") == 0) {
            if (read_small(d->dirfd, "memory.peak", buf, sizeof buf) == 0)
                return strtoull(buf, NULL, 10);
        } else if (strcmp(d->ctrl, "memory") == 0) {
            if (read_small(d->dirfd, "memory.max_usage_in_bytes", buf, sizeof buf) == 0)
                return strtoull(buf, NULL, 10);
        }
    }
    return 0;
}

/* The value of "KEY N" in a flat keyed file such as memory.events. */
static uint64_t keyed_value(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *l = text; *l;) {
        if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
            return strtoull(l + kl + 1, NULL, 10);
        const char *nl = strchr(l, '\n');
        if (!nl)
            break;
        l = nl + 1;
    }
    return 0;
}

uint64_t cgroup_oom_kills(const struct cgroup_set *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct cgroup_dir *d = &cs->d[i];
        if (d->dirfd < 0)
            continue;
        char buf[512];
        if (strcmp(d->ctrl, "unified") == 0) {
            if (read_small(d->dirfd, "memory.events", buf, sizeof buf) == 0)
                return keyed_value(buf, "oom_kill");
        } else if (strcmp(d->ctrl, "memory") == 0) {
            if (read_small(d->dirfd, "memory.oom_control", buf, sizeof buf) == 0)
                return keyed_value(buf, "oom_kill");
        }
    }
    return 0;
}

int cgroup_cleanup(struct cgroup_set *cs)
{
    int rc = 0;
    for (size_t i = 0; i < cs->n; i++) {
        struct cgroup_dir *d = &cs->d[i];
        if (d->dirfd >= 0) {
            close(d->dirfd);
            d->dirfd = -1;
        }
        if (d->parentfd < 0)
            continue;
        /* the cell's tasks are gone once its init is reaped (the kernel
         * empties the pid namespace first); retry briefly all the same */
        int r = -1;
        for (int attempt = 0; attempt < 200; attempt++) {
            r = unlinkat(d->parentfd, cs->name, AT_REMOVEDIR);
            if (r == 0 || errno == ENOENT) {
                r = 0;
                break;
            }
            if (errno != EBUSY)
                break;
            struct timespec ts = { 0, 5 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        if (r < 0)
            rc = -1;
        close(d->parentfd);
        d->parentfd = -1;
    }
    if (cs->reaper_fd >= 0) {
        /* done: the reaper exits without touching anything; when we could
         * not remove something it tries again after our exit */
        if (rc == 0) {
            ssize_t w = write(cs->reaper_fd, "D", 1);
            (void)w;
        }
        close(cs->reaper_fd);
        cs->reaper_fd = -1;
    }
    /* not waited for: told "done" it exits at once on its own (reparented
     * and reaped by the system's init once cellrun is gone); waiting would
     * put its wake-up and exit on cellrun's critical path */
    if (cs->reaper > 0) {
        waitpid(cs->reaper, NULL, WNOHANG);
        cs->reaper = -1;
    }
    return rc;
}
