/*
 * seccomp_policy.h - build the seccomp part of a struct plan in C, for the
 * seccomp tests and benchmarks (header-only).
 *
 *   struct pol P; pol_init(&P, default_action);
 *   pol_rule(&P, "socket", SECCOMP_RET_ALLOW);          -- starts a rule
 *   pol_cond(&P, 0, CP_SC_LT, 32, 38, 0);               -- adds a condition to it
 *   pol_set(&P, 1, CP_SC_IN, 32, vals, n);              -- `in` set (sorted, unique)
 *   seccomp_gen_all(&P.plan, &err); ... pol_free(&P);
 *
 * Widths default to the table's width of the argument when 0 is passed.
 * Allocation failure aborts: these are test helpers.
 */
#ifndef CELLOS_TEST_SECCOMP_POLICY_H
#define CELLOS_TEST_SECCOMP_POLICY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "compiler/seccomp/seccomp_gen.h"
#include "compiler/seccomp/syscall_table.h"

struct pol {
    struct plan plan;
    size_t cap_rules, cap_conds, cap_values;
};

static inline void *pol_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (!q) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    *cap = c;
    return q;
}

static inline void pol_init(struct pol *P, uint32_t default_action)
{
    memset(P, 0, sizeof *P);
    P->plan.seccomp.default_action = default_action;
}

static inline void pol_free(struct pol *P)
{
    seccomp_gen_free_programs(&P->plan);
    free(P->plan.seccomp.rules);
    free(P->plan.seccomp.conds);
    free(P->plan.seccomp.values);
    memset(P, 0, sizeof *P);
}

static inline void pol_rule(struct pol *P, const char *name, uint32_t action)
{
    struct plan *p = &P->plan;
    p->seccomp.rules = pol_grow(p->seccomp.rules, &P->cap_rules, p->seccomp.n_rules + 1,
                                sizeof *p->seccomp.rules);
    struct plan_sc_rule *r = &p->seccomp.rules[p->seccomp.n_rules];
    memset(r, 0, sizeof *r);
    r->syscall = name;
    r->action = action;
    r->line = (uint32_t)p->seccomp.n_rules + 1;
    p->seccomp.n_rules++;
}

static inline uint8_t pol_width(struct pol *P, uint8_t arg, uint8_t width)
{
    if (width)
        return width;
    const struct plan_sc_rule *r = &P->plan.seccomp.rules[P->plan.seccomp.n_rules - 1];
    const struct sc_syscall *s = sc_lookup(r->syscall);
    return s && arg < s->nargs ? s->args[arg].width : 64;
}

static inline struct plan_sc_cond *pol_newcond(struct pol *P)
{
    struct plan *p = &P->plan;
    p->seccomp.conds = pol_grow(p->seccomp.conds, &P->cap_conds, p->seccomp.n_conds + 1,
                                sizeof *p->seccomp.conds);
    struct plan_sc_rule *r = &p->seccomp.rules[p->seccomp.n_rules - 1];
    if (r->cond_count == 0)
        r->cond_first = (uint32_t)p->seccomp.n_conds;
    r->cond_count++;
    struct plan_sc_cond *c = &p->seccomp.conds[p->seccomp.n_conds++];
    memset(c, 0, sizeof *c);
    return c;
}

/* op CP_SC_EQ..CP_SC_MASKED_EQ; mask only for MASKED_EQ */
static inline void pol_cond(struct pol *P, uint8_t arg, uint8_t op, uint8_t width, uint64_t value,
                            uint64_t mask)
{
    width = pol_width(P, arg, width);
    struct plan_sc_cond *c = pol_newcond(P);
    uint64_t ones = width == 32 ? 0xffffffffull : UINT64_MAX;
    c->arg = arg;
    c->op = op;
    c->width = width;
    c->value = value & ones;
    c->mask = op == CP_SC_MASKED_EQ ? (mask & ones) : ones;
}

static inline int pol_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* op CP_SC_IN or CP_SC_NOT_IN; values are sorted and deduplicated here */
static inline void pol_set(struct pol *P, uint8_t arg, uint8_t op, uint8_t width, const uint64_t *v,
                           size_t n)
{
    width = pol_width(P, arg, width);
    struct plan *p = &P->plan;
    uint64_t ones = width == 32 ? 0xffffffffull : UINT64_MAX;
    p->seccomp.values = pol_grow(p->seccomp.values, &P->cap_values, p->seccomp.n_values + n,
                                 sizeof *p->seccomp.values);
    uint64_t *dst = &p->seccomp.values[p->seccomp.n_values];
    for (size_t i = 0; i < n; i++)
        dst[i] = v[i] & ones;
    qsort(dst, n, sizeof *dst, pol_cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || dst[u - 1] != dst[i])
            dst[u++] = dst[i];
    struct plan_sc_cond *c = pol_newcond(P);
    c->arg = arg;
    c->op = op;
    c->width = width;
    c->mask = ones;
    c->set_first = (uint32_t)p->seccomp.n_values;
    c->set_count = (uint32_t)u;
    p->seccomp.n_values += u;
}

/* The compiled program of an arch, or NULL. */
static inline const struct plan_sc_program *pol_program(const struct pol *P, enum sc_arch a)
{
    for (size_t i = 0; i < P->plan.seccomp.n_programs; i++)
        if (P->plan.seccomp.programs[i].audit_arch == sc_arch_audit(a))
            return &P->plan.seccomp.programs[i];
    return NULL;
}

#endif
