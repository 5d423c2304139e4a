/*
 * check_sc.c - the syscalls section: the default action, `abi`, and rules
 * with typed argument predicates, normalised into the plan's rule,
 * condition and value arrays (groups expanded, written order kept).
 *
 * Semantics (docs/language.md, "syscalls"): per syscall, rules apply in
 * written order (packs in resolution order, then the cell) and the first
 * match wins. The checker rejects what would make that surprising:
 *  - a rule for a syscall after an unconditional rule for it (it can never
 *    apply), which covers two unconditional rules;
 *  - an explicit rule written after a group that covers the syscall (write
 *    it before the group to take precedence);
 *  - two groups that give one syscall different actions;
 *  - an explicit unconditional rule made redundant by a later group with
 *    the same action.
 * An explicit rule written before a group that covers its syscall takes
 * precedence: the group's rule for that syscall is dropped (a carve-out).
 * Groups that overlap with the same action keep the first.
 */
#include "check_int.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/seccomp/syscall_table.h"

#define RET_KILL_PROCESS 0x80000000u
#define RET_KILL_THREAD  0x00000000u
#define RET_TRAP         0x00030000u
#define RET_ERRNO        0x00050000u
#define RET_USER_NOTIF   0x7fc00000u
#define RET_LOG          0x7ffc0000u
#define RET_ALLOW        0x7fff0000u

/* A conditional rule already written for a syscall. */
struct cond_rule {
    uint32_t action;
    struct loc loc;
    struct cond_rule *next;
};

struct sc_state {
    const char *name;
    bool has_uncond;
    uint32_t uncond_action;
    struct loc uncond_loc;
    const char *uncond_group; /* the group that gave it, or NULL */
    bool explicit_uncond_redundant_reported;
    struct cond_rule *conds; /* conditional rules so far, newest first */
};

struct group_use {
    const char *name;
    uint32_t action;
    struct loc loc;
};

/* ---- per-syscall state: open addressing keyed by the table's name pointer */

static size_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (size_t)x;
}

static struct sc_state *state_for(struct chk *c, const char *name)
{
    if (c->sc_table_n * 2 >= c->sc_table_cap) {
        size_t ncap = c->sc_table_cap ? c->sc_table_cap * 2 : 256;
        struct sc_state **nt = arena_alloc(c->a, ncap * sizeof *nt);
        for (size_t i = 0; i < c->sc_table_cap; i++) {
            struct sc_state *s = c->sc_table[i];
            if (!s)
                continue;
            size_t h = ptr_hash(s->name) & (ncap - 1);
            while (nt[h])
                h = (h + 1) & (ncap - 1);
            nt[h] = s;
        }
        c->sc_table = nt;
        c->sc_table_cap = ncap;
    }
    size_t h = ptr_hash(name) & (c->sc_table_cap - 1);
    while (c->sc_table[h]) {
        if (c->sc_table[h]->name == name)
            return c->sc_table[h];
        h = (h + 1) & (c->sc_table_cap - 1);
    }
    struct sc_state *s = arena_alloc(c->a, sizeof *s);
    s->name = name;
    c->sc_table[h] = s;
    c->sc_table_n++;
    return s;
}

/* ---- actions ---------------------------------------------------------------- */

static const char *action_text(struct chk *c, uint32_t a)
{
    switch (a & 0xffff0000u) {
    case RET_ALLOW: return "allow";
    case RET_LOG: return "log";
    case RET_TRAP: return "trap";
    case RET_USER_NOTIF: return "user-notify";
    case RET_KILL_THREAD: return "kill-thread";
    case RET_ERRNO: {
        uint32_t e = a & 0xffffu;
        if (e == 38)
            return "enosys";
        const char *nm = errno_name(e);
        return nm ? arena_printf(c->a, "errno(%s)", nm) : arena_printf(c->a, "errno(%u)", e);
    }
    default: return a == RET_KILL_PROCESS ? "kill-process" : "?";
    }
}

