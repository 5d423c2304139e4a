/*
 * plan_writer.c - serialise a struct plan into plan bytes (plan_format.h).
 *
 * Layout (deterministic, docs/plan-format.md "Writer layout"):
 *  - sections in ascending type order: strtab, meta, process, filesystem,
 *    network, limits, seccomp, then vm / gvisor when present, events, then
 *    secrets when it has items;
 *  - the first section 8-aligned after the directory, each next one at the
 *    next multiple of 8 after the previous, zero bytes between;
 *  - inside a section: the fixed part, then its arrays in declaration order,
 *    each at the next multiple of 8 (then, in seccomp, each program's
 *    instructions in program order); empty arrays are {0, 0};
 *  - strings interned on first use while walking sections in type order and
 *    each record's fields in declaration order (an array's records where its
 *    descriptor is declared); equal strings share one entry; "" is offset 0.
 * A NULL string pointer is written as "". Before returning, the bytes are
 * run through the one plan reader: a plan the reader would reject is refused
 * with its reason, so every plan this writer emits is readable.
 */
#include "plan_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

/* ------------------------------------------------------ byte buffer ---- */

struct buf {
    uint8_t *d;
    size_t len, cap;
    bool failed; /* out of memory or over the size limit */
};

static bool buf_reserve(struct buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > CP_MAX_PLAN_SIZE || b->len + extra > CP_MAX_PLAN_SIZE) {
        b->failed = true;
        return false;
    }
    if (b->len + extra <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + extra)
        ncap *= 2;
    uint8_t *nd = realloc(b->d, ncap);
    if (!nd) {
        b->failed = true;
        return false;
    }
    b->d = nd;
    b->cap = ncap;
    return true;
}

/* Append n zero bytes; returns their offset (garbage if b->failed). */
static size_t buf_zeros(struct buf *b, size_t n)
{
    size_t at = b->len;
    if (!buf_reserve(b, n))
        return 0;
    memset(b->d + b->len, 0, n);
    b->len += n;
    return at;
}

static void buf_align8(struct buf *b)
{
    buf_zeros(b, (8 - b->len % 8) % 8);
}

static void put8(struct buf *b, size_t at, uint8_t v)
{
    if (!b->failed)
        b->d[at] = v;
}
static void put16(struct buf *b, size_t at, uint16_t v)
{
    if (!b->failed)
        memcpy(b->d + at, &v, 2);
}
static void put32(struct buf *b, size_t at, uint32_t v)
{
    if (!b->failed)
        memcpy(b->d + at, &v, 4);
}
static void put64(struct buf *b, size_t at, uint64_t v)
{
    if (!b->failed)
        memcpy(b->d + at, &v, 8);
}
static void putn(struct buf *b, size_t at, const void *p, size_t n)
{
    if (!b->failed && n)
        memcpy(b->d + at, p, n);
}

/* ------------------------------------------------------ string table ---- */

