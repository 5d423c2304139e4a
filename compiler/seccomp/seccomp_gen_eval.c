/*
 * seccomp_gen_eval.c - the reference semantics of a plan's seccomp rules,
 * evaluated directly on the normalised rule list (see seccomp_gen.h).
 *
 * This is the specification the generated BPF is tested against: the arch
 * and number checks here, the rules by name in runtime/plan/plan_seccomp.c
 * (shared with the gVisor backend's pre-flight check).
 */
#include "seccomp_gen.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <string.h>

#include "syscall_table_data.h"
#include "runtime/plan/plan_seccomp.h"

#define RET_ENOSYS (SECCOMP_RET_ERRNO | 38u)
#define X32_BIT    0x40000000u

/* The verdict for table entry `s` (rules apply by name). */
static uint32_t by_name(const struct plan *p, const struct sc_syscall *s, const struct seccomp_data *d,
                        int32_t *rule)
{
    return plan_sc_eval_rules(p, s->name, (const uint64_t *)d->args, rule);
}

static uint32_t by_compat(const struct plan *p, const struct sc_compat_nr *list, size_t n, uint32_t nr,
                          const struct seccomp_data *d, int32_t *rule)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].nr == nr)
            return list[i].index >= 0 ? by_name(p, sc_at((size_t)list[i].index), d, rule)
                                      : p->seccomp.default_action;
    return RET_ENOSYS;
}

uint32_t seccomp_eval(const struct plan *p, enum sc_arch arch, const struct seccomp_data *d, int32_t *rule)
{
    int32_t dummy;
    if (!rule)
        rule = &dummy;
    *rule = -1;
    uint32_t nr = (uint32_t)d->nr;
    int x32_ok = (p->seccomp.flags & CP_SC_ALLOW_X32) != 0;
    if (d->arch != sc_arch_audit(arch)) {
        if (arch == SC_ARCH_X86_64 && d->arch == AUDIT_ARCH_I386 && (p->seccomp.flags & CP_SC_ALLOW_I386))
            return nr == 0xffffffffu ? SECCOMP_RET_ALLOW
                                     : by_compat(p, sc_compat_i386, sc_compat_i386_count, nr, d, rule);
        return SECCOMP_RET_KILL_PROCESS;
    }
    if (nr == 0xffffffffu)
        return SECCOMP_RET_ALLOW;
    if (arch == SC_ARCH_X86_64 && (nr & X32_BIT)) {
        if (!x32_ok)
            return SECCOMP_RET_KILL_PROCESS;
        if (nr & 0x80000000u)
            return RET_ENOSYS;
        return by_compat(p, sc_compat_x32, sc_compat_x32_count, nr, d, rule);
    }
    const struct sc_syscall *s = nr <= 0x7fffffffu ? sc_by_number(arch, (int)nr) : NULL;
    if (!s)
        return RET_ENOSYS;
    return by_name(p, s, d, rule);
}
