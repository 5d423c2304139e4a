/*
 * check.c - the type checker's driver and the sections other than
 * filesystem (check_fs.c) and syscalls (check_sc.c): top-level items,
 * process, network, limits, vm, gvisor, events, secrets, pack ceilings, and
 * the merge of every unit into one struct plan.
 *
 * Units are checked in resolution order (packs first, the cell last), so
 * "previous grant here" notes point at the earlier unit, and the written
 * order of syscall rules is: packs in resolution order, then the cell.
 */
#include "check_int.h"
#include "runtime/events/events.h"

#include <stdlib.h>
#include <string.h>

static bool printable_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* ---- top-level items ----------------------------------------------------- */

static void check_item(struct chk *c, const struct ast_stmt *s)
{
    struct plan *p = c->p;
    const struct ast_val *v = s->vals;
    if (s->kind == AS_BACKEND) {
        if (!chk_once(c, &c->backend, s->loc, "backend"))
            return;
        if (!strcmp(v->s, "native"))
            p->meta.backend = CP_BACKEND_NATIVE;
        else if (!strcmp(v->s, "gvisor"))
            p->meta.backend = CP_BACKEND_GVISOR;
        else if (!strcmp(v->s, "vm"))
            p->meta.backend = CP_BACKEND_VM;
        else
            diag_error(c->d, v->loc, "unknown backend '%s' (native, gvisor or vm)", chk_q(c, v));
        return;
    }
    if (s->kind == AS_LANDLOCK) {
        if (!chk_once(c, &c->landlock, s->loc, "landlock"))
            return;
        if (strcmp(v->s, "required") != 0) {
            diag_error(c->d, v->loc,
                       "unknown landlock mode '%s' (only 'required'; without the statement the "
                       "ruleset is best effort)",
                       chk_q(c, v));
            return;
        }
        p->process.flags |= CP_PROC_LANDLOCK_REQUIRED;
        return;
    }
    /* hostname */
    if (!chk_once(c, &c->hostname, s->loc, "hostname"))
        return;
    char err[200];
    if (check_host(v->s, v->len, err, sizeof err) || v->len > 64) {
        diag_error(c->d, v->loc, "invalid hostname \"%s\": %s", chk_q(c, v),
                   v->len > 64 ? "longer than 64 bytes" : err);
        return;
    }
    p->meta.hostname = v->s;
}

/* ---- process ------------------------------------------------------------ */

static void check_env_name_at(struct chk *c, const struct ast_val *v, bool *ok)
{
    char err[200];
    if (check_env_name(v->s, v->len, err, sizeof err)) {
        diag_error(c->d, v->loc, "%s: '%s'", err, chk_q(c, v));
        *ok = false;
    }
}

static void check_capability(struct chk *c, const struct ast_stmt *s)
{
    const struct ast_opt *u = chk_unsafe_opt(c, s->opts);
    bool needed = false;
    for (const struct ast_val *v = s->vals; v; v = v->next) {
        uint32_t num;
        const char *why;
        if (!cap_lookup(v->s, &num, &why)) {
            const char *sug = suggest_cap(v->s);
            if (sug)
                diag_error(c->d, v->loc, "unknown capability '%s'; did you mean '%s'?", chk_q(c, v), sug);
            else
                diag_error(c->d, v->loc, "unknown capability '%s' (capabilities are named CAP_*)",
                           chk_q(c, v));
            continue;
        }
        if (!chk_once(c, &c->caps[num], v->loc, arena_printf(c->a, "grant of %s", v->s)))
            continue;
        if (why) {
            needed = true;
            if (!u)
                diag_error(c->d, v->loc, "%s %s; granting it needs unsafe \"why\"", v->s, why);
            else
                chk_add_unsafe(c, "capability", v->s, u);
        }
        c->p->process.capabilities |= 1ull << num;
    }
    if (u && !needed)
        chk_unneeded_unsafe(c, u, "none of these capabilities is powerful");
}

/* An rlimit value in the resource's unit; "unlimited"/"infinity" is UINT64_MAX. */
static int rlimit_value(struct chk *c, const struct ast_val *v, enum rlimit_unit unit, uint64_t *out)
{
    if (v->kind == AV_WORD) {
        if (!strcmp(v->s, "unlimited") || !strcmp(v->s, "infinity")) {
            *out = UINT64_MAX;
            return 0;
        }
        diag_error(c->d, v->loc, "invalid rlimit value '%s' (a number or unlimited)", chk_q(c, v));
        return -1;
    }
    if (unit == RL_COUNT)
        return chk_uint(c, v, UINT64_MAX - 1, out);
    if (unit == RL_BYTES) {
        if (chk_bytes(c, v, out))
            return -1;
        if (*out == UINT64_MAX) {
            diag_error(c->d, v->loc, "rlimit value is out of range (write unlimited)");
            return -1;
        }
        return 0;
    }
    uint64_t ms;
    if (chk_duration(c, v, &ms))
        return -1;
    if (ms % 1000) {
        diag_error(c->d, v->loc, "the cpu rlimit counts whole seconds: '%s'", chk_q(c, v));
        return -1;
    }
    *out = ms / 1000;
    return 0;
}

static void check_rlimit(struct chk *c, const struct ast_stmt *s)
{
    const struct ast_val *name = s->vals, *soft = name->next, *hard = s->vals2;
    const struct plan_rlimit_info *ri = plan_rlimit_by_name(name->s);
    if (!ri) {
        diag_error(c->d, name->loc, "unknown rlimit '%s' (nofile, nproc, fsize, core, as or cpu)",
                   chk_q(c, name));
        return;
    }
    uint32_t res = ri->resource;
    enum rlimit_unit unit = ri->unit;
    if (!chk_once(c, &c->rlimits[res], s->loc, arena_printf(c->a, "rlimit %s", name->s)))
        return;
    uint64_t sv, hv;
    if (rlimit_value(c, soft, unit, &sv))
        return;
    hv = sv;
    if (hard && rlimit_value(c, hard, unit, &hv))
        return;
    if (sv > hv) {
        diag_error(c->d, soft->loc, "rlimit %s: soft limit is above the hard limit", name->s);
        return;
    }
    struct plan_rlimit *r = CHK_PUSH(c, c->p->process.rlimits, c->p->process.n_rlimits, c->cap_rlimits);
    r->resource = res;
    r->soft = sv;
    r->hard = hv;
}

