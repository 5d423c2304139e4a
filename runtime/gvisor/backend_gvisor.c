/*
 * backend_gvisor.c - the gVisor backend: the plan, translated into an OCI
 * bundle (oci.h), run by runsc under a monitor process (gvisor.h).
 *
 * prepare  refuses what runsc cannot carry faithfully, picks the platform,
 *          translates the plan (the config's digest becomes a started-event
 *          fact), and creates the cell's cgroups with the plan's limits
 *          (cgroup.h, with its reaper): runsc itself runs with
 *          --ignore-cgroups, and the monitor puts the whole sandbox in them;
 * spawn    forks the monitor, which stages the bundle and has runsc create
 *          the sandbox; returns once the sandbox waits for go (the hello);
 * go       lets the container start; forward/kill go to the monitor, which
 *          passes signals to runsc / takes runsc and the whole pid
 *          namespace down with it.
 * egress   the monitor is cloned into a new network namespace, which netd
 *          (runtime/net) joins to its gateway namespace by a veth pair;
 *          runsc --network=sandbox starts in it, takes the cell's end of the
 *          pair into its netstack, and every packet the sandbox sends leaves
 *          through netd's gateway (filter, answerer, proxy) as natively.
 * Invariants: the monitor is forked before the key is loaded; nothing of
 * the run is on the host filesystem (the bundle lives in the monitor's
 * private tmpfs); SIGKILL of cellrun kills the monitor (PDEATHSIG), which
 * kills runsc (PDEATHSIG), which as PID 1 of its pid namespace takes every
 * sandbox process with it; the cgroup reaper removes the cgroups.
 */
#include "runtime/backend/backend.h"
#include "runtime/backend/cgroup.h"
#include "runtime/cell/cell_side.h"
#include "runtime/lib/sys_util.h"
#include "runtime/net/net.h"
#include "gvisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_START_TIMEOUT_MS 60000

struct gv {
    struct oci_bundle bundle;
    bool have_bundle;
    struct plan plan_cg; /* the limits as the cgroups enforce them */
    struct cgroup_set cg;
    int runsc_fd;
    char *argv[GVISOR_MAX_ARGS];
    struct gvisor_monitor mon;
    int sync_wr;
    char cid[64];
    const char *platform;
};

/* ---- host checks ---------------------------------------------------------------- */

static int find_runsc(char *out, size_t n)
{
    const char *env = getenv("CELLOS_RUNSC");
    if (env && env[0]) {
        snprintf(out, n, "%s", env);
        return access(out, X_OK);
    }
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s",
             path && path[0] ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        snprintf(out, n, "%s/runsc", d);
        if (access(out, X_OK) == 0)
            return 0;
    }
    errno = ENOENT;
    return -1;
}

/* Is this host itself a virtual machine (the CPU says "hypervisor")? */
static bool nested(void)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return false;
    char line[4096];
    bool yes = false;
    while (!yes && fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0)
            yes = strstr(line, " hypervisor") != NULL;
    fclose(f);
    return yes;
}

static bool kvm_usable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* Does this runsc have the platform? (`runsc help platforms` lists one per
 * line; asked only when the plan names a platform other than ptrace.) */
static int runsc_has_platform(int runsc_fd, const char *name, char *have, size_t n, struct cell_error *e)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return cell_err_sys(e, errno, "gvisor: runsc help platforms");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return cell_err_sys(e, errno, "gvisor: runsc help platforms");
    }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (dup2(p[1], 1) < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 2) < 0)
            _exit(127);
        char *argv[] = { "runsc", "help", "platforms", NULL };
        char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        syscall(SYS_execveat, runsc_fd, "", argv, envp, AT_EMPTY_PATH);
        _exit(127);
    }
    close(p[1]);
    char buf[512];
    size_t len = 0;
    ssize_t k;
    while (len < sizeof buf - 1 &&
           ((k = read(p[0], buf + len, sizeof buf - 1 - len)) > 0 || (k < 0 && errno == EINTR)))
        if (k > 0)
            len += (size_t)k;
    close(p[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    buf[len] = 0;
    bool found = false;
    have[0] = 0;
    for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        found |= strcmp(l, name) == 0;
        size_t h = strlen(have);
        snprintf(have + h, n - h, "%s%s", h ? ", " : "", l);
    }
    return found ? 1 : 0;
}

