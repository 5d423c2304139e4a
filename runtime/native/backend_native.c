/*
 * backend_native.c - the native backend: the cell is a child cloned into
 * new mount, pid, net, ipc and uts namespaces (and a user namespace when
 * cellrun is not root), which runs the cell side (cell_run_steps) itself.
 *
 * Invariants: the child is cloned before the supervisor loads the signing
 * key and holds none of the supervisor's later state; it waits on a sync
 * socket until the started event is out (go) and dies with the supervisor
 * (PR_SET_PDEATHSIG, plus EOF on the sync socket for the window before the
 * prctl); records come back on a close-on-exec pipe; cgroups are prepared
 * here with a reaper that removes them even if cellrun is SIGKILLed.
 * The cell's cgroups are made, and the stdio relay forked, right after the
 * clone (the cgroup directories reach the cell with go, as SCM_RIGHTS on
 * the sync socket), so that they overlap the child's namespace work.
 * The network and IPC namespaces (netns creation is most of a clone's
 * cost, 0.3-0.4 ms here) are made by the child itself right after the
 * clone, beside the supervisor's key and first events; the supervisor
 * waits for them (settle) before anyone learns the cell's pid and before
 * go. With egress the netns is made by the clone (netd moves the veth into
 * it right away).
 * The cell never gets cellrun's own stdio: its 0, 1, 2 are pipes (or a
 * fresh pty for a terminal) served by a relay process beside it
 * (runtime/backend/stdio_relay.h), so a cell whose uid owns the caller's
 * stdio file (/dev/null, `>out`) cannot fchmod it; cellrun waits for the
 * relay to pass on the last output before it reports the end.
 */
#include "runtime/backend/backend.h"
#include "runtime/backend/cgroup.h"
#include "runtime/backend/stdio_relay.h"
#include "runtime/cell/cell_side.h"
#include "runtime/plan/bpf_interp.h"
#include "runtime/plan/plan_rlimits.h"
#include "runtime/lib/sys_util.h"
#include "runtime/net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct native {
    struct cgroup_set cg;
    struct cell_config cfg;
    int sync_wr; /* supervisor: 'g' releases the cell */
    uint32_t ns_flags;
    uint32_t late_ns;         /* of ns_flags, those the child makes after the clone */
    int ns_ready_rd;          /* the child's byte: late_ns are made (or failed) */
    struct stdio_relay relay; /* child[]: the cell's 0, 1, 2 until the clone */
    bool relay_open;          /* relay's descriptors exist, no process copies them yet */
    pid_t relay_pid;          /* the process copying them (-1: none) */
    int relay_pidfd;
};

#define RELAY_WAIT_MS 5000 /* bound on the relay's last copies after the cell ended */

/* Yama's ptrace_scope 3 forbids pidfd_getfd to everyone, 2 to all but
 * CAP_SYS_PTRACE (root); 0 and 1 allow an ancestor (the supervisor). */
static bool pidfd_getfd_allowed(bool rootless)
{
    char buf[8] = "";
    int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true; /* no Yama */
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    int scope = k > 0 ? buf[0] - '0' : 3;
    return scope <= 1 || (scope == 2 && !rootless);
}

static int max_pass_fd(const struct plan *p)
{
    int m = 2;
    for (size_t i = 0; i < p->process.n_pass_fds; i++)
        if ((int)p->process.pass_fds[i] > m)
            m = (int)p->process.pass_fds[i];
    return m;
}

/* Move fd above every fd the plan passes, keeping it close-on-exec. */
static int lift_fd(int fd, int above)
{
    if (fd > above)
        return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, above + 1);
    int saved = errno;
    close(fd);
    errno = saved;
    return n;
}

