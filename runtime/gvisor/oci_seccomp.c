/*
 * oci_seccomp.c - the plan's normalised seccomp rules as OCI linux.seccomp,
 * for runsc --oci-seccomp (runsc 0.0~20221219).
 *
 * What runsc does with the OCI rules, and how the translation keeps the
 * plan's semantics under it:
 *  - entries are checked per syscall in array order and the first whose
 *    arguments match decides: the plan's "first matching rule wins" is kept
 *    by emitting rules in the plan's order;
 *  - an entry's argument conditions are ANDed, except that runsc ORs them
 *    all when two name the same argument: we never emit two conditions on
 *    one argument. A rule's conditions on one argument are turned into one
 *    disjunction of masked-equality patterns (ranges split into aligned
 *    blocks, as a CIDR range is), and the rule becomes one entry per
 *    combination: `in`, `not in`, `!=`, ranges, and their conjunctions are
 *    all exact;
 *  - runsc compares 64 bits; a 32-bit argument is compared on its low word
 *    only (the kernel truncates it): for those only masked equalities with
 *    a 32-bit mask are emitted, so junk in the high word changes nothing
 *    (the TIOCSTI-with-high-bits class of bypass);
 *  - actions: runsc knows KILL (thread), TRAP, ERRNO, TRACE, ALLOW and
 *    ignores errnoRet (ERRNO always returns EPERM). kill-process becomes
 *    KILL, log becomes ALLOW, errno(N) returns EPERM for N other than EPERM
 *    and ENOSYS; ENOSYS is exact through TRACE (no tracer: ENOSYS) when the
 *    plan denies ptrace, so no process of the cell can become a tracer that
 *    would let the call through. Each such difference is a deviation note;
 *    none lets a syscall through that the plan denies. user-notify is
 *    refused;
 *  - names: runsc ignores, with a warning in its log, an OCI rule's names
 *    it does not know. It knows two syscalls by other names than the
 *    kernel's: pselect6 is its "pselect" (glibc's select() calls it) and
 *    _sysctl its "sysctl"; a rule for either is emitted under both names
 *    (each name means the one syscall; a runsc that knows only one of them
 *    uses that one). Unknown to it altogether (runsc 0.0~20221219, found by
 *    allowing all 368 syscalls of cellc's table and reading its log): the
 *    syscalls it does not implement either (openat2, the landlock and new
 *    futex calls...), whose rules it ignores; a rule for one that differs
 *    from the default is a deviation note (the call fails with ENOSYS
 *    where the default allows, else it gets the default action);
 *  - clone3 without a rule fails with ENOSYS, as cellc's generator makes it;
 *  - no nested user namespace, whatever the plan allows, as natively
 *    (cellrun sets max_user_namespaces to 0 in the cell's user namespace;
 *    gVisor has no such limit): first of all, clone and unshare with
 *    CLONE_NEWUSER fail with EPERM (natively ENOSPC), and clone3, whose
 *    flags seccomp cannot see, fails with ENOSYS (libc falls back to clone)
 *    whatever the plan's clone3 rules say (a deviation note when one says
 *    something else).
 */
#include "oci.h"
#include "runtime/events/json_writer.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES        4096
#define ENOSYS_NR          38
#define EPERM_NR           1
#define CLONE_NEWUSER_FLAG 0x10000000ull

enum top {
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_MASKED
};

struct term {
    enum top op;
    uint64_t a; /* the value; MASKED: the mask */
    uint64_t b; /* MASKED: the value */
};

struct terms {
    struct term *t;
    size_t n, cap;
};

static int push(struct terms *ts, struct term t)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        struct term *n = realloc(ts->t, cap * sizeof *n);
        if (!n)
            return -1;
        ts->t = n;
        ts->cap = cap;
    }
    ts->t[ts->n++] = t;
    return 0;
}

static uint64_t full_mask(uint8_t width)
{
    return width == 32 ? 0xffffffffull : ~0ull;
}

/* Aligned blocks covering [lo, hi] (inclusive) within width bits, as
 * masked patterns: the largest block aligned at lo that stays inside. */