/* The kernel encoding of a statement's action; -1 when it is wrong. */
static int encode_action(struct chk *c, const struct ast_stmt *s, uint32_t *out)
{
    switch (s->action) {
    case AA_ALLOW: *out = RET_ALLOW; return 0;
    case AA_KILL_THREAD: *out = RET_KILL_THREAD; return 0;
    case AA_KILL_PROCESS: *out = RET_KILL_PROCESS; return 0;
    case AA_TRAP: *out = RET_TRAP; return 0;
    case AA_LOG: *out = RET_LOG; return 0;
    case AA_ENOSYS: *out = RET_ERRNO | 38; return 0;
    case AA_USER_NOTIFY: *out = RET_USER_NOTIF; return 0;
    case AA_ERRNO: {
        const struct ast_val *v = s->errno_val;
        uint32_t e;
        if (v->kind == AV_NUMBER) {
            uint64_t n;
            if (chk_uint(c, v, 4095, &n))
                return -1;
            if (n == 0) {
                diag_error(c->d, v->loc, "errno(0) would make the syscall look successful; use allow");
                return -1;
            }
            e = (uint32_t)n;
        } else if (!errno_lookup(v->s, &e)) {
            const char *sug = suggest_errno(v->s);
            if (sug)
                diag_error(c->d, v->loc, "unknown errno name '%s'; did you mean '%s'?", chk_q(c, v), sug);
            else
                diag_error(c->d, v->loc, "unknown errno name '%s' (e.g. EPERM, EACCES, ENOSYS)", chk_q(c, v));
            return -1;
        }
        *out = RET_ERRNO | e;
        return 0;
    }
    }
    return -1;
}

static bool lets_through(uint32_t action)
{
    return action == RET_ALLOW || action == RET_LOG;
}

/* ---- suggestions ---------------------------------------------------------- */

static const char *get_sc(size_t i, const void *ctx)
{
    (void)ctx;
    const struct sc_syscall *s = sc_at(i);
    return s ? s->name : NULL;
}

static const char *get_group(size_t i, const void *ctx)
{
    (void)ctx;
    const struct sc_group *g = sc_group_at(i);
    return g ? g->name : NULL;
}

static size_t count_sc(void)
{
    size_t n = 0;
    while (sc_at(n))
        n++;
    return n;
}

static size_t count_groups(void)
{
    size_t n = 0;
    while (sc_group_at(n))
        n++;
    return n;
}

/* ---- predicates -------------------------------------------------------------- */

static uint64_t ones(unsigned width)
{
    return width == 32 ? 0xffffffffull : UINT64_MAX;
}

static const char *hex(struct chk *c, uint64_t v)
{
    return arena_printf(c->a, "0x%llx", (unsigned long long)v);
}

/* One value atom: a number, -number, or a constant name. */
static int atom_value(struct chk *c, const struct ast_val *v, unsigned width, const char *argdesc,
                      uint64_t *out)
{
    uint64_t n;
    if (v->kind == AV_NUMBER || v->kind == AV_NEG_NUMBER) {
        if (chk_uint(c, v, UINT64_MAX, &n))
            return -1;
        if (v->kind == AV_NEG_NUMBER) {
            uint64_t lim = width == 32 ? (1ull << 31) : (1ull << 63);
            if (n > lim) {
                diag_error(c->d, v->loc, "-%s does not fit the %u-bit argument %s", v->s, width, argdesc);
                return -1;
            }
            n = (0 - n) & ones(width);
        }
    } else {
        uint32_t sig;
        if (sc_const_lookup(v->s, &n)) {
            /* found */
        } else if (signal_lookup(v->s, &sig)) {
            n = sig;
        } else {
            const char *note = sc_const_arch_note(v->s);
            if (note)
                diag_error(c->d, v->loc, "constant '%s' is not built in: %s", chk_q(c, v), note);
            else
                diag_error(c->d, v->loc, "unknown constant '%s'", chk_q(c, v));
            return -1;
        }
    }
    if (n > ones(width)) {
        diag_error(c->d, v->loc, "value %s does not fit the 32-bit argument %s", hex(c, n), argdesc);
        return -1;
    }
    *out = n;
    return 0;
}