static void check_process_stmt(struct chk *c, const struct ast_stmt *s)
{
    struct plan *p = c->p;
    const struct ast_val *v = s->vals;
    uint64_t n;
    if (c->in_pack && s->kind != AS_ENV_SET && s->kind != AS_ENV_PASS && s->kind != AS_RLIMIT) {
        diag_error(c->d, s->loc, "a pack's process section may only hold env and rlimit");
        return;
    }
    switch (s->kind) {
    case AS_ARGV: {
        if (!chk_once(c, &c->argv, s->loc, "argv"))
            return;
        const char *a0;
        c->argv0_loc = v->loc;
        if (chk_path(c, v, &a0))
            return;
        size_t cnt = 0;
        for (const struct ast_val *x = v; x; x = x->next)
            cnt++;
        c->argv_list = arena_alloc(c->a, cnt * sizeof *c->argv_list);
        c->argc = 0;
        for (const struct ast_val *x = v; x; x = x->next) {
            const char *t;
            if (chk_text(c, x, "argument", &t))
                return;
            c->argv_list[c->argc++] = t;
        }
        return;
    }
    case AS_EXTRA_ARGS:
        if (chk_once(c, &c->extra_args, s->loc, "extra-args"))
            p->process.flags |= CP_PROC_ALLOW_EXTRA_ARGS;
        return;
    case AS_ENV_SET:
    case AS_ENV_PASS: {
        bool ok = true;
        check_env_name_at(c, v, &ok);
        const char *value = "";
        if (s->kind == AS_ENV_SET && chk_text(c, s->vals2, "environment value", &value))
            ok = false;
        if (!ok)
            return;
        struct env_c *e = CHK_PUSH(c, c->env, c->n_env, c->cap_env);
        e->name = v->s;
        e->value = value;
        e->flags = s->kind == AS_ENV_PASS ? CP_ENV_PASS : 0;
        e->loc = v->loc;
        e->seq = c->n_env;
        return;
    }
    case AS_CWD: {
        if (!chk_once(c, &c->cwd, s->loc, "cwd"))
            return;
        c->cwd_val_loc = v->loc;
        const char *path;
        if (chk_path(c, v, &path) == 0)
            p->process.cwd = path;
        return;
    }
    case AS_USER:
        if (chk_once(c, &c->user, s->loc, "user") && chk_uint(c, v, 4294967294u, &n) == 0)
            p->process.uid = (uint32_t)n;
        return;
    case AS_GROUP:
        if (chk_once(c, &c->group, s->loc, "group") && chk_uint(c, v, 4294967294u, &n) == 0)
            p->process.gid = (uint32_t)n;
        return;
    case AS_UMASK: {
        uint32_t m;
        if (chk_once(c, &c->umask, s->loc, "umask") && chk_mode(c, v, 0777, &m) == 0)
            p->process.umask = m;
        return;
    }
    case AS_CAPABILITY: check_capability(c, s); return;
    case AS_RLIMIT: check_rlimit(c, s); return;
    case AS_PASS_FD:
        for (const struct ast_val *x = v; x; x = x->next) {
            if (chk_uint(c, x, 1023, &n))
                continue;
            if (n <= 2) {
                diag_error(c->d, x->loc, "pass-fd %llu: fds 0, 1 and 2 are always passed; name fds above 2",
                           (unsigned long long)n);
                continue;
            }
            bool dup = false;
            for (size_t i = 0; i < c->n_fds; i++)
                if (c->fds[i].fd == n) {
                    diag_error(c->d, x->loc, "duplicate pass-fd %llu", (unsigned long long)n);
                    diag_note(c->d, c->fds[i].loc, "previous pass-fd here");
                    dup = true;
                }
            if (dup)
                continue;
            struct fd_c *f = CHK_PUSH(c, c->fds, c->n_fds, c->cap_fds);
            f->fd = (uint32_t)n;
            f->loc = x->loc;
        }
        return;
    default: return;
    }
}

/* ---- network -------------------------------------------------------------- */

static bool all_numeric_labels(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return false;
    return true;
}

