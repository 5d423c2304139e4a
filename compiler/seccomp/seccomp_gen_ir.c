/*
 * seccomp_gen_ir.c - the code generator's IR: hash-consed node
 * construction, redundant-load removal per argument block, and layout into
 * classic BPF with far-jump trampolines (see seccomp_gen_internal.h).
 *
 * Layout: nodes are ordered by reverse post-order of a depth-first walk that
 * visits the false successor last (so it usually follows its jump directly),
 * then emitted backwards, from the last instruction to the first, so every
 * target's position is known when a jump to it is emitted. A target more
 * than 255 instructions away is reached through a `ja` placed right after
 * the jump; a far return is instead copied next to the jump (same length,
 * one instruction fewer executed). Returns are not placed by the walk at
 * all: each jump uses the nearest copy of its return within reach.
 */
#include "seccomp_gen_internal.h"

#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>

void ir_init(struct ir *ir)
{
    memset(ir, 0, sizeof *ir);
    ir->owner = -1;
}

void ir_free(struct ir *ir)
{
    free(ir->n);
    free(ir->slots);
    memset(ir, 0, sizeof *ir);
}

static uint64_t node_hash(uint8_t kind, uint8_t op, uint32_t k, int32_t t, int32_t f, int32_t scope)
{
    uint64_t h = 1469598103934665603ull;
    uint64_t parts[6] = { kind, op, k, (uint32_t)t, (uint32_t)f, (uint32_t)scope };
    for (int i = 0; i < 6; i++) {
        h ^= parts[i];
        h *= 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

static int grow_slots(struct ir *ir)
{
    size_t nslots = ir->nslots ? ir->nslots * 2 : 1024;
    int32_t *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = -1;
    for (size_t i = 0; i < ir->len; i++) {
        const struct ir_node *n = &ir->n[i];
        int32_t scope = n->kind == IR_RET ? -1 : n->scope;
        size_t s = node_hash(n->kind, n->op, n->k, n->t, n->f, scope) & (nslots - 1);
        while (slots[s] >= 0)
            s = (s + 1) & (nslots - 1);
        slots[s] = (int32_t)i;
    }
    free(ir->slots);
    ir->slots = slots;
    ir->nslots = nslots;
    return 0;
}

static int32_t make(struct ir *ir, uint8_t kind, uint8_t op, uint32_t k, int32_t t, int32_t f)
{
    if (ir->oom)
        return -1;
    int32_t scope = kind == IR_RET ? -1 : ir->scope;
    if ((ir->len + 1) * 2 > ir->nslots && grow_slots(ir)) {
        ir->oom = 1;
        return -1;
    }
    size_t s = node_hash(kind, op, k, t, f, scope) & (ir->nslots - 1);
    for (; ir->slots[s] >= 0; s = (s + 1) & (ir->nslots - 1)) {
        const struct ir_node *n = &ir->n[ir->slots[s]];
        int32_t nscope = n->kind == IR_RET ? -1 : n->scope;
        if (n->kind == kind && n->op == op && n->k == k && n->t == t && n->f == f && nscope == scope)
            return ir->slots[s];
    }
    if (ir->len == ir->cap) {
        size_t cap = ir->cap ? ir->cap * 2 : 1024;
        struct ir_node *nn = realloc(ir->n, cap * sizeof *nn);
        if (!nn) {
            ir->oom = 1;
            return -1;
        }
        ir->n = nn;
        ir->cap = cap;
    }
    struct ir_node *n = &ir->n[ir->len];
    n->kind = kind;
    n->op = op;
    n->k = k;
    n->t = t;
    n->f = f;
    n->scope = scope;
    n->owner = ir->owner;
    switch (kind) {
    case IR_RET: n->cost = 1; break;
    case IR_JMP: {
        uint32_t a = ir->n[t].cost, b = ir->n[f].cost;
        n->cost = 1 + (a > b ? a : b);
        break;
    }
    default: n->cost = 1 + ir->n[t].cost; break;
    }
    ir->slots[s] = (int32_t)ir->len;
    return (int32_t)ir->len++;
}

int32_t ir_ret(struct ir *ir, uint32_t action)
{
    return make(ir, IR_RET, 0, action, -1, -1);
}

int32_t ir_ld(struct ir *ir, uint32_t off, int32_t next)
{
    if (next < 0)
        return -1;
    return make(ir, IR_LD, 0, off, next, -1);
}

int32_t ir_and(struct ir *ir, uint32_t mask, int32_t next)
{
    if (next < 0)
        return -1;
    return make(ir, IR_AND, 0, mask, next, -1);
}

int32_t ir_jmp(struct ir *ir, uint8_t op, uint32_t k, int32_t t, int32_t f)
{
    if (t < 0 || f < 0)
        return -1;
    if (t == f)
        return t;
    return make(ir, IR_JMP, op, k, t, f);
}

/* ------------------------------------------------ redundant loads ---- */

#define WORD_UNSET   (-2)
#define WORD_UNKNOWN (-1)

static int meet(int a, int b)
{
    if (a == WORD_UNSET)
        return b;
    return a == b ? a : WORD_UNKNOWN;
}

int32_t ir_drop_redundant_loads(struct ir *ir, int32_t first, int32_t root, int entry_word)
{
    if (root < 0 || ir->oom)
        return -1;
    int32_t scope = ir->n[root].scope;
    if (ir->n[root].kind == IR_RET)
        return root;
    if (first < 0 || first > root)
        first = 0;
    size_t base = (size_t)first, n = (size_t)root + 1 - base;
    int *in = malloc(n * sizeof *in);
    if (!in) {
        ir->oom = 1;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        in[i] = WORD_UNSET;
#define IN(x)   in[(size_t)(x)-base]
#define OURS(x) ((x) >= first && ir->n[x].kind != IR_RET && ir->n[x].scope == scope)
    IN(root) = entry_word;
    /* successors have smaller indices: one pass in decreasing order is a
     * topological sweep of the block */
    for (size_t i = (size_t)root + 1; i-- > base;) {
        struct ir_node *x = &ir->n[i];
        if (IN(i) == WORD_UNSET || !OURS((int32_t)i))
            continue;
        int out = x->kind == IR_LD ? (int)x->k : x->kind == IR_AND ? WORD_UNKNOWN : IN(i);
        if (OURS(x->t))
            IN(x->t) = meet(IN(x->t), out);
        if (x->kind == IR_JMP && OURS(x->f))
            IN(x->f) = meet(IN(x->f), out);
    }
    /* redirect every edge that enters a redundant load to the load's next */
#define SKIP(e)                                                                                              \
    while (OURS(e) && ir->n[e].kind == IR_LD && IN(e) != WORD_UNSET && IN(e) == (int)ir->n[e].k)             \
    (e) = ir->n[e].t
    SKIP(root);
    for (size_t i = base; i <= (size_t)root; i++) {
        struct ir_node *x = &ir->n[i];
        if (IN(i) == WORD_UNSET || !OURS((int32_t)i))
            continue;
        SKIP(x->t);
        if (x->kind == IR_JMP)
            SKIP(x->f);
    }
#undef SKIP
    /* recompute costs bottom-up (children first) */
    for (size_t i = base; i < base + n; i++) {
        struct ir_node *x = &ir->n[i];
        if (!OURS((int32_t)i))
            continue;
        if (x->kind == IR_JMP) {
            uint32_t a = ir->n[x->t].cost, b = ir->n[x->f].cost;
            x->cost = 1 + (a > b ? a : b);
        } else {
            x->cost = 1 + ir->n[x->t].cost;
        }
    }
#undef IN
#undef OURS
    free(in);
    return root;
}

/* ------------------------------------------------------------ layout ---- */

struct emitter {
    struct cp_bpf_insn *v; /* instructions in reverse order: v[0] is the last */
    int32_t *own;
    size_t len, cap;
    struct {
        uint32_t action;
        size_t id;
    } * rets;
    size_t nrets, capr;
    int oom;
};

/* Append an instruction (placed before everything emitted so far); returns
 * its id (1-based position counted from the end of the program). */
static size_t put(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k, int32_t owner)
{
    if (e->len == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 256;
        struct cp_bpf_insn *v = realloc(e->v, cap * sizeof *v);
        int32_t *own = v ? realloc(e->own, cap * sizeof *own) : NULL;
        if (v)
            e->v = v;
        if (!v || !own) {
            e->oom = 1;
            return 0;
        }
        e->own = own;
        e->cap = cap;
    }
    e->v[e->len] = (struct cp_bpf_insn){ .code = code, .jt = jt, .jf = jf, .k = k };
    e->own[e->len] = owner;
    return ++e->len;
}

static size_t put_ret(struct emitter *e, uint32_t action, int32_t owner)
{
    size_t id = put(e, BPF_RET | BPF_K, 0, 0, action, owner);
    if (!id)
        return 0;
    for (size_t i = 0; i < e->nrets; i++)
        if (e->rets[i].action == action) {
            e->rets[i].id = id;
            return id;
        }
    if (e->nrets == e->capr) {
        size_t cap = e->capr ? e->capr * 2 : 16;
        void *r = realloc(e->rets, cap * sizeof *e->rets);
        if (!r) {
            e->oom = 1;
            return 0;
        }
        e->rets = r;
        e->capr = cap;
    }
    e->rets[e->nrets].action = action;
    e->rets[e->nrets].id = id;
    e->nrets++;
    return id;
}

static size_t nearest_ret(const struct emitter *e, uint32_t action)
{
    for (size_t i = 0; i < e->nrets; i++)
        if (e->rets[i].action == action)
            return e->rets[i].id;
    return 0;
}

/* Reverse post-order of the non-return nodes reachable from root. */
static int32_t *order_nodes(struct ir *ir, int32_t root, size_t *count)
{
    size_t n = (size_t)root + 1;
    uint8_t *state = calloc(n, 1);
    int32_t *post = malloc(n * sizeof *post);
    struct frame {
        int32_t node;
        uint8_t next;
    } *stack = malloc(n * sizeof *stack);
    size_t npost = 0, sp = 0;
    if (!state || !post || !stack) {
        free(state);
        free(post);
        free(stack);
        return NULL;
    }
    if (ir->n[root].kind != IR_RET) {
        stack[sp++] = (struct frame){ root, 0 };
        state[root] = 1;
    }
    while (sp) {
        struct frame *fr = &stack[sp - 1];
        const struct ir_node *x = &ir->n[fr->node];
        int32_t child = -1;
        /* visit t first, f last: f ends up right after the node */
        if (fr->next == 0) {
            fr->next = 1;
            child = x->t;
        } else if (fr->next == 1 && x->kind == IR_JMP) {
            fr->next = 2;
            child = x->f;
        } else {
            post[npost++] = fr->node;
            sp--;
            continue;
        }
        if (child >= 0 && !state[child] && ir->n[child].kind != IR_RET) {
            state[child] = 1;
            stack[sp++] = (struct frame){ child, 0 };
        }
    }
    free(state);
    free(stack);
    /* reverse */
    for (size_t i = 0; i < npost / 2; i++) {
        int32_t tmp = post[i];
        post[i] = post[npost - 1 - i];
        post[npost - 1 - i] = tmp;
    }
    *count = npost;
    return post;
}

/* Resolve a target for an instruction about to get id len+1: returns the
 * target id, emitting a copy of a far return, or 0 on allocation failure. */
static size_t target_id(struct emitter *e, const struct ir *ir, const size_t *pos, int32_t node,
                        int32_t owner)
{
    const struct ir_node *x = &ir->n[node];
    if (x->kind == IR_RET) {
        size_t id = nearest_ret(e, x->k);
        if (!id || e->len - id > 255)
            id = put_ret(e, x->k, owner);
        return id;
    }
    return pos[node];
}

int ir_assemble(struct ir *ir, int32_t root, struct cp_bpf_insn **out, size_t *count, int32_t **owners)
{
    if (root < 0 || ir->oom)
        return -1;
    struct emitter e = { 0 };
    size_t norder = 0;
    int32_t *order = order_nodes(ir, root, &norder);
    size_t *pos = calloc((size_t)root + 1, sizeof *pos);
    if (!order || !pos) {
        free(order);
        free(pos);
        return -1;
    }
    if (ir->n[root].kind == IR_RET)
        put_ret(&e, ir->n[root].k, ir->n[root].owner);
    for (size_t oi = norder; oi-- > 0 && !e.oom;) {
        int32_t u = order[oi];
        const struct ir_node *x = &ir->n[u];
        if (x->kind == IR_JMP) {
            size_t t = target_id(&e, ir, pos, x->t, x->owner);
            size_t f = target_id(&e, ir, pos, x->f, x->owner);
            while (!e.oom) {
                /* converges: a new trampoline is at offset 0 and pushes the other target by 1 */
                /* the jump will get id len+1; offset = id - target - 1 = len - target */
                if (e.len - t > 255) {
                    t = ir->n[x->t].kind == IR_RET
                        ? put_ret(&e, ir->n[x->t].k, x->owner)
                        : put(&e, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(e.len - t), x->owner);
                    continue;
                }
                if (e.len - f > 255) {
                    f = ir->n[x->f].kind == IR_RET
                        ? put_ret(&e, ir->n[x->f].k, x->owner)
                        : put(&e, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(e.len - f), x->owner);
                    continue;
                }
                break;
            }
            pos[u] = put(&e, (uint16_t)(BPF_JMP | x->op | BPF_K), (uint8_t)(e.len - t), (uint8_t)(e.len - f),
                         x->k, x->owner);
        } else {
            /* LD / AND fall through: the next node must be the very next instruction */
            size_t nx = target_id(&e, ir, pos, x->t, x->owner);
            if (nx != e.len) {
                if (ir->n[x->t].kind == IR_RET)
                    put_ret(&e, ir->n[x->t].k, x->owner);
                else
                    put(&e, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(e.len - nx), x->owner);
            }
            uint16_t code = x->kind == IR_LD ? (BPF_LD | BPF_W | BPF_ABS) : (BPF_ALU | BPF_AND | BPF_K);
            pos[u] = put(&e, code, 0, 0, x->k, x->owner);
        }
    }
    free(order);
    free(pos);
    free(e.rets);
    if (e.oom) {
        free(e.v);
        free(e.own);
        return -1;
    }
    /* reverse into program order */
    for (size_t i = 0; i < e.len / 2; i++) {
        struct cp_bpf_insn tmp = e.v[i];
        e.v[i] = e.v[e.len - 1 - i];
        e.v[e.len - 1 - i] = tmp;
        int32_t o = e.own[i];
        e.own[i] = e.own[e.len - 1 - i];
        e.own[e.len - 1 - i] = o;
    }
    *out = e.v;
    *count = e.len;
    if (owners)
        *owners = e.own;
    else
        free(e.own);
    return 0;
}
