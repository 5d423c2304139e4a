/*
 * gvisor_monitor.c - the gVisor backend's monitor process (see gvisor.h).
 *
 * Order of things, and why:
 *  1. PR_SET_PDEATHSIG(SIGKILL), then check the supervisor is still our
 *     parent: from here on the monitor cannot outlive cellrun.
 *  2. unshare(CLONE_NEWNS | CLONE_NEWPID) and make / private: every mount
 *     below is only in this namespace; the next child is PID 1 of a new pid
 *     namespace.
 *  3. Clone every host tree the plan binds (open_tree), then cover /tmp with
 *     a private tmpfs that holds the whole bundle: nothing of the run ever
 *     reaches the host's filesystem, and sources under /tmp stay reachable.
 *  4. Stage the bundle (oci_stage_build): the root skeleton, staged tmpfs,
 *     secrets, clones with their flags, config.json.
 *  5. Join the cell's cgroups: runsc, gofer, sandbox and stubs all inherit
 *     them, so the plan's memory and cpu limits hold for the whole sandbox.
 *     With egress: bind the network namespace the monitor was cloned into
 *     (netd gives it the cell's end of a veth pair) at the bundle's netns,
 *     return to the host's, wait until netd is ready: runsc
 *     --network=sandbox starts the sandbox in it and takes the interface.
 *  6. Start `runsc run` as PID 1 of the new pid namespace (with PDEATHSIG),
 *     and `runsc --version` beside it. runsc creates the sandbox, then
 *     blocks opening the pid-file FIFO; the state file says "created".
 *  7. Report namespaces/uid_map/cgroup/mount_private, say hello (with the
 *     version) and wait for go; then open the FIFO: runsc starts the
 *     container. When the state file says "running", gVisor has mounted
 *     everything, set the credentials, capabilities, no_new_privs, the
 *     seccomp filter, and loaded the workload: those steps are reported.
 *  8. When runsc ends, report exit with its status and end.
 * A check that fails before the sandbox exists (the translation's
 * pre-checks, staging) is reported as the failing step and runsc never runs.
 */
#include "gvisor.h"
#include "runtime/backend/stdio_relay.h"
#include "runtime/cell/cell_side.h"
#include "runtime/lib/sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUNDLE_TMPFS_SIZE (64ull << 20)
#define STATE_MAX         (8u << 20)
#define RELAY_DRAIN_MS    2000 /* bound on output still in flight after runsc ended */

struct mon {
    const struct gvisor_monitor *m;
    const struct oci_bundle *b;
    const struct plan *p;
    uint64_t *done_ns;
    uint64_t t_private;
    int bundle; /* the bundle tmpfs */
    int sfd, ino, ino_wd;
    pid_t runsc, version_pid;
    int version_rd, fifo;
    char version[128];
    size_t vlen;
    bool version_done, created, running, hello_sent, go, sync_eof;
    int *clone_fds;           /* the clones of host trees, until the bundle holds them */
    struct stdio_relay relay; /* runsc's stdio (runtime/backend/stdio_relay.h) */
    bool relay_open;
};

static void rec(struct mon *s, uint16_t step, uint16_t result, uint32_t op, int err, uint32_t detail,
                uint64_t mono)
{
    struct cell_step_record r;
    memset(&r, 0, sizeof r);
    r.magic = CELL_STEP_MAGIC;
    r.step = step;
    r.result = result;
    r.op_index = op;
    r.err = result == CELL_STEP_FAILED ? (err > 0 && err < 4096 ? err : EIO) : 0;
    r.detail = detail;
    r.mono_ns = mono ? mono : sys_now_ns();
    ssize_t w;
    do
        w = write(s->m->record_fd, &r, sizeof r);
    while (w < 0 && errno == EINTR);
    /* a gone supervisor kills us anyway (PDEATHSIG) */
}

static void hello(struct mon *s)
{
    if (s->hello_sent)
        return;
    char line[160];
    int n = snprintf(line, sizeof line, "ok\t%.*s\n", (int)s->vlen, s->version);
    ssize_t w = write(s->m->hello_fd, line, (size_t)n);
    (void)w;
    close(s->m->hello_fd);
    s->hello_sent = true;
}

/* ---- records of a phase --------------------------------------------------- */