static int pick_platform(struct backend_run *r, const char **out, struct cell_error *e)
{
    const struct plan *p = r->plan;
    uint32_t want = p->has_gvisor ? p->gvisor.platform : CP_GVISOR_AUTO;
    switch (want) {
    case CP_GVISOR_PTRACE:
        *out = "ptrace";
        backend_fact_str(r, "platform_why", "the plan asks for ptrace");
        return 0;
    case CP_GVISOR_KVM:
        if (!kvm_usable())
            return cell_err_sys(e, errno,
                                "gvisor: the plan asks for the kvm platform, but /dev/kvm cannot be opened");
        *out = "kvm";
        backend_fact_str(r, "platform_why", "the plan asks for kvm");
        return 0;
    case CP_GVISOR_SYSTRAP:
        /* runsc refuses it itself when it does not know it (this one does not) */
        *out = "systrap";
        backend_fact_str(r, "platform_why", "the plan asks for systrap");
        return 0;
    default:
        if (!kvm_usable()) {
            *out = "ptrace";
            backend_fact_str(r, "platform_why", "auto: no usable /dev/kvm");
        } else if (nested()) {
            /* gVisor's KVM platform hangs in KVM_RUN on nested virtualisation
             * (docs/backends.md); ptrace isolates the same way, slower */
            *out = "ptrace";
            backend_fact_str(r, "platform_why", "auto: /dev/kvm exists but this host is a virtual machine");
        } else {
            *out = "kvm";
            backend_fact_str(r, "platform_why", "auto: /dev/kvm is usable");
        }
        return 0;
    }
}

static void hexstr(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = 0;
}

static int add_arg(struct gv *g, size_t *n, const char *fmt, const char *v)
{
    if (*n + 1 >= GVISOR_MAX_ARGS)
        return -1;
    char *s = NULL;
    if (asprintf(&s, fmt, v ? v : "") < 0)
        return -1;
    g->argv[(*n)++] = s;
    g->argv[*n] = NULL;
    return 0;
}

/* ---- backend ops -------------------------------------------------------------------- */

