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
 * wins; in size mode (ir->prefer_size, used when a filter would not fit
 * the kernel's 4,096 instructions) unbounded chains are tried too and the
 * fewest instructions win. A chain may also start with its first point
 * (P1 X P2 X ...), so each point pairs with the gap after it. All choices
 * are deterministic.
 */
#include "seccomp_gen_internal.h"

#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_BITS 40

struct seg {
    uint32_t lo, hi;
    int32_t node;
};

struct leaf {
    size_t a, b;        /* segment span [a, b]; a chain when b > a */
    int pstart;         /* chain form P1 X ... Pc X (else X P1 X ... Pc X) */
    uint32_t cost;      /* longest path through the leaf's own compares and below */
    uint64_t pos, size; /* dyadic interval, in units of 2^-UNIT_BITS */
};

/* The X segment of a chain leaf, and its first point. */
static size_t leaf_x(const struct leaf *l)
{
    return l->pstart ? l->a + 1 : l->a;
}
static size_t leaf_p1(const struct leaf *l)
{
    return l->pstart ? l->a : l->a + 1;
}

static uint32_t leaf_cost(const struct ir *ir, const struct seg *s, const struct leaf *l)
{
    if (l->a == l->b)
        return ir->n[s[l->a].node].cost;
    uint32_t worst = 0, j = 0;
    for (size_t i = leaf_p1(l); i < l->b; i += 2) {
        j++;
        uint32_t c = j + ir->n[s[i].node].cost;
        if (c > worst)
            worst = c;
    }
    uint32_t c = j + ir->n[s[leaf_x(l)].node].cost;
    return c > worst ? c : worst;
}

static size_t leaf_compares(const struct leaf *l)
{
    return l->a == l->b ? 0 : (l->b - leaf_p1(l) + 1) / 2;
}

/* Group segments into leaves, chains of at most `chain` points. */
static size_t form_leaves(const struct ir *ir, const struct seg *s, size_t m, size_t chain, struct leaf *lv)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        size_t start = i;
        int pstart = 0;
        if (chain > 0 && s[i].lo == s[i].hi && i + 1 < m) {
            /* P1 X [P2 X ...]: the point pairs with the gap after it */
            pstart = 1;
            int32_t x = s[i + 1].node;
            size_t c = 1;
            i++;
            while (c < chain && i + 2 < m && s[i + 1].lo == s[i + 1].hi && s[i + 2].node == x) {
                i += 2;
                c++;
            }
        } else {
            for (size_t c = 0;
                 c < chain && i + 2 < m && s[i + 1].lo == s[i + 1].hi && s[i + 2].node == s[start].node; c++)
                i += 2;
        }
        lv[n].a = start;
        lv[n].b = i;
        lv[n].pstart = pstart;
        lv[n].cost = leaf_cost(ir, s, &lv[n]);
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
    uint32_t lo = 0;
    for (size_t i = 0; i < n; i++)
        if (lv[i].cost > lo)
            lo = lv[i].cost;
    /* feasibility is monotone in T: search [lo, hi] with hi feasible
     * (n leaves always fit at depth ceil(log2 n) below the costliest) */
    uint32_t hi = lo;
    while (!place(lv, n, hi))
        hi = hi + (hi - lo) + 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (place(lv, n, mid))
            hi = mid;
        else
            lo = mid + 1;
    }
    place(lv, n, lo); /* leave the placement of the answer in lv */
    return lo;
}