static void host_ops(struct mon *s, size_t upto)
{
    for (size_t i = 0; i < upto && i < s->b->n_ops; i++)
        if (s->b->ops[i].how == OCI_HOW_HOST && s->done_ns[i])
            rec(s, CELL_STEP_MOUNT_OP, CELL_STEP_OK, (uint32_t)i, 0, s->p->fs.ops[i].opcode, s->done_ns[i]);
}

static void emit_created(struct mon *s)
{
    const struct gvisor_monitor *m = s->m;
    rec(s, CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0, s->b->ns_flags, 0);
    rec(s, CELL_STEP_UID_MAP, CELL_STEP_SKIPPED, 0, 0, 0, 0);
    if (m->n_cgroup_fds == 0 && !m->cgroup_degraded)
        rec(s, CELL_STEP_CGROUP, CELL_STEP_SKIPPED, 0, 0, 0, 0);
    else
        rec(s, CELL_STEP_CGROUP, m->cgroup_degraded ? CELL_STEP_DEGRADED : CELL_STEP_OK, 0, 0,
            m->cgroup_detail, 0);
    rec(s, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_OK, 0, 0, 0, s->t_private);
}

/* Everything gVisor did between "created" and "running", up to the exec;
 * exec_err 0: the workload was loaded. */
static void emit_running(struct mon *s, int exec_err)
{
    const struct plan *p = s->p;
    const struct oci_bundle *b = s->b;
    uint64_t t = sys_now_ns();
    for (size_t i = 0; i < b->n_ops; i++) {
        uint16_t op = p->fs.ops[i].opcode;
        switch (b->ops[i].how) {
        case OCI_HOW_HOST: rec(s, CELL_STEP_MOUNT_OP, CELL_STEP_OK, (uint32_t)i, 0, op, s->done_ns[i]); break;
        case OCI_HOW_GVISOR: rec(s, CELL_STEP_MOUNT_OP, CELL_STEP_OK, (uint32_t)i, 0, op, t); break;
        case OCI_HOW_SKIPPED: rec(s, CELL_STEP_MOUNT_OP, CELL_STEP_SKIPPED, (uint32_t)i, 0, op, t); break;
        default: break;
        }
    }
    rec(s, CELL_STEP_HOSTNAME, CELL_STEP_OK, 0, 0, 0, t);
    /* gVisor's sandbox network always has its own loopback, up; with
     * egress, runsc took netd's interface (detail as native: 2 resolv.conf
     * placed, 3 the tree has none) */
    rec(s, CELL_STEP_LOOPBACK, CELL_STEP_OK, 0, 0, b->egress ? (b->resolv_placed ? 2u : 3u) : 0u, t);
    /* no init of ours: under runsc the workload is PID 1 of the sandbox */
    rec(s, CELL_STEP_INIT, CELL_STEP_SKIPPED, 0, 0, 0, t);
    rec(s, CELL_STEP_RLIMITS, CELL_STEP_OK, 0, 0, (uint32_t)p->process.n_rlimits, t);
    rec(s, CELL_STEP_FDS, CELL_STEP_OK, 0, 0, 0, t);
    rec(s, CELL_STEP_ENV, CELL_STEP_OK, 0, 0, (uint32_t)b->n_env, t);
    if (p->secrets.n_items == 0)
        rec(s, CELL_STEP_SECRETS, CELL_STEP_SKIPPED, 0, 0, 0, t);
    else
        rec(s, CELL_STEP_SECRETS, CELL_STEP_OK, 0, 0, (uint32_t)p->secrets.n_items, t);
    rec(s, CELL_STEP_CAPS, CELL_STEP_OK, 0, 0, (uint32_t)__builtin_popcountll(p->process.capabilities), t);
    rec(s, CELL_STEP_NO_NEW_PRIVS, CELL_STEP_OK, 0, 0, 0, t);
    /* no Landlock ruleset of ours inside the sandbox: degraded, detail 0
     * (a plan that requires it was refused in prepare) */
    rec(s, CELL_STEP_LANDLOCK, CELL_STEP_DEGRADED, 0, 0, 0, t);
    rec(s, CELL_STEP_SECCOMP, CELL_STEP_OK, 0, 0, (uint32_t)b->n_seccomp_rules, t);
    rec(s, CELL_STEP_EXEC, exec_err ? CELL_STEP_FAILED : CELL_STEP_OK, 0, exec_err, 0, t);
}

