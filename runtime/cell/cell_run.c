/*
 * cell_run.c - the cell's step sequence (cell side): cell_run_steps().
 *
 * Runs in the first process of the cell (PID 1 of its pid namespace). It
 * performs the namespace-wide steps itself (uid maps, cgroup, mounts,
 * hostname, loopback), reports INIT and forks the workload; the workload
 * child performs the per-process steps (setsid, rlimits, fds, env, secrets,
 * capabilities, no_new_privs, seccomp last) and execs, while this process
 * stays behind as the cell's init (init.c). docs/runtime.md explains why
 * each step is where it is. Every step sends exactly one record; a failed
 * step stops the cell.
 */
#include "cell_int.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Report a step; a failing step also leaves errno for the caller. */
static int step(struct cell_report *rep, uint16_t st, int rc, uint32_t detail)
{
    int err = rc < 0 ? errno : 0;
    int r = cell_report_step(rep, st, rc < 0 ? CELL_STEP_FAILED : CELL_STEP_OK, 0, err, detail);
    if (rc < 0) {
        errno = err;
        return -1;
    }
    return r;
}

static int skipped(struct cell_report *rep, uint16_t st)
{
    return cell_report_step(rep, st, CELL_STEP_SKIPPED, 0, 0, 0);
}

static int write_file(const char *path, const char *buf)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(buf);
    ssize_t w = write(fd, buf, n);
    int saved = errno;
    close(fd);
    if (w != (ssize_t)n) {
        errno = w < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

/* Rootless: map the plan's ids onto the caller's host ids (one id each:
 * all an unprivileged user may map), after denying setgroups(2). */
static int do_uid_map(const struct cell_config *c)
{
    char buf[64];
    if (write_file("/proc/self/setgroups", "deny") < 0)
        return -1;
    snprintf(buf, sizeof buf, "%u %u 1\n", c->plan->process.uid, (unsigned)c->host_uid);
    if (write_file("/proc/self/uid_map", buf) < 0)
        return -1;
    snprintf(buf, sizeof buf, "%u %u 1\n", c->plan->process.gid, (unsigned)c->host_gid);
    return write_file("/proc/self/gid_map", buf);
}

/* Join every prepared cgroup, then take a cgroup namespace rooted there.
 * The cell is single-threaded here, so on v1 writing 0 to `tasks` moves the
 * whole process; unlike cgroup.procs it skips the global threadgroup lock
 * (an RCU grace period per write). v2 has no `tasks`: cgroup.procs. */
static int do_cgroup(const struct cell_config *c)
{
    for (size_t i = 0; i < c->n_cgroup_fds; i++)
        if (sys_cgroup_join(c->cgroup_fds[i]) < 0)
            return -1;
    return unshare(CLONE_NEWCGROUP);
}

static int do_hostname(const struct plan *p)
{
    const char *h = p->meta.hostname && p->meta.hostname[0] ? p->meta.hostname : p->meta.name;
    if (!h || !h[0])
        h = "cell";
    return sethostname(h, strlen(h));
}

static bool plan_has_chdir(const struct plan *p)
{
    for (size_t i = 0; i < p->fs.n_ops; i++)
        if (p->fs.ops[i].opcode == CP_OP_CHDIR)
            return true;
    return false;
}

static int do_rlimits(const struct plan *p)
{
    for (size_t i = 0; i < p->process.n_rlimits; i++) {
        struct rlimit rl = {
            .rlim_cur = (rlim_t)p->process.rlimits[i].soft,
            .rlim_max = (rlim_t)p->process.rlimits[i].hard,
        };
        if (setrlimit((int)p->process.rlimits[i].resource, &rl) < 0)
            return -1;
    }
    return 0;
}

static int do_fds(const struct cell_config *c, struct cell_report *rep, int exec_wr)
{
    const struct plan *p = c->plan;
    size_t n = 0;
    int *keep = malloc((p->process.n_pass_fds + 3) * sizeof *keep);
    if (!keep)
        return -1;
    for (size_t i = 0; i < p->process.n_pass_fds; i++) {
        int fd = (int)p->process.pass_fds[i];
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0) {
            free(keep);
            return -1;
        }
        keep[n++] = fd;
    }
    /* the report sink and the exec pipe are close-on-exec: kept until exec */
    if (rep->fd >= 0)
        keep[n++] = rep->fd;
    keep[n++] = exec_wr;
    if (c->start_gate)
        keep[n++] = c->start_fd; /* close-on-exec too */
    int r = sys_close_fds_except(keep, n);
    free(keep);
    return r;
}