static void check_egress_rule(struct chk *c, const struct ast_stmt *s)
{
    const struct ast_val *proto = s->vals, *target = proto->next, *prefix = target->next;
    const struct ast_val *plo = s->vals2, *phi = plo->next;
    const struct ast_opt *u = chk_unsafe_opt(c, s->opts);
    struct plan_egress e = { .proto = !strcmp(proto->s, "tcp") ? 6 : 17, .line = s->loc.line };
    bool any = false, ok = true;
    const char *subject = NULL;
    char err[200];

    if (target->kind == AV_STAR) {
        if (prefix) {
            diag_error(c->d, prefix->loc, "'*' takes no prefix length");
            ok = false;
        }
        any = true;
        e.kind = CP_EGRESS_CIDR;
        e.family = 0;
        subject = "*";
    } else if (target->kind == AV_STRING) {
        if (prefix) {
            diag_error(c->d, prefix->loc, "a host name takes no prefix length");
            ok = false;
        } else if (target->len == 1 && target->s[0] == '*') {
            diag_error(c->d, target->loc, "write the any-host wildcard without quotes: *");
            ok = false;
        } else if (target->len > 2 && target->s[0] == '*' && target->s[1] == '.' &&
                   check_host(target->s + 2, target->len - 2, err, sizeof err)) {
            /* "*.example.org": any name under example.org (not itself) */
            diag_error(c->d, target->loc, "invalid host \"%s\": %s", chk_q(c, target), err);
            ok = false;
        } else if (!(target->len > 2 && target->s[0] == '*' && target->s[1] == '.') &&
                   check_host(target->s, target->len, err, sizeof err)) {
            diag_error(c->d, target->loc, "invalid host \"%s\": %s", chk_q(c, target), err);
            ok = false;
        } else if (all_numeric_labels(target->s)) {
            diag_error(c->d, target->loc, "\"%s\" is an address: write it without quotes, e.g. %s/32",
                       chk_q(c, target), chk_q(c, target));
            ok = false;
        } else {
            e.kind = CP_EGRESS_HOST;
            e.host = target->s;
            subject = target->s;
        }
    } else {
        struct cidr cd;
        if (parse_cidr(target->s, prefix ? prefix->s : NULL, &cd, err, sizeof err)) {
            diag_error(c->d, prefix && strstr(err, "prefix") ? prefix->loc : target->loc, "%s", err);
            ok = false;
        } else {
            e.kind = CP_EGRESS_CIDR;
            e.family = cd.family;
            e.prefix = cd.prefix;
            memcpy(e.addr, cd.addr, 16);
            any = cd.prefix == 0;
            subject = arena_printf(c->a, "%s/%u", target->s, cd.prefix);
        }
    }
    uint64_t lo = 0, hi = 0;
    if (chk_uint(c, plo, 65535, &lo))
        ok = false;
    else if (lo == 0) {
        diag_error(c->d, plo->loc, "port 0 is not a port (1 to 65535)");
        ok = false;
    }
    hi = lo;
    if (phi && ok) {
        if (chk_uint(c, phi, 65535, &hi))
            ok = false;
        else if (hi < lo) {
            diag_error(c->d, phi->loc, "port range %llu-%llu is empty", (unsigned long long)lo,
                       (unsigned long long)hi);
            ok = false;
        }
    }
    if (any) {
        if (!u)
            diag_error(c->d, target->loc, "egress to any host needs unsafe \"why\"");
        else if (ok)
            chk_add_unsafe(c, "egress",
                           arena_printf(c->a, "%s %s:%llu", proto->s, subject, (unsigned long long)lo), u);
    } else if (u) {
        chk_unneeded_unsafe(c, u, "the rule names its destination");
    }
    for (const struct ast_opt *o = s->opts; o; o = o->next) {
        if (o->kind != AO_ANY_NAME)
            continue;
        if (e.proto != 6) {
            diag_error(c->d, o->loc, "any-name applies to TCP rules only: UDP carries no name to check");
            ok = false;
        } else if (target->kind != AV_STRING) {
            diag_error(c->d, o->loc,
                       "any-name applies to host-name rules only: an address rule checks no name");
            ok = false;
        } else {
            e.any_name = true;
        }
    }
    if (!ok)
        return;
    e.port_lo = (uint16_t)lo;
    e.port_hi = (uint16_t)hi;
    if (any && e.family == 0) {
        /* `*` means both families: two rules 0.0.0.0/0 and ::/0 */
        e.family = 4;
    }
    for (size_t i = 0; i < c->n_egress; i++) {
        const struct plan_egress *o = &c->egress[i].e;
        if (o->kind == e.kind && o->family == e.family && o->prefix == e.prefix && o->proto == e.proto &&
            o->port_lo == e.port_lo && o->port_hi == e.port_hi && !memcmp(o->addr, e.addr, 16) &&
            ((!o->host && !e.host) || (o->host && e.host && !strcmp(o->host, e.host)))) {
            diag_error(c->d, s->loc, "duplicate egress rule");
            diag_note(c->d, c->egress[i].loc, "previous rule here");
            return;
        }
    }
    struct egress_c *ec = CHK_PUSH(c, c->egress, c->n_egress, c->cap_egress);
    ec->e = e;
    ec->loc = s->loc;
    if (target->kind == AV_STAR) {
        struct egress_c *e6 = CHK_PUSH(c, c->egress, c->n_egress, c->cap_egress);
        e6->e = e;
        e6->e.family = 6;
        e6->loc = s->loc;
    }
}

static void check_network(struct chk *c, const struct ast_section *sec)
{
    if (!chk_once(c, &c->network, sec->loc, "network section"))
        return;
    switch (sec->net_mode) {
    case AN_NONE: c->p->net.mode = CP_NET_NONE; break;
    case AN_LOOPBACK: c->p->net.mode = CP_NET_LOOPBACK; break;
    case AN_EGRESS:
        c->p->net.mode = CP_NET_EGRESS;
        if (!sec->stmts)
            diag_error(c->d, sec->net_mode_loc,
                       "egress with no rules grants nothing: write `network loopback;`");
        for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
            check_egress_rule(c, s);
        break;
    }
}

/* ---- limits --------------------------------------------------------------- */

static void check_limit(struct chk *c, const struct ast_stmt *s)
{
    struct plan *p = c->p;
    const struct ast_val *v = s->vals;
    uint64_t n;
    uint32_t m;
    switch (s->kind) {
    case AS_LIM_MEMORY:
        if (!chk_once(c, &c->lim_memory, s->loc, "limits memory") || chk_bytes(c, v, &n))
            return;
        if (n < (1u << 20)) {
            /* suggest the same number in MiB: "16KiB" -> "16MiB", "16" -> "16MiB" */
            size_t digits = 0;
            while (digits < v->len && v->s[digits] >= '0' && v->s[digits] <= '9')
                digits++;
            if (digits > 0 && digits < 16)
                diag_error(c->d, v->loc, "memory %s is below the 1MiB minimum (did you mean %.*sMiB?)",
                           chk_q(c, v), (int)digits, v->s);
            else
                diag_error(c->d, v->loc, "memory %s is below the 1MiB minimum", chk_q(c, v));
            return;
        }
        p->limits.memory = n;
        return;
    case AS_LIM_PIDS:
        if (!chk_once(c, &c->lim_pids, s->loc, "limits pids") || chk_uint(c, v, 4194304, &n))
            return;
        if (n == 0) {
            diag_error(c->d, v->loc, "pids must be at least 1 (omit the limit for none)");
            return;
        }
        p->limits.pids = n;
        return;
    case AS_LIM_CPU: {
        char err[200];
        if (!chk_once(c, &c->lim_cpu, s->loc, "limits cpu"))
            return;
        if (parse_cpu_millis(v->s, &m, err, sizeof err)) {
            diag_error(c->d, v->loc, "%s", err);
            return;
        }
        p->limits.cpu_millis = m;
        return;
    }
    case AS_LIM_WALL:
        if (!chk_once(c, &c->lim_wall, s->loc, "limits wall") || chk_duration(c, v, &n))
            return;
        if (n == 0) {
            diag_error(c->d, v->loc, "wall must be more than 0 (omit the limit for none)");
            return;
        }
        p->limits.wall_ms = n;
        return;
    case AS_LIM_MEMORY_BE:
        if (chk_once(c, &c->lim_memory_be, s->loc, "memory-best-effort"))
            p->limits.flags |= CP_LIMIT_MEMORY_BEST_EFFORT;
        return;
    case AS_LIM_PIDS_BE:
        if (chk_once(c, &c->lim_pids_be, s->loc, "pids-best-effort"))
            p->limits.flags |= CP_LIMIT_PIDS_BEST_EFFORT;
        return;
    case AS_LIM_CPU_BE:
        if (chk_once(c, &c->lim_cpu_be, s->loc, "cpu-best-effort"))
            p->limits.flags |= CP_LIMIT_CPU_BEST_EFFORT;
        return;
    default: return;
    }
}