/* A failure found before runsc runs: what was done, then the failed step. */
static void emit_precheck_failure(struct mon *s, int fail_op, int err)
{
    const struct oci_bundle *b = s->b;
    rec(s, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_OK, 0, 0, 0, s->t_private);
    if (fail_op >= 0) {
        host_ops(s, (size_t)fail_op);
        rec(s, CELL_STEP_MOUNT_OP, CELL_STEP_FAILED, (uint32_t)fail_op, err, s->p->fs.ops[fail_op].opcode, 0);
        return;
    }
    host_ops(s, b->n_ops);
    if (b->cwd_err)
        rec(s, CELL_STEP_INIT, CELL_STEP_FAILED, 0, b->cwd_err, 1, 0);
    else if (b->secrets_err)
        rec(s, CELL_STEP_SECRETS, CELL_STEP_FAILED, 0, b->secrets_err, (uint32_t)s->p->secrets.n_items, 0);
    else if (b->exec_err)
        rec(s, CELL_STEP_EXEC, CELL_STEP_FAILED, 0, b->exec_err, 0, 0);
    else
        rec(s, CELL_STEP_INIT, CELL_STEP_FAILED, 0, err ? err : EIO, 0, 0);
}

/* ---- runsc's own words -------------------------------------------------------- */

int gvisor_errno_of(const char *msg)
{
    const char *tail = msg;
    for (const char *c = msg; (c = strstr(c, ": ")); c += 2)
        tail = c + 2;
    for (int e = 1; e < 134; e++) {
        const char *s = strerror(e);
        size_t n = strlen(s);
        if (strlen(tail) != n)
            continue;
        bool eq = true;
        for (size_t i = 0; i < n && eq; i++) {
            char a = tail[i], b = s[i];
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            eq = a == b;
        }
        if (eq)
            return e;
    }
    return 0;
}

/* The last "msg" of runsc's JSON log: why it failed. Only the log's last
 * LOG_TAIL bytes are read: the reason is the last line runsc wrote. */
#define LOG_TAIL (1 << 16)