static int32_t build_leaf(struct ir *ir, const struct seg *s, const struct leaf *l)
{
    if (l->a == l->b)
        return s[l->a].node;
    int32_t node = s[leaf_x(l)].node;
    /* test P1 first: build from the last point back */
    size_t first = leaf_p1(l);
    for (size_t i = l->b - 1;; i -= 2) {
        node = ir_jmp(ir, BPF_JEQ, s[i].lo, s[i].node, node);
        if (i == first)
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

/* The best configuration for merged segments s[0..m): *chain, T, size. */
static void best_config(const struct ir *ir, const struct seg *s, size_t m, struct leaf *lv, size_t *chain,
                        uint32_t *T_out, size_t *size_out)
{
    /* chain lengths tried; when size matters most, also one chain per leaf
     * run (as long as it gets: fewest compares) */
    static const size_t chains[] = { 0, 1, 2, 3, SIZE_MAX };
    size_t nconf = ir->prefer_size ? 5 : 4;
    *chain = 0;
    *T_out = UINT32_MAX;
    *size_out = SIZE_MAX;
    for (size_t ci = 0; ci < nconf; ci++) {
        size_t nl = form_leaves(ir, s, m, chains[ci], lv);
        uint32_t T = min_target(lv, nl);
        size_t size = nl - 1;
        for (size_t i = 0; i < nl; i++)
            size += leaf_compares(&lv[i]);
        int better = ir->prefer_size ? (size < *size_out || (size == *size_out && T < *T_out))
                                     : (T < *T_out || (T == *T_out && size < *size_out));
        if (better) {
            *T_out = T;
            *size_out = size;
            *chain = chains[ci];
        }
    }
}

/* s without segment k, neighbours merged when equal; returns the new count. */
static size_t drop_segment(const struct seg *s, size_t m, size_t k, struct seg *out)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == k)
            continue;
        if (n && out[n - 1].node == s[i].node) {
            out[n - 1].hi = s[i].hi;
            continue;
        }
        out[n] = s[i];
        if (n == 0)
            out[n].lo = 0;
        n++;
    }
    return n;
}

#define MAX_HOISTS 4

int32_t ir_segment_tree(struct ir *ir, const struct ir_segment *in, size_t n)
{
    if (ir->oom || n == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (in[i].node < 0)
            return -1;
    struct seg *s = malloc(n * sizeof *s);
    struct seg *rest = malloc(n * sizeof *rest);
    struct leaf *lv = malloc(n * sizeof *lv);
    if (!s || !rest || !lv) {
        free(s);
        free(rest);
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

    size_t chain, size;
    uint32_t T;
    best_config(ir, s, m, lv, &chain, &T, &size);

    /* Hoisting: a costly single value (a syscall with an argument block,
     * say) can be tested first with one jeq, the tree deciding the rest;
     * done while it shortens the longest path. The hoisted values are
     * tested in the order found, the first at the root. */
    int32_t hoisted_val[MAX_HOISTS];
    int32_t hoisted_node[MAX_HOISTS];
    uint32_t hoisted_lo[MAX_HOISTS];
    int nh = 0;
    uint32_t above = 0; /* jeqs already on the path above the rest */
    while (!ir->prefer_size && nh < MAX_HOISTS && m > 1) {
        size_t k = SIZE_MAX;
        for (size_t i = 0; i < m; i++)
            if (s[i].lo == s[i].hi && (k == SIZE_MAX || ir->n[s[i].node].cost > ir->n[s[k].node].cost))
                k = i;
        if (k == SIZE_MAX)
            break;
        size_t mr = drop_segment(s, m, k, rest);
        size_t rchain, rsize;
        uint32_t rT;
        best_config(ir, rest, mr, lv, &rchain, &rT, &rsize);
        uint32_t ck = ir->n[s[k].node].cost;
        uint32_t hoisted_T = (1 + ck > 1 + rT ? 1 + ck : 1 + rT);
        if (hoisted_T >= T)
            break;
        hoisted_lo[nh] = s[k].lo;
        hoisted_node[nh] = s[k].node;
        hoisted_val[nh] = 1;
        nh++;
        above++;
        memcpy(s, rest, mr * sizeof *s);
        m = mr;
        T = rT;
        chain = rchain;
        size = rsize;
    }
    (void)above;
    (void)hoisted_val;
    size_t nl = form_leaves(ir, s, m, chain, lv);
    min_target(lv, nl);
    int32_t root = build(ir, s, lv, 0, nl - 1, 0, 1ull << UNIT_BITS);
    for (int h = nh; h-- > 0;)
        root = ir_jmp(ir, BPF_JEQ, hoisted_lo[h], hoisted_node[h], root);
    free(s);
    free(rest);
    free(lv);
    return root;
}
