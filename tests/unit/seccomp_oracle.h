/*
 * seccomp_oracle.h - build the libseccomp filter equivalent to a plan's
 * seccomp rules, for the differential tests and the benchmarks
 * (header-only).
 *
 * libseccomp differs from our semantics in ways the translation bridges:
 *  - one comparison per argument per rule: conditions on the same argument
 *    are intersected as value intervals;
 *  - it compares all 64 bits: the translation of a condition on a 32-bit
 *    argument is exact only when the high word is 0, so the differential
 *    test asks libseccomp only about such samples (see argset_cmps);
 *  - `in` becomes one rule per member, `not in` the blocks of its gaps;
 *  - overlapping rules with different actions have no defined winner in
 *    libseccomp, and a conditional rule next to an unconditional one for the
 *    same syscall is dropped by it. Our first-match order is therefore
 *    rebuilt exactly when a syscall's rules all test one argument (interval
 *    arithmetic: each rule keeps what the earlier ones left, the final
 *    unconditional rule the complement) or are `arg & M == V` then an
 *    unconditional rule (the complement: one masked test per bit); rules
 *    testing several arguments are taken as given only when they share one
 *    action, or when the caller vouches that different actions never
 *    overlap (assume_disjoint: the random corpus is built that way);
 *  - clone3 not named by any rule gets ERRNO(ENOSYS) as in our filters.
 * oracle_build() returns -1 for a policy it cannot express that way (or
 * whose expansion exceeds `max_rules`).
 */
#ifndef CELLOS_TEST_SECCOMP_ORACLE_H
#define CELLOS_TEST_SECCOMP_ORACLE_H

#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "compiler/seccomp/syscall_table.h"

struct ival { uint64_t lo, hi; };

/* An argument's admissible values as a sorted list of disjoint intervals
 * (within the argument's width), or a single masked comparison. */
struct argset {
    int used, is_mask;
    uint64_t mask, value;
    struct ival *iv;
    size_t n;
};

static inline void argset_free(struct argset *a)
{
    free(a->iv);
    memset(a, 0, sizeof *a);
}

static inline int ival_push(struct ival **v, size_t *n, uint64_t lo, uint64_t hi)
{
    struct ival *x = realloc(*v, (*n + 1) * sizeof **v);
    if (!x)
        return -1;
    *v = x;
    x[*n].lo = lo;
    x[*n].hi = hi;
    (*n)++;
    return 0;
}

/* Intervals of a non-mask condition, in [0, ones]. */
static inline int cond_intervals(const struct plan *p, const struct plan_sc_cond *c, struct ival **v,
                                 size_t *n)
{
    uint64_t ones = c->width == 32 ? 0xffffffffull : UINT64_MAX, x = c->value;
    *v = NULL;
    *n = 0;
    switch (c->op) {
    case CP_SC_EQ: return ival_push(v, n, x, x);
    case CP_SC_NE:
        if (x > 0 && ival_push(v, n, 0, x - 1))
            return -1;
        return x < ones ? ival_push(v, n, x + 1, ones) : 0;
    case CP_SC_LT: return x ? ival_push(v, n, 0, x - 1) : 0;
    case CP_SC_LE: return ival_push(v, n, 0, x);
    case CP_SC_GT: return x < ones ? ival_push(v, n, x + 1, ones) : 0;
    case CP_SC_GE: return ival_push(v, n, x, ones);
    case CP_SC_IN:
        for (uint32_t i = 0; i < c->set_count; i++) {
            uint64_t s = p->seccomp.values[c->set_first + i];
            if (*n && (*v)[*n - 1].hi + 1 == s)
                (*v)[*n - 1].hi = s;
            else if (ival_push(v, n, s, s))
                return -1;
        }
        return 0;
    case CP_SC_NOT_IN: {
        uint64_t cur = 0;
        int done = 0;
        for (uint32_t i = 0; i < c->set_count && !done; i++) {
            uint64_t s = p->seccomp.values[c->set_first + i];
            if (s > cur && ival_push(v, n, cur, s - 1))
                return -1;
            if (s == ones)
                done = 1;
            else
                cur = s + 1;
        }
        return done ? 0 : ival_push(v, n, cur, ones);
    }
    default:
        return -1;
    }
}

