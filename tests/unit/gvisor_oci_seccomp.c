/*
 * gvisor_oci_seccomp.c - the plan's seccomp rules as OCI rules for runsc
 * keep the plan's semantics: for random rule lists (every condition
 * operator, 32- and 64-bit arguments, sets, several conditions on one
 * argument, every action) and random arguments (junk in the high word of
 * 32-bit ones included), runsc's way of evaluating the OCI rules (first
 * matching entry per syscall, one condition per argument, 64-bit compares)
 * gives the action the plan gives, with the documented mapping of actions
 * runsc lacks. Also fixed cases: TIOCSTI with high bits, `not in`, the
 * ENOSYS-through-TRACE rule and its condition.
 */
#include "runtime/gvisor/oci.h"
#include "runtime/plan/plan_seccomp.h"
#include "tap.h"

#include <linux/seccomp.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* runsc: entries in order, one condition per argument, 64-bit compares */
static bool arg_matches(const struct oci_sc_arg *a, const uint64_t args[6])
{
    uint64_t v = args[a->index];
    switch (a->op) {
    case OCI_SC_EQ: return v == a->value;
    case OCI_SC_NE: return v != a->value;
    case OCI_SC_LT: return v < a->value;
    case OCI_SC_LE: return v <= a->value;
    case OCI_SC_GT: return v > a->value;
    case OCI_SC_GE: return v >= a->value;
    case OCI_SC_MASKED_EQ: return (v & a->value) == a->value_two;
    }
    return false;
}

static const struct oci_sc_entry *runsc_eval(const struct oci_sc_filter *f, const char *name,
                                             const uint64_t args[6])
{
    for (size_t i = 0; i < f->n; i++) {
        const struct oci_sc_entry *e = &f->entries[i];
        if (strcmp(e->name, name) != 0)
            continue;
        bool seen[6] = { false }, all = true;
        for (unsigned k = 0; k < e->n_args; k++) {
            if (seen[e->args[k].index])
                return NULL;            /* runsc would OR them: never emitted */
            seen[e->args[k].index] = true;
            all = all && arg_matches(&e->args[k], args);
        }
        if (all)
            return e;
    }
    return NULL;
}

/* What runsc does for a plan action (oci_seccomp.c's mapping). */
static int mapped(uint32_t action, bool ptrace_denied, int *errno_ret)
{
    uint32_t a = action & SECCOMP_RET_ACTION_FULL, d = action & SECCOMP_RET_DATA;
    *errno_ret = -1;
    switch (a) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG: return OCI_ACT_ALLOW;
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD: return OCI_ACT_KILL;
    case SECCOMP_RET_TRAP: return OCI_ACT_TRAP;
    case SECCOMP_RET_ERRNO:
        if (d == 38 && ptrace_denied)
            return OCI_ACT_TRACE;
        *errno_ret = (int)d;
        return OCI_ACT_ERRNO;
    }
    return -1;
}

static const char *const names[] = { "read", "ioctl", "socket", "clone", "personality", "ptrace" };
static const uint32_t actions[] = {
    SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 38, SECCOMP_RET_ERRNO | 13,
    SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_LOG,
};
static const uint64_t pool[] = { 0, 1, 2, 3, 5, 7, 8, 0x10, 0x5412, 0x7fffffff, 0x80000000, 0xfffffffe,
                                 0xffffffff, 0x100000000ull, 0x100005412ull, 0x8000000000000000ull,
                                 0xfffffffffffffffeull, ~0ull };
#define NPOOL (sizeof pool / sizeof *pool)

