/*
 * oci_sccheck.c - the gVisor backend enforces the plan's normalised seccomp
 * rules (translated to OCI); the native backend loads the plan's compiled
 * x86_64 program. Both are in the plan, and a plan whose two disagree would
 * give a cell different authority on the two backends. Before a gVisor run
 * the rules are checked against the program: for every syscall a rule names,
 * on the boundary values of its conditions (including junk in the high word
 * of 32-bit arguments), and for every other x86_64 syscall number with
 * zero arguments, the first matching rule must give the same action (errno
 * included) as the program. Also here: a classic-BPF interpreter for
 * seccomp programs (the reader already validated them) and the plan's rule
 * semantics (as cellc compiles them: clone3 without a rule is ENOSYS), both
 * used by the unit tests of the OCI translation.
 */
#include "oci.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_NR 512

uint32_t oci_bpf_run(const struct plan_sc_program *prog, const struct oci_sc_data *d)
{
    uint8_t data[64];
    memset(data, 0, sizeof data);
    memcpy(data, &d->nr, 4);
    memcpy(data + 4, &d->arch, 4);
    memcpy(data + 8, &d->ip, 8);
    memcpy(data + 16, d->args, 48);
    uint32_t A = 0, X = 0, M[16] = { 0 };
    uint32_t pc = 0;
    for (uint32_t steps = 0; pc < prog->insn_count && steps < 65536; steps++) {
        const struct cp_bpf_insn *in = &prog->insns[pc++];
        uint32_t k = in->k, w;
        switch (in->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (k > 60)
                return SECCOMP_RET_KILL_PROCESS;
            memcpy(&w, data + k, 4);
            A = w;
            break;
        case BPF_LD | BPF_W | BPF_LEN: A = 64; break;
        case BPF_LDX | BPF_W | BPF_LEN: X = 64; break;
        case BPF_LD | BPF_IMM: A = k; break;
        case BPF_LDX | BPF_IMM: X = k; break;
        case BPF_LD | BPF_MEM: A = M[k & 15]; break;
        case BPF_LDX | BPF_MEM: X = M[k & 15]; break;
        case BPF_ST: M[k & 15] = A; break;
        case BPF_STX: M[k & 15] = X; break;
        case BPF_MISC | BPF_TAX: X = A; break;
        case BPF_MISC | BPF_TXA: A = X; break;
        case BPF_RET | BPF_K: return k;
        case BPF_RET | BPF_A: return A;
        case BPF_JMP | BPF_JA: pc += k; break;
        default:
            if (BPF_CLASS(in->code) == BPF_ALU) {
                uint32_t v = BPF_SRC(in->code) == BPF_X ? X : k;
                switch (BPF_OP(in->code)) {
                case BPF_ADD: A += v; break;
                case BPF_SUB: A -= v; break;
                case BPF_MUL: A *= v; break;
                case BPF_DIV: A = v ? A / v : 0; break;
                case BPF_MOD: A = v ? A % v : 0; break;
                case BPF_OR: A |= v; break;
                case BPF_AND: A &= v; break;
                case BPF_XOR: A ^= v; break;
                case BPF_LSH: A = v < 32 ? A << v : 0; break;
                case BPF_RSH: A = v < 32 ? A >> v : 0; break;
                case BPF_NEG: A = -A; break;
                default: return SECCOMP_RET_KILL_PROCESS;
                }
            } else if (BPF_CLASS(in->code) == BPF_JMP) {
                uint32_t v = BPF_SRC(in->code) == BPF_X ? X : k;
                bool t;
                switch (BPF_OP(in->code)) {
                case BPF_JEQ: t = A == v; break;
                case BPF_JGT: t = A > v; break;
                case BPF_JGE: t = A >= v; break;
                case BPF_JSET: t = (A & v) != 0; break;
                default: return SECCOMP_RET_KILL_PROCESS;
                }
                pc += t ? in->jt : in->jf;
            } else {
                return SECCOMP_RET_KILL_PROCESS;
            }
        }
    }
    return SECCOMP_RET_KILL_PROCESS;
}

static bool cond_holds(const struct plan *p, const struct plan_sc_cond *c, uint64_t arg)
{
    uint64_t wm = c->width == 32 ? 0xffffffffull : ~0ull;
    uint64_t a = arg & wm, v = c->value & wm;
    switch (c->op) {
    case CP_SC_EQ: return a == v;
    case CP_SC_NE: return a != v;
    case CP_SC_LT: return a < v;
    case CP_SC_LE: return a <= v;
    case CP_SC_GT: return a > v;
    case CP_SC_GE: return a >= v;
    case CP_SC_MASKED_EQ: return (a & c->mask) == v;
    case CP_SC_IN:
    case CP_SC_NOT_IN: {
        bool in = false;
        for (uint32_t i = 0; i < c->set_count && !in; i++)
            in = (p->seccomp.values[c->set_first + i] & wm) == a;
        return c->op == CP_SC_IN ? in : !in;
    }
    }
    return false;
}

uint32_t oci_rules_eval(const struct plan *p, const char *name, const uint64_t args[6])
{
    bool named = false;
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (strcmp(r->syscall, name) != 0)
            continue;
        named = true;
        bool all = true;
        for (uint32_t k = 0; k < r->cond_count && all; k++) {
            const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
            all = c->arg < 6 && cond_holds(p, c, args[c->arg]);
        }
        if (all)
            return r->action;
    }
    /* cellc's generator: clone3, whose flags live in memory where a filter
     * cannot look, fails with ENOSYS unless a rule says otherwise (libc
     * then falls back to clone, whose flags the rules can check) */
    if (!named && strcmp(name, "clone3") == 0)
        return SECCOMP_RET_ERRNO | 38;
    return p->seccomp.default_action;
}

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
    struct oci_sc_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
    memcpy(d.args, args, sizeof d.args);
    uint32_t want = oci_rules_eval(p, name, args), got = oci_bpf_run(prog, &d);
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
                    if (cond_holds(p, c, cand[x]))
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
