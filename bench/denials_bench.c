/*
 * denials_bench.c - what the denial listener costs an allowed call
 * (bench/denials.sh): the plan's program beside the one the native cell
 * loads with a listener (cell_seccomp_notify_program: kill returns turned
 * into USER_NOTIF behind a 7-instruction execve prefix), in one run:
 *  1. executed BPF instructions for common allowed calls (bpf_interp);
 *  2. a loop of a cheap allowed call (getppid, else getpid...) timed under each filter, loaded for real in a
 *     forked child (no_new_privs; the listener variant with its listener).
 * Usage: denials_bench PLAN [ITERATIONS]
 */
#include "plan.h"
#include "runtime/cell/cell_side.h"
#include "runtime/plan/bpf_interp.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ns per call nr (argument 1000: no such fd for close) under prog (listener: load with NEW_LISTENER), in a child */
static double time_loop(const struct cp_bpf_insn *insns, size_t n, bool listener, long nr, long iters)
{
    int pp[2];
    if (pipe(pp) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        double r = -1;
        struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)(void *)insns };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
            syscall(SYS_seccomp, 1 /* SET_MODE_FILTER */, listener ? 8u /* NEW_LISTENER */ : 0u, &fp) >= 0) {
            double t0 = now_s();
            for (long i = 0; i < iters; i++)
                syscall(nr, 1000);
            r = (now_s() - t0) * 1e9 / (double)iters;
        }
        if (write(pp[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        _exit(0);
    }
    close(pp[1]);
    double r = -1;
    if (read(pp[0], &r, sizeof r) != (ssize_t)sizeof r)
        r = -1;
    close(pp[0]);
    waitpid(pid, NULL, 0);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: denials_bench PLAN [ITERATIONS]\n");
        return 2;
    }
    long iters = argc > 2 ? atol(argv[2]) : 2000000;
    struct plan *p;
    struct plan_error pe;
    if (plan_read_file(argv[1], &p, &pe) < 0) {
        char buf[700];
        plan_error_format(&pe, argv[1], buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
        return 1;
    }
    const struct plan_sc_program *prog = cell_seccomp_program(p);
    static struct cp_bpf_insn rw[BPF_MAXINSNS];
    size_t rn = cell_seccomp_notify_program(prog, rw, BPF_MAXINSNS);
    if (!prog || !rn) {
        fprintf(stderr, "denials_bench: the plan's program has no kill return to rewrite\n");
        plan_free(p);
        return 1;
    }
    printf("program: plan %u instructions, with listener %zu\n", prog->insn_count, rn);
    printf("%-14s %10s %14s\n", "call", "plan insns", "listener insns");
    static const struct {
        const char *name;
        int nr;
    } calls[] = {
        { "read", SYS_read },       { "write", SYS_write }, { "openat", SYS_openat }, { "mmap", SYS_mmap },
        { "getppid", SYS_getppid }, { "close", SYS_close }, { "execve", SYS_execve },
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        struct seccomp_data d = { .nr = calls[i].nr, .arch = cell_audit_arch(), .args = { 1, 0, 0, 0 } };
        struct bpf_run a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        bpf_interp_run(prog->insns, prog->insn_count, &d, &a);
        bpf_interp_run(rw, rn, &d, &b);
        printf("%-14s %10u %14u%s\n", calls[i].name, a.executed, b.executed,
               (a.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW ? ""
                                                                         : "  (not allowed by the plan)");
    }
    /* the timed call must be one the plan allows (a refused one would wait
     * on the listener): the first of these it allows */
    static const struct {
        const char *name;
        long nr;
    } loop_calls[] = {
        { "getppid", SYS_getppid }, { "getpid", SYS_getpid }, { "getuid", SYS_getuid }, { "close", SYS_close }
    };
    long loop_nr = -1;
    const char *loop_name = NULL;
    for (size_t i = 0; i < sizeof loop_calls / sizeof *loop_calls && loop_nr < 0; i++) {
        struct seccomp_data d = { .nr = (int)loop_calls[i].nr, .arch = cell_audit_arch(), .args = { 1000 } };
        if ((bpf_interp_action(prog->insns, prog->insn_count, &d) & SECCOMP_RET_ACTION_FULL) ==
                SECCOMP_RET_ALLOW &&
            (bpf_interp_action(rw, rn, &d) & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW) {
            loop_nr = loop_calls[i].nr;
            loop_name = loop_calls[i].name;
        }
    }
    if (loop_nr < 0) {
        fprintf(stderr, "denials_bench: the plan allows none of getppid, getpid, getuid, close\n");
        plan_free(p);
        return 1;
    }
    /* alternate the two, three rounds each, and keep the best of each */
    double best_plain = 1e9, best_notify = 1e9;
    for (int r = 0; r < 3; r++) {
        double a = time_loop(prog->insns, prog->insn_count, false, loop_nr, iters);
        double b = time_loop(rw, rn, true, loop_nr, iters);
        if (a > 0 && a < best_plain)
            best_plain = a;
        if (b > 0 && b < best_notify)
            best_notify = b;
    }
    printf("%s loop, %ld calls, best of 3: plan program %.1f ns/call, with listener %.1f ns/call\n",
           loop_name, iters, best_plain, best_notify);
    plan_free(p);
    return 0;
}
