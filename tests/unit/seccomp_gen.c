/*
 * seccomp_gen.c - the code generator's guarantees, one by one: safety
 * defaults, argument semantics, the kernel's action cache, no redundant
 * loads, the 4,096-instruction limit and its error, determinism, input
 * validation, the x32/i386 admissions.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "tap.h"
#include "runtime/plan/bpf_check.h"
#include "runtime/plan/bpf_interp.h"
#include "seccomp_policy.h"

#define ENOSYS_RET (SECCOMP_RET_ERRNO | 38u)

static uint32_t run(const struct pol *P, enum sc_arch a, uint32_t arch, uint32_t nr, uint64_t a0,
                    uint64_t a1, uint64_t a2)
{
    const struct plan_sc_program *pr = pol_program(P, a);
    struct seccomp_data d = { .nr = (int)nr, .arch = arch, .args = { a0, a1, a2 } };
    return pr ? bpf_interp_action(pr->insns, pr->insn_count, &d) : 0xdead;
}

static uint32_t sys(const struct pol *P, const char *name, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return run(P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, (uint32_t)sc_lookup(name)->nr[SC_ARCH_X86_64], a0, a1,
               a2);
}

/* A load of the word A already holds, on the only path into it. */
static long redundant_load(const struct cp_bpf_insn *p, size_t n)
{
    int *src = malloc(n * sizeof *src);
    long found = -1;
    for (size_t i = 0; i < n; i++)
        src[i] = -1;                   /* -1 unknown/unreached, -2 mixed */
    for (size_t i = 0; i < n && found < 0; i++) {
        int a = src[i];
        const struct cp_bpf_insn *in = &p[i];
        if (in->code == (BPF_LD | BPF_W | BPF_ABS) && a >= 0 && (uint32_t)a == in->k)
            found = (long)i;
        int out = in->code == (BPF_LD | BPF_W | BPF_ABS) ? (int)in->k : BPF_CLASS(in->code) == BPF_ALU ? -2 : a;
        size_t t[2];
        int nt = 0;
        if (BPF_CLASS(in->code) == BPF_RET)
            continue;
        if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_JA) {
            t[nt++] = i + 1 + in->k;
        } else if (BPF_CLASS(in->code) == BPF_JMP) {
            t[nt++] = i + 1 + in->jt;
            t[nt++] = i + 1 + in->jf;
        } else {
            t[nt++] = i + 1;
        }
        for (int k = 0; k < nt; k++) {
            if (t[k] >= n)
                continue;
            /* first arrival sets, later ones must agree */
            if (src[t[k]] == -1)
                src[t[k]] = out == -1 ? -2 : out;
            else if (src[t[k]] != out)
                src[t[k]] = -2;
        }
    }
    free(src);
    return found;
}