static void last_msg(struct mon *s, char *out, size_t n)
{
    out[0] = 0;
    int fd = openat(s->bundle, "runsc.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    struct stat st;
    char *buf = malloc(LOG_TAIL + 1);
    ssize_t r = -1;
    if (buf && fstat(fd, &st) == 0)
        r = pread(fd, buf, LOG_TAIL, st.st_size > LOG_TAIL ? st.st_size - LOG_TAIL : 0);
    close(fd);
    if (r <= 0) {
        free(buf);
        return;
    }
    buf[r] = 0;
    char *last = NULL;
    for (char *c = buf; (c = strstr(c, "\"msg\":\"")); c += 7)
        last = c + 7;
    if (!last) {
        free(buf);
        return;
    }
    size_t o = 0;
    for (char *c = last; *c && *c != '"' && o + 1 < n; c++) {
        if (*c == '\\' && c[1])
            c++;
        out[o++] = *c;
    }
    out[o] = 0;
    free(buf);
}

/* runsc run's debug log starts with "... main.go:NNN] Version X". */
static void log_version(struct mon *s)
{
    s->version_done = true;
    char buf[4096];
    if (sys_read_head(s->bundle, s->m->version_log, O_NOFOLLOW, buf, sizeof buf) < 0)
        return;
    const char *v = strstr(buf, "] Version ");
    if (!v)
        return;
    v += 10;
    size_t n = strcspn(v, " \t\r\n,");
    if (n >= sizeof s->version)
        n = sizeof s->version - 1;
    memcpy(s->version, v, n);
    s->version[n] = 0;
    s->vlen = n;
}

/* ---- runsc's state ----------------------------------------------------------- */

/* Drop the watch on runsc's state as soon as it is no longer needed, and
 * keep the inotify instance open: a process exiting with a watch (or
 * closing an instance that had one) waits out an SRCU grace period in the
 * kernel, 7-15 ms here, on the way to cellrun's exit status; a removed
 * watch is reaped later, off that path. */
static void unwatch(struct mon *s)
{
    if (s->ino >= 0 && s->ino_wd >= 0)
        inotify_rm_watch(s->ino, s->ino_wd);
    s->ino_wd = -1;
}

static void check_state(struct mon *s)
{
    int dir = openat(s->bundle, "state", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return;
    char name[160];
    snprintf(name, sizeof name, "%s_sandbox:%s.state", s->m->container_id, s->m->container_id);
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    close(dir);
    if (fd < 0)
        return;
    char *buf = malloc(STATE_MAX + 1);
    size_t len = 0;
    ssize_t r;
    while (buf && len < STATE_MAX && (r = read(fd, buf + len, STATE_MAX - len)) > 0)
        len += (size_t)r;
    close(fd);
    if (!buf)
        return;
    buf[len] = 0;
    const char *st = strstr(buf, "\"status\":\"");
    if (st) {
        st += 10;
        bool created = strncmp(st, "created\"", 8) == 0, running = strncmp(st, "running\"", 8) == 0,
             stopped = strncmp(st, "stopped\"", 8) == 0;
        if ((created || running || stopped) && !s->created) {
            s->created = true;
            emit_created(s);
            if (s->m->version_log)
                log_version(s);
        }
        if ((running || stopped) && s->go && !s->running) {
            s->running = true;
            unwatch(s);
            emit_running(s, 0);
        }
    }
    free(buf);
}

/* ---- processes ---------------------------------------------------------------- */

static char *const runsc_env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                   NULL };

static void exec_runsc(const struct gvisor_monitor *m, char *const *argv)
{
    syscall(SYS_execveat, m->runsc_fd, "", argv, runsc_env, AT_EMPTY_PATH);
}

/* Start runsc's process tree with a large file descriptor table.
 *
 * A multi-threaded process whose descriptor table must grow (past 64, 128,
 * 256, ... descriptors) waits out an RCU grace period in the kernel
 * (expand_fdtable -> synchronize_rcu), 5-15 ms here. Every runsc process
 * is a Go program with many threads; on the start-up path the gofer's table
 * grows past 64 and 128 descriptors (a channel and a donated descriptor per
 * mount it serves) and the sandbox's past 256: about 50 ms per run, seen as
 * sched_switch stacks in expand_files (docs/performance.md).
 * A child's table is sized by the highest descriptor open in its parent
 * when it is forked (or when it execs while multi-threaded), so one
 * descriptor open at FD_TABLE_SLOT sizes the table of runsc run, the gofer
 * and the sandbox, which inherit it, from the start. It is an O_PATH
 * descriptor of /dev/null: it can be neither read nor written, is no
 * directory to resolve paths from, and reopened it is only /dev/null, which
 * the sandbox binds anyway. Best effort: without it runsc is slower, not
 * less contained. */
#define FD_TABLE_SLOT 1023

static void presize_fd_table(void)
{
    struct rlimit rl;
    unsigned slot = FD_TABLE_SLOT;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= slot)
        slot = rl.rlim_cur > 65 ? (unsigned)rl.rlim_cur - 1 : 0;
    if (slot == 0)
        return;
    int fd = open("/dev/null", O_PATH | O_CLOEXEC);
    if (fd < 0)
        return;
    if ((unsigned)fd != slot) {
        dup2(fd, (int)slot); /* the copy is not close-on-exec */
        close(fd);
    } else {
        fcntl(fd, F_SETFD, 0);
    }
}

static pid_t fork_runsc(struct mon *s, int out_fd, char *const *argv, bool pid1)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (pid1) {
        /* runsc chowns its stdio: it gets the relay's, never the caller's */
        if (stdio_relay_child(&s->relay) < 0)
            _exit(125);
        umount2("/proc", MNT_DETACH);
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            _exit(125);
        /* egress: runsc (0.0~20221219) takes a namespace for the host's
         * when /proc/sys/net/core/rmem_default exists, which recent
         * kernels show in every network namespace (6.x here): it would
         * refuse the cell's namespace (cloned for this run, never the
         * host's) with "cannot run with network enabled in root network
         * namespace". Hide /proc/sys/net from runsc's view only (this mount
         * namespace; the per-namespace sysctl directories below it are
         * looked up anew in each namespace, so the whole of it); the
         * sysctls themselves are untouched. */
        if (s->b->egress &&
            mount("tmpfs", "/proc/sys/net", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=4k,mode=555") < 0)
            _exit(125);
    }
    if (!pid1) {
        /* `runsc --version` and `runsc kill` beside runsc run: nothing of
         * them reaches the caller's terminal (they may start while PID 1
         * remounts /proc); stdout to out_fd */
        int nul = open("/dev/null", O_RDWR);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(out_fd >= 0 ? out_fd : nul, 1) < 0 || dup2(nul, 2) < 0)
            _exit(125);
        if (nul > 2)
            close(nul);
    }
    /* the runsc binary's fd must survive until the exec */
    int keep = s->m->runsc_fd;
    if (keep != 3) {
        if (dup2(keep, 3) < 0)
            _exit(125);
        keep = 3;
    }
    syscall(SYS_close_range, 4u, ~0u, 0u);
    if (pid1)
        presize_fd_table();
    struct gvisor_monitor m2 = *s->m;
    m2.runsc_fd = keep;
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    exec_runsc(&m2, argv);
    _exit(127);
}