/* A `|` list of atoms or'ed together. */
static int or_value(struct chk *c, const struct ast_val *list, unsigned width, const char *argdesc,
                    uint64_t *out)
{
    uint64_t acc = 0;
    int rc = 0;
    for (const struct ast_val *v = list; v; v = v->next) {
        uint64_t x;
        if (atom_value(c, v, width, argdesc, &x))
            rc = -1;
        else
            acc |= x;
    }
    *out = acc;
    return rc;
}

struct setv {
    uint64_t v;
    const struct ast_val *at;
    size_t seq;
};

static int setv_cmp(const void *a, const void *b)
{
    const struct setv *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool single_bit(uint64_t m)
{
    return m && !(m & (m - 1));
}

/* Type one predicate into a condition; -1 when it is wrong. */
static int build_cond(struct chk *c, const struct sc_syscall *sc, const struct ast_pred *pr,
                      struct plan_sc_cond *out)
{
    int ai = sc_arg_index(sc, pr->arg->s);
    if (ai < 0) {
        char args[300];
        size_t o = 0;
        args[0] = 0;
        for (int i = 0; i < sc->nargs && o < sizeof args - 40; i++)
            o += (size_t)snprintf(args + o, sizeof args - o, "%s%s", i ? ", " : "", sc->args[i].name);
        if (sc->nargs)
            diag_error(c->d, pr->arg->loc, "%s has no argument '%s' (its arguments: %s)", sc->name,
                       chk_q(c, pr->arg), args);
        else
            diag_error(c->d, pr->arg->loc, "%s takes no arguments", sc->name);
        return -1;
    }
    unsigned width = sc->args[ai].width == 32 ? 32 : 64;
    const char *argdesc = arena_printf(c->a, "'%s' of %s", sc->args[ai].name, sc->name);
    memset(out, 0, sizeof *out);
    out->arg = (uint8_t)ai;
    out->width = (uint8_t)width;
    out->mask = ones(width);

    if (pr->op == AC_IN || pr->op == AC_NOT_IN) {
        if (!pr->set) {
            diag_error(c->d, pr->op_loc, "empty set: `%s {}` %s", pr->op == AC_IN ? "in" : "not in",
                       pr->op == AC_IN ? "never matches" : "always matches");
            return -1;
        }
        size_t n = 0;
        for (const struct ast_val *v = pr->set; v; v = v->next)
            n++;
        struct setv *sv = malloc(n * sizeof *sv);
        if (!sv) {
            fputs("cellc: out of memory\n", stderr);
            abort();
        }
        int rc = 0;
        size_t k = 0;
        for (const struct ast_val *v = pr->set; v; v = v->next) {
            uint64_t x;
            if (atom_value(c, v, width, argdesc, &x)) {
                rc = -1;
                continue;
            }
            sv[k].v = x;
            sv[k].at = v;
            sv[k].seq = k;
            k++;
        }
        if (rc == 0) {
            if (k > 1)
                qsort(sv, k, sizeof *sv, setv_cmp);
            for (size_t i = 1; i < k; i++)
                if (sv[i].v == sv[i - 1].v) {
                    const struct setv *later = sv[i].seq > sv[i - 1].seq ? &sv[i] : &sv[i - 1];
                    const struct setv *earlier = later == &sv[i] ? &sv[i - 1] : &sv[i];
                    diag_error(c->d, later->at->loc, "'%s' repeats the value %s already in the set",
                               chk_q(c, later->at), hex(c, later->v));
                    diag_note(c->d, earlier->at->loc, "first given as '%s'", chk_q(c, earlier->at));
                    rc = -1;
                }
        }
        if (rc == 0) {
            out->op = pr->op == AC_IN ? CP_SC_IN : CP_SC_NOT_IN;
            out->set_first = (uint32_t)c->n_values;
            out->set_count = (uint32_t)k;
            for (size_t i = 0; i < k; i++)
                *CHK_PUSH(c, c->values, c->n_values, c->cap_values) = sv[i].v;
        }
        free(sv);
        return rc;
    }

    uint64_t value;
    if (or_value(c, pr->value, width, argdesc, &value))
        return -1;
    if (!pr->mask) {
        static const uint8_t map[] = { 0, CP_SC_EQ, CP_SC_NE, CP_SC_LT, CP_SC_LE, CP_SC_GT, CP_SC_GE };
        out->op = map[pr->op];
        out->value = value;
        return 0;
    }
    uint64_t mask;
    if (or_value(c, pr->mask, width, argdesc, &mask))
        return -1;
    if (mask == 0) {
        diag_error(c->d, pr->mask->loc, "mask 0 makes the comparison constant");
        return -1;
    }
    if (pr->op == AC_EQ) {
        if (value & ~mask) {
            diag_error(c->d, pr->value->loc, "never matches: %s has bits outside the mask %s", hex(c, value),
                       hex(c, mask));
            return -1;
        }
        out->op = CP_SC_MASKED_EQ;
        out->mask = mask;
        out->value = value;
        return 0;
    }
    if (pr->op == AC_NE && single_bit(mask) && (value == 0 || value == mask)) {
        /* with one bit, "!= 0" is "== bit" and "!= bit" is "== 0" */
        out->op = CP_SC_MASKED_EQ;
        out->mask = mask;
        out->value = value == 0 ? mask : 0;
        return 0;
    }
    if (pr->op == AC_NE)
        diag_error(c->d, pr->op_loc,
                   "'&' ... '!=' is only supported with a single-bit mask and 0 or the "
                   "bit (write '== ' with the complement, or one rule per case)");
    else
        diag_error(c->d, pr->op_loc, "only '==' (or '!=' with a single-bit mask) can follow '&'");
    return -1;
}

/* ---- rules ---------------------------------------------------------------- */

static void push_rule(struct chk *c, const char *name, uint32_t action, uint32_t cond_first,
                      uint32_t cond_count, struct loc loc)
{
    struct plan_sc_rule *r = CHK_PUSH(c, c->rules, c->n_rules, c->cap_rules);
    r->syscall = name;
    r->action = action;
    r->cond_first = cond_count ? cond_first : 0;
    r->cond_count = cond_count;
    r->line = loc.line;
    *CHK_PUSH(c, c->rule_locs, c->n_rule_locs, c->cap_rule_locs) = loc;
}

enum add_result {
    ADD_OK,
    ADD_DROPPED,
    ADD_GROUP_CONFLICT
};

/* Add one rule for one syscall, applying the ordering rules above. For a
 * group's rule, a conflict with an earlier group is returned (with that
 * group's state in *other) for the caller to report once per group pair. */
static enum add_result add_rule(struct chk *c, const struct sc_syscall *sc, uint32_t action,
                                uint32_t cond_first, uint32_t cond_count, struct loc loc, const char *group,
                                const struct sc_state **other)
{
    struct sc_state *st = state_for(c, sc->name);
    if (st->has_uncond) {
        if (group) {
            if (st->uncond_group) {
                if (st->uncond_action != action) {
                    *other = st;
                    return ADD_GROUP_CONFLICT;
                }
            } else if (st->uncond_action == action && !st->explicit_uncond_redundant_reported) {
                st->explicit_uncond_redundant_reported = true;
                diag_error(c->d, st->uncond_loc,
                           "the rule '%s %s' is redundant: %s, used later, does the same",
                           action_text(c, action), sc->name, group);
                diag_note(c->d, loc, "%s used here", group);
            }
            /* else: an explicit rule written before the group takes precedence */
            return ADD_DROPPED;
        }
        diag_error(c->d, loc,
                   "this rule for %s never applies: an unconditional rule for %s comes first "
                   "(the first matching rule wins)%s",
                   sc->name, sc->name,
                   st->uncond_group
                       ? arena_printf(c->a, "; write it before %s to take precedence", st->uncond_group)
                       : "");
        diag_note(c->d, st->uncond_loc, "%s",
                  st->uncond_group ? arena_printf(c->a, "%s decides %s here", st->uncond_group, sc->name)
                                   : "unconditional rule here");
        return ADD_DROPPED;
    }
    push_rule(c, sc->name, action, cond_first, cond_count, loc);
    if (cond_count) {
        struct cond_rule *cr = arena_alloc(c->a, sizeof *cr);
        cr->action = action;
        cr->loc = loc;
        cr->next = st->conds;
        st->conds = cr;
        return ADD_OK;
    }
    /* a conditional rule with the action the unconditional one gives anyway
     * has no effect: most likely a restriction that was meant to deny */
    for (const struct cond_rule *cr = st->conds; cr; cr = cr->next) {
        if (cr->action != action)
            continue;
        diag_error(c->d, cr->loc,
                   "this rule for %s has no effect: the unconditional %s rule%s after it "
                   "gives every call the same action; to restrict %s, write the calls to refuse "
                   "before it instead",
                   sc->name, action_text(c, action), group ? arena_printf(c->a, " from %s", group) : "",
                   sc->name);
        diag_note(c->d, loc, "unconditional rule here");
    }
    st->has_uncond = true;
    st->uncond_action = action;
    st->uncond_loc = loc;
    st->uncond_group = group;
    return ADD_OK;
}

/* Names joined with ", " into an arena string, at most `max` then "...". */
struct name_list {
    const char *names[8];
    size_t n, total;
};

static void nl_add(struct name_list *l, const char *name)
{
    if (l->n < 8)
        l->names[l->n++] = name;
    l->total++;
}

static const char *nl_text(struct chk *c, const struct name_list *l)
{
    char buf[600];
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? ", " : "", l->names[i]);
    if (l->total > l->n)
        snprintf(buf + o, sizeof buf - o, " and %zu more", l->total - l->n);
    return arena_strdup(c->a, buf);
}