static void defaults(void)
{
    struct pol P;
    struct sc_gen_error err;
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    pol_rule(&P, "read", SECCOMP_RET_ALLOW);
    pol_rule(&P, "kill", SECCOMP_RET_ALLOW);
    pol_cond(&P, 1, CP_SC_EQ, 0, 9, 0);
    pol_rule(&P, "mmap", SECCOMP_RET_ALLOW);
    pol_cond(&P, 1, CP_SC_LE, 0, 0x100000000ull, 0);
    ok(seccomp_gen_all(&P.plan, &err) == 0, "compiles (%s)", err.e.msg);
    is_int(P.plan.seccomp.n_programs, 2, "two programs");
    ok(P.plan.seccomp.programs[0].audit_arch == AUDIT_ARCH_X86_64 &&
       P.plan.seccomp.programs[1].audit_arch == AUDIT_ARCH_AARCH64, "in ascending audit_arch order");
    is_int(sys(&P, "read", 0, 0, 0), SECCOMP_RET_ALLOW, "allowed syscall");
    is_int(sys(&P, "write", 0, 0, 0), SECCOMP_RET_ERRNO | 1, "default for others");
    is_int(sys(&P, "clone3", 0, 0, 0), ENOSYS_RET, "clone3 gets ENOSYS when no rule names it");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 1000, 0, 0, 0), ENOSYS_RET, "unknown number: ENOSYS");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x3fffffff, 0, 0, 0), ENOSYS_RET, "0x3fffffff: ENOSYS");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x40000000, 0, 0, 0), SECCOMP_RET_KILL_PROCESS,
           "x32 read: kill-process");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x7fffffff, 0, 0, 0), SECCOMP_RET_KILL_PROCESS,
           "x32-flagged 0x7fffffff: kill-process");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x80000000, 0, 0, 0), ENOSYS_RET,
           "bit 31 alone: ENOSYS");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0xfffffffe, 0, 0, 0), SECCOMP_RET_KILL_PROCESS,
           "0xfffffffe (bit 30): kill-process");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0xffffffff, 0, 0, 0), SECCOMP_RET_ALLOW,
           "nr -1 (ptrace skip): allow");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_I386, 3, 0, 0, 0), SECCOMP_RET_KILL_PROCESS, "i386: kill-process");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_AARCH64, 63, 0, 0, 0), SECCOMP_RET_KILL_PROCESS,
           "aarch64 on the x86_64 program: kill-process");
    is_int(run(&P, SC_ARCH_AARCH64, AUDIT_ARCH_AARCH64, 63, 0, 0, 0), SECCOMP_RET_ALLOW, "aarch64 read allowed");
    is_int(run(&P, SC_ARCH_AARCH64, AUDIT_ARCH_AARCH64, 0x40000000, 0, 0, 0), ENOSYS_RET,
           "aarch64 has no x32: a big number is ENOSYS");
    is_int(run(&P, SC_ARCH_AARCH64, AUDIT_ARCH_X86_64, 0, 0, 0, 0), SECCOMP_RET_KILL_PROCESS,
           "x86_64 on the aarch64 program: kill-process");
    /* 32-bit argument: low word only */
    is_int(sys(&P, "kill", 1, 9, 0), SECCOMP_RET_ALLOW, "kill(1, 9) allowed");
    is_int(sys(&P, "kill", 1, 0x100000009ull, 0), SECCOMP_RET_ALLOW, "32-bit sig: high word ignored");
    is_int(sys(&P, "kill", 1, 0xffffffff00000009ull, 0), SECCOMP_RET_ALLOW, "sign-extended high word ignored");
    is_int(sys(&P, "kill", 1, 15, 0), SECCOMP_RET_ERRNO | 1, "kill(1, 15) denied");
    /* 64-bit argument: both words */
    is_int(sys(&P, "mmap", 0, 0x100000000ull, 0), SECCOMP_RET_ALLOW, "length 2^32 <= 2^32");
    is_int(sys(&P, "mmap", 0, 0xffffffff, 0), SECCOMP_RET_ALLOW, "length 2^32-1");
    is_int(sys(&P, "mmap", 0, 0x100000001ull, 0), SECCOMP_RET_ERRNO | 1, "length 2^32+1 denied");
    is_int(sys(&P, "mmap", 0, 0x200000000ull, 0), SECCOMP_RET_ERRNO | 1, "length 2^33 denied");
    /* cache constancy: every unconditionally allowed syscall stays constant */
    for (int a = 0; a < SC_ARCH_COUNT; a++) {
        const struct plan_sc_program *pr = pol_program(&P, a);
        int good = 1;
        for (size_t i = 0; sc_at(i); i++) {
            const struct sc_syscall *s = sc_at(i);
            if (s->nr[a] < 0)
                continue;
            int want = strcmp(s->name, "read") == 0;
            if (bpf_const_allow(pr->insns, pr->insn_count, sc_arch_audit(a), s->nr[a]) != want) {
                good = 0;
                diag("%s/%s: const-allow %d, want %d", sc_arch_name(a), s->name, !want, want);
            }
        }
        ok(good, "%s: exactly the unconditionally allowed syscalls are constant for the action cache",
           sc_arch_name(a));
    }
    pol_free(&P);
}