static inline int ival_intersect(struct ival **a, size_t *na, const struct ival *b, size_t nb)
{
    struct ival *out = NULL;
    size_t n = 0, i = 0, j = 0;
    while (i < *na && j < nb) {
        uint64_t lo = (*a)[i].lo > b[j].lo ? (*a)[i].lo : b[j].lo;
        uint64_t hi = (*a)[i].hi < b[j].hi ? (*a)[i].hi : b[j].hi;
        if (lo <= hi && ival_push(&out, &n, lo, hi)) {
            free(out);
            return -1;
        }
        if ((*a)[i].hi < b[j].hi)
            i++;
        else
            j++;
    }
    free(*a);
    *a = out;
    *na = n;
    return 0;
}

/* Comparisons equivalent to "value in intervals" (one of them matching),
 * exact for 64-bit arguments and, for 32-bit ones, for samples whose high
 * word is 0 (the differential test only asks libseccomp about those; our
 * low-word-only behaviour is checked against the reference semantics).
 * Points become ==, intervals touching an end <= or >=, the complement of a
 * point !=, other intervals aligned blocks (masked ==). */
static inline int argset_cmps(const struct argset *a, unsigned arg, int width, struct scmp_arg_cmp **out,
                              size_t *nout, size_t cap)
{
    struct scmp_arg_cmp *c = NULL;
    size_t n = 0;
    uint64_t ones = width == 32 ? 0xffffffffull : UINT64_MAX;
#define PUSH(op_, a_, b_) do { if (n >= cap) { free(c); return -1; } \
        struct scmp_arg_cmp *t_ = realloc(c, (n + 1) * sizeof *c); if (!t_) { free(c); return -1; } \
        c = t_; c[n].arg = arg; c[n].op = (op_); c[n].datum_a = (a_); c[n].datum_b = (b_); n++; } while (0)
    if (a->is_mask) {
        PUSH(SCMP_CMP_MASKED_EQ, a->mask, a->value);
    } else if (a->n == 2 && a->iv[0].lo == 0 && a->iv[1].hi == ones && a->iv[0].hi + 2 == a->iv[1].lo) {
        PUSH(SCMP_CMP_NE, a->iv[0].hi + 1, 0);
    } else {
        for (size_t i = 0; i < a->n; i++) {
            uint64_t lo = a->iv[i].lo, hi = a->iv[i].hi;
            if (lo == hi) {
                PUSH(SCMP_CMP_EQ, lo, 0);
                continue;
            }
            if (lo == 0) {
                PUSH(SCMP_CMP_LE, hi, 0);
                continue;
            }
            if (hi == ones) {
                PUSH(SCMP_CMP_GE, lo, 0);
                continue;
            }
            for (;;) {
                /* the largest aligned block starting at lo within [lo, hi]
                 * (bits 0..k-1 of lo are already known to be zero) */
                int k = 0;
                while (k < 63 && !(lo & (1ull << k)) && lo + ((1ull << (k + 1)) - 1) <= hi)
                    k++;
                uint64_t size_m1 = (1ull << k) - 1;
                PUSH(SCMP_CMP_MASKED_EQ, UINT64_MAX & ~size_m1, lo);
                if (lo + size_m1 >= hi)
                    break;
                lo += size_m1 + 1;
            }
        }
    }
#undef PUSH
    *out = c;
    *nout = n;
    return 0;
}

static inline uint32_t oracle_scmp_arch(enum sc_arch a)
{
    return a == SC_ARCH_X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
}

/* Translate and add one conditional rule; returns -1 when not expressible.
 * `nr` is in libseccomp's native numbering (it maps names per filter arch). */