static uint64_t pick(uint8_t width)
{
    uint64_t v = (rnd() % 4 == 0) ? rnd() : pool[rnd() % NPOOL];
    return width == 32 ? (v & 0xffffffffull) : v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define MAXR 24
struct gen {
    struct plan p;
    struct plan_sc_rule rules[MAXR];
    struct plan_sc_cond conds[MAXR * 3];
    uint64_t values[MAXR * 3 * 4];
};

static void generate(struct gen *g)
{
    memset(g, 0, sizeof *g);
    size_t nr = 1 + rnd() % MAXR, nc = 0, nv = 0;
    for (size_t i = 0; i < nr; i++) {
        struct plan_sc_rule *r = &g->rules[i];
        r->syscall = names[rnd() % 6];
        r->action = actions[rnd() % 8];
        r->line = (uint32_t)i + 1;
        r->cond_first = (uint32_t)nc;
        size_t k = rnd() % 4;
        for (size_t c = 0; c < k; c++) {
            struct plan_sc_cond *cd = &g->conds[nc++];
            cd->arg = (uint8_t)(rnd() % 3);
            cd->width = (rnd() & 1) ? 32 : 64;
            /* one width per argument of a syscall, as the table gives it */
            cd->width = (strcmp(r->syscall, "ioctl") == 0 || cd->arg == 2) ? 32 : 64;
            cd->op = (uint8_t)(1 + rnd() % CP_SC_OP_MAX);
            uint64_t wm = cd->width == 32 ? 0xffffffffull : ~0ull;
            cd->mask = wm;
            if (cd->op == CP_SC_IN || cd->op == CP_SC_NOT_IN) {
                size_t n = 1 + rnd() % 4;
                uint64_t set[4];
                for (size_t s = 0; s < n; s++)
                    set[s] = pick(cd->width);
                qsort(set, n, sizeof *set, cmp_u64);
                size_t u = 0;
                for (size_t s = 0; s < n; s++)
                    if (u == 0 || set[s] != set[u - 1])
                        set[u++] = set[s];
                cd->set_first = (uint32_t)nv;
                cd->set_count = (uint32_t)u;
                for (size_t s = 0; s < u; s++)
                    g->values[nv++] = set[s];
            } else if (cd->op == CP_SC_MASKED_EQ) {
                cd->mask = pick(cd->width) | (1ull << (rnd() % cd->width));
                cd->value = pick(cd->width) & cd->mask;
            } else {
                cd->value = pick(cd->width);
            }
        }
        r->cond_count = (uint32_t)k;
    }
    g->p.seccomp.rules = g->rules;
    g->p.seccomp.n_rules = nr;
    g->p.seccomp.conds = g->conds;
    g->p.seccomp.n_conds = nc;
    g->p.seccomp.values = g->values;
    g->p.seccomp.n_values = nv;
    do
        g->p.seccomp.default_action = actions[rnd() % 8];
    while (0);
}

static bool ptrace_denied(const struct plan *p)
{
    bool uncond = false;
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (strcmp(r->syscall, "ptrace") != 0)
            continue;
        uint32_t a = r->action & SECCOMP_RET_ACTION_FULL;
        if (a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG)
            return false;
        uncond |= r->cond_count == 0;
    }
    uint32_t d = p->seccomp.default_action & SECCOMP_RET_ACTION_FULL;
    return uncond || (d != SECCOMP_RET_ALLOW && d != SECCOMP_RET_LOG);
}

/* Arguments close to the plan's values (junk in the high word too). */
static void args_for(const struct gen *g, uint64_t a[6])
{
    for (int i = 0; i < 6; i++) {
        uint64_t v = pick(64);
        if (g->p.seccomp.n_conds && rnd() % 3) {
            const struct plan_sc_cond *c = &g->conds[rnd() % g->p.seccomp.n_conds];
            v = c->set_count ? g->values[c->set_first + rnd() % c->set_count] : c->value;
            switch (rnd() % 5) {
            case 0: v += 1; break;
            case 1: v -= 1; break;
            case 2: v |= 0xdead000000000000ull; break;
            case 3: v ^= 1ull << (rnd() % 64); break;
            }
        }
        a[i] = v;
    }
}