struct strtab {
    struct buf b;    /* the table bytes; byte 0 is NUL */
    uint32_t *slots; /* open addressing: offset + 1, 0 = empty */
    size_t nslots, used;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static bool strtab_grow(struct strtab *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *ns = calloc(n, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < t->nslots; i++) {
        if (!t->slots[i])
            continue;
        size_t j = fnv1a((const char *)t->b.d + t->slots[i] - 1) & (n - 1);
        while (ns[j])
            j = (j + 1) & (n - 1);
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->nslots = n;
    return true;
}

/* Offset of s in the table, adding it on first use. */
static uint32_t intern(struct strtab *t, const char *s)
{
    if (!s || !*s || t->b.failed)
        return 0;
    if ((t->used + 1) * 2 > t->nslots && !strtab_grow(t)) {
        t->b.failed = true;
        return 0;
    }
    size_t j = fnv1a(s) & (t->nslots - 1);
    while (t->slots[j]) {
        if (strcmp((const char *)t->b.d + t->slots[j] - 1, s) == 0)
            return t->slots[j] - 1;
        j = (j + 1) & (t->nslots - 1);
    }
    size_t n = strlen(s) + 1;
    size_t at = buf_zeros(&t->b, n);
    if (t->b.failed)
        return 0;
    memcpy(t->b.d + at, s, n);
    t->slots[j] = (uint32_t)at + 1;
    t->used++;
    return (uint32_t)at;
}

/* ------------------------------------------------------------ writer ---- */

struct wr {
    struct strtab st;
    struct buf sec[CP_SEC_MAX_TYPE + 1];
    bool present[CP_SEC_MAX_TYPE + 1];
    char *errbuf;
    size_t errlen;
};

static int werr(struct wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int werr(struct wr *w, const char *fmt, ...)
{
    if (w->errbuf && w->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->errbuf, w->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Reserve an array of count records of size bytes in section b, write its
 * descriptor at field, return the offset of record 0. */
static size_t array(struct buf *b, size_t field, size_t count, size_t size)
{
    if (count == 0) {
        put32(b, field, 0);
        put32(b, field + 4, 0);
        return 0;
    }
    buf_align8(b);
    size_t at = buf_zeros(b, count * size);
    put32(b, field, (uint32_t)at);
    put32(b, field + 4, (uint32_t)count);
    return at;
}

#define F(base, type, field) ((base) + offsetof(type, field))

static struct buf *section(struct wr *w, uint32_t type, size_t fixed)
{
    w->present[type] = true;
    buf_zeros(&w->sec[type], fixed);
    return &w->sec[type];
}

static void write_meta(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_META, sizeof(struct cp_meta));
    put32(b, offsetof(struct cp_meta, name), intern(&w->st, p->meta.name));
    put32(b, offsetof(struct cp_meta, source), intern(&w->st, p->meta.source));
    put32(b, offsetof(struct cp_meta, compiler), intern(&w->st, p->meta.compiler));
    put32(b, offsetof(struct cp_meta, hostname), intern(&w->st, p->meta.hostname));
    put32(b, offsetof(struct cp_meta, backend), p->meta.backend);
    size_t a = array(b, offsetof(struct cp_meta, packs), p->meta.n_packs, sizeof(cp_str));
    for (size_t i = 0; i < p->meta.n_packs; i++)
        put32(b, a + 4 * i, intern(&w->st, p->meta.packs[i]));
    a = array(b, offsetof(struct cp_meta, unsafe), p->meta.n_unsafe, sizeof(struct cp_unsafe_grant));
    for (size_t i = 0; i < p->meta.n_unsafe; i++) {
        size_t e = a + i * sizeof(struct cp_unsafe_grant);
        const struct plan_unsafe_grant *g = &p->meta.unsafe[i];
        put32(b, F(e, struct cp_unsafe_grant, kind), intern(&w->st, g->kind));
        put32(b, F(e, struct cp_unsafe_grant, subject), intern(&w->st, g->subject));
        put32(b, F(e, struct cp_unsafe_grant, reason), intern(&w->st, g->reason));
        put32(b, F(e, struct cp_unsafe_grant, line), g->line);
    }
}

static void write_process(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_PROCESS, sizeof(struct cp_process));
    size_t a = array(b, offsetof(struct cp_process, argv), p->process.argc, sizeof(cp_str));
    for (size_t i = 0; i < p->process.argc; i++)
        put32(b, a + 4 * i, intern(&w->st, p->process.argv[i]));
    a = array(b, offsetof(struct cp_process, env), p->process.n_env, sizeof(struct cp_env));
    for (size_t i = 0; i < p->process.n_env; i++) {
        size_t e = a + i * sizeof(struct cp_env);
        put32(b, F(e, struct cp_env, name), intern(&w->st, p->process.env[i].name));
        put32(b, F(e, struct cp_env, value), intern(&w->st, p->process.env[i].value));
        put32(b, F(e, struct cp_env, flags), p->process.env[i].flags);
    }
    a = array(b, offsetof(struct cp_process, rlimits), p->process.n_rlimits, sizeof(struct cp_rlimit));
    for (size_t i = 0; i < p->process.n_rlimits; i++) {
        size_t e = a + i * sizeof(struct cp_rlimit);
        put32(b, F(e, struct cp_rlimit, resource), p->process.rlimits[i].resource);
        put64(b, F(e, struct cp_rlimit, soft), p->process.rlimits[i].soft);
        put64(b, F(e, struct cp_rlimit, hard), p->process.rlimits[i].hard);
    }
    a = array(b, offsetof(struct cp_process, pass_fds), p->process.n_pass_fds, sizeof(uint32_t));
    for (size_t i = 0; i < p->process.n_pass_fds; i++)
        put32(b, a + 4 * i, p->process.pass_fds[i]);
    put32(b, offsetof(struct cp_process, cwd), intern(&w->st, p->process.cwd));
    put32(b, offsetof(struct cp_process, uid), p->process.uid);
    put32(b, offsetof(struct cp_process, gid), p->process.gid);
    put32(b, offsetof(struct cp_process, umask), p->process.umask);
    put32(b, offsetof(struct cp_process, flags), p->process.flags);
    put64(b, offsetof(struct cp_process, capabilities), p->process.capabilities);
}

static void write_filesystem(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_FILESYSTEM, sizeof(struct cp_filesystem));
    size_t a = array(b, offsetof(struct cp_filesystem, ops), p->fs.n_ops, sizeof(struct cp_mount_op));
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        size_t e = a + i * sizeof(struct cp_mount_op);
        const struct plan_mount_op *op = &p->fs.ops[i];
        put16(b, F(e, struct cp_mount_op, opcode), op->opcode);
        put16(b, F(e, struct cp_mount_op, flags), op->flags);
        put32(b, F(e, struct cp_mount_op, src), intern(&w->st, op->src));
        put32(b, F(e, struct cp_mount_op, dst), intern(&w->st, op->dst));
        put32(b, F(e, struct cp_mount_op, mode), op->mode);
        put64(b, F(e, struct cp_mount_op, size), op->size);
        put32(b, F(e, struct cp_mount_op, line), op->line);
    }
}

static void write_network(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_NETWORK, sizeof(struct cp_network));
    put32(b, offsetof(struct cp_network, mode), p->net.mode);
    size_t a = array(b, offsetof(struct cp_network, egress), p->net.n_egress, sizeof(struct cp_egress));
    for (size_t i = 0; i < p->net.n_egress; i++) {
        size_t e = a + i * sizeof(struct cp_egress);
        const struct plan_egress *g = &p->net.egress[i];
        put8(b, F(e, struct cp_egress, kind), g->any_name ? CP_EGRESS_HOST_ANY_NAME : g->kind);
        put8(b, F(e, struct cp_egress, family), g->family);
        put8(b, F(e, struct cp_egress, prefix), g->prefix);
        put8(b, F(e, struct cp_egress, proto), g->proto);
        put16(b, F(e, struct cp_egress, port_lo), g->port_lo);
        put16(b, F(e, struct cp_egress, port_hi), g->port_hi);
        put32(b, F(e, struct cp_egress, host), intern(&w->st, g->host));
        putn(b, F(e, struct cp_egress, addr), g->addr, 16);
        put32(b, F(e, struct cp_egress, line), g->line);
    }
}