static int native_prepare(struct backend_run *r, struct cell_error *e)
{
    const struct plan *p = r->plan;
    struct native *n = calloc(1, sizeof *n);
    if (!n)
        return cell_err_sys(e, errno, "native: out of memory");
    cgroup_init(&n->cg);
    n->sync_wr = -1;
    n->ns_ready_rd = -1;
    n->relay_pid = -1;
    n->relay_pidfd = -1;
    n->relay.master = -1;
    for (int i = 0; i < 3; i++)
        n->relay.child[i] = -1;
    r->priv = n;

    if (net_check_plan(p, r->rootless, e) < 0) /* egress: runtime/net/ or refuse */
        return -1;
    if (cell_seccomp_uses_notify(p))
        return cell_err(e, 0, "seccomp: user_notif actions are not supported by cellrun yet");
    if (!cell_seccomp_program(p))
        return cell_err(e, 0,
                        "seccomp: the plan has no program for this architecture "
                        "(audit arch 0x%x)",
                        cell_audit_arch());
    for (size_t i = 0; i < p->process.n_pass_fds; i++)
        if (fcntl((int)p->process.pass_fds[i], F_GETFD) < 0)
            return cell_err(e, EBADF, "process: fd %u is to be passed to the cell but is not open",
                            p->process.pass_fds[i]);

    struct cell_config *c = &n->cfg;
    c->plan = p;
    c->todo = CELL_DO_CGROUP | CELL_DO_MOUNTS | CELL_DO_HOSTNAME | CELL_DO_LOOPBACK;
    if (r->rootless)
        c->todo |= CELL_DO_UID_MAP;
    c->extra_args = r->extra_args;
    c->n_extra_args = r->n_extra_args;
    c->pass_values = r->pass_values;
    c->secrets = r->secrets;
    c->host_uid = getuid();
    c->host_gid = getgid();
    /* always a user namespace: as root it maps every id onto itself (the
     * supervisor writes the maps), so files and ids are unchanged while every
     * capability the cell holds is one over its own namespaces only */
    c->userns = true;
    c->uid_map_by_host = !r->rootless;
    /* the supervisor takes the workload's seccomp listener (pidfd_getfd,
     * a ptrace-mode access Yama may forbid); whether the cell makes one is
     * decided at spawn (listener_usable) */
    r->seccomp_listener = pidfd_getfd_allowed(r->rootless);
    if (r->seccomp_learn && !r->seccomp_listener)
        return cell_err(e, 0, "--learn: Yama's ptrace_scope forbids taking the cell's seccomp listener");
    c->seccomp_learn = r->seccomp_learn;
    struct stat st;
    c->stage_dir = (lstat("/tmp", &st) == 0 && S_ISDIR(st.st_mode)) ? "/tmp" : "/";
    if (p->net.mode == CP_NET_EGRESS)
        c->resolv_conf = net_resolv_conf();

    n->ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |
        CLONE_NEWUSER;
    /* namespaces an engine made, which the supervisor has entered (the OCI
     * runtime): the cell shares them, and being owned by the host's user
     * namespace they are not the cell's to configure */
    const unsigned long shareable = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    if (r->share_ns & ~shareable)
        return cell_err(e, 0, "namespaces: only network, ipc and uts namespaces can be shared");
    if ((r->share_ns & CLONE_NEWNET) && p->net.mode == CP_NET_EGRESS)
        return cell_err(e, 0, "network: egress rules need the cell's own network namespace");
    n->ns_flags &= ~r->share_ns;
    if (r->share_ns & CLONE_NEWUTS)
        c->todo &= ~CELL_DO_HOSTNAME;
    if (r->share_ns & CLONE_NEWNET)
        c->todo &= ~CELL_DO_LOOPBACK;
    c->ns_flags = n->ns_flags;
    c->start_gate = r->start_fd >= 0;
    c->start_fd = r->start_fd;
    if (p->net.mode != CP_NET_EGRESS)
        n->late_ns = (CLONE_NEWNET | CLONE_NEWIPC) & n->ns_flags; /* a shared one is not made */
    c->hold = p->export_.n_items > 0; /* export: init holds the mounts (runtime/export/) */
    c->hold_fd = -1;

    backend_fact_str(r, "mode", r->rootless ? "rootless" : "root");
    return 0;
}

