/*
 * bpf_disasm.c - the seccomp BPF disassembler behind `cellc dump`.
 *
 * Comments come from a forward dataflow: for each instruction, what the
 * accumulator and each scratch slot are known to hold on every path
 * reaching it (a seccomp_data field, or unknown). Classic BPF jumps only forward, so one pass in
 * program order computes it. Nothing here trusts the program: out-of-range
 * jumps are printed as they are and simply not followed.
 */
#include "bpf_disasm.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "syscall_table.h"

const char *bpf_audit_arch_name(uint32_t audit_arch)
{
    switch (audit_arch) {
    case AUDIT_ARCH_X86_64: return "x86_64";
    case AUDIT_ARCH_AARCH64: return "aarch64";
    case AUDIT_ARCH_I386: return "i386";
    case AUDIT_ARCH_ARM: return "arm";
    case AUDIT_ARCH_RISCV64: return "riscv64";
    case AUDIT_ARCH_PPC64LE: return "ppc64le";
    case AUDIT_ARCH_S390X: return "s390x";
    default: return NULL;
    }
}

const char *bpf_action_name(uint32_t action, char *buf, size_t n)
{
    uint32_t data = action & SECCOMP_RET_DATA;
    const char *name = NULL;
    switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: name = "KILL_PROCESS"; break;
    case SECCOMP_RET_KILL_THREAD: name = "KILL_THREAD"; break;
    case SECCOMP_RET_TRAP: name = "TRAP"; break;
    case SECCOMP_RET_USER_NOTIF: name = "USER_NOTIF"; break;
    case SECCOMP_RET_TRACE: name = "TRACE"; break;
    case SECCOMP_RET_LOG: name = "LOG"; break;
    case SECCOMP_RET_ALLOW: name = "ALLOW"; break;
    case SECCOMP_RET_ERRNO: {
        const char *en = data ? strerrorname_np((int)data) : NULL;
        if (en)
            snprintf(buf, n, "ERRNO(%u) %s", data, en);
        else
            snprintf(buf, n, "ERRNO(%u)", data);
        return buf;
    }
    default: snprintf(buf, n, "0x%08x", action); return buf;
    }
    if (data)
        snprintf(buf, n, "%s(0x%x)", name, data);
    else
        snprintf(buf, n, "%s", name);
    return buf;
}

const char *bpf_seccomp_data_field(uint32_t k, char *buf, size_t n)
{
    if (k >= 64 || (k & 3))
        return NULL;
    if (k == 0)
        snprintf(buf, n, "nr");
    else if (k == 4)
        snprintf(buf, n, "arch");
    else if (k == 8)
        snprintf(buf, n, "instruction_pointer");
    else if (k == 12)
        snprintf(buf, n, "instruction_pointer_hi");
    else
        snprintf(buf, n, "args[%u]%s", (k - 16) / 8, (k - 16) % 8 ? "_hi" : "");
    return buf;
}

/* What a register holds: a seccomp_data offset, or one of these. */
#define A_UNSET   -2 /* no path reaches this instruction yet */
#define A_UNKNOWN -1

struct regs {
    bool reached;
    int a;     /* accumulator */
    int m[16]; /* scratch slots M[0..15] */
};

static void merge_one(int *slot, int v)
{
    if (*slot != v)
        *slot = A_UNKNOWN;
}

static void merge(struct regs *to, const struct regs *from)
{
    if (!to->reached) {
        *to = *from;
        to->reached = true;
        return;
    }
    merge_one(&to->a, from->a);
    for (int i = 0; i < 16; i++)
        merge_one(&to->m[i], from->m[i]);
}

static int arch_index(uint32_t audit_arch)
{
    for (int a = 0; a < SC_ARCH_COUNT; a++)
        if (sc_arch_audit((enum sc_arch)a) == audit_arch)
            return a;
    return -1;
}

static const char *alu_name(uint16_t op)
{
    switch (op) {
    case BPF_ADD: return "add";
    case BPF_SUB: return "sub";
    case BPF_MUL: return "mul";
    case BPF_DIV: return "div";
    case BPF_MOD: return "mod";
    case BPF_AND: return "and";
    case BPF_OR: return "or";
    case BPF_XOR: return "xor";
    case BPF_LSH: return "lsh";
    case BPF_RSH: return "rsh";
    case BPF_NEG: return "neg";
    default: return NULL;
    }
}

