/*
 * seccomp_samples.h - the inputs a seccomp program is tested on (header-only).
 *
 * For a plan and an arch: every syscall number of the table and beyond it,
 * x32-flagged and high numbers, nr -1, foreign arches; and for every
 * syscall with argument conditions, each argument at every boundary of its
 * conditions (value, value +- 1, set members and neighbours, masked bits
 * flipped), with high-word bits set, the other arguments drawn from their
 * own boundaries. Deterministic for a given seed.
 */
#ifndef CELLOS_TEST_SECCOMP_SAMPLES_H
#define CELLOS_TEST_SECCOMP_SAMPLES_H

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "compiler/seccomp/syscall_table.h"

struct samples {
    struct seccomp_data *d;
    size_t n, cap;
};

static inline uint64_t xrand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static inline void samples_add(struct samples *S, uint32_t arch, uint32_t nr, const uint64_t *args)
{
    if (S->n == S->cap) {
        S->cap = S->cap ? S->cap * 2 : 1024;
        S->d = realloc(S->d, S->cap * sizeof *S->d);
        if (!S->d)
            abort();
    }
    struct seccomp_data *d = &S->d[S->n++];
    memset(d, 0, sizeof *d);
    d->arch = arch;
    d->nr = (int)nr;
    d->instruction_pointer = 0x400000;
    if (args)
        memcpy(d->args, args, sizeof d->args);
}

struct pool {
    uint64_t v[512];
    size_t n;
};

static inline void pool_add(struct pool *p, uint64_t x)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i] == x)
            return;
    if (p->n < sizeof p->v / sizeof p->v[0])
        p->v[p->n++] = x;
}

static inline void samples_for(const struct plan *p, enum sc_arch arch, uint64_t seed, struct samples *S)
{
    uint32_t audit = sc_arch_audit(arch);
    uint64_t rng = seed ? seed : 88172645463325252ull;
    static const uint64_t ones[6] = { ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull };
    int limit = 0;
    for (size_t i = 0; sc_at(i); i++)
        if (sc_at(i)->nr[arch] >= limit)
            limit = sc_at(i)->nr[arch] + 1;
    for (int nr = 0; nr < limit + 16; nr++) {
        samples_add(S, audit, (uint32_t)nr, NULL);
        samples_add(S, audit, (uint32_t)nr, ones);
    }
    static const uint32_t special[] = { 0x3fffffff, 0x40000000, 0x40000001, 0x4000003b, 0x40000200,
                                        0x40000223, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000,
                                        0xfffffffe, 0xffffffff, 1000, 0x10000, 0x400 };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        samples_add(S, audit, special[i], NULL);
    static const uint32_t foreign[] = { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64,
                                        AUDIT_ARCH_ARM, 0 };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        if (foreign[i] == audit)
            continue;
        for (uint32_t nr = 0; nr < 400; nr += 7)
            samples_add(S, foreign[i], nr, NULL);
        samples_add(S, foreign[i], 0xffffffffu, NULL);
    }
    /* argument boundaries of every conditional syscall */
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        const struct sc_syscall *s = sc_lookup(r->syscall);
        if (!s || s->nr[arch] < 0 || r->cond_count == 0)
            continue;
        /* only once per syscall */
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (p->seccomp.rules[j].cond_count && strcmp(p->seccomp.rules[j].syscall, r->syscall) == 0)
                seen = 1;
        if (seen)
            continue;
        static struct pool pools[6];
        for (int a = 0; a < 6; a++) {
            pools[a].n = 0;
            pool_add(&pools[a], 0);
            pool_add(&pools[a], 1);
            pool_add(&pools[a], 0xffffffffull);
            pool_add(&pools[a], 0x100000000ull);
            pool_add(&pools[a], UINT64_MAX);
        }
        for (size_t j = i; j < p->seccomp.n_rules; j++) {
            const struct plan_sc_rule *q = &p->seccomp.rules[j];
            if (strcmp(q->syscall, r->syscall) != 0)
                continue;
            for (uint32_t k = 0; k < q->cond_count; k++) {
                const struct plan_sc_cond *c = &p->seccomp.conds[q->cond_first + k];
                struct pool *pl = &pools[c->arg];
                uint64_t vals[3] = { c->value, 0, 0 };
                size_t nv = 1;
                if (c->op == CP_SC_IN || c->op == CP_SC_NOT_IN)
                    nv = 0;
                for (size_t v = 0; v < nv; v++) {
                    pool_add(pl, vals[v]);
                    pool_add(pl, vals[v] + 1);
                    pool_add(pl, vals[v] - 1);
                }
                if (c->op == CP_SC_MASKED_EQ) {
                    uint64_t m = c->mask;
                    pool_add(pl, c->value | (~m & xrand(&rng)));
                    pool_add(pl, c->value | ~m);
                    if (m)
                        pool_add(pl, c->value ^ (m & -m));       /* flip the lowest masked bit */
                    if (m & (m - 1))
                        pool_add(pl, c->value ^ (1ull << (63 - __builtin_clzll(m))));
                }
                for (uint32_t v = 0; c->set_count && v < c->set_count; v++) {
                    uint64_t x = p->seccomp.values[c->set_first + v];
                    pool_add(pl, x);
                    pool_add(pl, x + 1);
                    pool_add(pl, x - 1);
                }
            }
        }
        /* high-word variants of everything (a 32-bit argument must ignore them) */
        for (int a = 0; a < 6; a++) {
            size_t n0 = pools[a].n;
            for (size_t v = 0; v < n0; v++) {
                pool_add(&pools[a], pools[a].v[v] ^ (1ull << 32));
                pool_add(&pools[a], pools[a].v[v] | 0xffffffff00000000ull);
                pool_add(&pools[a], (pools[a].v[v] & 0xffffffffull) | (xrand(&rng) << 32));
            }
        }
        uint32_t nr = (uint32_t)s->nr[arch];
        for (int a = 0; a < 6; a++) {
            for (size_t v = 0; v < pools[a].n; v++) {
                uint64_t args[6] = { 0 };
                args[a] = pools[a].v[v];
                samples_add(S, audit, nr, args);
                for (int b = 0; b < 6; b++)
                    if (b != a)
                        args[b] = pools[b].v[xrand(&rng) % pools[b].n];
                samples_add(S, audit, nr, args);
            }
        }
    }
}

static inline void samples_free(struct samples *S)
{
    free(S->d);
    memset(S, 0, sizeof *S);
}

#endif
