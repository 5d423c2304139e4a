/*
 * seccomp_gen.c - compile a plan's normalised seccomp rules into one classic
 * BPF program per architecture (seccomp_gen.h; strategy in docs/seccomp.md).
 *
 * Program shape, per arch:
 *   ld arch; jeq AUDIT_ARCH ? dispatch : foreign
 *   dispatch: ld nr; balanced tree over syscall-number ranges -> verdicts
 *   foreign: kill-process (x86_64 with CP_SC_ALLOW_I386: the i386 rules)
 * The number tree covers all of [0, 2^32): table syscalls get their verdict,
 * unknown numbers ENOSYS, numbers with bit 30 set on x86_64 (the x32 ABI)
 * kill-process unless CP_SC_ALLOW_X32 (then the x32 numbers follow the rules
 * by name), nr -1 (the ptrace "skip" value, no syscall) ALLOW.
 * A syscall's verdict is a return when no rule names it (the default
 * action; clone3: ENOSYS) or its first rule is unconditional; otherwise an
 * argument block: its rules in written order, first match wins, then the
 * default. Unconditional verdicts never load anything but arch and nr, so
 * allowed syscalls stay constant for the kernel's action cache.
 *
 * Invariants: deterministic output for equal input; no state outside the
 * call; every failure is reported through struct sc_gen_error.
 */
#include "seccomp_gen.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/plan/bpf_check.h"
#include "seccomp_gen_internal.h"
#include "syscall_table.h"
#include "syscall_table_data.h"

#define RET_ENOSYS    (SECCOMP_RET_ERRNO | 38u)
#define X32_BIT       0x40000000u
#define OFF_NR        0u
#define OFF_ARCH      4u
#define OFF_ARG_LO(a) (16u + 8u * (a))
#define OFF_ARG_HI(a) (20u + 8u * (a))

static int gen_fail(struct sc_gen_error *err, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int gen_fail(struct sc_gen_error *err, uint32_t line, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->e.msg, sizeof err->e.msg, fmt, ap);
        va_end(ap);
        err->line = line;
    }
    return -1;
}

/* ------------------------------------------------------------ input ---- */

/* A condition as the block compiler sees it (plan conditions, or a set
 * fused from several adjacent rules). */
struct wcond {
    uint8_t arg, op, width;
    uint64_t value, mask;
    const uint64_t *set;
    uint32_t nset;
};

struct wrule {
    uint32_t action;
    int32_t index; /* plan rule index (owner of its code) */
    struct wcond *conds;
    uint32_t ncond;
};

