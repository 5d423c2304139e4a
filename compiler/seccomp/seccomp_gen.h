/*
 * seccomp_gen.h - compile a plan's normalised seccomp rules to classic BPF.
 *
 * Input: p->seccomp.default_action, flags, rules, conds and values (as the
 * type checker left them: groups expanded, written order kept, every name
 * known). Output: one program per architecture, appended to
 * p->seccomp.programs in ascending audit_arch order. The generator is ours
 * (libseccomp is only the test oracle); its guarantees are documented in
 * docs/seccomp.md.
 */
#ifndef CELLOS_SECCOMP_GEN_H
#define CELLOS_SECCOMP_GEN_H

#include <stddef.h>
#include "plan.h"
#include "syscall_table.h"
#include "runtime/lib/error.h"

#define SC_GEN_MAX_INSNS 4096

struct sc_gen_error {
    struct cell_error e; /* e.msg: one line; names the most expensive rules on overflow */
    uint32_t line;       /* policy line of the main culprit, or 0 */
};

/* Generate and attach programs for every supported arch. The instruction
 * arrays are heap-allocated and owned by the caller (freed with
 * seccomp_gen_free_programs). Returns 0, or -1 with *err filled. */
int seccomp_gen_all(struct plan *p, struct sc_gen_error *err);
void seccomp_gen_free_programs(struct plan *p);

/* The reference semantics, evaluated directly on the rule list (no BPF):
 * the verdict the compiled program for `arch` must give for `d`, as
 * documented in docs/seccomp.md. *rule is set to the index of the deciding
 * rule, or -1 when a default decided (policy default, ENOSYS for unknown
 * numbers and clone3, kill for a foreign arch or x32, allow for nr -1).
 * Used by `cellc explain` and by the tests. The plan must have passed
 * seccomp_gen_all's input checks (names known, slices in range). */
struct seccomp_data;
uint32_t seccomp_eval(const struct plan *p, enum sc_arch arch, const struct seccomp_data *d, int32_t *rule);

#endif