static void write_limits(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_LIMITS, sizeof(struct cp_limits));
    put64(b, offsetof(struct cp_limits, memory), p->limits.memory);
    put64(b, offsetof(struct cp_limits, pids), p->limits.pids);
    put64(b, offsetof(struct cp_limits, wall_ms), p->limits.wall_ms);
    put32(b, offsetof(struct cp_limits, cpu_millis), p->limits.cpu_millis);
    put32(b, offsetof(struct cp_limits, flags), p->limits.flags);
}

static void write_seccomp(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_SECCOMP, sizeof(struct cp_seccomp));
    put32(b, offsetof(struct cp_seccomp, default_action), p->seccomp.default_action);
    put32(b, offsetof(struct cp_seccomp, flags), p->seccomp.flags);
    size_t a = array(b, offsetof(struct cp_seccomp, rules), p->seccomp.n_rules, sizeof(struct cp_sc_rule));
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        size_t e = a + i * sizeof(struct cp_sc_rule);
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        put32(b, F(e, struct cp_sc_rule, syscall), intern(&w->st, r->syscall));
        put32(b, F(e, struct cp_sc_rule, action), r->action);
        put32(b, F(e, struct cp_sc_rule, cond_first), r->cond_first);
        put32(b, F(e, struct cp_sc_rule, cond_count), r->cond_count);
        put32(b, F(e, struct cp_sc_rule, line), r->line);
    }
    a = array(b, offsetof(struct cp_seccomp, conds), p->seccomp.n_conds, sizeof(struct cp_sc_cond));
    for (size_t i = 0; i < p->seccomp.n_conds; i++) {
        size_t e = a + i * sizeof(struct cp_sc_cond);
        const struct plan_sc_cond *c = &p->seccomp.conds[i];
        put8(b, F(e, struct cp_sc_cond, arg), c->arg);
        put8(b, F(e, struct cp_sc_cond, op), c->op);
        put8(b, F(e, struct cp_sc_cond, width), c->width);
        put32(b, F(e, struct cp_sc_cond, set_first), c->set_first);
        put32(b, F(e, struct cp_sc_cond, set_count), c->set_count);
        put64(b, F(e, struct cp_sc_cond, value), c->value);
        put64(b, F(e, struct cp_sc_cond, mask), c->mask);
    }
    a = array(b, offsetof(struct cp_seccomp, values), p->seccomp.n_values, sizeof(uint64_t));
    for (size_t i = 0; i < p->seccomp.n_values; i++)
        put64(b, a + 8 * i, p->seccomp.values[i]);
    size_t progs =
        array(b, offsetof(struct cp_seccomp, programs), p->seccomp.n_programs, sizeof(struct cp_sc_program));
    for (size_t i = 0; i < p->seccomp.n_programs; i++) {
        const struct plan_sc_program *pr = &p->seccomp.programs[i];
        size_t e = progs + i * sizeof(struct cp_sc_program);
        buf_align8(b);
        size_t at = buf_zeros(b, (size_t)pr->insn_count * sizeof(struct cp_bpf_insn));
        put32(b, F(e, struct cp_sc_program, audit_arch), pr->audit_arch);
        put32(b, F(e, struct cp_sc_program, insn_count), pr->insn_count);
        put32(b, F(e, struct cp_sc_program, insn_offset), (uint32_t)at);
        for (uint32_t k = 0; k < pr->insn_count; k++) {
            size_t ie = at + (size_t)k * sizeof(struct cp_bpf_insn);
            put16(b, F(ie, struct cp_bpf_insn, code), pr->insns[k].code);
            put8(b, F(ie, struct cp_bpf_insn, jt), pr->insns[k].jt);
            put8(b, F(ie, struct cp_bpf_insn, jf), pr->insns[k].jf);
            put32(b, F(ie, struct cp_bpf_insn, k), pr->insns[k].k);
        }
    }
}