static void check_limits_final(struct chk *c)
{
    if (c->lim_memory_be.set && !c->p->limits.memory && !c->lim_memory.set)
        diag_error(c->d, c->lim_memory_be.loc, "memory-best-effort without a memory limit");
    if (c->lim_pids_be.set && !c->p->limits.pids && !c->lim_pids.set)
        diag_error(c->d, c->lim_pids_be.loc, "pids-best-effort without a pids limit");
    if (c->lim_cpu_be.set && !c->p->limits.cpu_millis && !c->lim_cpu.set)
        diag_error(c->d, c->lim_cpu_be.loc, "cpu-best-effort without a cpu limit");
}

/* ---- vm, gvisor, events ----------------------------------------------------- */

static void check_sha(struct chk *c, const struct ast_val *v, uint8_t out[32])
{
    char err[200];
    if (parse_sha256_hex(v->s, v->len, out, err, sizeof err))
        diag_error(c->d, v->loc, "%s", err);
}

static void check_vm_stmt(struct chk *c, const struct ast_stmt *s)
{
    struct plan *p = c->p;
    const struct ast_val *v = s->vals;
    uint64_t n;
    const char *path;
    switch (s->kind) {
    case AS_VM_VCPUS:
        if (!chk_once(c, &c->vm_vcpus, s->loc, "vm vcpus") || chk_uint(c, v, UINT32_MAX, &n))
            return;
        if (n < 1 || n > 64) {
            diag_error(c->d, v->loc, "vcpus must be 1 to 64");
            return;
        }
        p->vm.vcpus = (uint32_t)n;
        return;
    case AS_VM_MEMORY:
        if (!chk_once(c, &c->vm_memory, s->loc, "vm memory") || chk_bytes(c, v, &n))
            return;
        if (n < (64u << 20)) {
            diag_error(c->d, v->loc, "vm memory must be at least 64MiB");
            return;
        }
        p->vm.memory = n;
        return;
    case AS_VM_KERNEL:
        if (!chk_once(c, &c->vm_kernel, s->loc, "vm kernel") || chk_path(c, v, &path))
            return;
        p->vm.kernel = path;
        check_sha(c, s->vals2, p->vm.kernel_sha256);
        return;
    case AS_VM_BOOTARGS:
        if (!chk_once(c, &c->vm_bootargs, s->loc, "vm bootargs"))
            return;
        if (!printable_ascii(v->s, v->len)) {
            diag_error(c->d, v->loc, "bootargs must be printable ASCII");
            return;
        }
        p->vm.bootargs = v->s;
        return;
    case AS_VM_ROOTFS:
        if (!chk_once(c, &c->vm_rootfs, s->loc, "vm rootfs") || chk_path(c, v, &path))
            return;
        p->vm.rootfs = path;
        p->vm.flags |= CP_VM_HAS_ROOTFS;
        check_sha(c, s->vals2, p->vm.rootfs_sha256);
        return;
    case AS_VM_INITRAMFS_LIMIT:
        if (!chk_once(c, &c->vm_initramfs, s->loc, "vm initramfs-limit") || chk_bytes(c, v, &n))
            return;
        if (n == 0) {
            diag_error(c->d, v->loc, "initramfs-limit must be more than 0 (omit it for the default)");
            return;
        }
        p->vm.initramfs_limit = n;
        return;
    default: return;
    }
}

static void check_gvisor_stmt(struct chk *c, const struct ast_stmt *s)
{
    const struct ast_val *v = s->vals;
    if (!chk_once(c, &c->gv_platform, s->loc, "gvisor platform"))
        return;
    static const char *const names[] = { "auto", "ptrace", "kvm", "systrap" };
    for (uint32_t i = 0; i < 4; i++)
        if (!strcmp(v->s, names[i])) {
            c->p->gvisor.platform = i;
            return;
        }
    diag_error(c->d, v->loc, "unknown gvisor platform '%s' (auto, ptrace, kvm or systrap)", chk_q(c, v));
}

static void check_events_stmt(struct chk *c, const struct ast_stmt *s)
{
    struct plan *p = c->p;
    const struct ast_val *v = s->vals;
    switch (s->kind) {
    case AS_EV_SOURCE: {
        if (!chk_once(c, &c->ev_source, s->loc, "events source"))
            return;
        size_t i = 0;
        bool ok = v->len > 0 && ((v->s[0] >= 'a' && v->s[0] <= 'z') || (v->s[0] >= 'A' && v->s[0] <= 'Z'));
        while (ok && i < v->len && v->s[i] != ':') {
            char ch = v->s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '+' || ch == '.' || ch == '-'))
                ok = false;
            i++;
        }
        if (!ok || i >= v->len || i + 1 == v->len || !printable_ascii(v->s, v->len) ||
            memchr(v->s, ' ', v->len) || v->len > 1024 || strlen(v->s) != v->len || !ev_uri_reference(v->s)) {
            diag_error(c->d, v->loc,
                       "events source must be a URI (scheme:rest; letters, digits, -._~:/?#[]@!$&'()*+,;= "
                       "and %%XX only), e.g. \"urn:cellos:ci\"");
            return;
        }
        p->events.source = v->s;
        return;
    }
    case AS_EV_SUBJECT:
        if (!chk_once(c, &c->ev_subject, s->loc, "events subject"))
            return;
        if (!printable_ascii(v->s, v->len) || v->len == 0 || v->len > 1024) {
            diag_error(c->d, v->loc, "events subject must be 1 to 1024 printable ASCII bytes");
            return;
        }
        p->events.subject = v->s;
        return;
    case AS_EV_REQUIRE_DELIVERED:
        if (chk_once(c, &c->ev_require, s->loc, "events require delivered"))
            p->events.flags |= CP_EV_REQUIRE_DELIVERED;
        return;
    case AS_EV_KEY: {
        if (!chk_once(c, &c->ev_key, s->loc, "events key"))
            return;
        char err[200];
        if (parse_sha256_hex(v->s, v->len, p->events.signing_kid, err, sizeof err)) {
            diag_error(c->d, v->loc,
                       "events key must be the key id: 64 hex digits (the SHA-256 of the "
                       "Ed25519 public key)");
            return;
        }
        p->events.flags |= CP_EV_HAS_KID;
        return;
    }
    case AS_EV_SPEC_ID:
    case AS_EV_CORRELATION_ID:
    case AS_EV_PACK_ID:
    case AS_EV_PACK_VERSION: {
        static const char *const names[] = { "spec-id", "correlation-id", "pack-id", "pack-version" };
        int i = s->kind - AS_EV_SPEC_ID;
        char what[40];
        snprintf(what, sizeof what, "events %s", names[i]);
        if (!chk_once(c, &c->ev_prov[i], s->loc, what))
            return;
        if (!printable_ascii(v->s, v->len) || v->len == 0 || v->len > 255) {
            diag_error(c->d, v->loc, "events %s must be 1 to 255 printable ASCII bytes", names[i]);
            return;
        }
        bool ok = true;
        for (size_t j = 0; i == 0 && j < v->len; j++) {
            char ch = v->s[j];
            ok &= (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '_' || ch == '.';
        }
        if (!ok) {
            diag_error(c->d, v->loc, "events spec-id must be letters, digits, '-', '_' and '.'");
            return;
        }
        const char **slot[] = { &p->provenance.spec_id, &p->provenance.correlation_id, &p->provenance.pack_id,
                                &p->provenance.pack_version };
        *slot[i] = v->s;
        p->has_provenance = true;
        return;
    }
    default: return;
    }
}