/* Expand one group into rules: one error for its dangerous members, one
 * per earlier group it conflicts with. */
static bool expand_group(struct chk *c, const struct sc_group *g, uint32_t action, struct loc loc,
                         const struct ast_opt *u)
{
    struct name_list danger = { .n = 0 };
    const char *first_why = NULL;
    for (const char *const *m = g->members; *m; m++) {
        const struct sc_syscall *sc = sc_lookup(*m);
        const char *why = sc ? sc_danger(sc->name) : NULL;
        if (why && lets_through(action)) {
            nl_add(&danger, sc->name);
            if (!first_why)
                first_why = why;
        }
    }
    if (danger.total && !u) {
        if (danger.total == 1)
            diag_error(c->d, loc, "%s contains %s, which %s; allowing it needs unsafe \"why\"", g->name,
                       danger.names[0], first_why);
        else
            diag_error(c->d, loc, "%s contains dangerous syscalls (%s); allowing them needs unsafe \"why\"",
                       g->name, nl_text(c, &danger));
        return true;
    }
    if (danger.total)
        chk_add_unsafe(c, "syscall", arena_printf(c->a, "%s (%s)", g->name, nl_text(c, &danger)), u);

    /* conflicts, grouped by the earlier group */
    const char *conf_group[16];
    struct loc conf_loc[16];
    uint32_t conf_action[16];
    struct name_list conf[16];
    size_t nconf = 0;
    for (const char *const *m = g->members; *m; m++) {
        const struct sc_syscall *sc = sc_lookup(*m);
        if (!sc)
            continue;
        const struct sc_state *other = NULL;
        if (add_rule(c, sc, action, 0, 0, loc, g->name, &other) != ADD_GROUP_CONFLICT)
            continue;
        size_t k = 0;
        while (k < nconf && strcmp(conf_group[k], other->uncond_group))
            k++;
        if (k == nconf) {
            if (nconf == 16)
                continue;
            conf_group[k] = other->uncond_group;
            conf_loc[k] = other->uncond_loc;
            conf_action[k] = other->uncond_action;
            memset(&conf[k], 0, sizeof conf[k]);
            nconf++;
        }
        nl_add(&conf[k], sc->name);
    }
    for (size_t k = 0; k < nconf; k++) {
        diag_error(c->d, loc, "%s gives %s the action %s, but %s already gave %s %s", g->name,
                   nl_text(c, &conf[k]), action_text(c, action), conf_group[k],
                   conf[k].total == 1 ? "it" : "them", action_text(c, conf_action[k]));
        diag_note(c->d, conf_loc[k], "%s used here; write explicit rules before both groups to decide",
                  conf_group[k]);
    }
    return danger.total > 0;
}