static int check_input(const struct plan *p, struct sc_gen_error *err)
{
    if (!bpf_seccomp_action_valid(p->seccomp.default_action))
        return gen_fail(err, 0, "seccomp: default action 0x%08x is not a valid action",
                        p->seccomp.default_action);
    if (p->seccomp.flags & ~(CP_SC_ALLOW_X32 | CP_SC_ALLOW_I386))
        return gen_fail(err, 0, "seccomp: unknown flags 0x%x", p->seccomp.flags);
    if (p->seccomp.flags & CP_SC_ALLOW_I386) {
        /* i386 multiplexes sockets and SysV IPC through socketcall/ipc and
         * passes 64-bit arguments in two registers: a deny list or an
         * argument condition could not be enforced there */
        uint32_t act = p->seccomp.default_action & SECCOMP_RET_ACTION_FULL;
        if (act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG)
            return gen_fail(err, 0,
                            "seccomp: admitting i386 needs a default that denies "
                            "(socketcall and ipc would bypass a deny list)");
        for (size_t i = 0; i < p->seccomp.n_rules; i++)
            if (p->seccomp.rules[i].cond_count)
                return gen_fail(err, p->seccomp.rules[i].line,
                                "seccomp rule at line %u (%s): argument conditions cannot be enforced "
                                "for i386, which the policy admits",
                                p->seccomp.rules[i].line,
                                p->seccomp.rules[i].syscall ? p->seccomp.rules[i].syscall : "?");
    }
    if (p->seccomp.n_rules > 0x7fffffff)
        return gen_fail(err, 0, "seccomp: too many rules");
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (!r->syscall || !sc_lookup(r->syscall))
            return gen_fail(err, r->line, "seccomp rule at line %u: unknown syscall '%s'", r->line,
                            r->syscall ? r->syscall : "(null)");
        if (!bpf_seccomp_action_valid(r->action))
            return gen_fail(err, r->line, "seccomp rule at line %u (%s): action 0x%08x is not valid", r->line,
                            r->syscall, r->action);
        if (r->cond_first > p->seccomp.n_conds || r->cond_count > p->seccomp.n_conds - r->cond_first)
            return gen_fail(err, r->line, "seccomp rule at line %u (%s): conditions out of range", r->line,
                            r->syscall);
        for (uint32_t k = 0; k < r->cond_count; k++) {
            const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
            uint64_t ones = c->width == 32 ? 0xffffffffull : UINT64_MAX;
            int set = c->op == CP_SC_IN || c->op == CP_SC_NOT_IN;
            if (c->arg > 5 || (c->width != 32 && c->width != 64) || c->op < CP_SC_EQ ||
                c->op > CP_SC_OP_MAX || c->value > ones || (c->op == CP_SC_MASKED_EQ && c->mask > ones))
                return gen_fail(err, r->line, "seccomp rule at line %u (%s): malformed condition %u", r->line,
                                r->syscall, k);
            if (set) {
                if (c->set_count == 0 || c->set_first > p->seccomp.n_values ||
                    c->set_count > p->seccomp.n_values - c->set_first)
                    return gen_fail(err, r->line, "seccomp rule at line %u (%s): value set out of range",
                                    r->line, r->syscall);
                for (uint32_t v = 0; v < c->set_count; v++) {
                    uint64_t x = p->seccomp.values[c->set_first + v];
                    if (x > ones || (v && p->seccomp.values[c->set_first + v - 1] >= x))
                        return gen_fail(
                            err, r->line,
                            "seccomp rule at line %u (%s): value set not sorted, unique and within %u bits",
                            r->line, r->syscall, c->width);
                }
            }
        }
    }
    return 0;
}

/* --------------------------------------------------- block compiler ---- */

static int32_t cmp32(struct ir *ir, uint8_t op, uint32_t v, int32_t T, int32_t F)
{
    switch (op) {
    case CP_SC_LT: return v == 0 ? F : ir_jmp(ir, BPF_JGE, v, F, T);
    case CP_SC_LE: return v == 0xffffffffu ? T : ir_jmp(ir, BPF_JGT, v, F, T);
    case CP_SC_GT: return v == 0xffffffffu ? F : ir_jmp(ir, BPF_JGT, v, T, F);
    default: return v == 0 ? T : ir_jmp(ir, BPF_JGE, v, T, F); /* GE */
    }
}

/* (word & m) == v on the word at `off`. */
static int32_t word_masked(struct ir *ir, uint32_t off, uint32_t v, uint32_t m, int32_t T, int32_t F)
{
    if (m == 0)
        return v == 0 ? T : F;
    if (v & ~m)
        return F;
    int32_t test;
    if (m == 0xffffffffu)
        test = ir_jmp(ir, BPF_JEQ, v, T, F);
    else if (v == 0)
        test = ir_jmp(ir, BPF_JSET, m, F, T);
    else if (v == m && !(m & (m - 1)))
        test = ir_jmp(ir, BPF_JSET, m, T, F);
    else
        test = ir_and(ir, m, ir_jmp(ir, BPF_JEQ, v, T, F));
    return ir_ld(ir, off, test);
}

static int32_t masked_eq(struct ir *ir, const struct wcond *c, uint64_t v, uint64_t m, int32_t T, int32_t F)
{
    if (v & ~m)
        return F;
    int32_t lo = word_masked(ir, OFF_ARG_LO(c->arg), (uint32_t)v, (uint32_t)m, T, F);
    if (c->width == 32)
        return lo;
    return word_masked(ir, OFF_ARG_HI(c->arg), (uint32_t)(v >> 32), (uint32_t)(m >> 32), lo, F);
}