/* The cell, in the cloned child: never returns. */
/* The go message on the sync socket: 'g', the cgroup step's detail and
 * degraded flag, and the cgroup directories as SCM_RIGHTS (made after the
 * clone). EOF: the supervisor is gone or gave up. */
struct go_msg {
    char g;
    uint8_t degraded;
    uint32_t detail;
};

static int recv_go(struct native *n, int sync_rd)
{
    struct go_msg m;
    memset(&m, 0, sizeof m);
    size_t nfd = 0;
    if (sys_recv_fds(sync_rd, &m, sizeof m, n->cfg.cgroup_fds, CELL_MAX_CGROUPS, &nfd) != (ssize_t)sizeof m ||
        m.g != 'g')
        return -1;
    /* above every fd the plan passes, like all of ours */
    int above = max_pass_fd(n->cfg.plan);
    for (size_t i = 0; i < nfd; i++)
        if ((n->cfg.cgroup_fds[i] = lift_fd(n->cfg.cgroup_fds[i], above)) < 0)
            return -1;
    n->cfg.n_cgroup_fds = nfd;
    n->cfg.cgroup_detail = m.detail;
    n->cfg.cgroup_degraded = m.degraded != 0;
    return 0;
}

/* The cell is a fork of cellrun, so its /proc/PID/cmdline, which every
 * process of the cell may read (no ptrace right needed, unlike environ or
 * mem), was cellrun's command line, with a remote sink's user:password@,
 * token@ or secret URL path or query (docs/events.md; escape probe
 * init_cmdline). The child overwrites, in its copy of the argv strings
 * (bounds: arg_start and arg_end of /proc/self/stat), everything after
 * "://" in an argument with '*', lengths unchanged: the rest (the plan's
 * path) still names the run for `ps` and the tests' leak checks. The extra
 * arguments it passes on move to its heap first (one may be a URL). The
 * environment (CELLOS_EVENTS) stays: /proc/PID/environ needs ptrace
 * access, which the non-dumpable init denies. */
static int redact_cmdline(struct cell_config *c)
{
    if (c->n_extra_args) {
        char **extra = calloc(c->n_extra_args + 1, sizeof *extra);
        if (!extra)
            return -1;
        for (size_t i = 0; i < c->n_extra_args; i++)
            if (!(extra[i] = strdup(c->extra_args[i])))
                return -1;
        c->extra_args = extra; /* the cell's until it ends */
    }
    char buf[2048];
    if (sys_read_head(AT_FDCWD, "/proc/self/stat", 0, buf, sizeof buf) < 0)
        return -1;
    const char *fs = sys_proc_stat_field(buf, 48),
               *fe = sys_proc_stat_field(buf, 49); /* arg_start, arg_end */
    unsigned long long start = fs ? strtoull(fs, NULL, 10) : 0, end = fe ? strtoull(fe, NULL, 10) : 0;
    if (!start || end <= start) {
        errno = EINVAL;
        return -1;
    }
    char *a = (char *)(uintptr_t)start, *z = (char *)(uintptr_t)end;
    while (a < z) {
        size_t n = strnlen(a, (size_t)(z - a));
        char *u = memmem(a, n, "://", 3);
        if (u)
            memset(u + 3, '*', n - (size_t)(u + 3 - a));
        a += n + 1;
    }
    return 0;
}

