/*
 * plan_io.c - plan writer and reader throughput (bench/plan_io.sh runs it).
 *
 * For plans of 10, 1,000 and 10,000 seccomp rules (plus as many env vars,
 * mount ops up to 1,000, and a 4,096-instruction program per arch), prints
 * the plan size, the CPU time of plan_write (which includes its validating
 * read), plan_read (validate + decode), and the floor every reader pays:
 * SHA-256 of the same bytes (the reader hashes twice: body, and header +
 * body for the digest). Process CPU time, medians of repeated runs (the
 * build machine is shared); no assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sodium.h>

#include "plan.h"
#include "compiler/plan/plan_writer.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define REPS 31

static const char *const names[] = { "read", "write", "openat", "close", "mmap", "munmap", "brk", "futex",
                                     "ioctl", "fcntl", "lseek", "pread64", "getrandom", "exit_group" };

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static struct cp_bpf_insn prog[4096];
    prog[0] = (struct cp_bpf_insn){ BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 };
    for (int i = 0; i < 2047; i++) {
        prog[1 + 2 * i] = (struct cp_bpf_insn){ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)i };
        prog[2 + 2 * i] = (struct cp_bpf_insn){ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW };
    }
    prog[4095] = (struct cp_bpf_insn){ BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS };

    printf("%-8s %10s %14s %14s %14s %12s\n", "rules", "plan bytes", "plan_write", "plan_read", "sha256 only",
           "read MB/s");
    size_t sizes[] = { 10, 1000, 10000 };
    for (size_t s = 0; s < 3; s++) {
        size_t n = sizes[s], nops = n < 1000 ? n : 1000;
        struct plan p;
        memset(&p, 0, sizeof p);
        p.meta.name = "bench";
        p.meta.source = "bench.cell";
        p.meta.compiler = "cellc bench";
        const char *argv[] = { "/bin/true" };
        p.process.argv = argv;
        p.process.argc = 1;
        p.process.cwd = "/";
        struct plan_env *env = calloc(n, sizeof *env);
        char (*envn)[24] = calloc(n, 24);
        for (size_t i = 0; i < n; i++) {
            snprintf(envn[i], 24, "V%08zu", i);
            env[i].name = envn[i];
            env[i].value = "some value";
        }
        p.process.env = env;
        p.process.n_env = n;
        struct plan_mount_op *ops = calloc(nops + 2, sizeof *ops);
        char (*dirs)[24] = calloc(nops, 24);
        ops[0] = (struct plan_mount_op){ CP_OP_ROOTFS, 0, "", "", 0755, 0, 0 };
        for (size_t i = 0; i < nops; i++) {
            snprintf(dirs[i], 24, "/d%06zu", i);
            ops[1 + i] = (struct plan_mount_op){ CP_OP_MKDIR, 0, "", dirs[i], 0755, 0, (uint32_t)i };
        }
        ops[nops + 1] = (struct plan_mount_op){ CP_OP_PIVOT_ROOT, 0, "", "", 0, 0, 0 };
        p.fs.ops = ops;
        p.fs.n_ops = nops + 2;
        struct plan_sc_rule *rules = calloc(n, sizeof *rules);
        for (size_t i = 0; i < n; i++)
            rules[i] = (struct plan_sc_rule){ names[i % 14], SECCOMP_RET_ALLOW, 0, 0, (uint32_t)i + 1 };
        p.seccomp.rules = rules;
        p.seccomp.n_rules = n;
        p.seccomp.default_action = SECCOMP_RET_KILL_PROCESS;
        struct plan_sc_program progs[2] = { { AUDIT_ARCH_X86_64, 4096, prog }, { AUDIT_ARCH_AARCH64, 4096, prog } };
        p.seccomp.programs = progs;
        p.seccomp.n_programs = 2;

        double tw[REPS], tr[REPS], th[REPS];
        uint8_t *b = NULL;
        size_t len = 0;
        char err[256];
        for (int r = 0; r < REPS; r++) {
            free(b);
            double t0 = now();
            if (plan_write(&p, &b, &len, err, sizeof err) != 0) {
                fprintf(stderr, "plan_write: %s\n", err);
                return 1;
            }
            tw[r] = now() - t0;
            struct plan *q;
            struct plan_error e;
            t0 = now();
            if (plan_read(b, len, &q, &e) != 0) {
                fprintf(stderr, "plan_read: %s\n", e.e.msg);
                return 1;
            }
            tr[r] = now() - t0;
            plan_free(q);
            uint8_t h[32];
            t0 = now();
            crypto_hash_sha256(h, b, len);
            th[r] = now() - t0;
        }
        qsort(tw, REPS, sizeof *tw, cmpd);
        qsort(tr, REPS, sizeof *tr, cmpd);
        qsort(th, REPS, sizeof *th, cmpd);
        printf("%-8zu %10zu %11.1f us %11.1f us %11.1f us %12.0f\n", n, len, tw[REPS / 2] * 1e6,
               tr[REPS / 2] * 1e6, th[REPS / 2] * 1e6, len / tr[REPS / 2] / 1e6);
        free(b);
        free(env);
        free(envn);
        free(ops);
        free(dirs);
        free(rules);
    }
    return 0;
}