static void cache_many(void)
{
    /* a wide allow list, some argument checks among them */
    struct pol P;
    struct sc_gen_error err;
    pol_init(&P, SECCOMP_RET_KILL_PROCESS);
    const struct sc_group *g = sc_group_lookup("@system-service");
    for (size_t i = 0; g->members[i]; i++) {
        pol_rule(&P, g->members[i], SECCOMP_RET_ALLOW);
        if (i % 17 == 0 && sc_lookup(g->members[i])->nargs)
            pol_cond(&P, 0, CP_SC_NE, 0, 12345, 0);
    }
    ok(seccomp_gen_all(&P.plan, &err) == 0, "@system-service compiles (%s)", err.e.msg);
    for (int a = 0; a < SC_ARCH_COUNT; a++) {
        const struct plan_sc_program *pr = pol_program(&P, a);
        size_t cons = 0, bad = 0;
        for (size_t i = 0; g->members[i]; i++) {
            const struct sc_syscall *s = sc_lookup(g->members[i]);
            if (s->nr[a] < 0)
                continue;
            int uncond = !(i % 17 == 0 && s->nargs);
            int c = bpf_const_allow(pr->insns, pr->insn_count, sc_arch_audit(a), s->nr[a]);
            cons += c;
            bad += c != uncond;
        }
        ok(bad == 0, "%s: %zu unconditionally allowed syscalls all constant, conditional ones not",
           sc_arch_name(a), cons);
        is_int(redundant_load(pr->insns, pr->insn_count), -1, "%s: no load of a word already in A",
               sc_arch_name(a));
        is_int(bpf_ambiguous_compare(pr->insns, pr->insn_count), -1, "%s: every compare sees one word",
               sc_arch_name(a));
    }
    pol_free(&P);
}

static void limit(void)
{
    struct pol P;
    struct sc_gen_error err;
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    uint64_t rng = 12345;
    size_t n = 0;
    for (size_t i = 0; sc_at(i) && n < 300; i++) {
        const struct sc_syscall *s = sc_at(i);
        if (!s->nargs || s->nr[SC_ARCH_X86_64] < 0 || s->nr[SC_ARCH_AARCH64] < 0)
            continue;
        uint64_t v[24];
        for (int k = 0; k < 24; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            v[k] = rng;
        }
        pol_rule(&P, s->name, SECCOMP_RET_ALLOW);
        pol_set(&P, 0, CP_SC_IN, 64, v, 24);
        n++;
    }
    /* one rule much bigger than the rest: it must be named first */
    uint64_t big[400];
    for (int k = 0; k < 400; k++)
        big[k] = (uint64_t)k * 0x100000007ull;
    pol_rule(&P, "ioctl", SECCOMP_RET_ALLOW);
    pol_set(&P, 2, CP_SC_IN, 64, big, 400);
    uint32_t big_line = P.plan.seccomp.rules[P.plan.seccomp.n_rules - 1].line;
    ok(seccomp_gen_all(&P.plan, &err) == -1, "a filter over 4096 instructions is refused");
    ok(strstr(err.e.msg, "4096") && strstr(err.e.msg, "largest rules") && strstr(err.e.msg, "ioctl"),
       "the error names the limit and the costliest rules: %s", err.e.msg);
    is_int(err.line, big_line, "the error's line is the costliest rule's");
    is_int(P.plan.seccomp.n_programs, 0, "no programs attached on error");
    pol_free(&P);
}

