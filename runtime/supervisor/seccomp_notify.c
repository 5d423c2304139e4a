/*
 * seccomp_notify.c - the supervisor's end of the seccomp denial listener
 * (see seccomp_notify.h): take the listener, answer notifications by the
 * plan's own program, name and report a refused call, kill its caller.
 * Names of calls come from libseccomp (cellrun links it); the verdict from
 * the plan's BPF program (bpf_interp) and the deciding rule from the plan's
 * rules (plan_sc_eval_rules), the evaluator `cellc explain` uses.
 */
#include "seccomp_notify.h"
#include "runtime/cell/cell_side.h"
#include "runtime/plan/bpf_interp.h"
#include "runtime/plan/plan_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

void sc_notify_init(struct sc_notify *n)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
}

#define LEARN_MAX_CALLS  512 /* syscall numbers */
#define LEARN_MAX_VALUES 32  /* distinct ioctl requests / socket families kept per call */

struct sc_learnt {
    struct {
        int nr;
        size_t n_vals;
        uint64_t vals[LEARN_MAX_VALUES];
        bool too_many;
    } calls[LEARN_MAX_CALLS];
    size_t n;
    size_t foreign; /* calls of another architecture (not learnt) */
    uint64_t total;
};

void sc_notify_free(struct sc_notify *n)
{
    free(n->learnt);
    n->learnt = NULL;
}

void sc_notify_close(struct sc_notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}

/* The only child of the cell's init: the workload, forked before it
 * loaded its filter. */
static pid_t init_child(pid_t init_pid)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init_pid, (int)init_pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0)
        return -1;
    buf[k] = 0;
    char *end;
    long pid = strtol(buf, &end, 10);
    if (end == buf || pid <= 0 || (*end != ' ' && *end != '\n' && *end != 0))
        return -1;
    return (pid_t)pid;
}

int sc_notify_take(struct sc_notify *n, pid_t init_pid, uint32_t cell_fd, struct cell_error *e)
{
    if (n->fd >= 0)
        return cell_err(e, 0, "seccomp: the cell reported a second listener");
    pid_t w = init_child(init_pid);
    if (w <= 0)
        return cell_err(e, 0, "seccomp: cannot find the workload to take its listener from");
    int pidfd = (int)syscall(SYS_pidfd_open, w, 0);
    if (pidfd < 0)
        return cell_err_sys(e, errno, "seccomp: pidfd_open of the workload %d", (int)w);
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)cell_fd, 0);
    int err = errno;
    close(pidfd);
    if (fd < 0)
        return cell_err_sys(e, err, "seccomp: taking the workload's listener (pidfd_getfd fd %u)", cell_fd);
    char path[64], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t k = readlink(path, target, sizeof target - 1);
    target[k > 0 ? k : 0] = 0;
    if (strcmp(target, "anon_inode:seccomp notify") != 0) {
        close(fd);
        return cell_err(e, 0, "seccomp: the workload's fd %u is not a seccomp listener (%s)", cell_fd,
                        target);
    }
    n->fd = fd;
    n->workload = w;
    return 0;
}

static const char *action_name(uint32_t a)
{
    switch (a & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "kill-process";
    case SECCOMP_RET_KILL_THREAD: return "kill-thread";
    case SECCOMP_RET_TRAP: return "trap";
    case SECCOMP_RET_ERRNO: return "errno";
    case SECCOMP_RET_TRACE: return "trace";
    case SECCOMP_RET_LOG: return "log";
    case SECCOMP_RET_ALLOW: return "allow";
    default: return "user-notif";
    }
}