/* The workload's environment: exactly the plan's variables (PASS ones with
 * the host's value, or left out when the host has none) plus env secrets. */
static char **build_env(const struct cell_config *c, size_t *count)
{
    const struct plan *p = c->plan;
    size_t max = p->process.n_env + p->secrets.n_items + 1, n = 0;
    char **env = calloc(max, sizeof *env);
    if (!env)
        return NULL;
    for (size_t i = 0; i < p->process.n_env; i++) {
        const struct plan_env *e = &p->process.env[i];
        const char *v = e->value;
        if (e->flags & CP_ENV_PASS) {
            v = c->pass_values ? c->pass_values[i] : NULL;
            if (!v)
                continue;
        }
        if (asprintf(&env[n], "%s=%s", e->name, v) < 0)
            return NULL;
        n++;
    }
    *count = n;
    return env;
}

static int add_env_secrets(const struct cell_config *c, char **env, size_t *n, uint32_t *at)
{
    const struct plan *p = c->plan;
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        *at = (uint32_t)i;
        const struct plan_secret *s = &p->secrets.items[i];
        if (s->delivery != CP_SECRET_ENV)
            continue;
        const struct cell_secret_value *v = c->secrets ? &c->secrets[i] : NULL;
        if (!v || !v->value || memchr(v->value, 0, v->len)) {
            errno = EINVAL; /* an env value cannot hold NUL */
            return -1;
        }
        if (asprintf(&env[*n], "%s=%.*s", s->target, (int)v->len, v->value) < 0)
            return -1;
        (*n)++;
    }
    return 0;
}

static int write_secret_file(const char *path, const struct cell_secret_value *v, uid_t uid, gid_t gid)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < v->len) {
        ssize_t w = write(fd, v->value + off, v->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int saved = w < 0 ? errno : EIO;
            close(fd);
            errno = saved;
            return -1;
        }
        off += (size_t)w;
    }
    int r = fchown(fd, uid, gid);
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

/* File secrets: each directory that holds one becomes a private tmpfs
 * (mode 0500, owned by the workload) holding only the secrets. */
static int do_file_secrets(const struct cell_config *c, uint32_t *count, uint32_t *at)
{
    const struct plan *p = c->plan;
    uid_t uid = p->process.uid;
    gid_t gid = p->process.gid;
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        *at = (uint32_t)i;
        const struct plan_secret *s = &p->secrets.items[i];
        if (s->delivery != CP_SECRET_FILE)
            continue;
        const struct cell_secret_value *v = c->secrets ? &c->secrets[i] : NULL;
        if (!v || !v->value) {
            errno = ENOENT;
            return -1;
        }
        char dir[CP_MAX_PATH + 1];
        const char *slash = strrchr(s->target, '/');
        size_t dl = slash ? (size_t)(slash - s->target) : 0;
        if (dl == 0 || dl >= sizeof dir) {
            errno = EINVAL; /* a secret is never placed at the root */
            return -1;
        }
        memcpy(dir, s->target, dl);
        dir[dl] = 0;
        bool mounted = false;
        for (size_t j = 0; j < i; j++) {
            const struct plan_secret *o = &p->secrets.items[j];
            if (o->delivery == CP_SECRET_FILE && strncmp(o->target, dir, dl) == 0 && o->target[dl] == '/' &&
                !strchr(o->target + dl + 1, '/'))
                mounted = true;
        }
        if (!mounted && cell_mount_private_dir(dir, uid, gid) < 0)
            return -1;
        if (write_secret_file(s->target, v, uid, gid) < 0)
            return -1;
        (*count)++;
    }
    /* now read-only for the owner: 0500 */
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        const struct plan_secret *s = &p->secrets.items[i];
        if (s->delivery != CP_SECRET_FILE)
            continue;
        char dir[CP_MAX_PATH + 1];
        size_t dl = (size_t)(strrchr(s->target, '/') - s->target);
        memcpy(dir, s->target, dl);
        dir[dl] = 0;
        if (chmod(dir, 0500) < 0)
            return -1;
    }
    return 0;
}

