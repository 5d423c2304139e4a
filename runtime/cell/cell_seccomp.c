/*
 * cell_seccomp.c - load the plan's compiled seccomp program for this
 * architecture (cell side), with seccomp(2) directly: no libseccomp. The
 * program was checked by the plan reader; USER_NOTIF actions are refused
 * (nothing here would answer the notifications).
 */
#include "cell_int.h"

#include <errno.h>
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