static void write_vm(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_VM, sizeof(struct cp_vm));
    put32(b, offsetof(struct cp_vm, vcpus), p->vm.vcpus);
    put32(b, offsetof(struct cp_vm, flags), p->vm.flags);
    put64(b, offsetof(struct cp_vm, memory), p->vm.memory);
    put64(b, offsetof(struct cp_vm, initramfs_limit), p->vm.initramfs_limit);
    put32(b, offsetof(struct cp_vm, kernel), intern(&w->st, p->vm.kernel));
    put32(b, offsetof(struct cp_vm, bootargs), intern(&w->st, p->vm.bootargs));
    put32(b, offsetof(struct cp_vm, rootfs), intern(&w->st, p->vm.rootfs));
    putn(b, offsetof(struct cp_vm, kernel_sha256), p->vm.kernel_sha256, 32);
    putn(b, offsetof(struct cp_vm, rootfs_sha256), p->vm.rootfs_sha256, 32);
}

static void write_gvisor(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_GVISOR, sizeof(struct cp_gvisor));
    put32(b, offsetof(struct cp_gvisor, platform), p->gvisor.platform);
    put32(b, offsetof(struct cp_gvisor, flags), p->gvisor.flags);
}

static void write_events(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_EVENTS, sizeof(struct cp_events));
    put32(b, offsetof(struct cp_events, source), intern(&w->st, p->events.source));
    put32(b, offsetof(struct cp_events, subject), intern(&w->st, p->events.subject));
    put32(b, offsetof(struct cp_events, flags), p->events.flags);
    putn(b, offsetof(struct cp_events, signing_kid), p->events.signing_kid, 32);
}