static void exec_report(int exec_wr, int v)
{
    ssize_t w = write(exec_wr, &v, sizeof v);
    (void)w;
}

/* The workload child: never returns. */
static void workload(const struct cell_config *c, struct cell_report *rep, int exec_wr)
{
    const struct plan *p = c->plan;
    uint32_t nsec = 0, nins = 0;
    size_t nenv = 0;
    char **env;

    /* its own session: no controlling terminal, so TIOCSTI into the
     * caller's terminal is refused by the kernel (CVE-2017-5226) */
    if (setsid() < 0)
        goto fail_quiet;
    if (step(rep, CELL_STEP_RLIMITS, do_rlimits(p), (uint32_t)p->process.n_rlimits) < 0)
        goto fail;
    if (step(rep, CELL_STEP_FDS, do_fds(c, rep, exec_wr), (uint32_t)p->process.n_pass_fds) < 0)
        goto fail;
    env = build_env(c, &nenv);
    if (step(rep, CELL_STEP_ENV, env ? 0 : -1, (uint32_t)nenv) < 0)
        goto fail;
    if (p->secrets.n_items == 0) {
        if (skipped(rep, CELL_STEP_SECRETS) < 0)
            goto fail;
    } else {
        /* detail: the number of secrets, or on failure the index of the
         * secret that failed (the supervisor names it; values never leave) */
        uint32_t at = 0;
        int r = add_env_secrets(c, env, &nenv, &at);
        if (r == 0)
            r = do_file_secrets(c, &nsec, &at);
        if (step(rep, CELL_STEP_SECRETS, r, r < 0 ? at : (uint32_t)p->secrets.n_items) < 0)
            goto fail;
    }
    if (step(rep, CELL_STEP_CAPS,
             cell_caps_apply(p->process.capabilities, p->process.uid, p->process.gid,
                             !(c->todo & CELL_DO_UID_MAP)),
             (uint32_t)__builtin_popcountll(p->process.capabilities)) < 0)
        goto fail;
    if (step(rep, CELL_STEP_NO_NEW_PRIVS, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0) < 0)
        goto fail;
    /* the second wall: the grants as a Landlock ruleset (needs no_new_privs),
     * whatever the mounts turned out to be; degraded where the kernel lacks
     * Landlock or an ABI feature, failed then if the plan requires it */
    {
        uint32_t abi = 0;
        bool degraded = false;
        int lr = cell_landlock_apply(c, &abi, &degraded);
        int err = lr < 0 ? errno : 0;
        uint16_t res = lr < 0 ? CELL_STEP_FAILED : degraded ? CELL_STEP_DEGRADED : CELL_STEP_OK;
        if (cell_report_step(rep, CELL_STEP_LANDLOCK, res, 0, err, abi) < 0 || lr < 0)
            goto fail;
    }
    umask((mode_t)p->process.umask);
    /* a clean signal state: no disposition inherited from the caller (a
     * background job's ignored SIGINT would defeat forwarding), nothing
     * blocked */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        goto fail_quiet;
    /* OCI create: built and stopped before exec until `start` (a signal
     * meanwhile takes the workload as it would the program) */
    if (c->start_gate) {
        /* the descriptor may be non-blocking (a fifo the caller also holds) */
        char b;
        ssize_t k;
        for (;;) {
            struct pollfd pf = { .fd = c->start_fd, .events = POLLIN };
            if (poll(&pf, 1, -1) < 0 && errno != EINTR)
                goto fail_quiet;
            k = read(c->start_fd, &b, 1);
            if (k == 1)
                break;
            if (k == 0 || (errno != EINTR && errno != EAGAIN))
                goto fail_quiet;
        }
        close(c->start_fd);
    }

    /* argv: the plan's, then any extra args the supervisor accepted */
    size_t argc = p->process.argc + c->n_extra_args;
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv)
        goto fail_quiet;
    for (size_t i = 0; i < p->process.argc; i++)
        argv[i] = (char *)p->process.argv[i];
    for (size_t i = 0; i < c->n_extra_args; i++)
        argv[p->process.argc + i] = c->extra_args[i];

    /* last: after this, only what the policy allows may run. The record is
     * stamped before the load, so that afterwards the cell makes exactly two
     * system calls of its own: write(2) of this record and execve(2) (the
     * clock could need a syscall where the vDSO cannot serve it). */
    struct cell_step_record sec;
    memset(&sec, 0, sizeof sec);
    sec.magic = CELL_STEP_MAGIC;
    sec.step = CELL_STEP_SECCOMP;
    sec.mono_ns = sys_now_ns();
    int listener = -1;
    int sr = c->seccomp_learn ? cell_seccomp_load_learn(rep->fd, &nins, &listener)
        : c->seccomp_listener ? cell_seccomp_load_notify(p, &nins, &listener)
                              : cell_seccomp_load(p, &nins);
    sec.result = sr < 0 ? CELL_STEP_FAILED : CELL_STEP_OK;
    sec.err = sr < 0 ? errno : 0;
    sec.detail = nins;
    sec.op_index = listener >= 0 ? (uint32_t)listener + 1 : 0; /* the listener's fd + 1 */
    if (rep->emit(rep, &sec) < 0 || sr < 0)
        goto fail;
    /* with a listener this execve waits until the supervisor holds it */
    if (listener >= 0 && !c->seccomp_learn)
        syscall(SYS_execve, argv[0], argv, env, CELL_SC_EXEC_COOKIE, 0, 0);
    else
        execve(argv[0], argv, env);
    int e = errno;
    exec_report(exec_wr, e > 0 ? e : EIO);
    _exit(e == ENOENT || e == ENOTDIR ? 127 : 126);