/* runsc run does not pass signals on (it exits): `runsc kill` does, to the
 * container's PID 1, the workload. Reaped with the other children. */
static void forward(struct mon *s, int sig)
{
    char root[48], num[16];
    snprintf(root, sizeof root, "--root=%s/state", s->m->stage_dir);
    snprintf(num, sizeof num, "%d", sig);
    char *argv[] = { "runsc", root, "kill", (char *)s->m->container_id, num, NULL };
    fork_runsc(s, -1, argv, false);
}

/* ---- set-up ------------------------------------------------------------------ */

static int join_cgroups(const struct gvisor_monitor *m)
{
    /* the monitor is single-threaded: v1's "tasks" skips the threadgroup
     * lock that "cgroup.procs" takes */
    for (size_t i = 0; i < m->n_cgroup_fds; i++)
        if (sys_cgroup_join(m->cgroup_fds[i]) < 0)
            return -1;
    return 0;
}

static int bundle_tmpfs(const char *dir)
{
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    char size[32];
    snprintf(size, sizeof size, "%llu", BUNDLE_TMPFS_SIZE);
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "700", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        close(fs);
        return -1;
    }
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    close(fs);
    if (mnt < 0)
        return -1;
    int t = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (t < 0 || move_mount(mnt, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
        int saved = errno;
        if (t >= 0)
            close(t);
        close(mnt);
        errno = saved;
        return -1;
    }
    close(t);
    int fd = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(mnt);
    return fd;
}

/* Wait for go (or the supervisor's end), then end: after a failure. */
static void finish_failed(struct mon *s) __attribute__((noreturn));
static void finish_failed(struct mon *s)
{
    hello(s);
    char g;
    ssize_t r;
    do
        r = read(s->m->sync_fd, &g, 1);
    while (r < 0 && errno == EINTR);
    _exit(125);
}

/* Did the cell's memory cgroup kill something (an OOM kill)? */
static bool oom_killed(const struct gvisor_monitor *m)
{
    for (size_t i = 0; i < m->n_cgroup_fds; i++) {
        char buf[512];
        if (sys_read_head(m->cgroup_fds[i], m->cgroup_v2[i] ? "memory.events" : "memory.oom_control", 0, buf,
                          sizeof buf) < 0)
            continue;
        const char *k = strstr(buf, "oom_kill ");
        if (k && strtoul(k + 9, NULL, 10) > 0)
            return true;
    }
    return false;
}