static void native_child(struct native *n, int sync_rd, int ready_wr, struct cell_report *rep)
{
    /* the relay's own ends are the supervisor's (they may sit at 0-2 when
     * the caller closed one); then child[] (all above 2) become 0, 1, 2 */
    stdio_relay_release(&n->relay);
    if (stdio_relay_child(&n->relay) < 0)
        _exit(125);
    stdio_relay_forked(&n->relay);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        _exit(125);
    /* a failure is the namespaces step's (the cell stops there) */
    if (redact_cmdline(&n->cfg) < 0)
        n->cfg.ns_err = errno;
    if (n->late_ns) {
        /* beside the supervisor's work; a failure is the namespaces step's */
        if (unshare((int)n->late_ns) < 0 && !n->cfg.ns_err)
            n->cfg.ns_err = errno;
        ssize_t w = write(ready_wr, "n", 1);
        close(ready_wr);
        if (w != 1)
            _exit(125);
    }
    if (recv_go(n, sync_rd) < 0)
        _exit(125); /* the supervisor is gone or gave up */
    close(sync_rd);
    int st = cell_run_steps(&n->cfg, rep);
    _exit(st < 0 ? 125 : st);
}

static int write_proc(pid_t pid, const char *file, const char *val)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, val, strlen(val));
    int saved = errno;
    close(fd);
    errno = saved;
    return w == (ssize_t)strlen(val) ? 0 : -1;
}

/* One line naming the limit the plan asks for and cellrun's own hard limit
 * (raising a hard limit above it needs CAP_SYS_RESOURCE on the host). */
static int rlimit_error(struct cell_error *e, int err, const struct plan_rlimit *l)
{
    const struct plan_rlimit_info *ri = plan_rlimit_by_resource(l->resource);
    struct rlimit own = { 0 };
    char want[24], hard[24], mine[24];
    if (getrlimit((int)l->resource, &own) < 0)
        own.rlim_max = RLIM_INFINITY;
    const uint64_t v[3] = { l->soft, l->hard, (uint64_t)own.rlim_max };
    char *out[3] = { want, hard, mine };
    for (int i = 0; i < 3; i++) {
        if (v[i] == (uint64_t)RLIM_INFINITY)
            snprintf(out[i], sizeof want, "unlimited");
        else
            snprintf(out[i], sizeof want, "%llu", (unsigned long long)v[i]);
    }
    return cell_err_sys(e, err, "rlimits: rlimit %s %s (hard %s)%s%s%s", ri ? ri->name : "?", want, hard,
                        err == EPERM ? " is above cellrun's own hard limit " : "", err == EPERM ? mine : "",
                        err == EPERM ? " (raising it needs CAP_SYS_RESOURCE)" : "");
}

/* Root mode: every id maps onto itself, and the plan's hard rlimits are set
 * from here (raising one above the supervisor's needs CAP_SYS_RESOURCE in
 * the initial user namespace, which the cell no longer has); the cell's
 * rlimits step then sets the same values. */
static int native_host_setup(struct backend_run *r, pid_t pid, struct cell_error *e)
{
    if (r->rootless)
        return 0;
    if (write_proc(pid, "uid_map", "0 0 4294967295\n") < 0 ||
        write_proc(pid, "gid_map", "0 0 4294967295\n") < 0)
        return cell_err_sys(e, errno, "uid_map: writing the cell's identity maps");
    const struct plan *p = r->plan;
    for (size_t i = 0; i < p->process.n_rlimits; i++) {
        struct rlimit rl = { .rlim_cur = (rlim_t)p->process.rlimits[i].soft,
                             .rlim_max = (rlim_t)p->process.rlimits[i].hard };
        if (prlimit(pid, (int)p->process.rlimits[i].resource, &rl, NULL) < 0)
            return rlimit_error(e, errno, &p->process.rlimits[i]);
    }
    return 0;
}

/* The relay process: the caller's 0, 1, 2 and the relay's own ends, nothing
 * else of cellrun; dies with cellrun (PDEATHSIG); terminal signals (it is in
 * cellrun's process group) are cellrun's to pass on, not its own. */