static int range_terms(struct terms *ts, uint64_t lo, uint64_t hi, uint8_t width)
{
    uint64_t wm = full_mask(width);
    if (hi > wm)
        hi = wm;
    if (lo > hi)
        return 0;
    for (;;) {
        unsigned k = 0;
        while (k < width) {
            unsigned nk = k + 1;
            uint64_t span = nk >= 64 ? ~0ull : (1ull << nk) - 1;
            if ((lo & span) != 0 || span > hi - lo)
                break;
            k = nk;
        }
        uint64_t span = k >= 64 ? ~0ull : (1ull << k) - 1;
        if (push(ts, (struct term){ T_MASKED, wm & ~span, lo }) < 0)
            return -1;
        if (hi - lo == span)
            return 0;
        lo += span + 1;
    }
}

/* One condition as a disjunction of masked patterns over its width. */
static int cond_terms(const struct plan *p, const struct plan_sc_cond *c, struct terms *ts)
{
    uint64_t wm = full_mask(c->width);
    uint64_t v = c->value & wm;
    switch (c->op) {
    case CP_SC_EQ: return push(ts, (struct term){ T_MASKED, wm, v });
    case CP_SC_MASKED_EQ: return push(ts, (struct term){ T_MASKED, c->mask & wm, v & c->mask & wm });
    case CP_SC_IN:
        for (uint32_t k = 0; k < c->set_count; k++)
            if (push(ts, (struct term){ T_MASKED, wm, p->seccomp.values[c->set_first + k] & wm }) < 0)
                return -1;
        return 0;
    case CP_SC_LT: return v == 0 ? 0 : range_terms(ts, 0, v - 1, c->width);
    case CP_SC_LE: return range_terms(ts, 0, v, c->width);
    case CP_SC_GT: return v == wm ? 0 : range_terms(ts, v + 1, wm, c->width);
    case CP_SC_GE: return range_terms(ts, v, wm, c->width);
    case CP_SC_NE:
    case CP_SC_NOT_IN: {
        /* the complement of a sorted set: the gaps between its members */
        uint64_t one = v;
        const uint64_t *set = c->op == CP_SC_NE ? &one : &p->seccomp.values[c->set_first];
        size_t n = c->op == CP_SC_NE ? 1 : c->set_count;
        uint64_t lo = 0;
        bool done = false;
        for (size_t k = 0; k < n && !done; k++) {
            uint64_t s = set[k] & wm;
            if (s > lo && range_terms(ts, lo, s - 1, c->width) < 0)
                return -1;
            if (s == wm)
                done = true;
            else if (s + 1 > lo)
                lo = s + 1;
        }
        if (!done && range_terms(ts, lo, wm, c->width) < 0)
            return -1;
        return 0;
    }
    }
    errno = EINVAL;
    return -1;
}

/* a AND b of two masked patterns, or false when they cannot both hold. */
static bool merge(struct term a, struct term b, struct term *out)
{
    uint64_t both = a.a & b.a;
    if ((a.b & both) != (b.b & both))
        return false;
    *out = (struct term){ T_MASKED, a.a | b.a, a.b | b.b };
    return true;
}

/* All conditions of a rule on one argument, ANDed, as one disjunction. A
 * single condition runsc can compare natively (64-bit, one value) is kept
 * as it is; everything else is expanded into masked patterns. */