static inline int oracle_add_rule(scmp_filter_ctx ctx, const struct plan *p, const struct plan_sc_rule *r,
                                  int nr, size_t *budget)
{
    struct argset as[6] = { { 0 } };
    int rc = -1, fail_line = 0;
    for (uint32_t k = 0; k < r->cond_count; k++) {
        const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
        struct argset *a = &as[c->arg];
        if (c->op == CP_SC_MASKED_EQ) {
            if (a->used)
                { fail_line = __LINE__; goto out; }
            a->used = a->is_mask = 1;
            a->mask = c->mask;
            a->value = c->value;
            continue;
        }
        struct ival *v;
        size_t n;
        if (cond_intervals(p, c, &v, &n)) {
            free(v);
            { fail_line = __LINE__; goto out; }
        }
        if (!a->used) {
            a->used = 1;
            a->iv = v;
            a->n = n;
        } else if (a->is_mask || ival_intersect(&a->iv, &a->n, v, n)) {
            free(v);
            { fail_line = __LINE__; goto out; }
        } else {
            free(v);
        }
    }
    const struct sc_syscall *s = sc_lookup(r->syscall);
    struct scmp_arg_cmp *alt[6] = { 0 };
    size_t nalt[6] = { 0 };
    size_t total = 1;
    int empty = 0;
    for (unsigned i = 0; i < 6; i++) {
        if (!as[i].used)
            continue;
        int width = s && i < s->nargs ? s->args[i].width : 64;
        for (uint32_t k = 0; k < r->cond_count; k++)
            if (p->seccomp.conds[r->cond_first + k].arg == i)
                width = p->seccomp.conds[r->cond_first + k].width;
        if (argset_cmps(&as[i], i, width, &alt[i], &nalt[i], *budget + 1)) {
            if (getenv("CELLOS_ORACLE_DEBUG"))
                fprintf(stderr, "oracle: %s: over budget\n", r->syscall);
            { fail_line = __LINE__; goto free_alt; }
        }
        if (nalt[i] == 0)
            empty = 1;
        total *= nalt[i] ? nalt[i] : 1;
        if (total > *budget)
            { fail_line = __LINE__; goto free_alt; }
    }
    if (empty) {
        rc = 0;     /* the rule can never match */
        { fail_line = __LINE__; goto free_alt; }
    }
    *budget -= total;
    size_t idx[6] = { 0 };
    for (size_t t = 0; t < total; t++) {
        struct scmp_arg_cmp cmp[6];
        unsigned nc = 0;
        for (unsigned i = 0; i < 6; i++)
            if (nalt[i])
                cmp[nc++] = alt[i][idx[i]];
        int e = seccomp_rule_add_exact_array(ctx, r->action, nr, nc, cmp);
        if (e && e != -EEXIST) {
            if (getenv("CELLOS_ORACLE_DEBUG"))
                fprintf(stderr, "oracle: %s: rule add: %s\n", r->syscall, strerror(-e));
            { fail_line = __LINE__; goto free_alt; }
        }
        for (unsigned i = 0; i < 6; i++) {
            if (!nalt[i])
                continue;
            if (++idx[i] < nalt[i])
                break;
            idx[i] = 0;
        }
    }
    rc = 0;
free_alt:
    for (unsigned i = 0; i < 6; i++)
        free(alt[i]);
out:
    for (unsigned i = 0; i < 6; i++)
        argset_free(&as[i]);
    if (rc && getenv("CELLOS_ORACLE_DEBUG"))
        fprintf(stderr, "oracle: %s: not expressible (seccomp_oracle.h:%d)\n", r->syscall, fail_line);
    return rc;
}


/* Complement of sorted disjoint intervals within [0, ones]. */
static inline int ival_complement(const struct ival *v, size_t n, uint64_t ones, struct ival **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    uint64_t cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].lo > cur && ival_push(out, nout, cur, v[i].lo - 1))
            return -1;
        if (v[i].hi == ones)
            return 0;
        cur = v[i].hi + 1;
    }
    return ival_push(out, nout, cur, ones);
}