static void write_secrets(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_SECRETS, sizeof(struct cp_secrets));
    size_t a = array(b, offsetof(struct cp_secrets, items), p->secrets.n_items, sizeof(struct cp_secret));
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        size_t e = a + i * sizeof(struct cp_secret);
        const struct plan_secret *x = &p->secrets.items[i];
        put32(b, F(e, struct cp_secret, name), intern(&w->st, x->name));
        put32(b, F(e, struct cp_secret, ref), intern(&w->st, x->ref));
        put32(b, F(e, struct cp_secret, delivery), x->delivery);
        put32(b, F(e, struct cp_secret, target), intern(&w->st, x->target));
        put32(b, F(e, struct cp_secret, line), x->line);
    }
}

static void write_export(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_EXPORT, sizeof(struct cp_export));
    size_t a = array(b, offsetof(struct cp_export, items), p->export_.n_items, sizeof(struct cp_export_item));
    for (size_t i = 0; i < p->export_.n_items; i++) {
        size_t e = a + i * sizeof(struct cp_export_item);
        const struct plan_export_item *x = &p->export_.items[i];
        put32(b, F(e, struct cp_export_item, name), intern(&w->st, x->name));
        put32(b, F(e, struct cp_export_item, path), intern(&w->st, x->path));
        put64(b, F(e, struct cp_export_item, max_bytes), x->max_bytes);
        put32(b, F(e, struct cp_export_item, flags), x->flags);
        put32(b, F(e, struct cp_export_item, line), x->line);
    }
}

static void write_provenance(struct wr *w, const struct plan *p)
{
    struct buf *b = section(w, CP_SEC_PROVENANCE, sizeof(struct cp_provenance));
    put32(b, offsetof(struct cp_provenance, spec_id), intern(&w->st, p->provenance.spec_id));
    put32(b, offsetof(struct cp_provenance, correlation_id), intern(&w->st, p->provenance.correlation_id));
    put32(b, offsetof(struct cp_provenance, pack_id), intern(&w->st, p->provenance.pack_id));
    put32(b, offsetof(struct cp_provenance, pack_version), intern(&w->st, p->provenance.pack_version));
}

/* Counts must fit the format and arrays must exist before anything is
 * dereferenced; everything else is the reader's to judge. */
/* The lowest minor version that can carry p: a plan using no 1.1 feature
 * (`any-name` egress rules) is written as 1.0, byte for byte as before. */
static uint16_t plan_minor_needed(const struct plan *p)
{
    for (size_t i = 0; i < p->net.n_egress; i++)
        if (p->net.egress[i].any_name)
            return 1;
    return 0;
}

static int check_shape(struct wr *w, const struct plan *p)
{
    const struct {
        const void *ptr;
        size_t n;
        const char *what;
    } arrs[] = {
        { p->meta.packs, p->meta.n_packs, "meta.packs" },
        { p->meta.unsafe, p->meta.n_unsafe, "meta.unsafe" },
        { p->process.argv, p->process.argc, "process.argv" },
        { p->process.env, p->process.n_env, "process.env" },
        { p->process.rlimits, p->process.n_rlimits, "process.rlimits" },
        { p->process.pass_fds, p->process.n_pass_fds, "process.pass_fds" },
        { p->fs.ops, p->fs.n_ops, "fs.ops" },
        { p->net.egress, p->net.n_egress, "net.egress" },
        { p->seccomp.rules, p->seccomp.n_rules, "seccomp.rules" },
        { p->seccomp.conds, p->seccomp.n_conds, "seccomp.conds" },
        { p->seccomp.values, p->seccomp.n_values, "seccomp.values" },
        { p->seccomp.programs, p->seccomp.n_programs, "seccomp.programs" },
        { p->secrets.items, p->secrets.n_items, "secrets.items" },
        { p->export_.items, p->export_.n_items, "export.items" },
    };
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) {
        if (arrs[i].n && !arrs[i].ptr)
            return werr(w, "cannot write plan: %s has %zu elements but no array", arrs[i].what, arrs[i].n);
        if (arrs[i].n > CP_MAX_PLAN_SIZE / 4)
            return werr(w, "cannot write plan: %s has %zu elements, too many for a 64 MiB plan", arrs[i].what,
                        arrs[i].n);
    }
    for (size_t i = 0; i < p->seccomp.n_programs; i++) {
        const struct plan_sc_program *pr = &p->seccomp.programs[i];
        if (pr->insn_count && !pr->insns)
            return werr(w, "cannot write plan: seccomp program %zu has %u instructions but no array", i,
                        pr->insn_count);
        if (pr->insn_count > 4096)
            return werr(w, "cannot write plan: seccomp program %zu has %u instructions, more than 4096", i,
                        pr->insn_count);
    }
    return 0;
}