static int arg_terms(const struct plan *p, const struct plan_sc_rule *r, unsigned arg, struct terms *out)
{
    size_t count = 0;
    const struct plan_sc_cond *only = NULL;
    for (uint32_t k = 0; k < r->cond_count; k++) {
        const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
        if (c->arg == arg) {
            count++;
            only = c;
        }
    }
    if (count == 0)
        return 1; /* unconstrained */
    if (count == 1 && only->width == 64) {
        static const enum top native[] = { [CP_SC_EQ] = T_EQ, [CP_SC_NE] = T_NE, [CP_SC_LT] = T_LT,
                                           [CP_SC_LE] = T_LE, [CP_SC_GT] = T_GT, [CP_SC_GE] = T_GE };
        if (only->op >= CP_SC_EQ && only->op <= CP_SC_GE)
            return push(out, (struct term){ native[only->op], only->value, 0 });
    }
    struct terms acc = { 0 };
    if (push(&acc, (struct term){ T_MASKED, 0, 0 }) < 0)
        return -1;
    for (uint32_t k = 0; k < r->cond_count && acc.n <= MAX_ENTRIES; k++) {
        const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
        if (c->arg != arg)
            continue;
        struct terms ct = { 0 }, next = { 0 };
        int rc = cond_terms(p, c, &ct);
        for (size_t x = 0; rc == 0 && x < acc.n && next.n <= MAX_ENTRIES; x++)
            for (size_t y = 0; rc == 0 && y < ct.n; y++) {
                struct term m;
                if (merge(acc.t[x], ct.t[y], &m))
                    rc = push(&next, m);
            }
        free(ct.t);
        free(acc.t);
        acc = next;
        if (rc < 0) {
            free(acc.t);
            return -1;
        }
    }
    for (size_t x = 0; x < acc.n; x++) {
        struct term t = acc.t[x];
        if (t.a == ~0ull)
            t = (struct term){ T_EQ, t.b, 0 };
        if (push(out, t) < 0) {
            free(acc.t);
            return -1;
        }
    }
    free(acc.t);
    return 0;
}

static const char *oci_op(enum top op)
{
    switch (op) {
    case T_EQ: return "SCMP_CMP_EQ";
    case T_NE: return "SCMP_CMP_NE";
    case T_LT: return "SCMP_CMP_LT";
    case T_LE: return "SCMP_CMP_LE";
    case T_GT: return "SCMP_CMP_GT";
    case T_GE: return "SCMP_CMP_GE";
    case T_MASKED: return "SCMP_CMP_MASKED_EQ";
    }
    return "?";
}

/* ---- actions -------------------------------------------------------------------- */

struct sc {
    const struct plan *p;
    struct oci_bundle *b;
    struct cell_error *e;
    struct oci_sc_filter *f;
    size_t cap;
    bool ptrace_denied;
    bool noted_kill, noted_log;
    char errnos[160];
};

const char *oci_sc_runsc_alias(const char *linux_name)
{
    static const char *const alias[][2] = { { "pselect6", "pselect" }, { "_sysctl", "sysctl" } };
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (strcmp(linux_name, alias[i][0]) == 0)
            return alias[i][1];
    return NULL;
}

static bool allows(uint32_t action)
{
    uint32_t a = action & SECCOMP_RET_ACTION_FULL;
    return a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG;
}

/* Syscalls runsc 0.0~20221219 knows and runs, but not as Linux does, for
 * calls ordinary programs make (found by a parity sweep of coreutils,
 * python, C probes natively and in gVisor under the same plan). A plan
 * that may allow one gets a deviation note naming it; each only fails a
 * call Linux would run, none lets one through. */
static const char *const sentry_calls[] = {
    "statx", "newfstatat", "close_range", "copy_file_range", "pidfd_open",
};

/* May the plan allow NAME for some arguments? */
static bool may_allow(const struct plan *p, const char *name)
{
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (strcmp(r->syscall, name) != 0)
            continue;
        if (allows(r->action))
            return true;
        if (r->cond_count == 0)
            return false;
    }
    return allows(p->seccomp.default_action);
}

/* Syscalls runsc 0.0~20221219 has no name for (and does not implement),
 * among cellc's x86_64 table (see the top). */
static const char *const runsc_unknown[] = {
    "cachestat",
    "fchmodat2",
    "futex_requeue",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "map_shadow_stack",
    "memfd_secret",
    "mount_setattr",
    "openat2",
    "pidfd_getfd",
    "process_madvise",
    "process_mrelease",
    "quotactl_fd",
    "set_mempolicy_home_node",
};

/* Does a rule of the plan treat NAME otherwise than the default does? */
static bool has_own_rule(const struct plan *p, const char *name)
{
    for (size_t i = 0; i < p->seccomp.n_rules; i++)
        if (strcmp(p->seccomp.rules[i].syscall, name) == 0 &&
            p->seccomp.rules[i].action != p->seccomp.default_action)
            return true;
    return false;
}

/* A rule runsc has no name for is ignored: a deviation note names them
 * (as many as fit one line). */