fail:
fail_quiet:
    exec_report(exec_wr, -1);
    _exit(125);
}

int cell_run_steps(const struct cell_config *c, struct cell_report *rep)
{
    const struct plan *p = c->plan;
    umask(0);

    /* In the cell's own user namespace, no further one may be created: a
     * nested user namespace would hand the workload a full capability set
     * over new namespaces of its own (kernel attack surface), whatever the
     * seccomp policy allows. The limit is per user namespace and needs
     * CAP_SYS_RESOURCE in it, which only this set-up has. */
    int nr = 0;
    if (c->ns_err) {
        errno = c->ns_err;
        nr = -1;
    } else if (c->userns) {
        nr = write_file("/proc/sys/user/max_user_namespaces", "0");
    }
    /* nor may it hold cellrun's session keyring (the host's keys): a
     * fresh one, inherited by the workload (cell_keyring.c) */
    if (nr == 0)
        nr = cell_keyring_detach();
    if (step(rep, CELL_STEP_NAMESPACES, nr, c->ns_flags) < 0)
        return -1;
    if (c->todo & CELL_DO_UID_MAP) {
        if (step(rep, CELL_STEP_UID_MAP, do_uid_map(c), 0) < 0)
            return -1;
    } else if (c->uid_map_by_host) {
        /* detail 1: mapped by the host side; check it is in place */
        int r = 0;
        if (getuid() == (uid_t)65534 && p->process.uid != 65534) {
            FILE *f = fopen("/proc/self/uid_map", "re");
            unsigned a, b, n;
            if (!f || fscanf(f, "%u %u %u", &a, &b, &n) != 3) {
                errno = EPERM;
                r = -1;
            }
            if (f)
                fclose(f);
        }
        if (step(rep, CELL_STEP_UID_MAP, r, 1) < 0)
            return -1;
    } else if (skipped(rep, CELL_STEP_UID_MAP) < 0) {
        return -1;
    }
    if (!(c->todo & CELL_DO_CGROUP)) {
        if (skipped(rep, CELL_STEP_CGROUP) < 0)
            return -1;
    } else {
        int r = do_cgroup(c);
        int err = r < 0 ? errno : 0;
        uint16_t res = r < 0 ? CELL_STEP_FAILED : c->cgroup_degraded ? CELL_STEP_DEGRADED : CELL_STEP_OK;
        if (cell_report_step(rep, CELL_STEP_CGROUP, res, 0, err, c->cgroup_detail) < 0 || r < 0)
            return -1;
    }
    if (c->todo & CELL_DO_MOUNTS) {
        /* nothing done from here on may propagate back to the host */
        if (step(rep, CELL_STEP_MOUNT_PRIVATE, mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL), 0) < 0)
            return -1;
        if (cell_mount_program(c, rep) < 0)
            return -1;
    } else if (skipped(rep, CELL_STEP_MOUNT_PRIVATE) < 0) {
        return -1;
    }
    if (!(c->todo & CELL_DO_HOSTNAME)) {
        if (skipped(rep, CELL_STEP_HOSTNAME) < 0)
            return -1;
    } else if (step(rep, CELL_STEP_HOSTNAME, do_hostname(p), 0) < 0) {
        return -1;
    }
    if (!(c->todo & CELL_DO_LOOPBACK) || p->net.mode == CP_NET_NONE) {
        if (skipped(rep, CELL_STEP_LOOPBACK) < 0)
            return -1;
    } else if (p->net.mode == CP_NET_EGRESS && c->resolv_conf) {
        /* the backend set up the egress gateway; the cell points its
         * resolver at the answerer (detail 2: placed, 3: no resolv.conf) */
        int r = 0;
        if (c->net_wait) {
            char b = 0;
            ssize_t k;
            do
                k = read(c->net_ready_fd, &b, 1);
            while (k < 0 && errno == EINTR);
            close(c->net_ready_fd);
            if (k != 1 || b != 'r') {
                errno = ENETDOWN;
                r = -1;
            }
        }
        if (r == 0)
            r = cell_loopback_up();
        int placed = r == 0 ? cell_place_file("/etc/resolv.conf", c->resolv_conf) : -1;
        if (step(rep, CELL_STEP_LOOPBACK, placed < 0 ? -1 : 0, placed == 1 ? 3 : 2) < 0)
            return -1;
    } else if (p->net.mode != CP_NET_LOOPBACK) {
        errno = EOPNOTSUPP; /* egress rules are not enforced on this side */
        step(rep, CELL_STEP_LOOPBACK, -1, p->net.mode);
        return -1;
    } else if (step(rep, CELL_STEP_LOOPBACK, cell_loopback_up(), 0) < 0) {
        return -1;
    }

    /* The init: signals it forwards stay blocked from here on (pending,
     * never lost) and are unblocked in the workload just before exec. */
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
        return step(rep, CELL_STEP_INIT, -1, 0);
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) < 0)
        return step(rep, CELL_STEP_INIT, -1, 0);
    /* a plan without a CHDIR op still gets its cwd, resolved in the root */
    if ((c->todo & CELL_DO_MOUNTS) && !plan_has_chdir(p) && cell_chdir_in_root(p->process.cwd) < 0)
        return step(rep, CELL_STEP_INIT, -1, 1);
    if (step(rep, CELL_STEP_INIT, 0, 0) < 0)
        return -1;
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        cell_report_step(rep, CELL_STEP_RLIMITS, CELL_STEP_FAILED, 0, e, 0);
        errno = e;
        return -1;
    }
    if (child == 0) {
        close(ep[0]);
        workload(c, rep, ep[1]);
    }
    close(ep[1]);
    return cell_init_loop(c, rep, child, ep[0]);
}