/* runsc has ended: report how. */
static void runsc_ended(struct mon *s, int st) __attribute__((noreturn));
static void runsc_ended(struct mon *s, int st)
{
    unwatch(s);
    /* the whole sandbox is gone with runsc (PID 1): pass on what it wrote */
    if (s->relay_open)
        stdio_relay_drain(&s->relay, RELAY_DRAIN_MS);
    s->relay_open = false;
    if (s->created && s->go && !s->running)
        check_state(s); /* a last look: it may have run and ended */
    if (s->running) {
        /* runsc reports the workload's death by signal N as 128+N; it is
         * passed on as that exit status (docs/backends.md) */
        uint32_t detail = WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st) << 8 : (uint32_t)st;
        rec(s, CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, detail, 0);
        _exit(0);
    }
    char msg[512];
    last_msg(s, msg, sizeof msg);
    int err = gvisor_errno_of(msg);
    if (!s->running && oom_killed(s->m)) {
        /* gVisor's own kernel counts against the cell's memory limit */
        fprintf(stderr,
                "cellrun: gvisor: the memory limit (%llu bytes) killed the sandbox while it "
                "started: gVisor itself needs more\n",
                (unsigned long long)s->p->limits.memory);
        msg[0] = 0;
        err = ENOMEM;
    }
    if (s->created && s->go && !msg[0] && err != ENOMEM) {
        /* runsc logs every failure; without one the container ran and
         * ended before its "running" state could be read */
        emit_running(s, 0);
        uint32_t detail = WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st) << 8 : (uint32_t)st;
        rec(s, CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, detail, 0);
        _exit(0);
    }
    if (s->created && s->go) {
        if (strstr(msg, "failed to load")) {
            emit_running(s, err ? err : ENOEXEC);
        } else {
            rec(s, CELL_STEP_INIT, CELL_STEP_FAILED, 0, err ? err : EIO, 0, 0);
        }
    } else if (s->created) {
        rec(s, CELL_STEP_INIT, CELL_STEP_FAILED, 0, err ? err : EIO, 0, 0);
    } else {
        rec(s, CELL_STEP_NAMESPACES, CELL_STEP_FAILED, 0, err ? err : EIO, s->b->ns_flags, 0);
    }
    hello(s);
    _exit(125);
}

/* ---- the monitor's steps ------------------------------------------------------- */

/* 1. Bound to the supervisor; signals only through the signalfd. */
static void enter(struct mon *s)
{
    const struct gvisor_monitor *m = s->m;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != m->supervisor)
        _exit(125);
    setpgid(0, 0); /* terminal signals reach cellrun, which passes them on */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    sigset_t watch;
    sigemptyset(&watch);
    int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD };
    for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
        sigaddset(&watch, fwd[i]);
    s->sfd = signalfd(-1, &watch, SFD_CLOEXEC | SFD_NONBLOCK);
    s->done_ns = calloc(s->b->n_ops ? s->b->n_ops : 1, sizeof *s->done_ns);
    s->clone_fds = calloc(s->b->n_mounts ? s->b->n_mounts : 1, sizeof *s->clone_fds);
    if (s->sfd < 0 || !s->done_ns || !s->clone_fds)
        _exit(125);
}

/* 2. Private mount namespace, new pid namespace for runsc. */
static void go_private(struct mon *s)
{
    if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0 || mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0) {
        int err = errno;
        rec(s, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_FAILED, 0, err, 0, 0);
        finish_failed(s);
    }
    s->t_private = sys_now_ns();
}

/* A failure the translation found: stage what comes before it (so that the
 * steps done are reported as on the native backend), report, end. */
static void precheck_failed(struct mon *s)
{
    const struct oci_bundle *b = s->b;
    struct cell_error e = { 0 };
    int fop = -1;
    if (oci_stage_clone_sources(b, s->clone_fds, &fop, &e) == 0 &&
        (s->bundle = bundle_tmpfs(s->m->stage_dir)) >= 0)
        oci_stage_build(b, s->p, s->m->secrets, s->bundle, true, s->clone_fds, b->config, b->config_len,
                        s->done_ns, &fop, &e);
    emit_precheck_failure(s, b->fail_op, b->fail_op >= 0 ? b->ops[b->fail_op].err : 0);
    finish_failed(s);
}

/* 3, 4. Clone the host trees, cover /tmp with the bundle tmpfs, stage. */
static void stage(struct mon *s)
{
    const struct oci_bundle *b = s->b;
    struct cell_error e = { 0 };
    int fop = -1;
    if (oci_stage_clone_sources(b, s->clone_fds, &fop, &e) < 0) {
        emit_precheck_failure(s, fop, e.err);
        finish_failed(s);
    }
    s->bundle = bundle_tmpfs(s->m->stage_dir);
    if (s->bundle < 0) {
        rec(s, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_FAILED, 0, errno, 0, 0);
        finish_failed(s);
    }
    if (oci_stage_build(b, s->p, s->m->secrets, s->bundle, true, s->clone_fds, b->config, b->config_len,
                        s->done_ns, &fop, &e) < 0) {
        emit_precheck_failure(s, fop, e.err);
        finish_failed(s);
    }
    for (size_t i = 0; i < b->n_mounts; i++)
        if (s->clone_fds[i] >= 0)
            close(s->clone_fds[i]);
    free(s->clone_fds);
    s->clone_fds = NULL;
}