int main(void)
{
    /* fewer rounds under the sanitizers (each is ten times slower there) */
    const char *san = getenv("CELLOS_SANITIZE");
    int rounds = san && !strcmp(san, "1") ? 400 : 3000, evals = 0, bad = 0, entries_max = 0, refused = 0, refused_other = 0;
    for (int round = 0; round < rounds && bad < 5; round++) {
        struct gen *g = calloc(1, sizeof *g);
        generate(g);
        struct oci_bundle b;
        memset(&b, 0, sizeof b);
        struct oci_sc_filter f;
        struct cell_error e;
        if (oci_seccomp_filter(&g->p, &f, &b, &e) < 0) {
            /* only an oversized expansion may be refused */
            refused++;
            if (!strstr(e.msg, "more than")) {
                refused_other++;
                diag("round %d: %s", round, e.msg);
            }
            free(g);
            continue;
        }
        if ((int)f.n > entries_max)
            entries_max = (int)f.n;
        bool pd = ptrace_denied(&g->p);
        for (int t = 0; t < 200; t++) {
            uint64_t a[6];
            args_for(g, a);
            const char *name = names[rnd() % 6];
            int want_errno, got_errno;
            int want = mapped(plan_sc_eval_rules(&g->p, name, a, NULL), pd, &want_errno);
            if (!strcmp(name, "clone") && (a[0] & 0x10000000)) {
                want = OCI_ACT_ERRNO;           /* no nested user namespace, whatever the plan says */
                want_errno = 1;
            }
            const struct oci_sc_entry *en = runsc_eval(&f, name, a);
            int got = en ? en->act : f.def_act;
            got_errno = en ? en->errno_ret : f.def_errno;
            evals++;
            if (want != got || want_errno != got_errno) {
                bad++;
                ok(0, "round %d: %s(0x%llx, 0x%llx, 0x%llx): plan gives %d/%d, runsc would give %d/%d",
                   round, name, (unsigned long long)a[0], (unsigned long long)a[1],
                   (unsigned long long)a[2], want, want_errno, got, got_errno);
                break;
            }
        }
        oci_sc_filter_free(&f);
        free(g);
    }
    ok(refused_other == 0 && refused < rounds / 4, "%d of %d random rule lists refused, all for their size "
       "(several conditions on several arguments multiply into more than 4096 OCI rules)", refused, rounds);
    ok(bad == 0, "%d random rule lists, %d evaluations: runsc's reading of the OCI rules = the plan's "
       "(largest filter %d entries)", rounds, evals, entries_max);

    /* fixed cases */
    struct plan p;
    memset(&p, 0, sizeof p);
    struct plan_sc_cond c[2] = {
        { .arg = 1, .op = CP_SC_EQ, .width = 32, .value = 0x5412, .mask = 0xffffffff },
        { .arg = 0, .op = CP_SC_NOT_IN, .width = 32, .set_first = 0, .set_count = 3, .mask = 0xffffffff },
    };
    uint64_t vals[3] = { 1, 2, 10 };
    struct plan_sc_rule r[4] = {
        { .syscall = "ioctl", .action = SECCOMP_RET_ERRNO | 1, .cond_first = 0, .cond_count = 1 },
        { .syscall = "socket", .action = SECCOMP_RET_ERRNO | 97, .cond_first = 1, .cond_count = 1 },
        { .syscall = "clone3", .action = SECCOMP_RET_ERRNO | 38 },
        { .syscall = "ptrace", .action = SECCOMP_RET_ERRNO | 1 },
    };
    p.seccomp.rules = r;
    p.seccomp.n_rules = 4;
    p.seccomp.conds = c;
    p.seccomp.n_conds = 2;
    p.seccomp.values = vals;
    p.seccomp.n_values = 3;
    p.seccomp.default_action = SECCOMP_RET_ALLOW;
    struct oci_bundle b;
    memset(&b, 0, sizeof b);
    struct oci_sc_filter f;
    struct cell_error e;
    ok(oci_seccomp_filter(&p, &f, &b, &e) == 0, "a fixed rule list translates");
    uint64_t sti[6] = { 0, 0x100005412ull }, sti2[6] = { 0, 0x5412 }, other[6] = { 0, 0x5413 };
    const struct oci_sc_entry *en = runsc_eval(&f, "ioctl", sti);
    ok(en && en->act == OCI_ACT_ERRNO, "ioctl(TIOCSTI) with junk in the high word is still refused");
    en = runsc_eval(&f, "ioctl", sti2);
    ok(en && en->act == OCI_ACT_ERRNO, "ioctl(TIOCSTI) is refused");
    ok(runsc_eval(&f, "ioctl", other) == NULL, "another ioctl falls to the default");
    uint64_t af[6] = { 1 }, af2[6] = { 3 }, af3[6] = { 0x100000001ull };
    ok(runsc_eval(&f, "socket", af) == NULL, "socket(1) is in the `not in` set: the rule does not apply");
    en = runsc_eval(&f, "socket", af2);
    ok(en && en->act == OCI_ACT_ERRNO && en->errno_ret == 97, "socket(3) is not in the set: errno(97) (runsc: EPERM)");
    ok(runsc_eval(&f, "socket", af3) == NULL, "socket(1 | junk high word): low word in the set");
    en = runsc_eval(&f, "clone3", af);
    ok(en && en->act == OCI_ACT_TRACE, "enosys with ptrace denied is TRACE (ENOSYS without a tracer)");
    bool notes_errno = false;
    for (size_t i = 0; i < b.n_notes; i++)
        notes_errno |= strcmp(b.notes[i].what, "seccomp.errno") == 0 && strstr(b.notes[i].why, "socket:97");
    ok(notes_errno, "the errno runsc cannot return is a deviation note");
    uint64_t nu[6] = { 0x10020000 }, nn[6] = { 0x20000 }, nu64[6] = { 0x110000000ull };
    en = runsc_eval(&f, "unshare", nu);
    ok(en && en->act == OCI_ACT_ERRNO, "unshare(CLONE_NEWUSER | CLONE_NEWNS) fails, though the plan allows it");
    ok(runsc_eval(&f, "unshare", nn) == NULL, "unshare(CLONE_NEWNS) is the plan's");
    en = runsc_eval(&f, "clone", nu64);
    ok(en && en->act == OCI_ACT_ERRNO, "clone(CLONE_NEWUSER | high bits) fails");
    bool notes_c3 = false;
    for (size_t i = 0; i < b.n_notes; i++)
        notes_c3 |= strcmp(b.notes[i].what, "seccomp.clone3") == 0;
    ok(!notes_c3, "a plan's `enosys clone3` needs no note");
    oci_sc_filter_free(&f);
    r[2].action = SECCOMP_RET_ALLOW;
    memset(&b, 0, sizeof b);
    ok(oci_seccomp_filter(&p, &f, &b, &e) == 0 && (en = runsc_eval(&f, "clone3", af)) && en->act == OCI_ACT_TRACE,
       "clone3 fails with ENOSYS even where the plan allows it (its flags are out of seccomp's sight)");
    for (size_t i = 0; i < b.n_notes; i++)
        notes_c3 |= strcmp(b.notes[i].what, "seccomp.clone3") == 0;
    ok(notes_c3, "a plan allowing clone3 is told it always fails with ENOSYS");
    oci_sc_filter_free(&f);
    r[2].action = SECCOMP_RET_ERRNO | 38;
    r[3].action = SECCOMP_RET_ALLOW;
    memset(&b, 0, sizeof b);
    ok(oci_seccomp_filter(&p, &f, &b, &e) == 0, "with ptrace allowed");
    en = runsc_eval(&f, "clone3", af);
    ok(en && en->act == OCI_ACT_ERRNO, "enosys is no longer TRACE (a tracer could let the call through)");
    oci_sc_filter_free(&f);
    r[0].action = SECCOMP_RET_USER_NOTIF;
    ok(oci_seccomp_filter(&p, &f, &b, &e) < 0 && strstr(e.msg, "user_notif"), "user_notif is refused");
    /* runsc knows pselect6 and _sysctl by other names: both are emitted */
    const char *ps = oci_sc_runsc_alias("pselect6"), *sy = oci_sc_runsc_alias("_sysctl");
    ok(ps && !strcmp(ps, "pselect"), "pselect6 is runsc's pselect");
    ok(sy && !strcmp(sy, "sysctl"), "_sysctl is runsc's sysctl");
    ok(!oci_sc_runsc_alias("read") && !oci_sc_runsc_alias("select"), "other names are runsc's own");
    return done_testing();
}