/* Add one libseccomp rule per alternative of "arg in intervals". */
static inline int oracle_add_ivals(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned arg, int width,
                                   const struct ival *iv, size_t n, size_t *budget)
{
    if (n == 0)
        return 0;
    struct argset a = { .used = 1, .iv = (struct ival *)iv, .n = n };
    struct scmp_arg_cmp *c = NULL;
    size_t nc = 0;
    if (argset_cmps(&a, arg, width, &c, &nc, *budget))
        return -1;
    *budget -= nc;
    for (size_t i = 0; i < nc; i++) {
        int e = seccomp_rule_add_exact_array(ctx, action, nr, 1, &c[i]);
        if (e && e != -EEXIST) {
            free(c);
            return -1;
        }
    }
    free(c);
    return 0;
}

/* First-match rules of one syscall that all test one argument with
 * interval-shaped conditions: exact, whatever the overlaps, by interval
 * arithmetic (each rule gets what the earlier ones left, `uncond` gets the
 * rest). Returns 0 done, 1 not of that shape, -1 failure. */
static inline int oracle_single_arg(scmp_filter_ctx ctx, const struct plan *p, const size_t *idx, size_t k,
                                    int has_uncond, uint32_t uncond, int nr, size_t *budget)
{
    int arg = -1, width = 64;
    for (size_t i = 0; i < k; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[idx[i]];
        for (uint32_t c = 0; c < r->cond_count; c++) {
            const struct plan_sc_cond *x = &p->seccomp.conds[r->cond_first + c];
            if (x->op == CP_SC_MASKED_EQ || (arg >= 0 && x->arg != arg))
                return 1;
            arg = x->arg;
            width = x->width;
        }
    }
    uint64_t ones = width == 32 ? 0xffffffffull : UINT64_MAX;
    struct ival *covered = NULL;
    size_t ncov = 0;
    int rc = -1;
    for (size_t i = 0; i < k; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[idx[i]];
        struct ival *set = NULL, *v = NULL, *left = NULL;
        size_t nset = 0, nv = 0, nleft = 0;
        if (ival_push(&set, &nset, 0, ones))
            goto out;
        for (uint32_t c = 0; c < r->cond_count; c++) {
            if (cond_intervals(p, &p->seccomp.conds[r->cond_first + c], &v, &nv) ||
                ival_intersect(&set, &nset, v, nv)) {
                free(v);
                free(set);
                goto out;
            }
            free(v);
        }
        /* what this rule still decides: set minus covered */
        if (ival_complement(covered, ncov, ones, &left, &nleft) || ival_intersect(&left, &nleft, set, nset)) {
            free(left);
            free(set);
            goto out;
        }
        int e = r->action == p->seccomp.default_action
                    ? 0 : oracle_add_ivals(ctx, r->action, nr, (unsigned)arg, width, left, nleft, budget);
        free(left);
        /* covered |= set */
        struct ival *un = NULL, *ca = NULL, *cb = NULL;
        size_t nun = 0, nca = 0, ncb = 0;
        if (e || ival_complement(covered, ncov, ones, &ca, &nca) || ival_complement(set, nset, ones, &cb, &ncb) ||
            ival_intersect(&ca, &nca, cb, ncb) || ival_complement(ca, nca, ones, &un, &nun)) {
            free(ca);
            free(cb);
            free(un);
            free(set);
            goto out;
        }
        free(ca);
        free(cb);
        free(set);
        free(covered);
        covered = un;
        ncov = nun;
    }
    if (has_uncond && uncond != p->seccomp.default_action) {
        struct ival *rest = NULL;
        size_t nrest = 0;
        if (ival_complement(covered, ncov, ones, &rest, &nrest) ||
            oracle_add_ivals(ctx, uncond, nr, (unsigned)arg, width, rest, nrest, budget)) {
            free(rest);
            goto out;
        }
        free(rest);
    }
    rc = 0;
out:
    free(covered);
    return rc;
}

/* One conditional rule `arg & M == V` then `uncond`: the complement is "some
 * bit of M differs from V", one masked test per bit. */
