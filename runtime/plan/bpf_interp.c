/*
 * bpf_interp.c - classic-BPF interpreter, kernel action-cache emulation and
 * longest-path analysis for seccomp programs (see bpf_interp.h).
 *
 * Invariants: never reads outside insns[0..count) or the 64 bytes of
 * seccomp_data; classic BPF jumps are forward only, so a run executes at
 * most `count` instructions and always terminates.
 */
#include "bpf_interp.h"

#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fault(struct bpf_run *run, uint32_t pc, const char *what)
{
    snprintf(run->fault, sizeof run->fault, "insn %u: %s", pc, what);
    run->action = SECCOMP_RET_KILL_PROCESS;
    return -1;
}

static int load_word(const struct seccomp_data *d, uint32_t off, uint32_t *out)
{
    if (off > sizeof *d - 4 || (off & 3))
        return -1;
    memcpy(out, (const unsigned char *)d + off, 4);
    return 0;
}

int bpf_interp_run(const struct cp_bpf_insn *insns, size_t count, const struct seccomp_data *data,
                   struct bpf_run *run)
{
    uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
    size_t pc = 0;
    run->fault[0] = '\0';
    run->executed = 0;
    run->path_len = 0;
    for (;;) {
        if (pc >= count)
            return fault(run, (uint32_t)pc, "ran off the end of the program");
        const struct cp_bpf_insn *in = &insns[pc];
        run->executed++;
        if (run->path && run->path_len < run->path_cap)
            run->path[run->path_len++] = (uint32_t)pc;
        uint32_t k = in->k;
        switch (in->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (load_word(data, k, &A))
                return fault(run, (uint32_t)pc, "load outside seccomp_data");
            break;
        case BPF_LD | BPF_W | BPF_LEN: A = sizeof *data; break;
        case BPF_LDX | BPF_W | BPF_LEN: X = sizeof *data; break;
        case BPF_LD | BPF_IMM: A = k; break;
        case BPF_LDX | BPF_IMM: X = k; break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS)
                return fault(run, (uint32_t)pc, "scratch slot out of range");
            if (in->code == (BPF_LD | BPF_MEM))
                A = M[k];
            else if (in->code == (BPF_LDX | BPF_MEM))
                X = M[k];
            else if (in->code == BPF_ST)
                M[k] = A;
            else
                M[k] = X;
            break;
        case BPF_ALU | BPF_ADD | BPF_K: A += k; break;
        case BPF_ALU | BPF_ADD | BPF_X: A += X; break;
        case BPF_ALU | BPF_SUB | BPF_K: A -= k; break;
        case BPF_ALU | BPF_SUB | BPF_X: A -= X; break;
        case BPF_ALU | BPF_MUL | BPF_K: A *= k; break;
        case BPF_ALU | BPF_MUL | BPF_X: A *= X; break;
        case BPF_ALU | BPF_DIV | BPF_K:
            if (!k)
                return fault(run, (uint32_t)pc, "division by constant 0");
            A /= k;
            break;
        case BPF_ALU | BPF_DIV | BPF_X:
        case BPF_ALU | BPF_MOD | BPF_X:
            if (!X) {
                /* the kernel ends the program returning 0 (KILL_THREAD) */
                run->action = 0;
                return 0;
            }
            A = in->code == (BPF_ALU | BPF_DIV | BPF_X) ? A / X : A % X;
            break;
        case BPF_ALU | BPF_MOD | BPF_K:
            if (!k)
                return fault(run, (uint32_t)pc, "modulo by constant 0");
            A %= k;
            break;
        case BPF_ALU | BPF_AND | BPF_K: A &= k; break;
        case BPF_ALU | BPF_AND | BPF_X: A &= X; break;
        case BPF_ALU | BPF_OR | BPF_K: A |= k; break;
        case BPF_ALU | BPF_OR | BPF_X: A |= X; break;
        case BPF_ALU | BPF_XOR | BPF_K: A ^= k; break;
        case BPF_ALU | BPF_XOR | BPF_X: A ^= X; break;
        case BPF_ALU | BPF_LSH | BPF_K: A = k < 32 ? A << k : 0; break;
        case BPF_ALU | BPF_LSH | BPF_X: A = X < 32 ? A << X : 0; break;
        case BPF_ALU | BPF_RSH | BPF_K: A = k < 32 ? A >> k : 0; break;
        case BPF_ALU | BPF_RSH | BPF_X: A = X < 32 ? A >> X : 0; break;
        case BPF_ALU | BPF_NEG: A = -A; break;
        case BPF_MISC | BPF_TAX: X = A; break;
        case BPF_MISC | BPF_TXA: A = X; break;
        case BPF_RET | BPF_K: run->action = k; return 0;
        case BPF_RET | BPF_A: run->action = A; return 0;
        case BPF_JMP | BPF_JA:
            if ((uint64_t)pc + 1 + k >= count)
                return fault(run, (uint32_t)pc, "jump past the end");
            pc += 1 + (size_t)k;
            continue;
        case BPF_JMP | BPF_JEQ | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_X:
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JGT | BPF_X:
        case BPF_JMP | BPF_JGE | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_X:
        case BPF_JMP | BPF_JSET | BPF_K:
        case BPF_JMP | BPF_JSET | BPF_X: {
            uint32_t v = BPF_SRC(in->code) == BPF_X ? X : k;
            int taken;
            switch (BPF_OP(in->code)) {
            case BPF_JEQ: taken = A == v; break;
            case BPF_JGT: taken = A > v; break;
            case BPF_JGE: taken = A >= v; break;
            default: taken = (A & v) != 0; break;
            }
            pc += 1 + (taken ? in->jt : in->jf);
            continue;
        }
        default: return fault(run, (uint32_t)pc, "opcode not allowed in seccomp");
        }
        pc++;
    }
}