static void determinism_and_input(void)
{
    struct pol A, B;
    struct sc_gen_error err;
    for (int k = 0; k < 2; k++) {
        struct pol *P = k ? &B : &A;
        pol_init(P, SECCOMP_RET_ERRNO | 1);
        static const uint64_t req[] = { 0x5401, 0x5402, 0x5413, 0x541b, 0x5451, 0x5452, 0x80045430 };
        pol_rule(P, "ioctl", SECCOMP_RET_ALLOW);
        pol_set(P, 1, CP_SC_IN, 0, req, 7);
        pol_rule(P, "openat", SECCOMP_RET_ALLOW);
        pol_rule(P, "socket", SECCOMP_RET_ALLOW);
        pol_cond(P, 0, CP_SC_NE, 0, 40, 0);
        seccomp_gen_all(&P->plan, &err);
    }
    int same = A.plan.seccomp.n_programs == 2 && B.plan.seccomp.n_programs == 2;
    for (int a = 0; same && a < 2; a++)
        same = A.plan.seccomp.programs[a].insn_count == B.plan.seccomp.programs[a].insn_count &&
               memcmp(A.plan.seccomp.programs[a].insns, B.plan.seccomp.programs[a].insns,
                      A.plan.seccomp.programs[a].insn_count * sizeof(struct cp_bpf_insn)) == 0;
    ok(same, "equal input gives identical programs");
    ok(seccomp_gen_all(&A.plan, &err) == -1 && strstr(err.e.msg, "already"),
       "compiling twice is refused: %s", err.e.msg);
    pol_free(&A);
    pol_free(&B);

    struct pol P;
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    pol_rule(&P, "no_such_call", SECCOMP_RET_ALLOW);
    ok(seccomp_gen_all(&P.plan, &err) == -1 && strstr(err.e.msg, "no_such_call") && err.line == 1,
       "unknown syscall refused with its line: %s", err.e.msg);
    pol_free(&P);
    pol_init(&P, SECCOMP_RET_ERRNO | 0);
    ok(seccomp_gen_all(&P.plan, &err) == -1 && strstr(err.e.msg, "default action"),
       "invalid default action refused: %s", err.e.msg);
    pol_free(&P);
    pol_init(&P, SECCOMP_RET_ALLOW);
    pol_rule(&P, "read", SECCOMP_RET_TRACE);
    ok(seccomp_gen_all(&P.plan, &err) == -1 && strstr(err.e.msg, "not valid"), "TRACE refused: %s",
       err.e.msg);
    pol_free(&P);
    pol_init(&P, SECCOMP_RET_ALLOW);
    pol_rule(&P, "read", SECCOMP_RET_ALLOW);
    pol_set(&P, 0, CP_SC_IN, 32, (const uint64_t[]){ 3, 1 }, 2);
    P.plan.seccomp.values[0] = 3;   /* unsort the set behind the helper's back */
    P.plan.seccomp.values[1] = 1;
    ok(seccomp_gen_all(&P.plan, &err) == -1 && strstr(err.e.msg, "sorted"), "unsorted set refused: %s",
       err.e.msg);
    pol_free(&P);
}

static void compat(void)
{
    struct pol P;
    struct sc_gen_error err;
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    P.plan.seccomp.flags = CP_SC_ALLOW_X32 | CP_SC_ALLOW_I386;
    pol_rule(&P, "read", SECCOMP_RET_ALLOW);
    pol_rule(&P, "rt_sigaction", SECCOMP_RET_ALLOW);
    ok(seccomp_gen_all(&P.plan, &err) == 0, "x32 and i386 admitted (%s)", err.e.msg);
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x40000000, 0, 0, 0), SECCOMP_RET_ALLOW,
           "x32 read follows the read rule");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x40000200, 0, 0, 0), SECCOMP_RET_ALLOW,
           "x32 rt_sigaction (512) follows the rt_sigaction rule");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x4000000d, 0, 0, 0), ENOSYS_RET,
           "x32 has no 13: ENOSYS");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_X86_64, 0x40000001, 0, 0, 0), SECCOMP_RET_ERRNO | 1,
           "x32 write: default");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_I386, 3, 0, 0, 0), SECCOMP_RET_ALLOW, "i386 read (3) allowed");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_I386, 102, 0, 0, 0), SECCOMP_RET_ERRNO | 1,
           "i386 socketcall: default");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_I386, 5000, 0, 0, 0), ENOSYS_RET, "i386 unknown: ENOSYS");
    is_int(run(&P, SC_ARCH_X86_64, AUDIT_ARCH_ARM, 3, 0, 0, 0), SECCOMP_RET_KILL_PROCESS, "arm: kill-process");
    pol_free(&P);

    pol_init(&P, SECCOMP_RET_ALLOW);
    P.plan.seccomp.flags = CP_SC_ALLOW_I386;
    pol_rule(&P, "socket", SECCOMP_RET_ERRNO | 1);
    ok(seccomp_gen_all(&P.plan, &err) == -1 && strstr(err.e.msg, "i386"),
       "i386 with an allowing default refused: %s", err.e.msg);
    pol_free(&P);
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    P.plan.seccomp.flags = CP_SC_ALLOW_I386;
    pol_rule(&P, "socket", SECCOMP_RET_ALLOW);
    pol_cond(&P, 0, CP_SC_EQ, 0, 1, 0);
    ok(seccomp_gen_all(&P.plan, &err) == -1 && strstr(err.e.msg, "i386") && err.line == 1,
       "i386 with argument conditions refused: %s", err.e.msg);
    pol_free(&P);
}