static inline int oracle_mask_else(scmp_filter_ctx ctx, const struct plan *p, size_t ri, uint32_t uncond, int nr,
                                   size_t *budget)
{
    const struct plan_sc_rule *r = &p->seccomp.rules[ri];
    const struct plan_sc_cond *x = &p->seccomp.conds[r->cond_first];
    if (r->action != p->seccomp.default_action && oracle_add_rule(ctx, p, r, nr, budget))
        return -1;
    if (uncond == p->seccomp.default_action)
        return 0;
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ull << b;
        if (!(x->mask & bit))
            continue;
        struct scmp_arg_cmp c = { .arg = x->arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = bit,
                                  .datum_b = ~x->value & bit };
        int e = seccomp_rule_add_exact_array(ctx, uncond, nr, 1, &c);
        if (e && e != -EEXIST)
            return -1;
    }
    return 0;
}

static inline void oracle_debug(int line)
{
    if (getenv("CELLOS_ORACLE_DEBUG"))
        fprintf(stderr, "oracle: not expressible (seccomp_oracle.h:%d)\n", line);
}
#define ORACLE_FAIL() do { oracle_debug(__LINE__); goto out; } while (0)

/* Build the libseccomp program for one arch. tree: 0 = libseccomp's
 * default (linear) layout, 1 = binary tree (SCMP_FLTATR_CTL_OPTIMIZE 2).
 * Returns 0 with a malloc'ed program, or -1. */
static inline int oracle_build(const struct plan *p, enum sc_arch arch, int tree, int assume_disjoint,
                               size_t max_rules, struct cp_bpf_insn **out, size_t *count)
{
    scmp_filter_ctx ctx = seccomp_init(p->seccomp.default_action);
    if (!ctx) {
        if (getenv("CELLOS_ORACLE_DEBUG"))
            fprintf(stderr, "oracle: seccomp_init(%#x) failed\n", p->seccomp.default_action);
        return -1;
    }
    int rc = -1, fd = -1;
    size_t budget = max_rules;
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) ||
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0))
        ORACLE_FAIL();
    if (tree && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2))
        ORACLE_FAIL();
    if (oracle_scmp_arch(arch) != seccomp_arch_native()) {
        if (seccomp_arch_add(ctx, oracle_scmp_arch(arch)) ||
            seccomp_arch_remove(ctx, seccomp_arch_native()))
            ORACLE_FAIL();
    }
    int clone3_named = 0;
    size_t *idx = malloc((p->seccomp.n_rules ? p->seccomp.n_rules : 1) * sizeof *idx);
    if (!idx)
        ORACLE_FAIL();
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        const struct sc_syscall *s = sc_lookup(r->syscall);
        if (!s) {
            free(idx);
            ORACLE_FAIL();
        }
        if (strcmp(r->syscall, "clone3") == 0)
            clone3_named = 1;
        /* handle each syscall once, at its first rule */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(p->seccomp.rules[j].syscall, r->syscall) == 0;
        if (seen || s->nr[arch] < 0)
            continue;
        int nr = seccomp_syscall_resolve_name(r->syscall);
        size_t k = 0;
        int has_uncond = 0;
        uint32_t uncond = 0;
        for (size_t j = i; j < p->seccomp.n_rules; j++) {
            const struct plan_sc_rule *q = &p->seccomp.rules[j];
            if (strcmp(q->syscall, r->syscall) != 0)
                continue;
            if (q->cond_count == 0) {
                has_uncond = 1;
                uncond = q->action;
                break;
            }
            idx[k++] = j;
        }
        int e = 0;
        if (k == 0) {
            e = uncond != p->seccomp.default_action ? seccomp_rule_add_exact(ctx, uncond, nr, 0) : 0;
        } else {
            int single = oracle_single_arg(ctx, p, idx, k, has_uncond, uncond, nr, &budget);
            if (single < 0) {
                e = -1;
            } else if (single == 1) {
                const struct plan_sc_rule *r0 = &p->seccomp.rules[idx[0]];
                int same = 1;
                for (size_t j = 1; j < k; j++)
                    same &= p->seccomp.rules[idx[j]].action == r0->action;
                if (has_uncond && k == 1 && r0->cond_count == 1 &&
                    p->seccomp.conds[r0->cond_first].op == CP_SC_MASKED_EQ) {
                    e = oracle_mask_else(ctx, p, idx[0], uncond, nr, &budget);
                } else if (has_uncond || (!same && !assume_disjoint)) {
                    e = -1;     /* first-match across arguments: libseccomp has no such semantics */
                } else {
                    for (size_t j = 0; j < k && !e; j++)
                        if (p->seccomp.rules[idx[j]].action != p->seccomp.default_action)
                            e = oracle_add_rule(ctx, p, &p->seccomp.rules[idx[j]], nr, &budget);
                }
            }
        }
        if (e) {
            if (getenv("CELLOS_ORACLE_DEBUG"))
                fprintf(stderr, "oracle: %s: cannot express its rules\n", r->syscall);
            free(idx);
            ORACLE_FAIL();
        }
    }
    free(idx);
    const struct sc_syscall *c3 = sc_lookup("clone3");
    if (!clone3_named && c3 && c3->nr[arch] >= 0 && p->seccomp.default_action != SCMP_ACT_ERRNO(38) &&
        seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(38), seccomp_syscall_resolve_name("clone3"), 0))
        ORACLE_FAIL();
    fd = memfd_create("oracle", 0);
    if (fd < 0 || seccomp_export_bpf(ctx, fd))
        ORACLE_FAIL();
    off_t len = lseek(fd, 0, SEEK_END);
    if (len <= 0 || len % 8)
        ORACLE_FAIL();
    *count = (size_t)len / 8;
    *out = malloc((size_t)len);
    if (!*out || pread(fd, *out, (size_t)len, 0) != len) {
        free(*out);
        ORACLE_FAIL();
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return rc;
}