static int32_t relational(struct ir *ir, const struct wcond *c, int32_t T, int32_t F)
{
    uint32_t vl = (uint32_t)c->value, vh = (uint32_t)(c->value >> 32);
    int32_t lo_part = ir_ld(ir, OFF_ARG_LO(c->arg), cmp32(ir, c->op, vl, T, F));
    if (c->width == 32)
        return lo_part;
    int32_t node;
    if (c->op == CP_SC_GT || c->op == CP_SC_GE) {
        /* hi > vh: true; hi == vh: decided by lo; hi < vh: false */
        if (vh == 0xffffffffu)
            node = ir_jmp(ir, BPF_JEQ, vh, lo_part, F);
        else
            node = ir_jmp(ir, BPF_JGT, vh, T, vh == 0 ? lo_part : ir_jmp(ir, BPF_JEQ, vh, lo_part, F));
    } else {
        /* hi < vh: true; hi == vh: decided by lo; hi > vh: false */
        if (vh == 0xffffffffu)
            node = ir_jmp(ir, BPF_JEQ, vh, lo_part, T);
        else
            node = ir_jmp(ir, BPF_JGT, vh, F, vh == 0 ? lo_part : ir_jmp(ir, BPF_JEQ, vh, lo_part, T));
    }
    return ir_ld(ir, OFF_ARG_HI(c->arg), node);
}

/* Search of a sorted set of 32-bit values, A holding the word. */
static int32_t set32(struct ir *ir, const uint32_t *v, size_t n, int32_t T, int32_t F)
{
    struct ir_segment *seg = malloc((2 * n + 1) * sizeof *seg);
    if (!seg) {
        ir->oom = 1;
        return -1;
    }
    size_t m = 0;
    uint64_t cursor = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] > cursor)
            seg[m++] = (struct ir_segment){ (uint32_t)cursor, F };
        seg[m++] = (struct ir_segment){ v[i], T };
        cursor = (uint64_t)v[i] + 1;
    }
    if (cursor <= 0xffffffffu)
        seg[m++] = (struct ir_segment){ (uint32_t)cursor, F };
    int32_t root = ir_segment_tree(ir, seg, m);
    free(seg);
    return root;
}

static int32_t set_cond(struct ir *ir, const struct wcond *c, int32_t T, int32_t F)
{
    uint32_t *w = malloc((c->nset ? c->nset : 1) * sizeof *w);
    if (!w) {
        ir->oom = 1;
        return -1;
    }
    int32_t node;
    if (c->width == 32) {
        for (uint32_t i = 0; i < c->nset; i++)
            w[i] = (uint32_t)c->set[i];
        node = ir_ld(ir, OFF_ARG_LO(c->arg), set32(ir, w, c->nset, T, F));
    } else {
        /* group by high word: a tree over the high words, then per group a
         * tree over the low words */
        struct ir_segment *seg = malloc((2 * c->nset + 1) * sizeof *seg);
        if (!seg) {
            free(w);
            ir->oom = 1;
            return -1;
        }
        size_t m = 0;
        uint64_t cursor = 0;
        for (uint32_t i = 0; i < c->nset;) {
            uint32_t h = (uint32_t)(c->set[i] >> 32), j = i, nw = 0;
            while (j < c->nset && (uint32_t)(c->set[j] >> 32) == h)
                w[nw++] = (uint32_t)c->set[j++];
            int32_t group = ir_ld(ir, OFF_ARG_LO(c->arg), set32(ir, w, nw, T, F));
            if (h > cursor)
                seg[m++] = (struct ir_segment){ (uint32_t)cursor, F };
            seg[m++] = (struct ir_segment){ h, group };
            cursor = (uint64_t)h + 1;
            i = j;
        }
        if (cursor <= 0xffffffffu)
            seg[m++] = (struct ir_segment){ (uint32_t)cursor, F };
        node = ir_ld(ir, OFF_ARG_HI(c->arg), ir_segment_tree(ir, seg, m));
        free(seg);
    }
    free(w);
    return node;
}

static int32_t compile_cond(struct ir *ir, const struct wcond *c, int32_t T, int32_t F)
{
    uint64_t ones = c->width == 32 ? 0xffffffffull : UINT64_MAX;
    switch (c->op) {
    case CP_SC_EQ: return masked_eq(ir, c, c->value, ones, T, F);
    case CP_SC_NE: return masked_eq(ir, c, c->value, ones, F, T);
    case CP_SC_MASKED_EQ: return masked_eq(ir, c, c->value, c->mask, T, F);
    case CP_SC_IN: return set_cond(ir, c, T, F);
    case CP_SC_NOT_IN: return set_cond(ir, c, F, T);
    default: return relational(ir, c, T, F);
    }
}