static void note_unknown(const struct plan *p, struct oci_bundle *b)
{
    char list[180] = "";
    bool more = false;
    for (size_t i = 0; i < sizeof runsc_unknown / sizeof *runsc_unknown; i++) {
        if (!has_own_rule(p, runsc_unknown[i]))
            continue;
        size_t u = strlen(list);
        if (u + strlen(runsc_unknown[i]) + 3 < sizeof list)
            snprintf(list + u, sizeof list - u, "%s%s", u ? ", " : "", runsc_unknown[i]);
        else
            more = true;
    }
    if (list[0])
        oci_note(b, "seccomp.unknown",
                 "runsc has no name for these and ignores their rules (not implemented there: ENOSYS "
                 "where the default allows, else the default action): %s%s",
                 list, more ? " and more" : "");
}

static void note_sentry(const struct plan *p, struct oci_bundle *b)
{
    char list[120] = "";
    for (size_t i = 0; i < sizeof sentry_calls / sizeof *sentry_calls; i++) {
        if (!may_allow(p, sentry_calls[i]))
            continue;
        size_t u = strlen(list);
        snprintf(list + u, sizeof list - u, "%s%s", u ? ", " : "", sentry_calls[i]);
    }
    if (list[0])
        oci_note(b, "seccomp.sentry",
                 "gVisor runs these the plan allows unlike Linux: statx and newfstatat with "
                 "AT_NO_AUTOMOUNT fail with EINVAL (coreutils ls -l, stat), close_range(fd, ~0U) EINVAL, "
                 "copy_file_range and pidfd_open ENOSYS: %s",
                 list);
}

/* Can no process of the cell ever ptrace? Then a TRACE action has no
 * tracer and means ENOSYS, in gVisor as in Linux. */
static bool ptrace_denied(const struct plan *p)
{
    bool uncond = false;
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (strcmp(r->syscall, "ptrace") != 0)
            continue;
        if (allows(r->action))
            return false;
        if (r->cond_count == 0)
            uncond = true;
    }
    return uncond || !allows(p->seccomp.default_action);
}

static void note_errno(struct sc *s, const char *what, unsigned data)
{
    char item[48];
    snprintf(item, sizeof item, "%s%s:%u", s->errnos[0] ? " " : "", what, data);
    if (strlen(s->errnos) + strlen(item) < sizeof s->errnos - 4)
        strcat(s->errnos, item);
    else if (!strstr(s->errnos, "..."))
        strcat(s->errnos, " ...");
}

static int action(struct sc *s, uint32_t action, const char *what, uint8_t *act, int *errno_ret)
{
    uint32_t a = action & SECCOMP_RET_ACTION_FULL;
    uint32_t data = action & SECCOMP_RET_DATA;
    *errno_ret = -1;
    switch (a) {
    case SECCOMP_RET_ALLOW: *act = OCI_ACT_ALLOW; return 0;
    case SECCOMP_RET_LOG:
        *act = OCI_ACT_ALLOW;
        if (!s->noted_log) {
            oci_note(s->b, "seccomp.log",
                     "runsc has no log action: calls the plan logs (%s, ...) are "
                     "allowed without a log entry",
                     what);
            s->noted_log = true;
        }
        return 0;
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
        *act = OCI_ACT_KILL;
        if (a == SECCOMP_RET_KILL_PROCESS && !s->noted_kill) {
            oci_note(s->b, "seccomp.kill_process",
                     "runsc has no kill-process action: kill-thread is "
                     "used (the call never runs; other threads of the process are not killed)");
            s->noted_kill = true;
        }
        return 0;
    case SECCOMP_RET_TRAP: *act = OCI_ACT_TRAP; return 0;
    case SECCOMP_RET_ERRNO:
        if (data == ENOSYS_NR && s->ptrace_denied) {
            *act = OCI_ACT_TRACE;
            return 0;
        }
        *act = OCI_ACT_ERRNO;
        *errno_ret = (int)data;
        if (data != EPERM_NR)
            note_errno(s, what, data);
        return 0;
    case SECCOMP_RET_USER_NOTIF:
        return cell_err(s->e, 0, "seccomp: user_notif actions are not supported by cellrun yet (%s)", what);
    }
    return cell_err(s->e, 0, "seccomp: action 0x%08x (%s) cannot be expressed for runsc", action, what);
}