static void trampolines(void)
{
    /* a program far over 255 instructions: far jumps must still be right */
    struct pol P;
    struct sc_gen_error err;
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    uint64_t v[300];
    for (int k = 0; k < 300; k++)
        v[k] = 0x1000 + (uint64_t)k * 7;
    pol_rule(&P, "ioctl", SECCOMP_RET_ALLOW);
    pol_set(&P, 1, CP_SC_IN, 0, v, 300);
    pol_rule(&P, "fcntl", SECCOMP_RET_ALLOW);
    pol_set(&P, 1, CP_SC_IN, 0, v, 150);
    for (size_t i = 0; sc_at(i); i += 3)
        if (strcmp(sc_at(i)->name, "ioctl") && strcmp(sc_at(i)->name, "fcntl"))
            pol_rule(&P, sc_at(i)->name, SECCOMP_RET_ALLOW);
    ok(seccomp_gen_all(&P.plan, &err) == 0, "large program compiles (%s)", err.e.msg);
    const struct plan_sc_program *pr = pol_program(&P, SC_ARCH_X86_64);
    struct bpf_check_error be;
    ok(pr->insn_count > 600 && bpf_check_seccomp(pr->insns, pr->insn_count, &be) == 0,
       "%u instructions, passes the kernel's checks", pr->insn_count);
    int good = 1;
    for (uint64_t x = 0xff0; x < 0x1000 + 300 * 7 + 10; x++) {
        int member = x >= 0x1000 && (x - 0x1000) % 7 == 0 && (x - 0x1000) / 7 < 300;
        uint32_t want = member ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | 1;
        if (sys(&P, "ioctl", 0, x, 0) != want)
            good = 0;
    }
    ok(good, "every ioctl value in and around the set decided right");
    long worst = bpf_longest_path(pr->insns, pr->insn_count);
    ok(worst > 0 && worst < 40, "longest path %ld stays logarithmic", worst);
    pol_free(&P);
}

static void size_mode(void)
{
    /* 2,400 argument rules: too big for the shortest-path shape, compiled
     * in size mode; still exact */
    struct pol P;
    struct sc_gen_error err;
    pol_init(&P, SECCOMP_RET_ERRNO | 1);
    size_t made = 0;
    for (size_t i = 0; sc_at(i) && made < 2400; i++) {
        const struct sc_syscall *s = sc_at(i);
        if (!s->nargs || s->nr[SC_ARCH_X86_64] < 0)
            continue;
        for (int k = 0; k < 8; k++, made++) {
            pol_rule(&P, s->name, SECCOMP_RET_ALLOW);
            pol_cond(&P, 0, CP_SC_EQ, 0, (uint64_t)(i * 131 + (size_t)k * 7919) & 0xffffffu, 0);
        }
    }
    ok(seccomp_gen_all(&P.plan, &err) == 0, "2,400 argument rules compile (%s)", err.e.msg);
    const struct plan_sc_program *pr = pol_program(&P, SC_ARCH_X86_64);
    ok(pr && pr->insn_count <= 4096, "and fit the kernel's limit (%u instructions)", pr ? pr->insn_count : 0);
    int good = 1;
    for (size_t r = 0; pr && r < P.plan.seccomp.n_rules; r++) {
        const struct plan_sc_rule *ru = &P.plan.seccomp.rules[r];
        uint64_t v = P.plan.seccomp.conds[ru->cond_first].value;
        if (sys(&P, ru->syscall, v, 0, 0) != SECCOMP_RET_ALLOW)
            good = 0;
        struct seccomp_data d = { .nr = sc_lookup(ru->syscall)->nr[SC_ARCH_X86_64], .arch = AUDIT_ARCH_X86_64,
                                  .args = { v + 1 } };
        if (bpf_interp_action(pr->insns, pr->insn_count, &d) != seccomp_eval(&P.plan, SC_ARCH_X86_64, &d, NULL))
            good = 0;
    }
    ok(good, "every rule's value allowed, its neighbour decided as the reference says");
    pol_free(&P);
}

int main(void)
{
    defaults();
    size_mode();
    cache_many();
    limit();
    determinism_and_input();
    compat();
    trampolines();
    return done_testing();
}