/* Is the condition a plain membership test (== or in) that can be fused? */
static int fusable(const struct wrule *r)
{
    return r->ncond == 1 && (r->conds[0].op == CP_SC_EQ || r->conds[0].op == CP_SC_IN);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Block state for one syscall: working rules plus owned buffers. */
struct block {
    struct wrule *rules;
    size_t nrules;
    struct wcond *conds;
    uint64_t *fused; /* storage for fused sets */
    uint32_t fallthrough;
};

static void block_free(struct block *b)
{
    free(b->rules);
    free(b->conds);
    free(b->fused);
}

/* Gather the conditional rules of one syscall (rule indices idx[0..n)) and
 * fuse runs of adjacent same-action single `==`/`in` rules on the same
 * argument into one set. */
static int block_build(const struct plan *p, const uint32_t *idx, size_t n, uint32_t fallthrough,
                       struct block *b)
{
    size_t nc = 0, nv = 0;
    for (size_t i = 0; i < n; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[idx[i]];
        nc += r->cond_count;
        for (uint32_t k = 0; k < r->cond_count; k++) {
            const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
            nv += (c->op == CP_SC_IN || c->op == CP_SC_NOT_IN) ? c->set_count : 1;
        }
    }
    memset(b, 0, sizeof *b);
    b->fallthrough = fallthrough;
    b->rules = calloc(n ? n : 1, sizeof *b->rules);
    b->conds = calloc(nc ? nc : 1, sizeof *b->conds);
    b->fused = calloc(nv ? nv : 1, sizeof *b->fused);
    if (!b->rules || !b->conds || !b->fused)
        return -1;
    size_t ci = 0, fi = 0;
    for (size_t i = 0; i < n; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[idx[i]];
        struct wrule *w = &b->rules[b->nrules];
        w->action = r->action;
        w->index = (int32_t)idx[i];
        w->conds = &b->conds[ci];
        w->ncond = r->cond_count;
        for (uint32_t k = 0; k < r->cond_count; k++) {
            const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
            struct wcond *x = &b->conds[ci++];
            x->arg = c->arg;
            x->op = c->op;
            x->width = c->width;
            x->value = c->value;
            x->mask = c->mask;
            if (c->op == CP_SC_IN || c->op == CP_SC_NOT_IN) {
                x->set = &p->seccomp.values[c->set_first];
                x->nset = c->set_count;
            }
        }
        /* fuse with the previous rule? */
        if (b->nrules > 0) {
            struct wrule *prev = &b->rules[b->nrules - 1];
            if (prev->action == w->action && fusable(prev) && fusable(w) &&
                prev->conds[0].arg == w->conds[0].arg && prev->conds[0].width == w->conds[0].width) {
                const struct wcond *a = &prev->conds[0], *c = &w->conds[0];
                size_t na = a->op == CP_SC_IN ? a->nset : 1, ncw = c->op == CP_SC_IN ? c->nset : 1;
                /* extend prev's fused set in place when it is the last one
                 * written, else start a new region: the total stays <= nv */
                int in_place = a->op == CP_SC_IN && a->set >= b->fused && a->set < b->fused + nv &&
                    a->set + a->nset == b->fused + fi;
                uint64_t *dst = in_place ? (uint64_t *)a->set : &b->fused[fi];
                if (in_place)
                    fi -= na;
                else if (a->op == CP_SC_IN)
                    memmove(dst, a->set, na * sizeof *dst);
                else
                    dst[0] = a->value;
                if (c->op == CP_SC_IN)
                    memcpy(dst + na, c->set, ncw * sizeof *dst);
                else
                    dst[na] = c->value;
                /* appended unsorted: a run of N rules is sorted once
                 * below, not N times (that was quadratic in the run) */
                size_t total = na + ncw;
                prev->conds[0].op = CP_SC_IN;
                prev->conds[0].set = dst;
                prev->conds[0].nset = (uint32_t)total;
                prev->conds[0].value = 0;
                fi += total;
                continue; /* w merged into prev */
            }
        }
        b->nrules++;
    }
    /* every fused set: sorted, duplicates dropped */
    for (size_t i = 0; i < b->nrules; i++) {
        struct wcond *c = &b->rules[i].conds[0];
        if (b->rules[i].ncond != 1 || c->op != CP_SC_IN || c->set < b->fused || c->set >= b->fused + nv)
            continue;
        uint64_t *d = (uint64_t *)c->set;
        size_t u = 0;
        qsort(d, c->nset, sizeof *d, cmp_u64);
        for (size_t q = 0; q < c->nset; q++)
            if (u == 0 || d[u - 1] != d[q])
                d[u++] = d[q];
        c->nset = (uint32_t)u;
    }
    return 0;
}

/* A byte signature of a block, to share the code of identical blocks. */
struct sigbuf {
    uint8_t *d;
    size_t len, cap;
    int oom;
};

static void sig_put(struct sigbuf *s, const void *x, size_t n)
{
    if (s->oom)
        return;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        while (cap < s->len + n)
            cap *= 2;
        uint8_t *d = realloc(s->d, cap);
        if (!d) {
            s->oom = 1;
            return;
        }
        s->d = d;
        s->cap = cap;
    }
    memcpy(s->d + s->len, x, n);
    s->len += n;
}