static int add_entry(struct sc *s, const struct oci_sc_entry *en)
{
    struct oci_sc_filter *f = s->f;
    if (f->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct oci_sc_entry *n = realloc(f->entries, cap * sizeof *n);
        if (!n)
            return cell_err_sys(s->e, ENOMEM, "seccomp");
        f->entries = n;
        s->cap = cap;
    }
    f->entries[f->n++] = *en;
    return 0;
}

/* One rule: the product of its per-argument disjunctions. */
static int rule_entries(struct sc *s, const struct plan_sc_rule *r)
{
    const struct plan *p = s->p;
    struct oci_sc_entry base = { .name = r->syscall };
    if (action(s, r->action, r->syscall, &base.act, &base.errno_ret) < 0)
        return -1;
    struct terms per[6] = { { 0 } };
    bool any[6];
    size_t total = 1;
    int rc = 0;
    for (unsigned arg = 0; arg < 6; arg++) {
        int t = arg_terms(p, r, arg, &per[arg]);
        if (t < 0) {
            rc = cell_err_sys(s->e, errno, "seccomp: rule for %s (policy line %u)", r->syscall, r->line);
            goto out;
        }
        any[arg] = t == 0;
        if (any[arg]) {
            if (per[arg].n == 0) {
                total = 0; /* the conditions can never hold: the rule never matches */
                break;
            }
            if (per[arg].n > MAX_ENTRIES || total * per[arg].n > MAX_ENTRIES) {
                rc = cell_err(s->e, 0,
                              "seccomp: the rule for %s (policy line %u) needs more than %d "
                              "OCI rules in gVisor; simplify its conditions",
                              r->syscall, r->line, MAX_ENTRIES);
                goto out;
            }
            total *= per[arg].n;
        }
    }
    if (s->f->n + total > MAX_ENTRIES) {
        rc = cell_err(s->e, 0,
                      "seccomp: the policy needs more than %d OCI rules in gVisor (at the rule "
                      "for %s, policy line %u)",
                      MAX_ENTRIES, r->syscall, r->line);
        goto out;
    }
    for (size_t n = 0; n < total && rc == 0; n++) {
        struct oci_sc_entry en = base;
        size_t idx = n;
        for (unsigned arg = 0; arg < 6; arg++) {
            if (!any[arg])
                continue;
            const struct term *t = &per[arg].t[idx % per[arg].n];
            idx /= per[arg].n;
            en.args[en.n_args++] = (struct oci_sc_arg){
                .index = (uint8_t)arg,
                .op = (uint8_t)t->op,
                .value = t->a,
                .value_two = t->op == T_MASKED ? t->b : 0,
            };
        }
        rc = add_entry(s, &en);
    }
out:
    for (unsigned arg = 0; arg < 6; arg++)
        free(per[arg].t);
    return rc;
}