static const char *jmp_name(uint16_t op)
{
    switch (op) {
    case BPF_JA: return "ja";
    case BPF_JEQ: return "jeq";
    case BPF_JGT: return "jgt";
    case BPF_JGE: return "jge";
    case BPF_JSET: return "jset";
    default: return NULL;
    }
}

/* Mnemonic and operands of one instruction into op[]; the comment into
 * cm[] (may stay empty). `a` is what the accumulator holds before it. */
static void one(const struct cp_bpf_insn *in, uint32_t pc, int a, int arch, char *op, size_t on, char *cm,
                size_t cn)
{
    uint16_t c = in->code;
    uint32_t k = in->k;
    char fb[32];
    cm[0] = 0;
    switch (BPF_CLASS(c)) {
    case BPF_LD:
    case BPF_LDX: {
        const char *ld = BPF_CLASS(c) == BPF_LD ? "ld" : "ldx";
        const char *sz = BPF_SIZE(c) == BPF_W ? ""
            : BPF_SIZE(c) == BPF_H            ? "h"
            : BPF_SIZE(c) == BPF_B            ? "b"
                                              : "?";
        switch (BPF_MODE(c)) {
        case BPF_ABS:
            snprintf(op, on, "%s%s [%u]", ld, sz, k);
            if (BPF_SIZE(c) == BPF_W && bpf_seccomp_data_field(k, fb, sizeof fb))
                snprintf(cm, cn, "%s", fb);
            return;
        case BPF_IND: snprintf(op, on, "%s%s [x+%u]", ld, sz, k); return;
        case BPF_LEN: snprintf(op, on, "%s #len", ld); return;
        case BPF_IMM: snprintf(op, on, "%s #0x%x", ld, k); return;
        case BPF_MEM: snprintf(op, on, "%s M[%u]", ld, k); return;
        case BPF_MSH: snprintf(op, on, "ldxb 4*([%u]&0xf)", k); return;
        default: break;
        }
        break;
    }
    case BPF_ST: snprintf(op, on, "st M[%u]", k); return;
    case BPF_STX: snprintf(op, on, "stx M[%u]", k); return;
    case BPF_ALU: {
        const char *n = alu_name(BPF_OP(c));
        if (!n)
            break;
        if (BPF_OP(c) == BPF_NEG)
            snprintf(op, on, "neg");
        else if (BPF_SRC(c) == BPF_X)
            snprintf(op, on, "%s x", n);
        else
            snprintf(op, on, "%s #0x%x", n, k);
        return;
    }
    case BPF_JMP: {
        const char *n = jmp_name(BPF_OP(c));
        if (!n)
            break;
        if (BPF_OP(c) == BPF_JA) {
            snprintf(op, on, "ja %04llu", (unsigned long long)pc + 1 + k);
            return;
        }
        if (BPF_SRC(c) == BPF_X)
            snprintf(op, on, "%s x, %04u, %04u", n, pc + 1 + in->jt, pc + 1 + in->jf);
        else
            snprintf(op, on, "%s #0x%x, %04u, %04u", n, k, pc + 1 + in->jt, pc + 1 + in->jf);
        if (BPF_SRC(c) == BPF_K && a >= 0) {
            const char *what = bpf_seccomp_data_field((uint32_t)a, fb, sizeof fb);
            if (a == 0 && BPF_OP(c) == BPF_JEQ && arch >= 0) {
                const struct sc_syscall *s = sc_by_number((enum sc_arch)arch, (int)k);
                snprintf(cm, cn, "nr == %s", s ? s->name : "?");
            } else if (a == 0 && BPF_OP(c) == BPF_JGE && k == 0x40000000) {
                snprintf(cm, cn, "nr >= x32 syscall bit");
            } else if (a == 4 && BPF_OP(c) == BPF_JEQ && bpf_audit_arch_name(k)) {
                snprintf(cm, cn, "arch == %s", bpf_audit_arch_name(k));
            } else if (what) {
                snprintf(cm, cn, "%s %s 0x%x", what,
                         BPF_OP(c) == BPF_JEQ       ? "=="
                             : BPF_OP(c) == BPF_JGT ? ">"
                             : BPF_OP(c) == BPF_JGE ? ">="
                                                    : "&",
                         k);
            }
        }
        return;
    }
    case BPF_RET:
        if (BPF_RVAL(c) == BPF_A) {
            snprintf(op, on, "ret a");
        } else if (BPF_RVAL(c) == BPF_K) {
            snprintf(op, on, "ret #0x%08x", k);
            bpf_action_name(k, cm, cn);
        } else {
            break;
        }
        return;
    case BPF_MISC:
        if (BPF_MISCOP(c) == BPF_TAX) {
            snprintf(op, on, "tax");
            return;
        }
        if (BPF_MISCOP(c) == BPF_TXA) {
            snprintf(op, on, "txa");
            return;
        }
        break;
    default: break;
    }
    snprintf(op, on, ".word 0x%04x, %u, %u, 0x%x", c, in->jt, in->jf, k);
}

