/*
 * seccomp_gen_tree.c - balanced decision trees over one 32-bit word: the
 * syscall-number dispatch and the search of argument value sets.
 *
 * The input is a partition of [0, 2^32) into segments, each with the IR
 * node its values go to. After merging equal neighbours, segments are
 * grouped into leaves: a plain leaf is one segment; a chain leaf is
 * X P1 X P2 ... Pc X where each Pj is a single value and the X are segments
 * going to the same node, decided by c `jeq`s (this is what turns a value
 * set into about log2(n)+1 compares and lets isolated syscalls share their
 * neighbours' verdict). Leaves are then arranged in an order-preserving
 * binary tree of `jge` splits that minimises the longest path, i.e.
 * max(depth(leaf) + cost(leaf)): for a target T each leaf may sit at depth
 * T - cost; the smallest feasible T is found by placing the leaves left to
 * right on aligned dyadic intervals of [0,1) (taking the deepest allowed
 * depth is never worse, so the greedy placement decides feasibility). The
 * chain length (0..3) giving the smallest T, then the fewest instructions,
 * wins. All choices are deterministic.
 */
#include "seccomp_gen_internal.h"

#include <linux/filter.h>
#include <stdlib.h>

#define UNIT_BITS 40
#define MAX_CHAIN 3

struct seg {
    uint32_t lo, hi;
    int32_t node;
};

struct leaf {
    size_t a, b;        /* segment span [a, b]; a chain when b > a */
    uint32_t cost;      /* longest path through the leaf's own compares and below */
    uint64_t pos, size; /* dyadic interval, in units of 2^-UNIT_BITS */
};

static uint32_t leaf_cost(const struct ir *ir, const struct seg *s, size_t a, size_t b)
{
    if (a == b)
        return ir->n[s[a].node].cost;
    uint32_t worst = 0, j = 0;
    for (size_t i = a + 1; i < b; i += 2) {
        j++;
        uint32_t c = j + ir->n[s[i].node].cost;
        if (c > worst)
            worst = c;
    }
    uint32_t c = j + ir->n[s[a].node].cost;
    return c > worst ? c : worst;
}

static size_t form_leaves(const struct ir *ir, const struct seg *s, size_t m, int chain,
                          struct leaf *lv)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        size_t start = i;
        for (int c = 0; c < chain && i + 2 < m && s[i + 1].lo == s[i + 1].hi &&
                        s[i + 2].node == s[start].node; c++)
            i += 2;
        lv[n].a = start;
        lv[n].b = i;
        lv[n].cost = leaf_cost(ir, s, start, i);
        n++;
    }
    return n;
}

/* Place leaves for target T; returns 1 when they fit in [0,1). */
static int place(struct leaf *lv, size_t n, uint32_t T)
{
    uint64_t pos = 0, end = 1ull << UNIT_BITS;
    for (size_t i = 0; i < n; i++) {
        if (lv[i].cost > T)
            return 0;
        uint32_t d = T - lv[i].cost;
        if (d > UNIT_BITS)
            d = UNIT_BITS;
        uint64_t size = 1ull << (UNIT_BITS - d);
        pos = (pos + size - 1) & ~(size - 1);
        if (pos + size > end)
            return 0;
        lv[i].pos = pos;
        lv[i].size = size;
        pos += size;
    }
    return 1;
}

static uint32_t min_target(struct leaf *lv, size_t n)
{
    uint32_t T = 0;
    for (size_t i = 0; i < n; i++)
        if (lv[i].cost > T)
            T = lv[i].cost;
    while (!place(lv, n, T))
        T++;
    return T;
}

static int32_t build_leaf(struct ir *ir, const struct seg *s, const struct leaf *l)
{
    int32_t node = s[l->a].node;
    if (l->a == l->b)
        return node;
    /* X P1 X ... Pc X: test P1 first */
    for (size_t i = l->b - 1;; i -= 2) {
        node = ir_jmp(ir, BPF_JEQ, s[i].lo, s[i].node, node);
        if (i == l->a + 1)
            break;
    }
    return node;
}

static int32_t build(struct ir *ir, const struct seg *s, const struct leaf *lv, size_t lo, size_t hi,
                     uint64_t start, uint64_t size)
{
    if (lo == hi)
        return build_leaf(ir, s, &lv[lo]);
    uint64_t half = size / 2, mid = start + half;
    size_t split = lo;
    while (split <= hi && lv[split].pos < mid)
        split++;
    if (split == lo)
        return build(ir, s, lv, lo, hi, mid, half);
    if (split > hi)
        return build(ir, s, lv, lo, hi, start, half);
    int32_t right = build(ir, s, lv, split, hi, mid, half);
    int32_t left = build(ir, s, lv, lo, split - 1, start, half);
    return ir_jmp(ir, BPF_JGE, s[lv[split].a].lo, right, left);
}

int32_t ir_segment_tree(struct ir *ir, const struct ir_segment *in, size_t n)
{
    if (ir->oom || n == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (in[i].node < 0)
            return -1;
    struct seg *s = malloc(n * sizeof *s);
    struct leaf *lv = malloc(n * sizeof *lv);
    if (!s || !lv) {
        free(s);
        free(lv);
        ir->oom = 1;
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && s[m - 1].node == in[i].node)
            continue;
        s[m].lo = in[i].lo;
        s[m].node = in[i].node;
        m++;
    }
    for (size_t i = 0; i < m; i++)
        s[i].hi = i + 1 < m ? s[i + 1].lo - 1 : 0xffffffffu;

    int best_chain = 0;
    uint32_t best_T = UINT32_MAX;
    size_t best_size = SIZE_MAX;
    for (int chain = 0; chain <= MAX_CHAIN; chain++) {
        size_t nl = form_leaves(ir, s, m, chain, lv);
        uint32_t T = min_target(lv, nl);
        size_t size = nl - 1;
        for (size_t i = 0; i < nl; i++)
            size += (lv[i].b - lv[i].a) / 2;
        if (T < best_T || (T == best_T && size < best_size)) {
            best_T = T;
            best_size = size;
            best_chain = chain;
        }
    }
    size_t nl = form_leaves(ir, s, m, best_chain, lv);
    min_target(lv, nl);
    int32_t root = build(ir, s, lv, 0, nl - 1, 0, 1ull << UNIT_BITS);
    free(s);
    free(lv);
    return root;
}
