/*
 * plan_seccomp.h - the meaning of a plan's normalised seccomp rules, by
 * syscall name: rules in written order, first match wins; a condition on a
 * 32-bit argument looks at the low word only; clone3 without a rule of its
 * own fails with ENOSYS (its flags live in memory a filter cannot read, and
 * libc then falls back to clone, whose flags rules can check).
 *
 * The one rule evaluator: the compiler's reference semantics
 * (compiler/seccomp/seccomp_gen_eval.c adds the arch and number mapping),
 * `cellc explain` and the gVisor backend's pre-flight check
 * (runtime/gvisor/oci_sccheck.c) all call it, so they cannot disagree.
 * Value sets are sorted and unique: the plan reader checks that.
 */
#ifndef CELLOS_PLAN_SECCOMP_H
#define CELLOS_PLAN_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* Does condition `c` hold for the argument value `arg`? */
bool plan_sc_cond_holds(const struct plan *p, const struct plan_sc_cond *c, uint64_t arg);

/* The action the plan's rules give syscall `name` with these arguments:
 * the first matching rule's action (its index in *rule, when rule is not
 * NULL), else the plan's default (*rule = -1). */
uint32_t plan_sc_eval_rules(const struct plan *p, const char *name, const uint64_t args[6], int32_t *rule);

#endif