static void check_rule_stmt(struct chk *c, const struct ast_stmt *s, struct group_use **groups,
                            size_t *n_groups, size_t *cap_groups)
{
    uint32_t action;
    bool action_ok = encode_action(c, s, &action) == 0;
    const struct ast_opt *u = chk_unsafe_opt(c, s->opts);
    bool needed = false;

    for (const struct ast_sc_target *t = s->targets; t; t = t->next) {
        const struct ast_val *nm = t->name;
        if (nm->kind == AV_GROUP) {
            const struct sc_group *g = sc_group_lookup(nm->s);
            if (!g) {
                const char *sug = suggest_name(nm->s, count_groups(), get_group, NULL);
                if (sug)
                    diag_error(c->d, nm->loc, "unknown syscall group '%s'; did you mean '%s'?", chk_q(c, nm),
                               sug);
                else
                    diag_error(c->d, nm->loc,
                               "unknown syscall group '%s' (see docs/seccomp.md for the groups)",
                               chk_q(c, nm));
                continue;
            }
            if (t->preds || t->has_parens) {
                diag_error(c->d, nm->loc, "a group takes no argument predicates: write a rule per syscall");
                continue;
            }
            bool dup = false;
            for (size_t i = 0; i < *n_groups; i++)
                if (!strcmp((*groups)[i].name, g->name)) {
                    diag_error(c->d, nm->loc, "group %s is used twice", g->name);
                    diag_note(c->d, (*groups)[i].loc, "first used here");
                    dup = true;
                    break;
                }
            if (dup || !action_ok)
                continue;
            struct group_use *gu = chk_push(c, (void **)groups, n_groups, cap_groups, sizeof **groups);
            gu->name = g->name;
            gu->action = action;
            gu->loc = nm->loc;
            if (expand_group(c, g, action, nm->loc, u))
                needed = true;
            continue;
        }

        const struct sc_syscall *sc = sc_lookup(nm->s);
        if (!sc) {
            const char *sug = suggest_name(nm->s, count_sc(), get_sc, NULL);
            if (sug)
                diag_error(c->d, nm->loc, "unknown syscall '%s'; did you mean '%s'?", chk_q(c, nm), sug);
            else
                diag_error(c->d, nm->loc, "unknown syscall '%s'", chk_q(c, nm));
            continue;
        }
        if (t->has_parens) {
            diag_error(c->d, nm->loc, "empty argument list: write %s alone for an unconditional rule",
                       sc->name);
            continue;
        }
        uint32_t first = (uint32_t)c->n_conds, count = 0;
        bool ok = true;
        for (const struct ast_pred *pr = t->preds; pr; pr = pr->next) {
            struct plan_sc_cond cond;
            if (build_cond(c, sc, pr, &cond)) {
                ok = false;
                continue;
            }
            *CHK_PUSH(c, c->conds, c->n_conds, c->cap_conds) = cond;
            count++;
        }
        if (!ok || !action_ok) {
            c->n_conds = first;
            continue;
        }
        const char *why = sc_danger(sc->name);
        if (why && lets_through(action)) {
            needed = true;
            if (!u) {
                diag_error(c->d, nm->loc, "%s %s; allowing it needs unsafe \"why\"", sc->name, why);
                c->n_conds = first;
                continue;
            }
            chk_add_unsafe(c, "syscall", sc->name, u);
        }
        const struct sc_state *other_unused = NULL;
        add_rule(c, sc, action, first, count, nm->loc, NULL, &other_unused);
    }
    if (u && !needed)
        chk_unneeded_unsafe(c, u,
                            lets_through(action) ? "none of these syscalls is dangerous"
                                                 : "the rule does not let the syscall run");
}