static void block_signature(const struct block *b, struct sigbuf *s)
{
    s->len = 0;
    sig_put(s, &b->fallthrough, sizeof b->fallthrough);
    for (size_t i = 0; i < b->nrules; i++) {
        const struct wrule *r = &b->rules[i];
        sig_put(s, &r->action, sizeof r->action);
        sig_put(s, &r->ncond, sizeof r->ncond);
        for (uint32_t k = 0; k < r->ncond; k++) {
            const struct wcond *c = &r->conds[k];
            uint8_t h[3] = { c->arg, c->op, c->width };
            sig_put(s, h, sizeof h);
            sig_put(s, &c->value, sizeof c->value);
            sig_put(s, &c->mask, sizeof c->mask);
            sig_put(s, &c->nset, sizeof c->nset);
            if (c->nset)
                sig_put(s, c->set, c->nset * sizeof *c->set);
        }
    }
}

static int32_t block_compile(struct ir *ir, const struct block *b)
{
    int32_t F = ir_ret(ir, b->fallthrough);
    for (size_t i = b->nrules; i-- > 0;) {
        const struct wrule *r = &b->rules[i];
        ir->owner = r->index;
        int32_t node = ir_ret(ir, r->action);
        for (uint32_t k = r->ncond; k-- > 0;)
            node = compile_cond(ir, &r->conds[k], node, F);
        F = node;
    }
    ir->owner = -1;
    return F;
}

/* ------------------------------------------------------- per arch ---- */

struct seen_block {
    uint8_t *sig;
    size_t len;
    uint64_t hash;
    int32_t root;
};