static int open_relay(struct native *n, int above, struct cell_error *e)
{
    if (stdio_relay_open(&n->relay) < 0)
        return cell_err_sys(e, errno, "native: the stdio relay");
    n->relay_open = true;
    for (int i = 0; i < 3; i++) {
        n->relay.child[i] = lift_fd(n->relay.child[i], above);
        if (n->relay.child[i] < 0)
            return cell_err_sys(e, errno, "native: moving the stdio relay's descriptors");
    }
    return 0;
}

/* After the clone (the cell has its ends; ours are closed): the relay
 * process takes the copies over. */
static int fork_relay(struct native *n, struct cell_error *e)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return cell_err_sys(e, errno, "native: fork of the stdio relay");
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
            _exit(125);
        prctl(PR_SET_NAME, "cellos-relay", 0, 0, 0);
        stdio_relay_forked(&n->relay);
        int keep[STDIO_RELAY_N * 2 + 1];
        size_t k = 0;
        for (int i = 0; i < STDIO_RELAY_N; i++) {
            if (n->relay.s[i].src > 2)
                keep[k++] = n->relay.s[i].src;
            if (n->relay.s[i].dst > 2)
                keep[k++] = n->relay.s[i].dst;
        }
        sys_close_fds_except(keep, k);
        stdio_relay_loop(&n->relay);
        _exit(0);
    }
    n->relay_pid = pid;
    n->relay_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    stdio_relay_release(&n->relay); /* the copies are the relay's */
    n->relay_open = false;
    return 0;
}

/* Wait (bounded) for the relay to pass on the cell's last output: the cell
 * has ended, so its pipes are at EOF once read. Then reap it. */
static void wait_relay(struct native *n)
{
    if (n->relay_open) { /* never handed to a relay process */
        stdio_relay_forked(&n->relay);
        stdio_relay_release(&n->relay);
        n->relay_open = false;
    }
    if (n->relay_pid <= 0)
        return;
    if (n->relay_pidfd >= 0) {
        struct pollfd pf = { .fd = n->relay_pidfd, .events = POLLIN };
        while (poll(&pf, 1, RELAY_WAIT_MS) < 0 && errno == EINTR)
            ;
        close(n->relay_pidfd);
        n->relay_pidfd = -1;
    }
    sys_kill_and_reap(n->relay_pid);
    n->relay_pid = -1;
}

/* The supervisor learns the listener from the cell's SECCOMP record, which
 * the cell writes after the load: only when the plan's filter lets that
 * write(2) through does the cell make a listener (else that write is
 * killed as it always was). */
static bool listener_usable(const struct plan *p, int record_fd)
{
    const struct plan_sc_program *prog = cell_seccomp_program(p);
    if (!prog)
        return false;
    struct seccomp_data d = { .nr = __NR_write,
                              .arch = cell_audit_arch(),
                              .args = { (uint64_t)record_fd, 0, sizeof(struct cell_step_record) } };
    uint32_t a = bpf_interp_action(prog->insns, prog->insn_count, &d) & SECCOMP_RET_ACTION_FULL;
    return a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG;
}

