/*
 * bpf_check.c - classic-BPF validation for seccomp programs.
 *
 * Mirrors the kernel's checks (net/core/filter.c bpf_check_classic and
 * kernel/seccomp.c seccomp_check_filter) so that a program accepted here is
 * accepted by seccomp(2): the opcode whitelist of seccomp, bounded jumps,
 * shift and division constants, scratch memory initialised before use on
 * every path, seccomp_data loads aligned and in bounds, a final return.
 * On top, a constant return must be an action the plan format allows.
 * Pure function of its input; reads only insns[0 .. count).
 */
#include "bpf_check.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>

static int fail(struct bpf_check_error *err, uint32_t insn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct bpf_check_error *err, uint32_t insn, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->insn = insn;
        vsnprintf(err->e.msg, sizeof err->e.msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

bool bpf_seccomp_action_valid(uint32_t action)
{
    uint32_t data = action & SECCOMP_RET_DATA;
    switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_TRAP:
    case SECCOMP_RET_USER_NOTIF:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_ALLOW: return data == 0;
    case SECCOMP_RET_ERRNO: return data >= 1 && data <= 4095;
    default: return false;
    }
}

/* The opcodes seccomp_check_filter lets through (after its rewrites of the
 * seccomp_data loads), i.e. a subset of what bpf_check_classic allows. */
static bool seccomp_opcode_allowed(uint16_t code)
{
    switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X: return true;
    default: return false;
    }
}

int bpf_check_seccomp(const struct cp_bpf_insn *insns, size_t count, struct bpf_check_error *err)
{
    if (count == 0)
        return fail(err, 0, "program is empty");
    if (count > BPF_CHECK_MAX_INSNS)
        return fail(err, (uint32_t)BPF_CHECK_MAX_INSNS, "program has %zu instructions, more than %u", count,
                    BPF_CHECK_MAX_INSNS);

    /* masks[pc]: scratch slots written on every path reaching pc. Jumps go
     * forward only, so one pass in program order is a complete dataflow. */
    uint16_t masks[BPF_CHECK_MAX_INSNS];
    for (size_t i = 0; i < count; i++)
        masks[i] = 0xffff;
    uint16_t memvalid = 0;

    for (uint32_t pc = 0; pc < count; pc++) {
        const struct cp_bpf_insn *in = &insns[pc];
        uint16_t code = in->code;
        uint32_t k = in->k;
        memvalid &= masks[pc];

        if (!seccomp_opcode_allowed(code))
            return fail(err, pc, "opcode 0x%04x is not allowed in a seccomp program", code);

        /* jt/jf are meaningful only for conditional jumps. */
        bool cond_jump = BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
        if (!cond_jump && (in->jt || in->jf))
            return fail(err, pc, "opcode 0x%04x has nonzero jump offsets %u/%u", code, in->jt, in->jf);

        switch (BPF_CLASS(code)) {
        case BPF_LD:
        case BPF_LDX:
            if (BPF_MODE(code) == BPF_ABS) {
                if (k >= BPF_SECCOMP_DATA_SIZE || (k & 3))
                    return fail(err, pc, "load of seccomp_data offset %u is %s", k,
                                k >= BPF_SECCOMP_DATA_SIZE ? "beyond its 64 bytes" : "not 4-byte aligned");
            } else if (BPF_MODE(code) == BPF_MEM) {
                if (k >= BPF_MEMWORDS)
                    return fail(err, pc, "scratch slot %u is out of range (0..15)", k);
                if (!(memvalid & (1u << k)))
                    return fail(err, pc, "scratch slot %u may be read before it is written", k);
            } else if (BPF_MODE(code) == BPF_LEN && k != 0) {
                return fail(err, pc, "length load has nonzero k %u", k);
            }
            break;
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS)
                return fail(err, pc, "scratch slot %u is out of range (0..15)", k);
            memvalid |= (uint16_t)(1u << k);
            break;
        case BPF_ALU:
            if (BPF_OP(code) == BPF_DIV && BPF_SRC(code) == BPF_K && k == 0)
                return fail(err, pc, "division by constant 0");
            if ((BPF_OP(code) == BPF_LSH || BPF_OP(code) == BPF_RSH) && BPF_SRC(code) == BPF_K && k >= 32)
                return fail(err, pc, "shift by %u (must be < 32)", k);
            break;
        case BPF_JMP:
            if (BPF_OP(code) == BPF_JA) {
                if (k >= count - pc - 1)
                    return fail(err, pc, "ja +%u lands past the end (%zu insns)", k, count);
                masks[pc + 1 + k] &= memvalid;
            } else {
                if (pc + 1u + in->jt >= count)
                    return fail(err, pc, "jump-if-true +%u lands past the end (%zu insns)", in->jt, count);
                if (pc + 1u + in->jf >= count)
                    return fail(err, pc, "jump-if-false +%u lands past the end (%zu insns)", in->jf, count);
                masks[pc + 1 + in->jt] &= memvalid;
                masks[pc + 1 + in->jf] &= memvalid;
            }
            memvalid = 0xffff;
            break;
        case BPF_RET:
            if (BPF_RVAL(code) == BPF_K && !bpf_seccomp_action_valid(k))
                return fail(err, pc, "ret #0x%08x is not a valid seccomp action", k);
            /* Like the kernel, keep memvalid: an instruction after a return
             * is reached only by jumps, and is checked at least as strictly. */
            break;
        default: break;
        }
    }
    uint16_t last = insns[count - 1].code;
    if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
        return fail(err, (uint32_t)(count - 1), "last instruction (opcode 0x%04x) is not a return", last);
    return 0;
}