/* The registers after instruction `in`, given `r` before it. */
static struct regs regs_after(const struct cp_bpf_insn *in, struct regs r)
{
    uint16_t c = in->code;
    switch (BPF_CLASS(c)) {
    case BPF_LD:
        if (BPF_MODE(c) == BPF_ABS && BPF_SIZE(c) == BPF_W && in->k < 64 && !(in->k & 3))
            r.a = (int)in->k;
        else if (BPF_MODE(c) == BPF_MEM && in->k < 16)
            r.a = r.m[in->k];
        else
            r.a = A_UNKNOWN;
        break;
    case BPF_ST:
        if (in->k < 16)
            r.m[in->k] = r.a;
        break;
    case BPF_STX:
        if (in->k < 16)
            r.m[in->k] = A_UNKNOWN;
        break;
    case BPF_ALU: r.a = A_UNKNOWN; break;
    case BPF_MISC:
        if (BPF_MISCOP(c) == BPF_TXA)
            r.a = A_UNKNOWN;
        break;
    default: break;
    }
    return r;
}

int bpf_disasm(FILE *f, const struct cp_bpf_insn *insns, size_t count, uint32_t audit_arch,
               const char *indent)
{
    struct regs *acc = count ? calloc(count, sizeof *acc) : NULL;
    if (count && !acc)
        return -1;
    if (count) {
        acc[0].reached = true;
        acc[0].a = A_UNKNOWN;
        for (int i = 0; i < 16; i++)
            acc[0].m[i] = A_UNKNOWN;
    }
    int arch = arch_index(audit_arch);
    int rc = 0;
    for (size_t pc = 0; pc < count; pc++) {
        const struct cp_bpf_insn *in = &insns[pc];
        if (!acc[pc].reached) { /* unreachable: nothing known */
            acc[pc].a = A_UNKNOWN;
            for (int i = 0; i < 16; i++)
                acc[pc].m[i] = A_UNKNOWN;
        }
        int a = acc[pc].a;
        char op[64], cm[96];
        one(in, (uint32_t)pc, a, arch, op, sizeof op, cm, sizeof cm);
        if (cm[0])
            rc |= fprintf(f, "%s%04zu: %-30s ; %s\n", indent ? indent : "", pc, op, cm) < 0;
        else
            rc |= fprintf(f, "%s%04zu: %s\n", indent ? indent : "", pc, op) < 0;

        /* propagate to successors (forward only; out-of-range ignored) */
        struct regs out = regs_after(in, acc[pc]);
        uint16_t c = in->code;
        if (BPF_CLASS(c) == BPF_RET)
            continue;
        if (BPF_CLASS(c) == BPF_JMP && BPF_OP(c) == BPF_JA) {
            if (in->k < count - pc - 1)
                merge(&acc[pc + 1 + in->k], &out);
        } else if (BPF_CLASS(c) == BPF_JMP && jmp_name(BPF_OP(c))) {
            if (pc + 1 + in->jt < count)
                merge(&acc[pc + 1 + in->jt], &out);
            if (pc + 1 + in->jf < count)
                merge(&acc[pc + 1 + in->jf], &out);
        } else if (pc + 1 < count) {
            merge(&acc[pc + 1], &out);
        }
    }
    free(acc);
    return rc ? -1 : 0;
}