/* ---- export ----------------------------------------------------------------- */

/* artifact "NAME" from "/path" [max SIZE] [required]; */
static void check_artifact(struct chk *c, const struct ast_stmt *s)
{
    const struct ast_val *name = s->vals, *from = name->next;
    struct plan_export_item x = { .max_bytes = CP_EXPORT_DEFAULT_MAX, .line = s->loc.line };
    bool ok = true, have_max = false, have_req = false;
    bool simple = name->len >= 1 && name->len <= 64;
    for (size_t i = 0; i < name->len; i++) {
        char ch = name->s[i];
        simple &= (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '-' || ch == '.';
    }
    if (!simple || !strcmp(name->s, ".") || !strcmp(name->s, "..")) {
        diag_error(c->d, name->loc,
                   "invalid artifact name \"%s\": 1 to 64 of [A-Za-z0-9_.-], not \".\" or \"..\" "
                   "(it is a file name in the export directory)",
                   chk_q(c, name));
        ok = false;
    }
    x.name = name->s;
    if (chk_path(c, from, &x.path) < 0)
        ok = false;
    for (const struct ast_opt *o = s->opts; o; o = o->next) {
        if (o->kind == AO_REQUIRED) {
            if (have_req)
                diag_error(c->d, o->loc, "artifact \"%s\": `required` written twice", chk_q(c, name));
            have_req = true;
            x.flags |= CP_EXPORT_REQUIRED;
            continue;
        }
        if (have_max) {
            diag_error(c->d, o->loc, "artifact \"%s\": `max` written twice", chk_q(c, name));
            ok = false;
            continue;
        }
        have_max = true;
        uint64_t n;
        if (chk_bytes(c, o->val, &n) < 0) {
            ok = false;
        } else if (n == 0 || n > (1ull << 40)) {
            diag_error(c->d, o->val->loc, "artifact \"%s\": max %s is not 1 byte to 1TiB", chk_q(c, name),
                       chk_q(c, o->val));
            ok = false;
        } else {
            x.max_bytes = n;
        }
    }
    for (size_t i = 0; ok && i < c->n_exports; i++) {
        if (!strcmp(c->exports[i].x.name, x.name)) {
            diag_error(c->d, name->loc, "duplicate artifact \"%s\"", chk_q(c, name));
            diag_note(c->d, c->exports[i].loc, "previous artifact here");
            ok = false;
        }
    }
    if (ok && c->n_exports >= CP_EXPORT_MAX_ITEMS) {
        diag_error(c->d, s->loc, "more than %u artifacts", CP_EXPORT_MAX_ITEMS);
        ok = false;
    }
    if (!ok)
        return;
    struct export_c *ec = CHK_PUSH(c, c->exports, c->n_exports, c->cap_exports);
    ec->x = x;
    ec->loc = name->loc;
}

/* ---- secrets ---------------------------------------------------------------- */

static void check_secret(struct chk *c, const struct ast_stmt *s)
{
    const struct ast_val *name = s->vals, *from = name->next, *to = s->vals2;
    bool ok = true;
    char err[200];
    /* name: an identifier */
    for (size_t i = 0; i < name->len; i++) {
        char ch = name->s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-' ||
              (i && ch >= '0' && ch <= '9'))) {
            diag_error(c->d, name->loc, "invalid secret name '%s'", chk_q(c, name));
            ok = false;
            break;
        }
    }
    struct plan_secret ps = { .name = name->s, .line = s->loc.line };
    if (!strcmp(s->from_kind->s, "env")) {
        if (from->kind != AV_STRING) {
            diag_error(c->d, from->loc, "write the host variable as a string: from env \"%s\"",
                       chk_q(c, from));
            ok = false;
        } else if (check_env_name(from->s, from->len, err, sizeof err)) {
            diag_error(c->d, from->loc, "%s: \"%s\"", err, chk_q(c, from));
            ok = false;
        } else {
            ps.ref = arena_printf(c->a, "env:%s", from->s);
        }
    } else {
        const char *path;
        if (chk_path(c, from, &path))
            ok = false;
        else
            ps.ref = arena_printf(c->a, "file:%s", path);
    }
    if (!strcmp(s->as_kind->s, "env")) {
        ps.delivery = CP_SECRET_ENV;
        if (check_env_name(to->s, to->len, err, sizeof err)) {
            diag_error(c->d, to->loc, "%s: '%s'", err, chk_q(c, to));
            ok = false;
        }
        ps.target = to->s;
    } else {
        ps.delivery = CP_SECRET_FILE;
        if (to->kind != AV_STRING) {
            diag_error(c->d, to->loc, "a file target is a path string");
            ok = false;
        } else if (chk_path(c, to, &ps.target)) {
            ok = false;
        }
    }
    if (!ok)
        return;
    for (size_t i = 0; i < c->n_secrets; i++) {
        const struct secret_c *o = &c->secrets[i];
        if (!strcmp(o->s.name, ps.name)) {
            diag_error(c->d, name->loc, "duplicate secret '%s'", ps.name);
            diag_note(c->d, o->loc, "previous secret here");
            return;
        }
        if (o->s.delivery == ps.delivery && !strcmp(o->s.target, ps.target)) {
            diag_error(c->d, to->loc, "secrets '%s' and '%s' are delivered to the same %s '%s'", o->s.name,
                       ps.name, ps.delivery == CP_SECRET_ENV ? "variable" : "file", ps.target);
            diag_note(c->d, o->target_loc, "previous delivery here");
            return;
        }
    }
    struct secret_c *sc = CHK_PUSH(c, c->secrets, c->n_secrets, c->cap_secrets);
    sc->s = ps;
    sc->loc = name->loc;
    sc->target_loc = to->loc;
}