/* Names for the arguments people meet most; a number otherwise. */
static const char *ioctl_name(uint64_t req)
{
    static const struct {
        uint32_t v;
        const char *n;
    } t[] = {
        { 0x5401, "TCGETS" },         { 0x5402, "TCSETS" },     { 0x5403, "TCSETSW" },
        { 0x5404, "TCSETSF" },        { 0x540e, "TIOCSCTTY" },  { 0x540f, "TIOCGPGRP" },
        { 0x5410, "TIOCSPGRP" },      { 0x5413, "TIOCGWINSZ" }, { 0x5414, "TIOCSWINSZ" },
        { 0x541b, "FIONREAD" },       { 0x5421, "FIONBIO" },    { 0x5451, "FIOCLEX" },
        { 0x5450, "FIONCLEX" },       { 0x5452, "FIOASYNC" },   { 0x80045430, "TIOCGPTN" },
        { 0x40045431, "TIOCSPTLCK" },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (t[i].v == (req & 0xffffffffu))
            return t[i].n;
    return NULL;
}

static const char *family_name(uint64_t f)
{
    switch (f & 0xffffffffu) {
    case 1: return "AF_UNIX";
    case 2: return "AF_INET";
    case 10: return "AF_INET6";
    case 16: return "AF_NETLINK";
    case 17: return "AF_PACKET";
    default: return NULL;
    }
}

static void fmt_arg(char *out, size_t cap, uint64_t v)
{
    if (v < 4096)
        snprintf(out, cap, "%llu", (unsigned long long)v);
    else if (v > 0xfffffffffffff000ull)
        snprintf(out, cap, "%lld", (long long)v);
    else
        snprintf(out, cap, "0x%llx", (unsigned long long)v);
}

/* "name(a0, a1, a2, ...)": three arguments, the request or family named. */
static void fmt_call(char *out, size_t cap, const char *name, const uint64_t a[6])
{
    char s[3][24];
    for (int i = 0; i < 3; i++)
        fmt_arg(s[i], sizeof s[i], a[i]);
    const char *nm = NULL;
    int which = -1;
    if (strcmp(name, "ioctl") == 0)
        nm = ioctl_name(a[1]), which = 1;
    else if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0)
        nm = family_name(a[0]), which = 0;
    if (nm)
        snprintf(s[which], sizeof s[which], "%s", nm);
    snprintf(out, cap, "%s(%s, %s, %s, ...)", name, s[0], s[1], s[2]);
}

static const char *arch_name(uint32_t arch)
{
    switch (arch) {
    case AUDIT_ARCH_X86_64: return "x86_64";
    case AUDIT_ARCH_I386: return "x86";
    case AUDIT_ARCH_AARCH64: return "aarch64";
    case AUDIT_ARCH_ARM: return "arm";
    default: return "unknown";
    }
}

/* Kill the caller (its whole process: SIGKILL is process-wide) if the
 * notification is still pending, so a recycled pid is never hit. */
static void kill_caller(int lfd, uint64_t id, pid_t pid)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        pfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
    if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) {
        if (pfd >= 0)
            syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
        else
            kill(pid, SIGKILL);
    }
    if (pfd >= 0)
        close(pfd);
}

/* The thread group of a thread id (itself when unknown). */
static pid_t tgid_of(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tid;
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0)
        return tid;
    buf[k] = 0;
    const char *t = strstr(buf, "\nTgid:");
    return t ? (pid_t)strtol(t + 6, NULL, 10) : tid;
}

static int deny(struct sc_notify *n, const struct plan *p, const struct seccomp_notif *req, uint32_t verdict,
                struct ev_stream *ev, struct cell_error *e)
{
    pid_t tgid = tgid_of((pid_t)req->pid);
    char *resolved = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
    char name[64];
    snprintf(name, sizeof name, "%s", resolved ? resolved : "");
    free(resolved);
    if (!name[0])
        snprintf(name, sizeof name, "syscall_%d", req->data.nr);
    uint64_t args[6];
    for (int i = 0; i < 6; i++)
        args[i] = req->data.args[i];

    /* which rule decided: the plan's rules by name (as `cellc explain`);
     * where they do not give the program's verdict (another architecture),
     * the program's own verdict is named */
    int32_t rule = -1;
    uint32_t by_rules = plan_sc_eval_rules(p, name, args, &rule);
    bool native = req->data.arch == cell_audit_arch();
    char decided[200];
    uint32_t line = 0;
    const char *act = action_name(verdict);
    if (!native || (by_rules & SECCOMP_RET_ACTION_FULL) != (verdict & SECCOMP_RET_ACTION_FULL)) {
        rule = -1;
        snprintf(decided, sizeof decided, "the filter refuses %s calls; %s", arch_name(req->data.arch), act);
    } else if (rule >= 0) {
        line = p->seccomp.rules[rule].line;
        snprintf(decided, sizeof decided, "matched the rule \"%s %s\"", act, name);
    } else {
        snprintf(decided, sizeof decided, "matched no rule; default %s", act);
    }
    char call[160];
    fmt_call(call, sizeof call, name, args);
    char where[40] = "";
    if (line)
        snprintf(where, sizeof where, " (policy line %u)", line);
    bool main_proc = tgid == n->workload;
    char text[sizeof n->line];
    snprintf(text, sizeof text, "seccomp killed the workload%s: %s %s%s", main_proc ? "" : "'s process", call,
             decided, where);
    if (!n->denied) {
        snprintf(n->line, sizeof n->line, "%s", text);
        n->denied_main = main_proc;
    }
    if (!main_proc)
        fprintf(stderr, "cellrun: %s (pid %d)\n", text, (int)tgid);
    n->denied = true;
    n->n_denied++;