/* 5. Join the cell's cgroups. */
static void enter_cgroups(struct mon *s)
{
    const struct gvisor_monitor *m = s->m;
    if (join_cgroups(m) < 0) {
        int err = errno;
        rec(s, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_OK, 0, 0, 0, s->t_private);
        rec(s, CELL_STEP_CGROUP, CELL_STEP_FAILED, 0, err, m->cgroup_detail, 0);
        finish_failed(s);
    }
}

/* The namespace's loopback up: runsc gives the sandbox a loopback
 * interface only for an up one (else 127.0.0.1 would take the default
 * route to the gateway). */
static int loopback_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int err = errno;
    close(fd);
    errno = err;
    return r;
}

/* 5b. Egress: the monitor was cloned into the cell's network namespace,
 * which netd joins to its gateway. runsc --network=sandbox refuses to
 * take the interfaces of the namespace PID 1 of its pid namespace is in
 * (its "root" namespace check; runsc run is that PID 1), so the cell's
 * namespace is bound at the bundle's `netns` (the config's network path:
 * the sandbox joins it, and it dies with this mount namespace) and the
 * monitor goes back to the host's namespace. runsc starts only once netd
 * has set the namespace up (netd writes 'r'; EOF when it failed, and the
 * supervisor names netd's failed step). */