/* oracle_build() in a child process, given `ms` milliseconds: libseccomp's
 * rule insertion can take exponential time on some rule shapes. Returns -1
 * on failure or timeout (*timed_out set). */
static inline int oracle_build_timed(const struct plan *p, enum sc_arch arch, int tree, int assume_disjoint,
                                     size_t max_rules, int ms, struct cp_bpf_insn **out, size_t *count,
                                     int *timed_out)
{
    int fds[2];
    *timed_out = 0;
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        struct cp_bpf_insn *prog = NULL;
        size_t n = 0;
        uint64_t len = 0;
        if (oracle_build(p, arch, tree, assume_disjoint, max_rules, &prog, &n) == 0)
            len = n;
        ssize_t w = write(fds[1], &len, sizeof len);
        size_t off = 0;
        while (w > 0 && off < len * sizeof *prog) {
            w = write(fds[1], (char *)prog + off, len * sizeof *prog - off);
            if (w > 0)
                off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    int rc = -1;
    uint64_t len = 0;
    size_t got = 0;
    char *buf = NULL;
    size_t want = sizeof len;
    for (;;) {
        struct pollfd pf = { .fd = fds[0], .events = POLLIN };
        int pr = poll(&pf, 1, ms);
        if (pr <= 0) {
            *timed_out = pr == 0;
            break;
        }
        char tmp[4096];
        ssize_t r = read(fds[0], tmp, sizeof tmp);
        if (r <= 0)
            break;
        char *nb = realloc(buf, got + (size_t)r);
        if (!nb)
            break;
        buf = nb;
        memcpy(buf + got, tmp, (size_t)r);
        got += (size_t)r;
        if (got >= sizeof len) {
            memcpy(&len, buf, sizeof len);
            want = sizeof len + len * sizeof(struct cp_bpf_insn);
            if (len == 0)
                break;
            if (got >= want) {
                *out = malloc(len * sizeof **out);
                if (*out) {
                    memcpy(*out, buf + sizeof len, len * sizeof **out);
                    *count = len;
                    rc = 0;
                }
                break;
            }
        }
    }
    free(buf);
    close(fds[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return rc;
}

#endif