static int gv_prepare(struct backend_run *r, struct cell_error *e)
{
    const struct plan *p = r->plan;
    struct gv *g = calloc(1, sizeof *g);
    if (!g)
        return cell_err_sys(e, ENOMEM, "gvisor");
    g->runsc_fd = -1;
    g->sync_wr = -1;
    cgroup_init(&g->cg);
    r->priv = g;

    if (r->rootless)
        return cell_err(e, 0,
                        "gvisor: the gvisor backend needs root (runsc creates the sandbox's "
                        "namespaces and its gofer as root)");
    if (net_check_plan(p, r->rootless, e) < 0) /* egress: runtime/net/ or refuse */
        return -1;
    if (p->process.flags & CP_PROC_LANDLOCK_REQUIRED)
        return cell_err(e, 0,
                        "gvisor: the plan requires Landlock (`landlock required;`), which a workload under "
                        "gVisor does not get: run it with the native backend");
    char runsc[4096];
    if (find_runsc(runsc, sizeof runsc) < 0)
        return cell_err(
            e, 0, "gvisor: runsc not found in PATH (install Debian's runsc package, or set CELLOS_RUNSC)");
    g->runsc_fd = open(runsc, O_PATH | O_CLOEXEC);
    if (g->runsc_fd < 0)
        return cell_err_sys(e, errno, "gvisor: %s", runsc);
    struct stat st;
    if (lstat("/tmp", &st) < 0 || !S_ISDIR(st.st_mode))
        return cell_err(e, 0,
                        "gvisor: /tmp must be a directory (the bundle's private tmpfs covers it in "
                        "the monitor's mount namespace)");
    const char *platform = "ptrace";
    if (pick_platform(r, &platform, e) < 0)
        return -1;
    g->platform = platform;
    if (strcmp(platform, "ptrace") != 0 && p->has_gvisor && p->gvisor.platform != CP_GVISOR_AUTO) {
        char have[256];
        int h = runsc_has_platform(g->runsc_fd, platform, have, sizeof have, e);
        if (h < 0)
            return -1;
        if (h == 0)
            return cell_err(e, 0,
                            "gvisor: the plan asks for the %s platform, which %s does not have "
                            "(it has: %s)",
                            platform, runsc, have[0] ? have : "none listed");
    }

    struct oci_inputs in = {
        .extra_args = r->extra_args,
        .n_extra_args = r->n_extra_args,
        .pass_values = r->pass_values,
        .secrets = r->secrets,
    };
    if (oci_translate(p, &in, &g->bundle, e) < 0)
        return -1;
    g->have_bundle = true;
    for (size_t i = 0; i < g->bundle.n_notes; i++)
        backend_note(r, "deviation", g->bundle.notes[i].what, "%s", g->bundle.notes[i].why);

    /* limits: memory and cpu on the whole sandbox (gVisor's kernel
     * included, so the workload gets less, never more); pids cannot be
     * enforced on the cell's processes */
    g->plan_cg = *p;
    bool degraded = false;
    if (p->limits.pids) {
        if (!(p->limits.flags & CP_LIMIT_PIDS_BEST_EFFORT))
            return cell_err(e, 0,
                            "cgroup: limits.pids cannot be enforced by the gvisor backend: the "
                            "cell's processes are gVisor's own threads on the host, and this runsc has no "
                            "pids controller (mark it best-effort in the policy, or run it natively)");
        backend_note(r, "downgrade", "limits.pids",
                     "best-effort limit not enforced: gVisor has no "
                     "per-container pids controller");
        g->plan_cg.limits.pids = 0;
        g->plan_cg.limits.flags &= ~CP_LIMIT_PIDS_BEST_EFFORT;
        degraded = true;
    }
    if (cgroup_prepare(&g->cg, &g->plan_cg, r, e) < 0)
        return -1;

    snprintf(g->cid, sizeof g->cid, "cellos-%s", r->run_id);
    size_t n = 0;
    int rc = 0;
    rc |= add_arg(g, &n, "%s", "runsc");
    rc |= add_arg(g, &n, "--root=/tmp/state", NULL);
    rc |= add_arg(g, &n, "--log=/tmp/runsc.log", NULL);
    rc |= add_arg(g, &n, "--log-format=json", NULL);
    /* egress: runsc's netstack on the interface netd gives the namespace
     * runsc starts in; else a sandbox network with loopback only */
    rc |= add_arg(g, &n, p->net.mode == CP_NET_EGRESS ? "--network=sandbox" : "--network=none", NULL);
    rc |= add_arg(g, &n, "--platform=%s", platform);
    rc |= add_arg(g, &n, "--oci-seccomp", NULL);
    rc |= add_arg(g, &n, "--ignore-cgroups", NULL);
    if (g->bundle.net_raw)
        rc |= add_arg(g, &n, "--net-raw", NULL);
    /* runsc's own debug log of the `run` command (in the private tmpfs)
     * says which runsc this is ("Version ..."), at no extra process's cost;
     * for troubleshooting, every command's debug log can go to a directory
     * outside /tmp instead (and the version comes from `runsc --version`) */
    const char *dbg = getenv("CELLOS_GVISOR_DEBUG_LOG");
    rc |= add_arg(g, &n, "--debug", NULL);
    if (dbg && dbg[0] == '/') {
        rc |= add_arg(g, &n, "--debug-log=%s/", dbg);
    } else {
        rc |= add_arg(g, &n, "--debug-log=/tmp/run.log", NULL);
        rc |= add_arg(g, &n, "--debug-command=run", NULL);
        g->mon.version_log = "run.log";
    }
    rc |= add_arg(g, &n, "run", NULL);
    rc |= add_arg(g, &n, "--bundle=/tmp", NULL);
    rc |= add_arg(g, &n, "--pid-file=/tmp/pidfifo", NULL);
    rc |= add_arg(g, &n, "%s", g->cid);
    if (rc)
        return cell_err_sys(e, ENOMEM, "gvisor: runsc arguments");

    char hex[65];
    hexstr(g->bundle.review_sha256, 32, hex);
    backend_fact_str(r, "oci_config_sha256", hex);
    backend_fact_str(r, "runsc", runsc);
    backend_fact_str(r, "platform", platform);
    backend_fact_str(r, "network",
                     p->net.mode == CP_NET_NONE ? "none (gVisor netstack, loopback only)"
                         : p->net.mode == CP_NET_EGRESS
                         ? "egress (gVisor netstack on netd's veth; filtered in the "
                           "gateway namespace)"
                         : "loopback (gVisor netstack)");
    backend_fact_str(r, "cgroup", g->cg.n == 0 ? "none" : g->cg.v2 ? "v2" : "v1");

    struct gvisor_monitor *m = &g->mon;
    m->plan = p;
    m->bundle = &g->bundle;
    m->secrets = r->secrets;
    m->runsc_fd = g->runsc_fd;
    m->argv = g->argv;
    snprintf(m->container_id, sizeof m->container_id, "%s", g->cid);
    snprintf(m->stage_dir, sizeof m->stage_dir, "/tmp");
    for (size_t i = 0; i < g->cg.n && m->n_cgroup_fds < GVISOR_MAX_CGROUPS; i++) {
        if (g->cg.d[i].dirfd < 0)
            continue;
        m->cgroup_fds[m->n_cgroup_fds] = g->cg.d[i].dirfd;
        m->cgroup_v2[m->n_cgroup_fds] = strcmp(g->cg.d[i].ctrl, "unified") == 0;
        m->n_cgroup_fds++;
    }
    m->cgroup_detail = g->cg.detail;
    m->cgroup_degraded = g->cg.degraded || degraded;
    return 0;
}