static int native_spawn(struct backend_run *r, struct cell_error *e)
{
    struct native *n = r->priv;
    int above = max_pass_fd(r->plan);
    int rp[2], sp[2];
    if (pipe2(rp, O_CLOEXEC) < 0)
        return cell_err_sys(e, errno, "native: report pipe");
    /* the go message carries the cgroup directories (made after the clone) */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        close(rp[0]);
        close(rp[1]);
        return cell_err_sys(e, errno, "native: sync socket");
    }
    /* none of our descriptors may sit where the plan passes one */
    rp[0] = lift_fd(rp[0], above);
    rp[1] = lift_fd(rp[1], above);
    sp[0] = lift_fd(sp[0], above);
    sp[1] = lift_fd(sp[1], above);
    if (rp[0] < 0 || rp[1] < 0 || sp[0] < 0 || sp[1] < 0)
        return cell_err_sys(e, errno, "native: moving pipes above the passed fds");
    if (open_relay(n, above, e) < 0)
        return -1;
    /* egress: the cell waits at its loopback step until netd has the
     * gateway ready (netd writes 'r'; EOF if it fails), so the gateway's
     * set-up overlaps the cell's own */
    int nr[2] = { -1, -1 };
    if (r->plan->net.mode == CP_NET_EGRESS) {
        if (pipe2(nr, O_CLOEXEC) < 0 || (nr[0] = lift_fd(nr[0], above)) < 0 ||
            (nr[1] = lift_fd(nr[1], above)) < 0)
            return cell_err_sys(e, errno, "native: network ready pipe");
        n->cfg.net_wait = true;
        n->cfg.net_ready_fd = nr[0];
    }
    int np[2] = { -1, -1 };
    if (n->late_ns) {
        if (pipe2(np, O_CLOEXEC) < 0 || (np[0] = lift_fd(np[0], above)) < 0 ||
            (np[1] = lift_fd(np[1], above)) < 0)
            return cell_err_sys(e, errno, "native: namespace ready pipe");
        n->ns_ready_rd = np[0];
    }
    int hp[2] = { -1, -1 };
    if (n->cfg.hold) {
        if (pipe2(hp, O_CLOEXEC) < 0)
            return cell_err_sys(e, errno, "native: export hold pipe");
        hp[0] = lift_fd(hp[0], above);
        hp[1] = lift_fd(hp[1], above);
        if (hp[0] < 0 || hp[1] < 0)
            return cell_err_sys(e, errno, "native: moving the export hold pipe");
        n->cfg.hold_fd = hp[0];
    }
    /* the caller's descriptor (not ours to close): a copy when it is low */
    if (n->cfg.start_gate && n->cfg.start_fd <= above &&
        (n->cfg.start_fd = fcntl(n->cfg.start_fd, F_DUPFD_CLOEXEC, above + 1)) < 0)
        return cell_err_sys(e, errno, "native: moving the start gate's fd");

    struct cell_report rep;
    cell_report_fd_init(&rep, rp[1]);
    n->cfg.seccomp_listener = r->seccomp_listener && listener_usable(r->plan, rp[1]);
    /* fork-like clone: the child has its own copy of our memory as of now
     * (no key has been loaded yet). Namespaces other than cgroup are made
     * here; the cell takes its cgroup namespace after joining its cgroup. */
    unsigned long flags = (n->ns_flags & ~(unsigned long)(CLONE_NEWCGROUP | n->late_ns)) | SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        int err = errno;
        backend_close_pipes((int *const[]){ hp, rp, sp }, 3);
        if (np[1] >= 0)
            close(np[1]);
        if (err == EPERM || err == EINVAL || err == ENOSPC)
            return cell_err_sys(e, err, "namespaces: cannot create the cell's namespaces%s",
                                r->rootless ? " (are unprivileged user namespaces enabled?)" : "");
        return cell_err_sys(e, err, "namespaces: clone");
    }
    if (pid == 0) {
        close(rp[0]);
        close(sp[1]);
        if (nr[1] >= 0)
            close(nr[1]); /* only netd may write it: EOF when netd fails */
        if (hp[1] >= 0)
            close(hp[1]);
        if (np[0] >= 0)
            close(np[0]);
        native_child(n, sp[0], np[1], &rep);
    }
    if (np[1] >= 0)
        close(np[1]);
    if (nr[0] >= 0)
        close(nr[0]);
    if (hp[0] >= 0) {
        close(hp[0]);
        r->hold_fd = hp[1]; /* the core closes it once the artifacts are out */
    }
    stdio_relay_forked(&n->relay); /* the cell's ends are the cell's now */
    close(rp[1]);
    close(sp[0]);
    n->sync_wr = sp[1];
    r->record_fd = rp[0];
    r->pid = pid;
    if (native_host_setup(r, pid, e) < 0)
        return -1;
    /* beside the child's own namespace work: the cgroups (sent with go)
     * and the relay process, both before the key exists */
    if (cgroup_prepare(&n->cg, r->plan, r, e) < 0)
        return -1;
    n->cfg.n_cgroup_fds = cgroup_fds(&n->cg, n->cfg.cgroup_fds, CELL_MAX_CGROUPS);
    n->cfg.cgroup_detail = n->cg.detail;
    n->cfg.cgroup_degraded = n->cg.degraded;
    backend_fact_str(r, "cgroup", n->cg.n == 0 ? "none" : n->cg.v2 ? "v2" : "v1");
    if (fork_relay(n, e) < 0)
        return -1;
    /* egress: the gateway namespace and netd, before the key exists */
    int rc = 0;
    if (r->plan->net.mode == CP_NET_EGRESS)
        rc = net_gw_start(r->plan, pid, NULL, nr[1], &r->net, e);
    if (nr[1] >= 0)
        close(nr[1]);
    return rc;
}