/* ---- ceilings (packs) --------------------------------------------------------- */

static void check_ceiling_stmt(struct chk *c, const struct ast_stmt *s)
{
    struct ceiling_c *ce = NULL;
    const struct ast_val *v = s->vals;
    uint64_t n;
    uint32_t m;
    char err[200];
    switch (s->kind) {
    case AS_CEIL_MEMORY:
        if (chk_bytes(c, v, &n))
            return;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_MEMORY;
        break;
    case AS_CEIL_WALL:
        if (chk_duration(c, v, &n))
            return;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_WALL;
        break;
    case AS_CEIL_PIDS:
        if (chk_uint(c, v, 4194304, &n))
            return;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_PIDS;
        break;
    case AS_CEIL_CPU:
        if (parse_cpu_millis(v->s, &m, err, sizeof err)) {
            diag_error(c->d, v->loc, "%s", err);
            return;
        }
        n = m;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_CPU;
        break;
    case AS_CEIL_EGRESS_NONE:
        n = 0;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_EGRESS_NONE;
        break;
    case AS_CEIL_EGRESS_HOSTS:
        for (const struct ast_val *x = v; x; x = x->next)
            if (check_host(x->s, x->len, err, sizeof err)) {
                diag_error(c->d, x->loc, "invalid host \"%s\": %s", chk_q(c, x), err);
                return;
            }
        n = 0;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_EGRESS_HOSTS;
        ce->list = v;
        break;
    case AS_CEIL_REQUIRE:
        for (const struct ast_val *x = v; x; x = x->next)
            if (strcmp(x->s, "memory") && strcmp(x->s, "pids") && strcmp(x->s, "wall") &&
                strcmp(x->s, "cpu")) {
                diag_error(c->d, x->loc, "require names a limit: memory, pids, cpu or wall (not '%s')",
                           chk_q(c, x));
                return;
            }
        n = 0;
        ce = CHK_PUSH(c, c->ceil, c->n_ceil, c->cap_ceil);
        ce->kind = CEIL_REQUIRE;
        ce->list = v;
        break;
    default: return;
    }
    ce->value = n;
    ce->pack = c->unit->pack_name;
    ce->loc = s->loc;
}

static const char *fmt_limit(struct chk *c, enum ceil_kind k, uint64_t v)
{
    switch (k) {
    case CEIL_MEMORY:
        if (v % (1ull << 30) == 0)
            return arena_printf(c->a, "%lluGiB", (unsigned long long)(v >> 30));
        if (v % (1ull << 20) == 0)
            return arena_printf(c->a, "%lluMiB", (unsigned long long)(v >> 20));
        if (v % (1ull << 10) == 0)
            return arena_printf(c->a, "%lluKiB", (unsigned long long)(v >> 10));
        return arena_printf(c->a, "%llu bytes", (unsigned long long)v);
    case CEIL_WALL:
        if (v % 3600000 == 0)
            return arena_printf(c->a, "%lluh", (unsigned long long)(v / 3600000));
        if (v % 60000 == 0)
            return arena_printf(c->a, "%llum", (unsigned long long)(v / 60000));
        if (v % 1000 == 0)
            return arena_printf(c->a, "%llus", (unsigned long long)(v / 1000));
        return arena_printf(c->a, "%llums", (unsigned long long)v);
    case CEIL_CPU: return arena_printf(c->a, "%llum", (unsigned long long)v);
    default: return arena_printf(c->a, "%llu", (unsigned long long)v);
    }
}

static bool pack_requires(struct chk *c, const char *pack, const char *what)
{
    for (size_t i = 0; i < c->n_ceil; i++) {
        if (c->ceil[i].kind != CEIL_REQUIRE || strcmp(c->ceil[i].pack, pack))
            continue;
        for (const struct ast_val *x = c->ceil[i].list; x; x = x->next)
            if (!strcmp(x->s, what))
                return true;
    }
    return false;
}

/* Every ceiling of every pack the cell uses, every violation listed. */
static void check_ceilings(struct chk *c, struct loc cell_loc)
{
    const struct plan *p = c->p;
    for (size_t i = 0; i < c->n_ceil; i++) {
        const struct ceiling_c *ce = &c->ceil[i];
        uint64_t have = 0;
        const char *what = NULL;
        struct seen *where = NULL;
        switch (ce->kind) {
        case CEIL_MEMORY:
            have = p->limits.memory;
            what = "memory";
            where = &c->lim_memory;
            break;
        case CEIL_WALL:
            have = p->limits.wall_ms;
            what = "wall";
            where = &c->lim_wall;
            break;
        case CEIL_PIDS:
            have = p->limits.pids;
            what = "pids";
            where = &c->lim_pids;
            break;
        case CEIL_CPU:
            have = p->limits.cpu_millis;
            what = "cpu";
            where = &c->lim_cpu;
            break;
        case CEIL_EGRESS_NONE:
            if (p->net.mode == CP_NET_EGRESS) {
                diag_error(c->d, c->network.loc,
                           "network egress breaks the ceiling of pack '%s', which forbids egress", ce->pack);
                diag_note(c->d, ce->loc, "ceiling here");
            }
            continue;
        case CEIL_EGRESS_HOSTS:
            for (size_t j = 0; j < c->n_egress; j++) {
                const struct egress_c *e = &c->egress[j];
                bool allowed = false;
                if (e->e.kind == CP_EGRESS_HOST)
                    for (const struct ast_val *x = ce->list; x; x = x->next)
                        if (!strcasecmp(x->s, e->e.host))
                            allowed = true;
                if (allowed ||
                    (j > 0 && c->egress[j - 1].loc.line == e->loc.line &&
                     c->egress[j - 1].loc.col == e->loc.col))
                    continue; /* the second half of a `*` rule is reported once */
                if (e->e.kind == CP_EGRESS_HOST)
                    diag_error(c->d, e->loc,
                               "egress to '%s' breaks the ceiling of pack '%s': host not in its egress-hosts",
                               e->e.host, ce->pack);
                else
                    diag_error(c->d, e->loc,
                               "egress to an address block breaks the ceiling of pack '%s', which allows "
                               "only named hosts",
                               ce->pack);
                diag_note(c->d, ce->loc, "ceiling here");
            }
            continue;
        case CEIL_REQUIRE:
            for (const struct ast_val *x = ce->list; x; x = x->next) {
                bool set = (!strcmp(x->s, "memory") && p->limits.memory) ||
                    (!strcmp(x->s, "pids") && p->limits.pids) ||
                    (!strcmp(x->s, "wall") && p->limits.wall_ms) ||
                    (!strcmp(x->s, "cpu") && p->limits.cpu_millis);
                if (set)
                    continue;
                diag_error(c->d, cell_loc, "pack '%s' requires a %s limit: add `limits { %s ...; }`",
                           ce->pack, x->s, x->s);
                diag_note(c->d, x->loc, "required here");
            }
            continue;
        }
        if (have == 0) {
            if (pack_requires(c, ce->pack, what))
                continue; /* reported once, by the require */
            diag_error(c->d, cell_loc,
                       "no %s limit breaks the ceiling of pack '%s' (at most %s): add `limits { %s ...; }`",
                       what, ce->pack, fmt_limit(c, ce->kind, ce->value), what);
            diag_note(c->d, ce->loc, "ceiling here");
        } else if (have > ce->value) {
            diag_error(c->d, where->loc, "%s %s breaks the ceiling of pack '%s' (at most %s)", what,
                       fmt_limit(c, ce->kind, have), ce->pack, fmt_limit(c, ce->kind, ce->value));
            diag_note(c->d, ce->loc, "ceiling here");
        }
    }
}