static int start_timeout_ms(void)
{
    const char *s = getenv("CELLOS_GVISOR_START_TIMEOUT_MS");
    if (s && s[0]) {
        char *end;
        long v = strtol(s, &end, 10);
        if (!*end && v > 0 && v < 3600000)
            return (int)v;
    }
    return DEFAULT_START_TIMEOUT_MS;
}

static int gv_spawn(struct backend_run *r, struct cell_error *e)
{
    struct gv *g = r->priv;
    int rp[2] = { -1, -1 }, hp[2] = { -1, -1 }, sp[2] = { -1, -1 };
    /* egress: the cell waits (before runsc starts) until netd has the
     * gateway ready; only netd may write the pipe, so EOF means it failed */
    int nr[2] = { -1, -1 };
    int host_net = -1;
    bool egress = r->plan->net.mode == CP_NET_EGRESS;
    const char *what;
    int err;
    pid_t pid;
    if (pipe2(rp, O_CLOEXEC) < 0) {
        what = "gvisor: record pipe";
        goto fail;
    }
    if (pipe2(hp, O_CLOEXEC) < 0) {
        what = "gvisor: hello pipe";
        goto fail;
    }
    if (pipe2(sp, O_CLOEXEC) < 0) {
        what = "gvisor: sync pipe";
        goto fail;
    }
    if (egress && pipe2(nr, O_CLOEXEC) < 0) {
        what = "gvisor: network ready pipe";
        goto fail;
    }
    if (egress && (host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
        what = "gvisor: the host's network namespace";
        goto fail;
    }
    g->mon.record_fd = rp[1];
    g->mon.hello_fd = hp[1];
    g->mon.sync_fd = sp[0];
    g->mon.supervisor = getpid();
    g->mon.net_ready_fd = nr[0];
    g->mon.host_net_fd = host_net;
    /* fork-like; with egress the monitor (and runsc) start in a network
     * namespace of their own, which /proc/PID/ns/net names at once */
    pid = egress ? (pid_t)syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, NULL) : fork();
    if (pid < 0) {
        what = "gvisor: fork of the monitor";
        goto fail;
    }
    if (pid == 0) {
        close(rp[0]);
        close(hp[0]);
        close(sp[1]);
        /* keep only what the monitor needs (the supervisor may hold others,
         * e.g. the cgroup reaper's pipe) */
        int keep[8 + GVISOR_MAX_CGROUPS];
        size_t k = 0;
        keep[k++] = rp[1];
        keep[k++] = hp[1];
        keep[k++] = sp[0];
        keep[k++] = g->runsc_fd;
        if (nr[0] >= 0) {
            keep[k++] = nr[0];
            keep[k++] = g->mon.host_net_fd;
        }
        for (size_t i = 0; i < g->mon.n_cgroup_fds; i++)
            keep[k++] = g->mon.cgroup_fds[i];
        sys_close_fds_except(keep, k);
        gvisor_monitor_main(&g->mon);
    }
    close(rp[1]);
    close(hp[1]);
    close(sp[0]);
    g->sync_wr = sp[1];
    r->pid = pid;
    r->record_fd = rp[0];
    if (egress) {
        /* the gateway namespace and netd, before the key exists */
        close(nr[0]);
        close(g->mon.host_net_fd);
        int rc = net_gw_start(r->plan, pid, NULL, nr[1], &r->net, e);
        close(nr[1]);
        if (rc < 0) {
            close(hp[0]);
            return -1;
        }
    }

    /* wait until the sandbox exists and waits for go (or a failure) */
    char line[256];
    size_t len = 0;
    int timeout = start_timeout_ms();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left = timeout - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            close(hp[0]);
            return cell_err(e, ETIMEDOUT, "gvisor: runsc did not create the sandbox within %d ms%s", timeout,
                            strcmp(g->platform, "kvm") == 0 ? " (gVisor's KVM platform can hang under "
                                                              "nested virtualisation; try platform ptrace)"
                                                            : "");
        }
        struct pollfd pf = { .fd = hp[0], .events = POLLIN };
        int n = poll(&pf, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        ssize_t got = read(hp[0], line + len, sizeof line - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* EOF: the monitor ended; its records say why */
        len += (size_t)got;
        if (memchr(line, '\n', len) || len == sizeof line - 1)
            break;
    }
    close(hp[0]);
    line[len] = 0;
    if (strncmp(line, "ok\t", 3) == 0) {
        line[strcspn(line, "\n")] = 0;
        if (line[3])
            backend_fact_str(r, "runsc_version", line + 3);
    }
    return 0;

fail:
    err = errno;
    backend_close_pipes((int *const[]){ rp, hp, sp, nr }, 4);
    if (host_net >= 0)
        close(host_net);
    return cell_err_sys(e, err, "%s", what);
}