    char argv[6][24];
    for (int i = 0; i < 6; i++)
        snprintf(argv[i], sizeof argv[i], "0x%llx", (unsigned long long)args[i]);
    char argstr[160];
    snprintf(argstr, sizeof argstr, "%s,%s,%s,%s,%s,%s", argv[0], argv[1], argv[2], argv[3], argv[4],
             argv[5]);
    struct ev_kv kv[10];
    size_t k = 0;
    kv[k++] = (struct ev_kv){ .key = "syscall", .type = EV_KV_STR, .s = name };
    kv[k++] = (struct ev_kv){ .key = "nr", .type = EV_KV_INT, .i = req->data.nr };
    kv[k++] = (struct ev_kv){ .key = "arch", .type = EV_KV_STR, .s = arch_name(req->data.arch) };
    kv[k++] = (struct ev_kv){ .key = "args", .type = EV_KV_STR, .s = argstr };
    kv[k++] = (struct ev_kv){ .key = "call", .type = EV_KV_STR, .s = call };
    kv[k++] = (struct ev_kv){ .key = "action", .type = EV_KV_STR, .s = act };
    kv[k++] = (struct ev_kv){ .key = "decidedby", .type = EV_KV_STR, .s = rule >= 0 ? "rule" : "default" };
    if (rule >= 0) {
        kv[k++] = (struct ev_kv){ .key = "rule", .type = EV_KV_INT, .i = rule };
        kv[k++] = (struct ev_kv){ .key = "line", .type = EV_KV_INT, .i = line };
    }
    kv[k++] = (struct ev_kv){ .key = "workloadprocess", .type = EV_KV_BOOL, .b = main_proc };
    /* the event first (it is the record of why), then the kill; a failed
     * event still kills */
    int rc = ev ? ev_seccomp_denied(ev, kv, k, e) : 0;
    kill_caller(n->fd, req->id, (pid_t)req->pid);
    return rc < 0 ? -1 : 1;
}

/* the argument learnt as a predicate, or -1 */
static int learnt_arg(const char *name)
{
    if (strcmp(name, "ioctl") == 0)
        return 1;
    if (strcmp(name, "socket") == 0)
        return 0;
    return -1;
}