/* ---- units and sections ------------------------------------------------------- */

static const char *section_name(enum ast_section_kind k)
{
    switch (k) {
    case SEC_ITEM: return "item";
    case SEC_PROCESS: return "process";
    case SEC_FILESYSTEM: return "filesystem";
    case SEC_NETWORK: return "network";
    case SEC_LIMITS: return "limits";
    case SEC_SYSCALLS: return "syscalls";
    case SEC_VM: return "vm";
    case SEC_GVISOR: return "gvisor";
    case SEC_EVENTS: return "events";
    case SEC_SECRETS: return "secrets";
    case SEC_EXPORT: return "export";
    case SEC_CEILING: return "ceiling";
    }
    return "?";
}

static void check_unit(struct chk *c, const struct policy_unit *pu)
{
    c->unit = pu;
    c->in_pack = pu->pack_name != NULL;
    const struct ast_unit *u = pu->unit;
    struct seen secs[SEC_CEILING + 1];
    memset(secs, 0, sizeof secs);

    for (const struct ast_section *sec = u->sections; sec; sec = sec->next) {
        bool pack_ok = sec->kind == SEC_FILESYSTEM || sec->kind == SEC_SYSCALLS || sec->kind == SEC_CEILING ||
            sec->kind == SEC_PROCESS;
        if (c->in_pack && !pack_ok) {
            const char *nm = sec->kind != SEC_ITEM ? section_name(sec->kind)
                : sec->stmts->kind == AS_BACKEND   ? "backend"
                : sec->stmts->kind == AS_LANDLOCK  ? "landlock"
                                                   : "hostname";
            diag_error(c->d, sec->loc,
                       "'%s' is not allowed in a pack (a pack may hold filesystem, "
                       "syscalls, ceiling and process env/rlimit)",
                       nm);
            continue;
        }
        if (!c->in_pack && sec->kind == SEC_CEILING) {
            diag_error(c->d, sec->loc, "'ceiling' is only allowed in a pack");
            continue;
        }
        if (sec->kind != SEC_ITEM && sec->kind != SEC_NETWORK) {
            char what[64];
            snprintf(what, sizeof what, "%s section", section_name(sec->kind));
            if (!chk_once(c, &secs[sec->kind], sec->loc, arena_strdup(c->a, what)))
                continue;
        }
        switch (sec->kind) {
        case SEC_ITEM: check_item(c, sec->stmts); break;
        case SEC_PROCESS:
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_process_stmt(c, s);
            break;
        case SEC_FILESYSTEM:
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_fs_stmt(c, s);
            break;
        case SEC_NETWORK: check_network(c, sec); break;
        case SEC_LIMITS:
            c->limits_section.set = true;
            c->limits_section.loc = sec->loc;
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_limit(c, s);
            break;
        case SEC_SYSCALLS:
            c->any_syscalls = true;
            if (!c->sc_section.set || sec->loc.file == 0) {
                c->sc_section.set = true;
                c->sc_section.loc = sec->loc;
            }
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_sc_stmt(c, s);
            break;
        case SEC_VM:
            c->vm_section.set = true;
            c->vm_section.loc = sec->loc;
            c->p->has_vm = true;
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_vm_stmt(c, s);
            break;
        case SEC_GVISOR:
            c->gvisor_section.set = true;
            c->gvisor_section.loc = sec->loc;
            c->p->has_gvisor = true;
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_gvisor_stmt(c, s);
            break;
        case SEC_EVENTS:
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_events_stmt(c, s);
            break;
        case SEC_SECRETS:
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_secret(c, s);
            break;
        case SEC_EXPORT:
            if (!sec->stmts)
                diag_error(c->d, sec->loc, "the export section lists no artifact");
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_artifact(c, s);
            break;
        case SEC_CEILING:
            for (const struct ast_stmt *s = sec->stmts; s; s = s->next)
                check_ceiling_stmt(c, s);
            break;
        }
    }
}