static uint64_t sig_hash(const uint8_t *d, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= d[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct gen {
    const struct plan *p;
    struct ir ir;
    uint32_t **rules_of; /* per table index: the rule indices naming it, in order */
    uint32_t *nrules_of;
    struct seen_block *seen;
    size_t nseen, capseen;
    struct sigbuf sig;
    int32_t next_scope;
};

/* The verdict node of table syscall `ti` (rules apply by name). */
static int32_t verdict_of(struct gen *g, size_t ti)
{
    const struct plan *p = g->p;
    struct ir *ir = &g->ir;
    const struct sc_syscall *s = sc_at(ti);
    uint32_t n = g->nrules_of[ti];
    if (n == 0)
        return ir_ret(ir, strcmp(s->name, "clone3") == 0 ? RET_ENOSYS : p->seccomp.default_action);
    const uint32_t *idx = g->rules_of[ti];
    if (p->seccomp.rules[idx[0]].cond_count == 0)
        return ir_ret(ir, p->seccomp.rules[idx[0]].action);
    /* conditional rules up to the first unconditional one, which (or the
     * default) is what falls through */
    uint32_t nc = 0;
    while (nc < n && p->seccomp.rules[idx[nc]].cond_count > 0)
        nc++;
    uint32_t fall = nc < n ? p->seccomp.rules[idx[nc]].action : p->seccomp.default_action;
    struct block b;
    if (block_build(p, idx, nc, fall, &b)) {
        block_free(&b);
        ir->oom = 1;
        return -1;
    }
    block_signature(&b, &g->sig);
    if (g->sig.oom) {
        block_free(&b);
        ir->oom = 1;
        return -1;
    }
    uint64_t h = sig_hash(g->sig.d, g->sig.len);
    for (size_t i = 0; i < g->nseen; i++)
        if (g->seen[i].hash == h && g->seen[i].len == g->sig.len &&
            memcmp(g->seen[i].sig, g->sig.d, g->sig.len) == 0) {
            block_free(&b);
            return g->seen[i].root;
        }
    int32_t saved = ir->scope, first = (int32_t)ir->len;
    ir->scope = g->next_scope++;
    int32_t root = block_compile(ir, &b);
    root = ir_drop_redundant_loads(ir, first, root, (int)OFF_NR);
    ir->scope = saved;
    block_free(&b);
    if (root < 0)
        return -1;
    if (g->nseen == g->capseen) {
        size_t cap = g->capseen ? g->capseen * 2 : 32;
        struct seen_block *sb = realloc(g->seen, cap * sizeof *sb);
        if (!sb) {
            ir->oom = 1;
            return -1;
        }
        g->seen = sb;
        g->capseen = cap;
    }
    uint8_t *copy = malloc(g->sig.len ? g->sig.len : 1);
    if (!copy) {
        ir->oom = 1;
        return -1;
    }
    memcpy(copy, g->sig.d, g->sig.len);
    g->seen[g->nseen++] = (struct seen_block){ copy, g->sig.len, h, root };
    return root;
}

struct seglist {
    struct ir_segment *s;
    size_t n, cap;
};

static int seg_add(struct seglist *l, uint32_t lo, int32_t node)
{
    if (node < 0)
        return -1;
    if (l->n && l->s[l->n - 1].node == node)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 512;
        struct ir_segment *s = realloc(l->s, cap * sizeof *s);
        if (!s)
            return -1;
        l->s = s;
        l->cap = cap;
    }
    l->s[l->n++] = (struct ir_segment){ lo, node };
    return 0;
}

/* The number dispatch over a list of (number, table index) pairs sorted by
 * number, numbers in [base, limit) outside the list going to ENOSYS. */
static int add_numbers(struct gen *g, struct seglist *l, const struct sc_compat_nr *nrs, size_t count,
                       uint32_t base)
{
    int32_t enosys = ir_ret(&g->ir, RET_ENOSYS);
    int32_t dflt = ir_ret(&g->ir, g->p->seccomp.default_action);
    uint64_t cursor = base;
    for (size_t i = 0; i < count; i++) {
        if (nrs[i].nr > cursor && seg_add(l, (uint32_t)cursor, enosys))
            return -1;
        int32_t v = nrs[i].index >= 0 ? verdict_of(g, (size_t)nrs[i].index) : dflt;
        if (seg_add(l, nrs[i].nr, v))
            return -1;
        cursor = (uint64_t)nrs[i].nr + 1;
    }
    return seg_add(l, (uint32_t)cursor, enosys);
}

/* Top-level tree of one ABI: its numbers, then [table end, ...) ENOSYS, the
 * x32 range, the high range and -1. */
static int32_t number_tree(struct gen *g, enum sc_arch arch, int compat_i386)
{
    struct seglist l = { 0 };
    struct sc_compat_nr *nrs = NULL;
    size_t count = 0;
    const struct sc_compat_nr *list;
    int32_t root = -1;
    if (compat_i386) {
        list = sc_compat_i386;
        count = sc_compat_i386_count;
    } else {
        nrs = malloc((size_t)sc_nr_limit[arch] * sizeof *nrs);
        if (!nrs)
            goto out;
        for (int nr = 0; nr < sc_nr_limit[arch]; nr++)
            if (sc_nr_index[arch][nr] >= 0)
                nrs[count++] = (struct sc_compat_nr){ (uint32_t)nr, sc_nr_index[arch][nr] };
        list = nrs;
    }
    if (add_numbers(g, &l, list, count, 0))
        goto out;
    int32_t enosys = ir_ret(&g->ir, RET_ENOSYS);
    if (arch == SC_ARCH_X86_64 && !compat_i386) {
        if (g->p->seccomp.flags & CP_SC_ALLOW_X32) {
            if (add_numbers(g, &l, sc_compat_x32, sc_compat_x32_count, X32_BIT))
                goto out;
        } else if (seg_add(&l, X32_BIT, ir_ret(&g->ir, SECCOMP_RET_KILL_PROCESS))) {
            goto out;
        }
        /* bit 31 without bit 30: no ABI, ENOSYS; both bits: x32-flagged again */
        if (seg_add(&l, 0x80000000u, enosys) ||
            seg_add(&l, 0xc0000000u,
                    (g->p->seccomp.flags & CP_SC_ALLOW_X32) ? enosys
                                                            : ir_ret(&g->ir, SECCOMP_RET_KILL_PROCESS)))
            goto out;
    }
    if (seg_add(&l, 0xffffffffu, ir_ret(&g->ir, SECCOMP_RET_ALLOW)))
        goto out;
    root = ir_segment_tree(&g->ir, l.s, l.n);
out:
    free(nrs);
    free(l.s);
    return root;
}

static void gen_free(struct gen *g)
{
    ir_free(&g->ir);
    for (size_t i = 0; i < g->nseen; i++)
        free(g->seen[i].sig);
    free(g->seen);
    free(g->sig.d);
}

/* Name the rules whose code is largest, for the over-limit error. */
static int too_big(const struct plan *p, enum sc_arch arch, size_t count, const int32_t *owners,
                   struct sc_gen_error *err)
{
    size_t n = p->seccomp.n_rules;
    size_t *cost = calloc(n ? n : 1, sizeof *cost);
    size_t structure = 0;
    if (!cost)
        return gen_fail(err, 0, "seccomp: filter for %s needs %zu instructions (limit %d)",
                        sc_arch_name(arch), count, SC_GEN_MAX_INSNS);
    for (size_t i = 0; i < count; i++) {
        if (owners[i] >= 0 && (size_t)owners[i] < n)
            cost[owners[i]]++;
        else
            structure++;
    }
    char list[700] = "";
    size_t used = 0;
    uint32_t first_line = 0;
    for (int pick = 0; pick < 3; pick++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (cost[i] && (best == SIZE_MAX || cost[i] > cost[best]))
                best = i;
        if (best == SIZE_MAX)
            break;
        const struct plan_sc_rule *r = &p->seccomp.rules[best];
        if (pick == 0)
            first_line = r->line;
        int w = snprintf(list + used, sizeof list - used, "%sline %u %s (%zu)", pick ? ", " : "", r->line,
                         r->syscall, cost[best]);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
        cost[best] = 0;
    }
    free(cost);
    return gen_fail(err, first_line,
                    "seccomp: filter for %s needs %zu instructions, more than the kernel's %d; "
                    "largest rules: %s; syscall-number dispatch: %zu",
                    sc_arch_name(arch), count, SC_GEN_MAX_INSNS, used ? list : "none", structure);
}

/* tix[i]: the syscall-table index of rule i (computed once per plan). */
static int gen_arch(const struct plan *p, const uint32_t *tix, enum sc_arch arch, int prefer_size,
                    struct plan_sc_program *out, struct sc_gen_error *err)
{
    struct gen g = { 0 };
    g.p = p;
    g.next_scope = 1;
    ir_init(&g.ir);
    g.ir.prefer_size = prefer_size;
    int rc = -1;
    size_t nt = 0;
    while (sc_at(nt))
        nt++;
    g.rules_of = calloc(nt, sizeof *g.rules_of);
    g.nrules_of = calloc(nt, sizeof *g.nrules_of);
    uint32_t *store = calloc(p->seccomp.n_rules ? p->seccomp.n_rules : 1, sizeof *store);
    struct cp_bpf_insn *insns = NULL;
    int32_t *owners = NULL;
    size_t count = 0;
    if (!g.rules_of || !g.nrules_of || !store)
        goto oom;
    /* rules per syscall, in written order */
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        g.nrules_of[tix[i]]++;
    size_t off = 0;
    for (size_t t = 0; t < nt; t++) {
        g.rules_of[t] = store + off;
        off += g.nrules_of[t];
        g.nrules_of[t] = 0;
    }
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        g.rules_of[tix[i]][g.nrules_of[tix[i]]++] = (uint32_t)i;

    int32_t kill = ir_ret(&g.ir, SECCOMP_RET_KILL_PROCESS);
    int32_t tree = number_tree(&g, arch, 0);
    int32_t foreign = kill;
    if (arch == SC_ARCH_X86_64 && (p->seccomp.flags & CP_SC_ALLOW_I386)) {
        int32_t i386 = ir_ld(&g.ir, OFF_NR, number_tree(&g, arch, 1));
        foreign = ir_jmp(&g.ir, BPF_JEQ, AUDIT_ARCH_I386, i386, kill);
    }
    int32_t root = ir_ld(&g.ir, OFF_ARCH,
                         ir_jmp(&g.ir, BPF_JEQ, sc_arch_audit(arch), ir_ld(&g.ir, OFF_NR, tree), foreign));
    if (root < 0 || ir_assemble(&g.ir, root, &insns, &count, &owners))
        goto oom;
    if (count > SC_GEN_MAX_INSNS) {
        too_big(p, arch, count, owners, err);
        rc = prefer_size ? -1 : 1; /* 1: worth a try in size mode */
        goto done;
    }
    struct bpf_check_error be;
    if (bpf_check_seccomp(insns, count, &be)) {
        gen_fail(err, 0, "seccomp: internal error: generated %s program fails the BPF check at insn %u: %s",
                 sc_arch_name(arch), be.insn, be.e.msg);
        goto done;
    }
    out->audit_arch = sc_arch_audit(arch);
    out->insn_count = (uint32_t)count;
    out->insns = insns;
    insns = NULL;
    rc = 0;
    goto done;
oom:
    gen_fail(err, 0, "seccomp: out of memory compiling the %s filter", sc_arch_name(arch));
done:
    free(insns);
    free(owners);
    free(store);
    free(g.rules_of);
    free(g.nrules_of);
    gen_free(&g);
    return rc;
}

int seccomp_gen_all(struct plan *p, struct sc_gen_error *err)
{
    if (err) {
        err->e.msg[0] = '\0';
        err->line = 0;
    }
    if (!p)
        return gen_fail(err, 0, "seccomp: no plan");
    if (p->seccomp.n_programs)
        return gen_fail(err, 0, "seccomp: the plan already has compiled programs");
    if (check_input(p, err))
        return -1;
    struct plan_sc_program *progs = calloc(SC_ARCH_COUNT, sizeof *progs);
    uint32_t *tix = malloc((p->seccomp.n_rules ? p->seccomp.n_rules : 1) * sizeof *tix);
    if (!progs || !tix) {
        free(progs);
        free(tix);
        return gen_fail(err, 0, "seccomp: out of memory");
    }
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        tix[i] = (uint32_t)(sc_lookup(p->seccomp.rules[i].syscall) - sc_at(0));
    /* A rough size of the shortest-path program: a value-set search costs
     * about two instructions per value, another condition about three per
     * word, the number dispatch about one per rule. When it is clearly over
     * the limit, start in size mode rather than compile twice. */
    size_t estimate = 64;
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        estimate += 1;
        for (uint32_t k = 0; k < r->cond_count; k++) {
            const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
            size_t words = c->width == 64 ? 2 : 1;
            estimate +=
                (c->op == CP_SC_IN || c->op == CP_SC_NOT_IN) ? 2 * (size_t)c->set_count + words : 3 * words;
        }
    }
    int size_first = estimate > 2 * (size_t)SC_GEN_MAX_INSNS;
    /* ascending audit_arch: AUDIT_ARCH_X86_64 (0xc000003e) < AUDIT_ARCH_AARCH64 (0xc00000b7) */
    static const enum sc_arch order[SC_ARCH_COUNT] = { SC_ARCH_X86_64, SC_ARCH_AARCH64 };
    for (int i = 0; i < SC_ARCH_COUNT; i++) {
        /* shortest paths first; a filter over the kernel's limit is
         * compiled again preferring size (fewer, longer jeq chains) */
        int rc = gen_arch(p, tix, order[i], size_first, &progs[i], err);
        if (rc == 1)
            rc = gen_arch(p, tix, order[i], 1, &progs[i], err);
        if (rc) {
            for (int j = 0; j < i; j++)
                free((void *)progs[j].insns);
            free(progs);
            free(tix);
            return -1;
        }
    }
    free(tix);
    p->seccomp.programs = progs;
    p->seccomp.n_programs = SC_ARCH_COUNT;
    if (err) {
        err->e.msg[0] = '\0'; /* a first over-limit attempt may have written one */
        err->line = 0;
    }
    return 0;
}

void seccomp_gen_free_programs(struct plan *p)
{
    if (!p || !p->seccomp.programs)
        return;
    for (size_t i = 0; i < p->seccomp.n_programs; i++)
        free((void *)p->seccomp.programs[i].insns);
    free(p->seccomp.programs);
    p->seccomp.programs = NULL;
    p->seccomp.n_programs = 0;
}