struct sc_stmt_state {
    struct group_use *groups;
    size_t n, cap;
};

void check_sc_stmt(struct chk *c, const struct ast_stmt *s)
{
    if (!c->sc_groups_state)
        c->sc_groups_state = arena_alloc(c->a, sizeof(struct sc_stmt_state));
    struct sc_stmt_state *gs = c->sc_groups_state;
    switch (s->kind) {
    case AS_SC_DEFAULT: {
        if (!chk_once(c, &c->sc_default, s->loc, "default action"))
            return;
        uint32_t action;
        if (encode_action(c, s, &action))
            return;
        const struct ast_opt *u = chk_unsafe_opt(c, s->opts);
        if (lets_through(action)) {
            if (!u) {
                diag_error(c->d, s->action_loc,
                           "default %s lets every syscall through; it needs unsafe \"why\"",
                           action_text(c, action));
                return;
            }
            chk_add_unsafe(c, "syscall-default", action_text(c, action), u);
        } else if (u) {
            chk_unneeded_unsafe(c, u, "the default action does not let syscalls run");
        }
        c->p->seccomp.default_action = action;
        return;
    }
    case AS_SC_ABI:
        for (const struct ast_val *v = s->vals; v; v = v->next) {
            if (!strcmp(v->s, "x32")) {
                if (chk_once(c, &c->abi_x32, v->loc, "abi x32"))
                    c->p->seccomp.flags |= CP_SC_ALLOW_X32;
            } else if (!strcmp(v->s, "i386")) {
                if (chk_once(c, &c->abi_i386, v->loc, "abi i386"))
                    c->p->seccomp.flags |= CP_SC_ALLOW_I386;
            } else {
                diag_error(c->d, v->loc, "unknown abi '%s' (x32 or i386)", chk_q(c, v));
            }
        }
        return;
    case AS_SC_RULE: check_rule_stmt(c, s, &gs->groups, &gs->n, &gs->cap); return;
    default: return;
    }
}