static int gv_go(struct backend_run *r, struct cell_error *e)
{
    struct gv *g = r->priv;
    ssize_t w = write(g->sync_wr, "g", 1);
    int err = errno;
    close(g->sync_wr);
    g->sync_wr = -1;
    if (w != 1)
        return cell_err_sys(e, w < 0 ? err : EIO, "gvisor: releasing the sandbox");
    return 0;
}

static void gv_forward(struct backend_run *r, int sig)
{
    if (r->pid > 0)
        kill(r->pid, sig); /* the monitor passes it to runsc, runsc to the workload */
}

static void gv_kill(struct backend_run *r)
{
    /* runsc dies with the monitor, the sandbox with runsc (pid namespace) */
    if (r->pid > 0)
        kill(r->pid, SIGKILL);
}

static void gv_finish(struct backend_run *r, int wstatus, const struct rusage *ru, struct backend_result *res)
{
    (void)wstatus;
    (void)ru;
    struct gv *g = r->priv;
    if (g) {
        res->peak_memory_bytes = cgroup_peak_memory(&g->cg);
        res->oom_kills = cgroup_oom_kills(&g->cg);
    }
}

static void gv_cleanup(struct backend_run *r)
{
    struct gv *g = r->priv;
    if (!g)
        return;
    backend_teardown_cell(r, &g->sync_wr, &g->cg); /* an unreleased sandbox is taken down */
    net_gw_stop(&r->net);
    if (g->runsc_fd >= 0)
        close(g->runsc_fd);
    for (size_t i = 0; i < GVISOR_MAX_ARGS && g->argv[i]; i++)
        free(g->argv[i]);
    if (g->have_bundle)
        oci_bundle_free(&g->bundle);
    free(g);
    r->priv = NULL;
}

const struct backend_ops backend_gvisor = {
    .name = "gvisor",
    .kind = CP_BACKEND_GVISOR,
    .prepare = gv_prepare,
    .spawn = gv_spawn,
    .go = gv_go,
    .forward = gv_forward,
    .kill = gv_kill,
    .finish = gv_finish,
    .cleanup = gv_cleanup,
};