uint32_t bpf_interp_action(const struct cp_bpf_insn *insns, size_t count, const struct seccomp_data *data)
{
    struct bpf_run run = { 0 };
    bpf_interp_run(insns, count, data, &run);
    return run.action;
}

/* Mirrors kernel/seccomp.c seccomp_is_const_allow(): abstract execution
 * where only nr and arch are known; any other load, or an operation the
 * kernel's emulator does not model, makes the result non-constant. */
int bpf_const_allow(const struct cp_bpf_insn *insns, size_t count, uint32_t arch, int nr)
{
    uint32_t A = 0;
    size_t pc = 0;
    while (pc < count) {
        const struct cp_bpf_insn *in = &insns[pc];
        uint32_t k = in->k;
        switch (in->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (k == offsetof(struct seccomp_data, nr))
                A = (uint32_t)nr;
            else if (k == offsetof(struct seccomp_data, arch))
                A = arch;
            else
                return 0;
            pc++;
            break;
        case BPF_RET | BPF_K: return k == SECCOMP_RET_ALLOW;
        case BPF_JMP | BPF_JA: pc += 1 + (size_t)k; break;
        case BPF_JMP | BPF_JEQ | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_K:
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JSET | BPF_K: {
            int taken;
            switch (BPF_OP(in->code)) {
            case BPF_JEQ: taken = A == k; break;
            case BPF_JGE: taken = A >= k; break;
            case BPF_JGT: taken = A > k; break;
            default: taken = (A & k) != 0; break;
            }
            pc += 1 + (taken ? in->jt : in->jf);
            break;
        }
        case BPF_ALU | BPF_AND | BPF_K:
            A &= k;
            pc++;
            break;
        default: return 0;
        }
    }
    return 0;
}

static int is_cond_jump(uint16_t code)
{
    return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

long bpf_longest_path(const struct cp_bpf_insn *insns, size_t count)
{
    if (count == 0)
        return -1;
    long *best = calloc(count, sizeof *best);
    if (!best)
        return -1;
    long result = -1;
    /* best[i] = longest number of instructions executed from i to a return */
    for (size_t j = count; j-- > 0;) {
        const struct cp_bpf_insn *in = &insns[j];
        long v;
        if (BPF_CLASS(in->code) == BPF_RET) {
            v = 1;
        } else if (in->code == (BPF_JMP | BPF_JA)) {
            size_t t = j + 1 + (size_t)in->k;
            if (t >= count || t <= j)
                goto out;
            v = 1 + best[t];
        } else if (is_cond_jump(in->code)) {
            size_t t = j + 1 + in->jt, f = j + 1 + in->jf;
            if (t >= count || f >= count)
                goto out;
            v = 1 + (best[t] > best[f] ? best[t] : best[f]);
        } else {
            if (j + 1 >= count)
                goto out;
            v = 1 + best[j + 1];
        }
        best[j] = v;
    }
    result = best[0];
out:
    free(best);
    return result;
}

#define SRC_NONE  (-1) /* not reached yet */
#define SRC_OTHER (-2) /* ALU result, immediate, scratch memory, X */
#define SRC_MIXED (-3) /* different words on different paths */

static int merge_src(int a, int b)
{
    if (a == SRC_NONE)
        return b;
    return a == b ? a : SRC_MIXED;
}

long bpf_ambiguous_compare(const struct cp_bpf_insn *insns, size_t count)
{
    int *src = malloc((count ? count : 1) * sizeof *src);
    if (!src)
        return -1;
    for (size_t i = 0; i < count; i++)
        src[i] = SRC_NONE;
    long found = -1;
    if (count)
        src[0] = SRC_OTHER;
    for (size_t i = 0; i < count && found < 0; i++) {
        const struct cp_bpf_insn *in = &insns[i];
        int a = src[i];
        if (a == SRC_NONE)
            continue; /* unreachable */
        if (BPF_CLASS(in->code) == BPF_RET)
            continue;
        if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_JA) {
            if (a == SRC_MIXED) {
                found = (long)i;
                break;
            }
            size_t t = i + 1 + in->jt, f = i + 1 + in->jf;
            if (t < count)
                src[t] = merge_src(src[t], a);
            if (f < count)
                src[f] = merge_src(src[f], a);
            continue;
        }
        if (in->code == (BPF_JMP | BPF_JA)) {
            size_t t = i + 1 + (size_t)in->k;
            if (t < count)
                src[t] = merge_src(src[t], a);
            continue;
        }
        int out = in->code == (BPF_LD | BPF_W | BPF_ABS) ? (int)in->k
            : BPF_CLASS(in->code) == BPF_ST || BPF_CLASS(in->code) == BPF_STX ||
                BPF_CLASS(in->code) == BPF_LDX
            ? a
            : SRC_OTHER;
        if (i + 1 < count)
            src[i + 1] = merge_src(src[i + 1], out);
    }
    free(src);
    return found;
}
