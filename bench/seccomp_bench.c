/*
 * seccomp_bench.c - our seccomp code generator side by side with
 * libseccomp's tree mode (SCMP_FLTATR_CTL_OPTIMIZE 2) and its default
 * linear mode, on the same rules, in one run (bench/seccomp.sh).
 *
 *   seccomp_bench DOCKER.plan
 *
 * 1. docker-default (the plan compiled from policies/docker-default.cell):
 *    program size and executed instructions on the worst path, x86_64
 *    (x32 check included): the static longest path, and the most executed
 *    over the samples of tests/unit/seccomp_samples.h.
 * 2. ioctl(request in S) for |S| = 200 and 1,000: executed instructions of
 *    the worst ioctl call, for uniformly random 32-bit requests (no
 *    structure to exploit) and for driver-like requests (_IOC numbers
 *    clustered by type, as real ioctl allow-lists are).
 * 3. N argument rules, N/8 syscalls x 8 values (`allow sys(arg0 == v)`,
 *    one rule each): compile time (best of several runs; ours compiles both
 *    arches, libseccomp one), program size, and the growth with N.
 */
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/plan/bpf_interp.h"
#include "plan.h"
#include "compiler/seccomp/seccomp_gen.h"
#include "seccomp_oracle.h"
#include "seccomp_policy.h"
#include "seccomp_samples.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Most instructions executed over the samples (only calls of `nr` when >= 0). */
static uint32_t worst_run(const struct cp_bpf_insn *p, size_t n, const struct samples *S, int nr)
{
    uint32_t worst = 0;
    for (size_t i = 0; i < S->n; i++) {
        if (nr >= 0 && S->d[i].nr != nr)
            continue;
        struct bpf_run r = { 0 };
        bpf_interp_run(p, n, &S->d[i], &r);
        if (r.executed > worst)
            worst = r.executed;
    }
    return worst;
}

static const struct plan_sc_program *x86(const struct plan *p)
{
    for (size_t i = 0; i < p->seccomp.n_programs; i++)
        if (p->seccomp.programs[i].audit_arch == AUDIT_ARCH_X86_64)
            return &p->seccomp.programs[i];
    return NULL;
}

static void row(const char *who, size_t insns, long longest, uint32_t measured)
{
    printf("  %-28s %6zu insns   worst path %3ld (static)  %3u (measured)\n", who, insns, longest, measured);
}

static int docker(const char *path)
{
    struct plan *p;
    struct plan_error perr;
    if (plan_read_file(path, &p, &perr)) {
        fprintf(stderr, "seccomp_bench: %s: %s\n", path, perr.e.msg);
        return 1;
    }
    int generated = 0;
    if (!p->seccomp.n_programs) {
        struct sc_gen_error e;
        if (seccomp_gen_all(p, &e)) {
            fprintf(stderr, "seccomp_bench: %s\n", e.e.msg);
            plan_free(p);
            return 1;
        }
        generated = 1;
    }
    const struct plan_sc_program *ours = x86(p);
    struct samples S = { 0 };
    samples_for(p, SC_ARCH_X86_64, 7, &S);
    printf("== docker-default, x86_64 (%zu samples; goal: <= 90 insns, <= 12 executed)\n", S.n);
    row("cellos", ours->insn_count, bpf_longest_path(ours->insns, ours->insn_count),
        worst_run(ours->insns, ours->insn_count, &S, -1));
    for (int tree = 1; tree >= 0; tree--) {
        struct cp_bpf_insn *lib;
        size_t n;
        if (oracle_build(p, SC_ARCH_X86_64, tree, 0, 100000, &lib, &n) == 0) {
            row(tree ? "libseccomp 2.5.4 tree" : "libseccomp 2.5.4 linear", n, bpf_longest_path(lib, n),
                worst_run(lib, n, &S, -1));
            free(lib);
        }
    }
    samples_free(&S);
    if (generated)
        seccomp_gen_free_programs(p);
    plan_free(p);
    return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    return xrand(&rng_state);
}

static void ioctl_policy(struct pol *P, const uint64_t *v, size_t n)
{
    static const char *const base[] = { "read", "write", "openat", "close", "fstat", "mmap", "mprotect",
                                        "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "exit_group",
                                        "futex", "getpid", "poll", "lseek", NULL };
    pol_init(P, SECCOMP_RET_ERRNO | 1);
    for (int i = 0; base[i]; i++)
        pol_rule(P, base[i], SECCOMP_RET_ALLOW);
    pol_rule(P, "ioctl", SECCOMP_RET_ALLOW);
    pol_set(P, 1, CP_SC_IN, 32, v, n);
}