int oci_seccomp_filter(const struct plan *p, struct oci_sc_filter *f, struct oci_bundle *b,
                       struct cell_error *e)
{
    memset(f, 0, sizeof *f);
    struct sc s = { .p = p, .b = b, .e = e, .f = f, .ptrace_denied = ptrace_denied(p) };
    if (action(&s, p->seccomp.default_action, "the default", &f->def_act, &f->def_errno) < 0)
        return -1;
    /* no nested user namespace (see the top); first: the first match wins */
    static const char *const ns_calls[] = { "clone", "unshare" };
    for (size_t i = 0; i < 2; i++) {
        struct oci_sc_entry en = {
            .name = ns_calls[i], .act = OCI_ACT_ERRNO, .errno_ret = EPERM_NR, .n_args = 1
        };
        en.args[0] = (struct oci_sc_arg){
            .index = 0, .op = T_MASKED, .value = CLONE_NEWUSER_FLAG, .value_two = CLONE_NEWUSER_FLAG
        };
        if (add_entry(&s, &en) < 0) {
            oci_sc_filter_free(f);
            return -1;
        }
    }
    struct oci_sc_entry c3 = { .name = "clone3" };
    if (action(&s, SECCOMP_RET_ERRNO | ENOSYS_NR, "clone3", &c3.act, &c3.errno_ret) < 0 ||
        add_entry(&s, &c3) < 0) {
        oci_sc_filter_free(f);
        return -1;
    }
    bool clone3 = false;
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        clone3 |= strcmp(r->syscall, "clone3") == 0 && r->action != (SECCOMP_RET_ERRNO | ENOSYS_NR);
        if (rule_entries(&s, r) < 0) {
            oci_sc_filter_free(f);
            return -1;
        }
    }
    note_unknown(p, b);
    note_sentry(p, b);
    if (clone3)
        oci_note(b, "seccomp.clone3",
                 "clone3 always fails with ENOSYS (libc falls back to clone): seccomp "
                 "cannot see its flags to refuse a nested user namespace, which cellrun never allows");
    /* runtime-spec 1.0.2 has no defaultErrnoRet: the default's errno is EPERM */
    if (f->def_errno >= 0 && f->def_errno != EPERM_NR)
        note_errno(&s, "default", (unsigned)f->def_errno);
    if (s.errnos[0])
        oci_note(b, "seccomp.errno", "runsc returns EPERM where the plan says otherwise (syscall:errno): %s",
                 s.errnos);
    if (p->seccomp.flags & (CP_SC_ALLOW_X32 | CP_SC_ALLOW_I386))
        oci_note(b, "seccomp.abi", "the plan lets %s calls through; gVisor does not run them at all",
                 (p->seccomp.flags & CP_SC_ALLOW_X32) ? "x32" : "i386");
    return 0;
}

void oci_sc_filter_free(struct oci_sc_filter *f)
{
    free(f->entries);
    memset(f, 0, sizeof *f);
}

static const char *act_name(uint8_t a)
{
    switch (a) {
    case OCI_ACT_ALLOW: return "SCMP_ACT_ALLOW";
    case OCI_ACT_KILL: return "SCMP_ACT_KILL";
    case OCI_ACT_TRAP: return "SCMP_ACT_TRAP";
    case OCI_ACT_ERRNO: return "SCMP_ACT_ERRNO";
    case OCI_ACT_TRACE: return "SCMP_ACT_TRACE";
    }
    return "?";
}

int oci_seccomp_emit(const struct plan *p, struct oci_json *j, struct oci_bundle *b, struct cell_error *e)
{
    struct oci_sc_filter f;
    if (oci_seccomp_filter(p, &f, b, e) < 0)
        return -1;
    b->n_seccomp_rules = f.n;
    oj_obj_begin(j, "seccomp");
    oj_str(j, "defaultAction", act_name(f.def_act));
    oj_arr_begin(j, "architectures");
    oj_str(j, NULL, "SCMP_ARCH_X86_64");
    oj_arr_end(j);
    oj_arr_begin(j, "syscalls");
    for (size_t i = 0; i < f.n; i++) {
        const struct oci_sc_entry *en = &f.entries[i];
        oj_obj_begin(j, NULL);
        oj_arr_begin(j, "names");
        oj_str(j, NULL, en->name);
        const char *alias = oci_sc_runsc_alias(en->name);
        if (alias)
            oj_str(j, NULL, alias);
        oj_arr_end(j);
        oj_str(j, "action", act_name(en->act));
        if (en->errno_ret >= 0)
            oj_u64(j, "errnoRet", (uint64_t)en->errno_ret);
        if (en->n_args) {
            oj_arr_begin(j, "args");
            for (unsigned k = 0; k < en->n_args; k++) {
                oj_obj_begin(j, NULL);
                oj_u64(j, "index", en->args[k].index);
                oj_u64(j, "value", en->args[k].value);
                oj_u64(j, "valueTwo", en->args[k].value_two);
                oj_str(j, "op", oci_op((enum top)en->args[k].op));
                oj_obj_end(j);
            }
            oj_arr_end(j);
        }
        oj_obj_end(j);
    }
    oj_arr_end(j);
    oj_obj_end(j);
    oci_sc_filter_free(&f);
    return 0;
}