void check_sc_final(struct chk *c)
{
    struct plan *p = c->p;
    p->seccomp.rules = c->rules;
    p->seccomp.n_rules = c->n_rules;
    c->pol->rule_locs = c->rule_locs;
    p->seccomp.conds = c->conds;
    p->seccomp.n_conds = c->n_conds;
    p->seccomp.values = c->values;
    p->seccomp.n_values = c->n_values;
}

/* Whether the filter lets a call to `name` run in at least one case: the
 * first rule for it that lets it through, before any unconditional rule for
 * it that does not, or else the default action. */
static bool sc_may_run(const struct plan *p, const char *name)
{
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (strcmp(r->syscall, name) != 0)
            continue;
        if (lets_through(r->action))
            return true;
        if (r->cond_count == 0)
            return false;
    }
    return lets_through(p->seccomp.default_action);
}

void check_sc_essentials(struct chk *c, struct loc loc)
{
    const struct plan *p = c->p;
    if (!sc_may_run(p, "execve") && !sc_may_run(p, "execveat")) {
        diag_error(c->d, loc,
                   "the syscalls section does not allow execve (or execveat): the cell cannot even start "
                   "its program (cellrun execs argv[0] after the filter is loaded); add `allow execve;` "
                   "or `use \"std/syscalls\";`");
        return;
    }
    /* what the loader and libc of every dynamically linked program call
     * before main (members of @default) */
    static const char *const essentials[] = {
        "arch_prctl", "brk", "mmap", "mprotect", "munmap", "exit_group"
    };
    char missing[160] = "";
    size_t n = 0;
    for (size_t i = 0; i < sizeof essentials / sizeof *essentials; i++)
        if (!sc_may_run(p, essentials[i])) {
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, "%s%s", n ? ", " : "", essentials[i]);
            n++;
        }
    if (n)
        diag_warning(c->d, loc,
                     "the syscalls section does not allow %s, which every dynamically linked program calls "
                     "before main: the workload will most likely be killed at once; `use \"std/syscalls\";` "
                     "allows them (they are in @default)",
                     missing);
}