static void wr_free(struct wr *w)
{
    free(w->st.b.d);
    free(w->st.slots);
    for (int t = 0; t <= CP_SEC_MAX_TYPE; t++)
        free(w->sec[t].d);
}

int plan_write(const struct plan *p, uint8_t **out, size_t *len, char *errbuf, size_t errlen)
{
    struct wr w = { .errbuf = errbuf, .errlen = errlen };
    if (errbuf && errlen)
        errbuf[0] = 0;
    if (!out || !len || !p)
        return werr(&w, "plan_write: invalid arguments");
    *out = NULL;
    *len = 0;
    if (sodium_init() < 0)
        return werr(&w, "cannot write plan: libsodium failed to initialise");
    if (check_shape(&w, p))
        return -1;

    buf_zeros(&w.st.b, 1); /* byte 0: the empty string */
    w.present[CP_SEC_STRTAB] = true;
    write_meta(&w, p);
    write_process(&w, p);
    write_filesystem(&w, p);
    write_network(&w, p);
    write_limits(&w, p);
    write_seccomp(&w, p);
    if (p->has_vm)
        write_vm(&w, p);
    if (p->has_gvisor)
        write_gvisor(&w, p);
    write_events(&w, p);
    if (p->secrets.n_items)
        write_secrets(&w, p);
    if (p->has_provenance)
        write_provenance(&w, p);
    if (p->export_.n_items)
        write_export(&w, p);
    w.sec[CP_SEC_STRTAB] = w.st.b;
    w.st.b = (struct buf){ 0 };

    /* assemble: header, directory, sections */
    uint32_t nsec = 0;
    for (uint32_t t = 1; t <= CP_SEC_MAX_TYPE; t++) {
        if (w.sec[t].failed) {
            wr_free(&w);
            return werr(&w, "cannot write plan: out of memory or larger than 64 MiB");
        }
        nsec += w.present[t];
    }
    struct buf f = { 0 };
    buf_zeros(&f, CP_HEADER_SIZE + (size_t)nsec * sizeof(struct cp_section_entry));
    uint32_t i = 0;
    for (uint32_t t = 1; t <= CP_SEC_MAX_TYPE; t++) {
        if (!w.present[t])
            continue;
        buf_align8(&f);
        size_t at = buf_zeros(&f, w.sec[t].len);
        putn(&f, at, w.sec[t].d, w.sec[t].len);
        size_t e = CP_HEADER_SIZE + (size_t)i * sizeof(struct cp_section_entry);
        put32(&f, F(e, struct cp_section_entry, type), t);
        put32(&f, F(e, struct cp_section_entry, offset), (uint32_t)(at - CP_HEADER_SIZE));
        put32(&f, F(e, struct cp_section_entry, length), (uint32_t)w.sec[t].len);
        i++;
    }
    wr_free(&w);
    if (f.failed) {
        free(f.d);
        return werr(&w, "cannot write plan: out of memory or larger than 64 MiB");
    }
    putn(&f, 0, CP_MAGIC, 8);
    put16(&f, offsetof(struct cp_header, version_major), CP_VERSION_MAJOR);
    put16(&f, offsetof(struct cp_header, version_minor), plan_minor_needed(p));
    put32(&f, offsetof(struct cp_header, header_size), CP_HEADER_SIZE);
    put32(&f, offsetof(struct cp_header, section_count), nsec);
    put64(&f, offsetof(struct cp_header, body_length), f.len - CP_HEADER_SIZE);
    crypto_hash_sha256(f.d + offsetof(struct cp_header, body_sha256), f.d + CP_HEADER_SIZE,
                       f.len - CP_HEADER_SIZE);

    /* the reader is the judge of validity */
    struct plan *back = NULL;
    struct plan_error perr;
    if (plan_read(f.d, f.len, &back, &perr) != 0) {
        free(f.d);
        return werr(&w, "invalid plan: section %s: %s", plan_section_name(perr.section), perr.e.msg);
    }
    plan_free(back);
    *out = f.d;
    *len = f.len;
    return 0;
}