static void setup_network(struct mon *s)
{
    const struct gvisor_monitor *m = s->m;
    if (m->net_ready_fd < 0)
        return;
    char path[64];
    snprintf(path, sizeof path, "%s/netns", m->stage_dir);
    int f = openat(s->bundle, "netns", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
    int err = 0;
    if (f < 0 || loopback_up() < 0 || mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
        err = errno;
    if (f >= 0)
        close(f);
    char r = 0;
    ssize_t k = 0;
    if (!err) {
        do
            k = read(m->net_ready_fd, &r, 1);
        while (k < 0 && errno == EINTR);
    }
    close(m->net_ready_fd);
    /* only now back to the host's namespace: the supervisor opened ours
     * (/proc/PID/ns/net) before it forked netd, and netd has answered */
    if (!err && k == 1 && r == 'r' && setns(m->host_net_fd, CLONE_NEWNET) < 0)
        err = errno;
    close(m->host_net_fd);
    if (err || k != 1 || r != 'r') {
        rec(s, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_OK, 0, 0, 0, s->t_private);
        rec(s, CELL_STEP_LOOPBACK, CELL_STEP_FAILED, 0, err ? err : ENETDOWN, 2, 0);
        finish_failed(s);
    }
}

/* `runsc --version` beside runsc run, when its debug log cannot say. */
static void start_version(struct mon *s)
{
    int vp[2];
    if (s->m->version_log) {
        s->version_done = false; /* read from runsc's log once created */
        return;
    }
    s->version_done = true;
    if (pipe2(vp, O_CLOEXEC) < 0)
        return;
    char *vargv[] = { "runsc", "--version", NULL };
    s->version_pid = fork_runsc(s, vp[1], vargv, false);
    close(vp[1]);
    if (s->version_pid < 0) {
        close(vp[0]);
        return;
    }
    s->version_rd = vp[0];
    s->version_done = false;
}

/* 6. The state watch, the stdio relay, runsc run as PID 1. */
static void start_runsc(struct mon *s)
{
    char statedir[32];
    snprintf(statedir, sizeof statedir, "%s/state", s->m->stage_dir);
    s->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (s->ino < 0 || (s->ino_wd = inotify_add_watch(s->ino, statedir, IN_CLOSE_WRITE | IN_MOVED_TO)) < 0 ||
        stdio_relay_open(&s->relay) < 0) {
        rec(s, CELL_STEP_NAMESPACES, CELL_STEP_FAILED, 0, errno, s->b->ns_flags, 0);
        finish_failed(s);
    }
    s->relay_open = true;
    s->runsc = fork_runsc(s, -1, s->m->argv, true);
    int err = errno;
    stdio_relay_forked(&s->relay);
    if (s->runsc < 0) {
        rec(s, CELL_STEP_NAMESPACES, CELL_STEP_FAILED, 0, err, s->b->ns_flags, 0);
        finish_failed(s);
    }
    start_version(s);
}

/* ---- 7, 8. the watch: one handler per thing waited for ------------------------- */

static void on_state(struct mon *s)
{
    char ev[4096];
    while (read(s->ino, ev, sizeof ev) > 0)
        ;
    check_state(s);
}

static void on_version(struct mon *s)
{
    ssize_t r = read(s->version_rd, s->version + s->vlen, sizeof s->version - 1 - s->vlen);
    if (r > 0)
        s->vlen += (size_t)r;
    if (r > 0 && s->vlen < sizeof s->version - 1)
        return;
    close(s->version_rd);
    s->version_rd = -1;
    s->version_done = true;
    /* "runsc version X\nspec: ..." -> "X" */
    s->version[s->vlen] = 0;
    const char *v = strstr(s->version, "runsc version ");
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", v ? v + 14 : "");
    tmp[strcspn(tmp, "\n\t\r")] = 0;
    snprintf(s->version, sizeof s->version, "%s", tmp);
    s->vlen = strlen(s->version);
}

static void on_sync(struct mon *s)
{
    char g = 0;
    ssize_t r = read(s->m->sync_fd, &g, 1);
    if (r == 1 && g == 'g') {
        s->go = true;
        /* runsc waits opening the pid file for writing: let it go */
        s->fifo = openat(s->bundle, "pidfifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (s->fifo < 0)
            kill(s->runsc, SIGKILL);
        check_state(s);
    } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        s->sync_eof = true; /* the supervisor gave up: never start */
        kill(s->runsc, SIGKILL);
    }
}

static void on_fifo(struct mon *s)
{
    char buf[64];
    ssize_t r = read(s->fifo, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        close(s->fifo);
        s->fifo = -1;
    }
}

/* Signals to pass on, and children that ended (runsc's end ends us). */
static void on_signals(struct mon *s)
{
    struct signalfd_siginfo si;
    while (read(s->sfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo != SIGCHLD && s->runsc > 0 && s->go)
            forward(s, (int)si.ssi_signo);
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == s->version_pid) {
            s->version_pid = -1;
        } else if (w == s->runsc) {
            if (s->version_rd >= 0)
                s->version_done = true; /* take what the version process said */
            runsc_ended(s, st);
        }
    }
}

enum {
    PF_SIG,
    PF_STATE,
    PF_VERSION,
    PF_SYNC,
    PF_FIFO,
    PF_RELAY,
    PF_N = PF_RELAY + STDIO_RELAY_POLL
};

static void watch_once(struct mon *s)
{
    if (s->created && s->version_done && !s->hello_sent)
        hello(s);
    struct pollfd pf[PF_N] = {
        [PF_SIG] = { .fd = s->sfd, .events = POLLIN },
        [PF_STATE] = { .fd = s->ino, .events = POLLIN },
        [PF_VERSION] = { .fd = s->version_rd, .events = POLLIN },
        [PF_SYNC] = { .fd = s->hello_sent && !s->go && !s->sync_eof ? s->m->sync_fd : -1, .events = POLLIN },
        [PF_FIFO] = { .fd = s->fifo, .events = POLLIN },
    };
    stdio_relay_poll(&s->relay, pf + PF_RELAY);
    if (poll(pf, PF_N, -1) < 0) {
        if (errno == EINTR)
            return;
        _exit(125);
    }
    stdio_relay_move(&s->relay, pf + PF_RELAY);
    if (pf[PF_STATE].revents)
        on_state(s);
    if (pf[PF_VERSION].revents)
        on_version(s);
    if (pf[PF_SYNC].revents)
        on_sync(s);
    if (pf[PF_FIFO].revents)
        on_fifo(s);
    if (pf[PF_SIG].revents)
        on_signals(s);
}

void gvisor_monitor_main(const struct gvisor_monitor *m)
{
    struct mon s = { .m = m,
                     .b = m->bundle,
                     .p = m->plan,
                     .bundle = -1,
                     .sfd = -1,
                     .ino = -1,
                     .version_rd = -1,
                     .fifo = -1,
                     .runsc = -1,
                     .version_pid = -1,
                     .ino_wd = -1 };
    enter(&s);
    go_private(&s);
    if (s.b->fail_op >= 0 || s.b->exec_err || s.b->cwd_err || s.b->secrets_err)
        precheck_failed(&s);
    stage(&s);
    enter_cgroups(&s);
    setup_network(&s);
    start_runsc(&s);
    for (;;)
        watch_once(&s);
}