static int env_cmp(const void *a, const void *b)
{
    const struct env_c *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r)
        return r;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int fd_cmp(const void *a, const void *b)
{
    const struct fd_c *x = a, *y = b;
    return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static int rlimit_cmp(const void *a, const void *b)
{
    const struct plan_rlimit *x = a, *y = b;
    return x->resource < y->resource ? -1 : x->resource > y->resource;
}

static int export_cmp(const void *a, const void *b)
{
    const struct plan_export_item *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int secret_cmp(const void *a, const void *b)
{
    const struct plan_secret *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Merge the collected lists into the plan, in the plan's canonical orders. */
static void finish_process(struct chk *c, const struct ast_unit *cell)
{
    struct plan *p = c->p;
    /* env: sorted by name; a name set twice is an error */
    if (c->n_env > 1)
        qsort(c->env, c->n_env, sizeof *c->env, env_cmp);
    p->process.env = arena_alloc(c->a, (c->n_env ? c->n_env : 1) * sizeof *p->process.env);
    p->process.n_env = 0;
    for (size_t i = 0; i < c->n_env; i++) {
        if (i && !strcmp(c->env[i].name, c->env[i - 1].name)) {
            diag_error(c->d, c->env[i].loc, "environment variable %s is set twice", c->env[i].name);
            diag_note(c->d, c->env[i - 1].loc, "previous setting here");
            continue;
        }
        struct plan_env *e = &p->process.env[p->process.n_env++];
        e->name = c->env[i].name;
        e->value = c->env[i].value;
        e->flags = c->env[i].flags;
    }
    /* secrets delivered as env must not collide with env */
    for (size_t i = 0; i < c->n_secrets; i++) {
        if (c->secrets[i].s.delivery != CP_SECRET_ENV)
            continue;
        for (size_t j = 0; j < c->n_env; j++)
            if (!strcmp(c->env[j].name, c->secrets[i].s.target)) {
                diag_error(c->d, c->secrets[i].target_loc,
                           "secret '%s' is delivered as %s, which env already sets", c->secrets[i].s.name,
                           c->secrets[i].s.target);
                diag_note(c->d, c->env[j].loc, "env setting here");
                break;
            }
    }
    if (c->n_fds > 1)
        qsort(c->fds, c->n_fds, sizeof *c->fds, fd_cmp);
    p->process.pass_fds = arena_alloc(c->a, (c->n_fds ? c->n_fds : 1) * sizeof *p->process.pass_fds);
    for (size_t i = 0; i < c->n_fds; i++)
        p->process.pass_fds[i] = c->fds[i].fd;
    p->process.n_pass_fds = c->n_fds;

    if (p->process.n_rlimits > 1)
        qsort(p->process.rlimits, p->process.n_rlimits, sizeof *p->process.rlimits, rlimit_cmp);

    p->process.argv = c->argv_list;
    p->process.argc = c->argc;
    if (cell && !c->argv.set && !c->src->top_is_pack)
        diag_error(c->d, cell->loc,
                   "the cell has no argv: add `process { argv \"/path/to/program\", ...; }`");
    if (!p->process.cwd)
        p->process.cwd = "/";
    if (!c->user.set)
        p->process.uid = 65534;
    if (!c->group.set)
        p->process.gid = 65534;
    if (!c->umask.set)
        p->process.umask = 022;
}

int policy_check(struct arena *a, struct diag *d, const struct policy_src *src, struct policy *out)
{
    memset(out, 0, sizeof *out);
    struct chk cs = { .a = a, .d = d, .pol = out, .p = &out->plan, .src = src };
    struct chk *c = &cs;
    struct plan *p = &out->plan;
    out->top_is_pack = src->top_is_pack;
    if (src->n_units == 0)
        return -1;

    p->meta.source = src->source_name;
    p->meta.compiler = "cellc " CELLC_VERSION;
    p->meta.hostname = "";
    p->events.source = "";
    p->events.subject = "";
    p->provenance.spec_id = p->provenance.correlation_id = p->provenance.pack_id =
        p->provenance.pack_version = "";
    p->seccomp.default_action = 0x80000000u; /* kill-process unless written */

    for (size_t i = 0; i < src->n_units; i++)
        check_unit(c, &src->units[i]);
    if (c->ev_prov[3].set && !c->ev_prov[2].set)
        diag_error(d, c->ev_prov[3].loc, "events pack-version needs pack-id (the pack it is a version of)");

    const struct ast_unit *top = src->units[src->n_units - 1].unit;
    const struct ast_unit *cell = src->top_is_pack ? NULL : top;
    if (cell) {
        char err[200];
        const struct ast_val *nm = cell->name;
        if (check_cell_name(nm->s, nm->len, err, sizeof err))
            diag_error(d, nm->loc, "%s: '%s'", err, chk_q(c, nm));
        p->meta.name = nm->s;
    } else {
        p->meta.name = top->name->s;
    }

    /* packs, in resolution order */
    size_t np = src->n_units - (src->top_is_pack ? 0 : 1);
    p->meta.packs = arena_alloc(a, (np ? np : 1) * sizeof *p->meta.packs);
    for (size_t i = 0; i < np; i++)
        p->meta.packs[i] = src->units[i].pack_name;
    p->meta.n_packs = np;

    finish_process(c, cell);
    check_limits_final(c);

    p->net.egress = arena_alloc(a, (c->n_egress ? c->n_egress : 1) * sizeof *p->net.egress);
    for (size_t i = 0; i < c->n_egress; i++)
        p->net.egress[i] = c->egress[i].e;
    p->net.n_egress = c->n_egress;

    p->secrets.items = arena_alloc(a, (c->n_secrets ? c->n_secrets : 1) * sizeof *p->secrets.items);
    for (size_t i = 0; i < c->n_secrets; i++)
        p->secrets.items[i] = c->secrets[i].s;
    p->secrets.n_items = c->n_secrets;
    if (p->secrets.n_items > 1)
        qsort(p->secrets.items, p->secrets.n_items, sizeof *p->secrets.items, secret_cmp);

    p->export_.items = arena_alloc(a, (c->n_exports ? c->n_exports : 1) * sizeof *p->export_.items);
    for (size_t i = 0; i < c->n_exports; i++)
        p->export_.items[i] = c->exports[i].x;
    p->export_.n_items = c->n_exports;
    if (p->export_.n_items > 1)
        qsort(p->export_.items, p->export_.n_items, sizeof *p->export_.items, export_cmp);

    if (cell) {
        if (p->meta.backend == CP_BACKEND_VM && !c->vm_section.set)
            diag_error(d, c->backend.loc, "backend vm needs a vm section with a kernel");
        if (c->vm_section.set) {
            if (!c->vm_kernel.set)
                diag_error(d, c->vm_section.loc, "the vm section needs `kernel \"/path\" sha256 \"...\";`");
            if (!p->vm.vcpus)
                p->vm.vcpus = 1;
            if (!p->vm.memory)
                p->vm.memory = 256ull << 20;
            if (!p->vm.bootargs)
                p->vm.bootargs = "";
            if (!p->vm.rootfs)
                p->vm.rootfs = "";
        }
        check_ceilings(c, cell->name->loc);
    }

    check_fs_final(c);
    out->grants = c->grants;
    check_sc_final(c);
    if (cell && !c->any_syscalls)
        diag_error(d, cell->loc,
                   "the policy has no syscalls section: `use \"std/syscalls\";` (or another "
                   "syscall pack) or write `syscalls { default kill-process; allow ...; }`");
    else if (cell && !diag_has_errors(d)) {
        check_sc_essentials(c, c->sc_section.set ? c->sc_section.loc : cell->loc);
        check_fs_rw_writable(c);
    }

    p->meta.unsafe = c->unsafe;
    p->meta.n_unsafe = c->n_unsafe;
    return diag_has_errors(d) ? -1 : 0;
}
