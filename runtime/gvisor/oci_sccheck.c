/*
 * oci_sccheck.c - the gVisor backend enforces the plan's normalised seccomp
 * rules (translated to OCI); the native backend loads the plan's compiled
 * x86_64 program. Both are in the plan, and a plan whose two disagree would
 * give a cell different authority on the two backends. Before a gVisor run
 * the rules are checked against the program: for every syscall a rule names,
 * on the boundary values of its conditions (including junk in the high word
 * of 32-bit arguments), and for every other x86_64 syscall number with
 * zero arguments, the first matching rule must give the same action (errno
 * included) as the program. The rules are evaluated and the program run by
 * the same code `cellc explain` and the compiler's oracle tests use
 * (runtime/plan/plan_seccomp.c, runtime/plan/bpf_interp.c).
 */
#include "oci.h"
#include "runtime/plan/bpf_interp.h"
#include "runtime/plan/plan_seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_NR 512

static const struct plan_sc_program *x86_64_program(const struct plan *p)
{
    for (size_t i = 0; i < p->seccomp.n_programs; i++)
        if (p->seccomp.programs[i].audit_arch == AUDIT_ARCH_X86_64)
            return &p->seccomp.programs[i];
    return NULL;
}

static const char *action_text(uint32_t a, char *buf, size_t n)
{
    uint32_t act = a & SECCOMP_RET_ACTION_FULL;
    switch (act) {
    case SECCOMP_RET_ALLOW: return "allow";
    case SECCOMP_RET_LOG: return "log";
    case SECCOMP_RET_KILL_PROCESS: return "kill-process";
    case SECCOMP_RET_KILL_THREAD: return "kill-thread";
    case SECCOMP_RET_TRAP: return "trap";
    case SECCOMP_RET_USER_NOTIF: return "user-notify";
    case SECCOMP_RET_ERRNO: snprintf(buf, n, "errno(%u)", a & SECCOMP_RET_DATA); return buf;
    }
    snprintf(buf, n, "0x%08x", a);
    return buf;
}

/* Values worth trying for one condition: its boundaries, with and without
 * junk in the high word. */
static size_t candidates(const struct plan *p, const struct plan_sc_cond *c, uint64_t *out, size_t max)
{
    size_t n = 0;
#define ADD(x)                                                                                               \
    do {                                                                                                     \
        if (n < max)                                                                                         \
            out[n++] = (x);                                                                                  \
    } while (0)
    uint64_t v = c->value;
    ADD(v);
    ADD(v + 1);
    ADD(v - 1);
    ADD(v | (1ull << 32));
    ADD(v | 0xdead000000000000ull);
    ADD(c->mask);
    ADD(~c->mask);
    ADD(v ^ 1);
    for (uint32_t i = 0; i < c->set_count && i < 16; i++) {
        uint64_t s = p->seccomp.values[c->set_first + i];
        ADD(s);
        ADD(s + 1);
        ADD(s - 1);
        ADD(s | (1ull << 40));
    }
#undef ADD
    return n;
}

static int compare(const struct plan *p, const struct plan_sc_program *prog, const char *name, int nr,
                   const uint64_t args[6], struct cell_error *e)
{
    struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
    memcpy(d.args, args, sizeof d.args);
    uint32_t want = plan_sc_eval_rules(p, name, args, NULL);
    uint32_t got = bpf_interp_action(prog->insns, prog->insn_count, &d);
    if (want == got)
        return 0;
    char b1[32], b2[32];
    return cell_err(e, 0,
                    "seccomp: the plan's rules and its compiled x86_64 program disagree for "
                    "%s(0x%llx, 0x%llx, 0x%llx, ...): the rules say %s, the program %s; the gvisor "
                    "backend enforces the rules, so it refuses this plan",
                    name, (unsigned long long)args[0], (unsigned long long)args[1],
                    (unsigned long long)args[2], action_text(want, b1, sizeof b1),
                    action_text(got, b2, sizeof b2));
}

int oci_seccomp_check(const struct plan *p, struct cell_error *e)
{
    const struct plan_sc_program *prog = x86_64_program(p);
    if (!prog)
        return cell_err(e, 0, "seccomp: the plan has no program for this architecture (audit arch 0x%x)",
                        AUDIT_ARCH_X86_64);
    /* numbers the rules name (checked below) are skipped in the sweep */
    bool named[SWEEP_NR];
    memset(named, 0, sizeof named);
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, r->syscall);
        if (nr == __NR_SCMP_ERROR || nr < 0)
            continue; /* not an x86_64 syscall: the program cannot see it */
        if (nr < SWEEP_NR) {
            if (named[nr])
                continue; /* already checked with its first rule */
            named[nr] = true;
        }
        uint64_t zero[6] = { 0 };
        if (compare(p, prog, r->syscall, nr, zero, e) < 0)
            return -1;
        /* every rule for this syscall: each argument's boundaries alone,
         * then the rule's own conditions satisfied together */
        for (size_t j = i; j < p->seccomp.n_rules; j++) {
            const struct plan_sc_rule *rj = &p->seccomp.rules[j];
            if (strcmp(rj->syscall, r->syscall) != 0 || rj->cond_count == 0)
                continue;
            uint64_t together[6] = { 0 };
            for (uint32_t k = 0; k < rj->cond_count; k++) {
                const struct plan_sc_cond *c = &p->seccomp.conds[rj->cond_first + k];
                if (c->arg >= 6)
                    continue;
                uint64_t cand[96];
                size_t nc = candidates(p, c, cand, 96);
                for (size_t x = 0; x < nc; x++) {
                    uint64_t a[6] = { 0 };
                    a[c->arg] = cand[x];
                    if (compare(p, prog, r->syscall, nr, a, e) < 0)
                        return -1;
                    if (plan_sc_cond_holds(p, c, cand[x]))
                        together[c->arg] = cand[x];
                }
            }
            if (compare(p, prog, r->syscall, nr, together, e) < 0)
                return -1;
        }
    }
    /* everything else gets the default, whatever its number */
    uint64_t zero[6] = { 0 };
    for (int nr = 0; nr < SWEEP_NR; nr++) {
        if (named[nr])
            continue;
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (!name)
            continue;
        int r = compare(p, prog, name, nr, zero, e);
        free(name);
        if (r < 0)
            return -1;
    }
    return 0;
}