static void learn(struct sc_notify *n, const struct seccomp_notif *req)
{
    struct sc_learnt *l = n->learnt;
    if (!l)
        l = n->learnt = calloc(1, sizeof *l);
    if (!l)
        return;
    l->total++;
    if (req->data.arch != cell_audit_arch()) {
        l->foreign++;
        return;
    }
    size_t i = 0;
    while (i < l->n && l->calls[i].nr != req->data.nr)
        i++;
    if (i == l->n) {
        if (l->n == LEARN_MAX_CALLS)
            return;
        l->calls[l->n++].nr = req->data.nr;
    }
    char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
    int a = name ? learnt_arg(name) : -1;
    free(name);
    if (a < 0 || l->calls[i].too_many)
        return;
    uint64_t v = req->data.args[a] & 0xffffffffu;
    for (size_t k = 0; k < l->calls[i].n_vals; k++)
        if (l->calls[i].vals[k] == v)
            return;
    if (l->calls[i].n_vals == LEARN_MAX_VALUES)
        l->calls[i].too_many = true;
    else
        l->calls[i].vals[l->calls[i].n_vals++] = v;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void sc_notify_print_learnt(struct sc_notify *n, FILE *f)
{
    struct sc_learnt *l = n->learnt;
    if (!l) {
        fprintf(f, "cellrun: --learn: no system call was recorded\n");
        return;
    }
    char *names[LEARN_MAX_CALLS];
    size_t nn = 0;
    for (size_t i = 0; i < l->n; i++) {
        char *name = seccomp_syscall_resolve_num_arch(cell_audit_arch(), l->calls[i].nr);
        if (!name)
            continue;
        int a = learnt_arg(name);
        if (a >= 0 && !l->calls[i].too_many) {
            /* a predicate only where every value seen has a name */
            bool named = true;
            for (size_t k = 0; k < l->calls[i].n_vals && named; k++)
                named = (a == 1 ? ioctl_name(l->calls[i].vals[k]) : family_name(l->calls[i].vals[k])) != NULL;
            if (named && l->calls[i].n_vals) {
                free(name);
                continue;
            }
        }
        names[nn++] = name;
    }
    /* what the cell itself needs after the load: the record's write(2),
     * execve(2), exit_group(2) on the exec-failure path (docs/runtime.md) */
    static const char *const cell_own[] = { "write", "execve", "exit_group" };
    for (size_t k = 0; k < sizeof cell_own / sizeof *cell_own; k++) {
        bool have = false;
        for (size_t i = 0; i < nn && !have; i++)
            have = strcmp(names[i], cell_own[k]) == 0;
        if (!have && nn < LEARN_MAX_CALLS) {
            char *d = strdup(cell_own[k]);
            if (d)
                names[nn++] = d;
        }
    }
    qsort(names, nn, sizeof *names, cmp_str);
    fprintf(
        f,
        "cellrun: --learn: %llu system calls recorded (%zu distinct); a syscalls section allowing exactly "
        "those:\n",
        (unsigned long long)l->total, l->n);
    fprintf(f, "syscalls {\n    # learnt by cellrun --learn (%s); one run: review before use\n",
            arch_name(cell_audit_arch()));
    if (l->foreign)
        fprintf(f, "    # %zu calls of another architecture were made and are not allowed here\n",
                l->foreign);
    fprintf(f, "    default kill-process;\n");
    if (nn) {
        fprintf(f, "    allow");
        size_t col = 9;
        for (size_t i = 0; i < nn; i++) {
            size_t w = strlen(names[i]) + 2;
            if (col + w > 100) {
                fprintf(f, "\n         ");
                col = 9;
            }
            fprintf(f, " %s%s", names[i], i + 1 < nn ? "," : ";\n");
            col += w;
            free(names[i]);
        }
    }
    for (size_t i = 0; i < l->n; i++) {
        char *name = seccomp_syscall_resolve_num_arch(cell_audit_arch(), l->calls[i].nr);
        int a = name ? learnt_arg(name) : -1;
        bool named = a >= 0 && !l->calls[i].too_many && l->calls[i].n_vals;
        for (size_t k = 0; named && k < l->calls[i].n_vals; k++)
            named = (a == 1 ? ioctl_name(l->calls[i].vals[k]) : family_name(l->calls[i].vals[k])) != NULL;
        if (named) {
            qsort(l->calls[i].vals, l->calls[i].n_vals, sizeof(uint64_t), cmp_u64);
            fprintf(f, "    allow %s(%s in {", name, a == 1 ? "request" : "domain");
            for (size_t k = 0; k < l->calls[i].n_vals; k++)
                fprintf(f, "%s%s", k ? ", " : "",
                        a == 1 ? ioctl_name(l->calls[i].vals[k]) : family_name(l->calls[i].vals[k]));
            fprintf(f, "});\n");
        }
        free(name);
    }
    fprintf(f, "}\n");
    sc_notify_free(n);
}

int sc_notify_handle(struct sc_notify *n, const struct plan *p, struct ev_stream *ev, struct cell_error *e)
{
    if (n->fd < 0)
        return 0;
    struct seccomp_notif_sizes sz;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
        return cell_err_sys(e, errno, "seccomp: notification sizes");
    size_t nreq =
        sz.seccomp_notif > sizeof(struct seccomp_notif) ? sz.seccomp_notif : sizeof(struct seccomp_notif);
    size_t nresp = sz.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
        ? sz.seccomp_notif_resp
        : sizeof(struct seccomp_notif_resp);
    struct seccomp_notif *req = calloc(1, nreq);
    struct seccomp_notif_resp *resp = calloc(1, nresp);
    int rc = 0;
    if (!req || !resp) {
        rc = cell_err_sys(e, ENOMEM, "seccomp: notification");
        goto out;
    }
    if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
        /* ENOENT: the caller died meanwhile; anything else: nothing to take */
        goto out;
    }
    if (n->learn) {
        /* record and let it run: this run enforces no syscall policy */
        learn(n, req);
        resp->id = req->id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
            rc = cell_err_sys(e, errno, "seccomp: answering a notification");
        goto out;
    }
    const struct plan_sc_program *prog = cell_seccomp_program(p);
    uint32_t verdict =
        prog ? bpf_interp_action(prog->insns, prog->insn_count, &req->data) : SECCOMP_RET_KILL_PROCESS;
    resp->id = req->id;
    switch (verdict & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG: resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; break;
    case SECCOMP_RET_ERRNO: resp->error = -(int32_t)(verdict & SECCOMP_RET_DATA); break;
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD: rc = deny(n, p, req, verdict, ev, e); goto out;
    default: resp->error = -ENOSYS; break; /* trap/trace: never the cell's own execve */
    }
    if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
        rc = cell_err_sys(e, errno, "seccomp: answering a notification");
out:
    free(req);
    free(resp);
    return rc;
}
