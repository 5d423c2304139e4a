/*
 * cell_seccomp.c - load the plan's compiled seccomp program for this
 * architecture (cell side), with seccomp(2) directly: no libseccomp. The
 * program was checked by the plan reader; USER_NOTIF actions are refused
 * (nothing here would answer the notifications). Natively the kill returns
 * may become USER_NOTIF answered by the supervisor (cell_seccomp_load_notify,
 * cell_side.h): it names the refused call and kills the caller, never
 * letting the call run.
 */
#include "cell_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define CELL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CELL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "CellOS supports x86_64 and aarch64"
#endif

uint32_t cell_audit_arch(void)
{
    return CELL_AUDIT_ARCH;
}

const struct plan_sc_program *cell_seccomp_program(const struct plan *p)
{
    for (size_t i = 0; i < p->seccomp.n_programs; i++)
        if (p->seccomp.programs[i].audit_arch == CELL_AUDIT_ARCH)
            return &p->seccomp.programs[i];
    return NULL;
}

bool cell_seccomp_uses_notify(const struct plan *p)
{
    if ((p->seccomp.default_action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
        return true;
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        if ((p->seccomp.rules[i].action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
            return true;
    return false;
}

int cell_seccomp_load(const struct plan *p, uint32_t *n_insns)
{
    if (cell_seccomp_uses_notify(p)) {
        errno = EOPNOTSUPP;
        return -1;
    }
    const struct plan_sc_program *prog = cell_seccomp_program(p);
    if (!prog || prog->insn_count == 0 || prog->insn_count > BPF_MAXINSNS) {
        errno = ENOEXEC;
        return -1;
    }
    struct sock_fprog fp = {
        .len = (unsigned short)prog->insn_count,
        .filter = (struct sock_filter *)(uintptr_t)prog->insns,
    };
    *n_insns = prog->insn_count;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}

static bool is_kill(uint32_t k)
{
    uint32_t a = k & SECCOMP_RET_ACTION_FULL;
    return a == SECCOMP_RET_KILL_PROCESS || a == SECCOMP_RET_KILL_THREAD;
}

size_t cell_seccomp_notify_program(const struct plan_sc_program *prog, struct cp_bpf_insn *out, size_t cap)
{
    if (!prog || prog->insn_count == 0 || prog->insn_count > BPF_MAXINSNS - CELL_SC_NOTIFY_EXTRA)
        return 0;
    size_t n = prog->insn_count + CELL_SC_NOTIFY_EXTRA;
    if (cap < n)
        return 0;
    bool kills = false;
    for (size_t i = 0; i < prog->insn_count; i++) {
        const struct cp_bpf_insn *in = &prog->insns[i];
        if (BPF_CLASS(in->code) == BPF_RET && BPF_RVAL(in->code) != BPF_K)
            return 0; /* `ret a`: its action is not known here */
        if (BPF_CLASS(in->code) == BPF_RET && is_kill(in->k))
            kills = true;
    }
    if (!kills)
        return 0;
    /* the cell's own execve (cookie in args[3]) notifies; everything else
     * falls through to the plan's program after two instructions */
    const uint32_t off_nr = (uint32_t)offsetof(struct seccomp_data, nr);
    const uint32_t off_a3 = (uint32_t)offsetof(struct seccomp_data, args[3]);
    const uint32_t lo = (uint32_t)(CELL_SC_EXEC_COOKIE & 0xffffffffu),
                   hi = (uint32_t)(CELL_SC_EXEC_COOKIE >> 32);
    const struct cp_bpf_insn pre[CELL_SC_NOTIFY_EXTRA] = {
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, off_nr },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 5, (uint32_t)__NR_execve },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, off_a3 },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 3, lo },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, off_a3 + 4 },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 1, hi },
        { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_USER_NOTIF },
    };
    memcpy(out, pre, sizeof pre);
    for (size_t i = 0; i < prog->insn_count; i++) {
        struct cp_bpf_insn in = prog->insns[i];
        if (BPF_CLASS(in.code) == BPF_RET && is_kill(in.k))
            in.k = SECCOMP_RET_USER_NOTIF;
        out[CELL_SC_NOTIFY_EXTRA + i] = in;
    }
    return n;
}

int cell_seccomp_load_notify(const struct plan *p, uint32_t *n_insns, int *listener)
{
    *listener = -1;
    if (cell_seccomp_uses_notify(p)) {
        errno = EOPNOTSUPP;
        return -1;
    }
    const struct plan_sc_program *prog = cell_seccomp_program(p);
    struct cp_bpf_insn *buf = malloc(BPF_MAXINSNS * sizeof *buf);
    size_t n = buf ? cell_seccomp_notify_program(prog, buf, BPF_MAXINSNS) : 0;
    if (n) {
        struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)(void *)buf };
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
        int err = errno;
        free(buf);
        if (fd >= 0) {
            *n_insns = (uint32_t)n;
            *listener = (int)fd;
            return 0;
        }
        if (err != EBUSY && err != EINVAL && err != ENOSYS) {
            errno = err;
            return -1;
        }
    } else {
        free(buf);
    }
    return cell_seccomp_load(p, n_insns);
}

int cell_seccomp_load_learn(int record_fd, uint32_t *n_insns, int *listener)
{
    const uint32_t off_a0 = (uint32_t)offsetof(struct seccomp_data, args[0]);
    struct sock_filter prog[] = {
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, arch) },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 6, CELL_AUDIT_ARCH },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, nr) },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 4, (uint32_t)__NR_write },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, off_a0 },
        { BPF_JMP | BPF_JEQ | BPF_K, 0, 2, (uint32_t)record_fd },
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, off_a0 + 4 },
        { BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0 },
        { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_USER_NOTIF },
        { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW },
    };
    struct sock_fprog fp = { .len = (unsigned short)(sizeof prog / sizeof *prog), .filter = prog };
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
    if (fd < 0)
        return -1;
    *n_insns = fp.len;
    *listener = (int)fd;
    return 0;
}