static void ioctl_sets(void)
{
    printf("== ioctl(request in S): executed instructions of the worst ioctl call, x86_64\n"
           "   (goal: 200 values <= 14, 1,000 values <= 16)\n");
    static const size_t sizes[] = { 200, 1000 };
    for (int kind = 0; kind < 2; kind++) {
        for (int si = 0; si < 2; si++) {
            size_t n = sizes[si];
            uint64_t *v = malloc(n * sizeof *v);
            for (size_t i = 0; i < n; i++) {
                if (kind == 0) {
                    v[i] = rnd() & 0xffffffffu;
                } else {
                    /* _IOC(dir, type, nr, size): a few driver types, dense nr */
                    static const uint32_t types[] = { 'T', 'V', 'f', 0xAE, 'X', 'd', 'U', 'b' };
                    uint32_t dir = (uint32_t)(rnd() % 4), size = (uint32_t)(rnd() % 3) * 4;
                    v[i] = dir << 30 | size << 16 | types[i % 8] << 8 | (uint32_t)((i / 8) & 0xff);
                }
            }
            struct pol P;
            ioctl_policy(&P, v, n);
            struct sc_gen_error e;
            if (seccomp_gen_all(&P.plan, &e)) {
                printf("  error: %s\n", e.e.msg);
                pol_free(&P);
                free(v);
                continue;
            }
            struct samples S = { 0 };
            samples_for(&P.plan, SC_ARCH_X86_64, 3, &S);
            int nr = sc_lookup("ioctl")->nr[SC_ARCH_X86_64];
            const struct plan_sc_program *ours = pol_program(&P, SC_ARCH_X86_64);
            printf("  %-12s %5zu values  cellos %3u (%zu insns)", kind ? "driver-like" : "random", n,
                   worst_run(ours->insns, ours->insn_count, &S, nr), (size_t)ours->insn_count);
            for (int tree = 1; tree >= 0; tree--) {
                struct cp_bpf_insn *lib;
                size_t ln;
                if (oracle_build(&P.plan, SC_ARCH_X86_64, tree, 0, 100000, &lib, &ln) == 0) {
                    printf("   libseccomp %s %4u (%zu insns)", tree ? "tree" : "linear", worst_run(lib, ln, &S, nr),
                           ln);
                    free(lib);
                }
            }
            printf("\n");
            samples_free(&S);
            pol_free(&P);
            free(v);
        }
    }
}

/* N rules: N/8 syscalls (those with an argument, on x86_64) x 8 values. */
static void arg_rules(struct pol *P, size_t nrules)
{
    pol_init(P, SECCOMP_RET_ERRNO | 1);
    size_t made = 0;
    for (size_t i = 0; sc_at(i) && made < nrules; i++) {
        const struct sc_syscall *s = sc_at(i);
        if (!s->nargs || s->nr[SC_ARCH_X86_64] < 0)
            continue;
        for (int k = 0; k < 8 && made < nrules; k++, made++) {
            pol_rule(P, s->name, SECCOMP_RET_ALLOW);
            pol_cond(P, 0, CP_SC_EQ, 0, (uint64_t)(i * 131 + (size_t)k * 7919) & 0xffffffu, 0);
        }
    }
}

static double time_ours(size_t nrules, int reps, size_t *insns, int *fits)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        struct pol P;
        arg_rules(&P, nrules);
        struct sc_gen_error e;
        double t0 = now_ms();
        int rc = seccomp_gen_all(&P.plan, &e);
        double t = now_ms() - t0;
        if (t < best)
            best = t;
        *fits = rc == 0;
        if (rc == 0)
            *insns = pol_program(&P, SC_ARCH_X86_64)->insn_count;
        else
            printf("  cellos error: %s\n", e.e.msg);
        pol_free(&P);
    }
    return best;
}

static double time_lib(size_t nrules, int tree, size_t *insns)
{
    struct pol P;
    arg_rules(&P, nrules);
    struct cp_bpf_insn *lib = NULL;
    size_t n = 0;
    double t0 = now_ms();
    int rc = oracle_build(&P.plan, SC_ARCH_X86_64, tree, 0, 1000000, &lib, &n);
    double t = now_ms() - t0;
    *insns = rc == 0 ? n : 0;
    free(lib);
    pol_free(&P);
    return rc == 0 ? t : -1;
}

static void compile_time(int with_lib_max)
{
    printf("== argument rules: N/8 syscalls x 8 values, one `allow sys(arg0 == v)` rule each\n"
           "   (goal: 2,400 rules compile in <= 5 ms and fit 4,096; growth linear)\n");
    printf("  %6s  %-26s %-26s %-26s\n", "rules", "cellos (2 arches)", "libseccomp tree (x86_64)",
           "libseccomp linear (x86_64)");
    static const size_t ns[] = { 300, 600, 1200, 2400 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        size_t oi = 0, ti = 0, li = 0;
        int fits = 0;
        double ours = time_ours(ns[i], 15, &oi, &fits);
        char a[64], b[64], c[64];
        snprintf(a, sizeof a, "%7.2f ms %5zu insns%s", ours, oi, fits ? "" : " (over)");
        if ((int)ns[i] <= with_lib_max) {
            double t = time_lib(ns[i], 1, &ti), l = time_lib(ns[i], 0, &li);
            snprintf(b, sizeof b, "%8.1f ms %6zu insns", t, ti);
            snprintf(c, sizeof c, "%8.1f ms %6zu insns", l, li);
        } else {
            snprintf(b, sizeof b, "(skipped)");
            snprintf(c, sizeof c, "(skipped)");
        }
        printf("  %6zu  %-26s %-26s %-26s\n", ns[i], a, b, c);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: seccomp_bench DOCKER.plan [LIBSECCOMP_MAX_RULES]\n");
        return 2;
    }
    if (docker(argv[1]))
        return 1;
    ioctl_sets();
    compile_time(argc > 2 ? atoi(argv[2]) : 2400);
    return 0;
}