/* Wait for the child's namespaces (late_ns): its byte, or EOF when it is
 * gone. Idempotent. */
static int native_settle(struct backend_run *r, struct cell_error *e)
{
    struct native *n = r->priv;
    if (n->ns_ready_rd < 0)
        return 0;
    char b = 0;
    ssize_t k;
    do
        k = read(n->ns_ready_rd, &b, 1);
    while (k < 0 && errno == EINTR);
    int err = errno;
    close(n->ns_ready_rd);
    n->ns_ready_rd = -1;
    if (k != 1)
        return cell_err_sys(e, k < 0 ? err : ECHILD, "namespaces: the cell ended before making them");
    return 0;
}

static int native_go(struct backend_run *r, struct cell_error *e)
{
    struct native *n = r->priv;
    if (native_settle(r, e) < 0)
        return -1;
    struct go_msg m;
    memset(&m, 0, sizeof m);
    m.g = 'g';
    m.degraded = n->cfg.cgroup_degraded;
    m.detail = n->cfg.cgroup_detail;
    int w = sys_send_fds(n->sync_wr, &m, sizeof m, n->cfg.cgroup_fds, n->cfg.n_cgroup_fds);
    int err = errno;
    close(n->sync_wr);
    n->sync_wr = -1;
    if (w < 0)
        return cell_err_sys(e, err, "native: releasing the cell");
    return 0;
}

static void native_forward(struct backend_run *r, int sig)
{
    if (r->pid > 0)
        kill(r->pid, sig); /* the cell's init passes it to the workload */
}

static void native_kill(struct backend_run *r)
{
    /* SIGKILL of a pid namespace's init kills every process in it */
    if (r->pid > 0)
        kill(r->pid, SIGKILL);
}

static void native_finish(struct backend_run *r, int wstatus, const struct rusage *ru,
                          struct backend_result *res)
{
    (void)wstatus;
    (void)ru;
    struct native *n = r->priv;
    if (n) {
        wait_relay(n); /* the cell's output is out before its end is reported */
        res->peak_memory_bytes = cgroup_peak_memory(&n->cg);
        res->oom_kills = cgroup_oom_kills(&n->cg);
    }
}

static void native_cleanup(struct backend_run *r)
{
    struct native *n = r->priv;
    if (!n)
        return;
    if (r->hold_fd >= 0) {
        close(r->hold_fd);
        r->hold_fd = -1;
    }
    if (n->ns_ready_rd >= 0)
        close(n->ns_ready_rd);
    backend_teardown_cell(r, &n->sync_wr, &n->cg);
    stdio_relay_forked(&n->relay);
    wait_relay(n);
    net_gw_stop(&r->net);
    free(n);
    r->priv = NULL;
}

const struct backend_ops backend_native = {
    .name = "native",
    .kind = CP_BACKEND_NATIVE,
    .prepare = native_prepare,
    .spawn = native_spawn,
    .settle = native_settle,
    .go = native_go,
    .forward = native_forward,
    .kill = native_kill,
    .finish = native_finish,
    .cleanup = native_cleanup,
};
