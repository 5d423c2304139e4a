/*
 * plan_dump.c - render a decoded plan as text for `cellc dump`, and extract
 * raw BPF for `cellc dump --bpf`.
 *
 * Only validated plans reach the renderer (plan_read first), so every enum
 * has a name and every string is NUL-terminated; strings are still printed
 * through put_str, which quotes and escapes anything but plain characters,
 * so untrusted text can never break the line structure. Layout: a block per
 * section, "[name]" then "key          value" lines; lists indented; the
 * mount op program numbered with its flags spelled out and the policy line
 * each op came from; every seccomp program disassembled (bpf_disasm.c).
 */
#include "plan_dump.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/seccomp/bpf_disasm.h"
#include "runtime/plan/plan_caps.h"
#include "runtime/plan/plan_rlimits.h"
#include "runtime/lib/sys_util.h"
#include "compiler/seccomp/syscall_table.h"

#define KEYW "%-14s"

/* ------------------------------------------------------------ text ---- */

static bool plain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        strchr("/._-+:@,=%~", c) != NULL;
}

/* A string as is when it is plain, else double-quoted with C escapes. */
static void put_str(FILE *f, const char *s)
{
    bool plain = *s != 0;
    for (const char *c = s; *c && plain; c++)
        plain = plain_char((unsigned char)*c);
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '\t')
            fputs("\\t", f);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\x%02x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void put_hex(FILE *f, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
}

/* Small numbers in decimal, the rest in hex (flags, ioctl requests). */
static void put_num(FILE *f, uint64_t v)
{
    if (v < 10)
        fprintf(f, "%llu", (unsigned long long)v);
    else
        fprintf(f, "0x%llx", (unsigned long long)v);
}

static void put_bytes(FILE *f, uint64_t v)
{
    static const struct {
        uint64_t unit;
        const char *name;
    } units[] = {
        { 1ull << 40, "TiB" },
        { 1ull << 30, "GiB" },
        { 1ull << 20, "MiB" },
        { 1ull << 10, "KiB" },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (v >= units[i].unit && v % units[i].unit == 0) {
            fprintf(f, "%llu %s", (unsigned long long)(v / units[i].unit), units[i].name);
            return;
        }
    fprintf(f, "%llu bytes", (unsigned long long)v);
}

static void put_ms(FILE *f, uint64_t ms)
{
    if (ms >= 3600000 && ms % 3600000 == 0)
        fprintf(f, "%llu h", (unsigned long long)(ms / 3600000));
    else if (ms >= 60000 && ms % 60000 == 0)
        fprintf(f, "%llu min", (unsigned long long)(ms / 60000));
    else if (ms >= 1000 && ms % 1000 == 0)
        fprintf(f, "%llu s", (unsigned long long)(ms / 1000));
    else
        fprintf(f, "%llu ms", (unsigned long long)ms);
}

/* Pad a line built in `line` to `col` and append the right-hand note. */
static void put_noted(FILE *f, const char *line, int col, const char *note)
{
    int n = (int)strlen(line);
    fputs(line, f);
    if (note && *note)
        fprintf(f, "%*s%s", n < col ? col - n : 1, "", note);
    fputc('\n', f);
}

static void put_line_note(char *buf, size_t n, uint32_t line)
{
    if (line)
        snprintf(buf, n, "line %u", line);
    else
        snprintf(buf, n, "implied");
}

/* ------------------------------------------------------------ names ---- */


static const char *rlimit_name(uint32_t r)
{
    const struct plan_rlimit_info *i = plan_rlimit_by_resource(r);
    return i ? i->name : "?";
}

static void put_rlim_value(FILE *f, uint32_t res, uint64_t v)
{
    if (v == UINT64_MAX)
        fputs("unlimited", f);
    else if (res == 0)
        fprintf(f, "%llu s", (unsigned long long)v);
    else if (res == 1 || res == 4 || res == 9)
        put_bytes(f, v);
    else
        fprintf(f, "%llu", (unsigned long long)v);
}

static void put_mnt_flags(FILE *f, uint16_t flags)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } names[] = {
        { CP_MNT_RDONLY, "rdonly" }, { CP_MNT_NOSUID, "nosuid" },       { CP_MNT_NODEV, "nodev" },
        { CP_MNT_NOEXEC, "noexec" }, { CP_MNT_RECURSIVE, "recursive" }, { CP_MNT_OPTIONAL, "optional" },
    };
    if (!flags)
        return;
    const char *sep = " [";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flags & names[i].bit) {
            fprintf(f, "%s%s", sep, names[i].name);
            sep = ",";
        }
    fputc(']', f);
}

static const char *op_sym(uint8_t op)
{
    switch (op) {
    case CP_SC_EQ: return "==";
    case CP_SC_NE: return "!=";
    case CP_SC_LT: return "<";
    case CP_SC_LE: return "<=";
    case CP_SC_GT: return ">";
    case CP_SC_GE: return ">=";
    case CP_SC_MASKED_EQ: return "==";
    case CP_SC_IN: return "in";
    case CP_SC_NOT_IN: return "not in";
    default: return "?";
    }
}

/* --------------------------------------------------------- sections ---- */

static void dump_header(FILE *f, const struct plan *p, const char *name, size_t size)
{
    fputs("plan ", f);
    put_str(f, name);
    fputc('\n', f);
    fprintf(f, KEYW "%u.%u\n", "format", p->version_major, p->version_minor);
    fprintf(f, KEYW "%zu bytes\n", "size", size);
    fprintf(f, KEYW "sha256:", "digest");
    put_hex(f, p->digest, 32);
    fputc('\n', f);
    if (p->signed_plan) {
        fprintf(f, KEYW "kid ", "signature");
        put_hex(f, p->signature.kid, 32);
        fputs(" (not verified by dump)\n", f);
    } else {
        fprintf(f, KEYW "none\n", "signature");
    }
}

static void dump_meta(FILE *f, const struct plan *p)
{
    static const char *const backends[] = { "native", "gvisor", "vm" };
    fputs("\n[meta]\n", f);
    fprintf(f, KEYW, "name");
    put_str(f, p->meta.name);
    fprintf(f, "\n" KEYW, "source");
    put_str(f, p->meta.source);
    fprintf(f, "\n" KEYW, "compiler");
    put_str(f, p->meta.compiler);
    fprintf(f, "\n" KEYW, "hostname");
    if (*p->meta.hostname)
        put_str(f, p->meta.hostname);
    else
        fputs("(the cell name)", f);
    fprintf(f, "\n" KEYW "%s\n", "backend", p->meta.backend <= 2 ? backends[p->meta.backend] : "?");
    fprintf(f, KEYW, "packs");
    if (!p->meta.n_packs)
        fputs("(none)", f);
    for (size_t i = 0; i < p->meta.n_packs; i++) {
        if (i)
            fputs(", ", f);
        put_str(f, p->meta.packs[i]);
    }
    if (p->meta.n_unsafe)
        fprintf(f, "\n" KEYW "%zu grant%s\n", "unsafe", p->meta.n_unsafe, p->meta.n_unsafe == 1 ? "" : "s");
    else
        fprintf(f, "\n" KEYW "(none)\n", "unsafe");
    for (size_t i = 0; i < p->meta.n_unsafe; i++) {
        const struct plan_unsafe_grant *g = &p->meta.unsafe[i];
        fprintf(f, "  [%zu] ", i);
        put_str(f, g->kind);
        fputc(' ', f);
        put_str(f, g->subject);
        fprintf(f, "  line %u\n      reason ", g->line);
        put_str(f, g->reason);
        fputc('\n', f);
    }
}

static void dump_process(FILE *f, const struct plan *p)
{
    fputs("\n[process]\n", f);
    for (size_t i = 0; i < p->process.argc; i++) {
        char k[32];
        snprintf(k, sizeof k, "argv[%zu]", i);
        fprintf(f, KEYW, k);
        put_str(f, p->process.argv[i]);
        fputc('\n', f);
    }
    fprintf(f, KEYW "%s\n", "extra args",
            (p->process.flags & CP_PROC_ALLOW_EXTRA_ARGS) ? "allowed (cellrun PLAN -- ARGS appends to argv)"
                                                          : "refused");
    /* only when set: the dumps of plans without it stay as they were */
    if (p->process.flags & CP_PROC_LANDLOCK_REQUIRED)
        fprintf(f, KEYW "%s\n", "landlock", "required (no run without the full Landlock ruleset)");
    fprintf(f, KEYW "%s", "env", p->process.n_env ? "" : "(none)\n");
    for (size_t i = 0; i < p->process.n_env; i++) {
        const struct plan_env *e = &p->process.env[i];
        if (i)
            fprintf(f, KEYW, "");
        fputs(e->name, f);
        if (e->flags & CP_ENV_PASS) {
            fputs(" (passed from the host environment)\n", f);
        } else {
            fputc('=', f);
            put_str(f, e->value);
            fputc('\n', f);
        }
    }
    fprintf(f, KEYW, "cwd");
    put_str(f, p->process.cwd);
    fprintf(f, "\n" KEYW "%u\n", "uid", p->process.uid);
    fprintf(f, KEYW "%u\n", "gid", p->process.gid);
    fprintf(f, KEYW "%04o\n", "umask", p->process.umask);
    fprintf(f, KEYW, "capabilities");
    if (!p->process.capabilities)
        fputs("(none)", f);
    for (int c = 0, first = 1; c < 64; c++)
        if (p->process.capabilities & (1ull << c)) {
            fputs(first ? "" : ", ", f);
            if (plan_cap_name((uint32_t)c))
                fputs(plan_cap_name((uint32_t)c), f);
            else
                fprintf(f, "cap_%d", c);
            first = 0;
        }
    fprintf(f, "\n" KEYW "%s", "rlimits", p->process.n_rlimits ? "" : "(none)\n");
    for (size_t i = 0; i < p->process.n_rlimits; i++) {
        const struct plan_rlimit *l = &p->process.rlimits[i];
        if (i)
            fprintf(f, KEYW, "");
        fprintf(f, "%-7s soft ", rlimit_name(l->resource));
        put_rlim_value(f, l->resource, l->soft);
        fputs(", hard ", f);
        put_rlim_value(f, l->resource, l->hard);
        fputc('\n', f);
    }
    fprintf(f, KEYW, "pass fds");
    if (!p->process.n_pass_fds)
        fputs("(none)", f);
    for (size_t i = 0; i < p->process.n_pass_fds; i++)
        fprintf(f, "%s%u", i ? " " : "", p->process.pass_fds[i]);
    fputc('\n', f);
}

static void dump_filesystem(FILE *f, const struct plan *p)
{
    fprintf(f, "\n[filesystem] %zu mount ops\n", p->fs.n_ops);
    for (size_t i = 0; i < p->fs.n_ops; i++) {
        const struct plan_mount_op *op = &p->fs.ops[i];
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (!m)
            return;
        const char *name = plan_mount_opcode_name(op->opcode);
        fprintf(m, "  %3zu  %-11s", i, name ? name : "?");
        switch (op->opcode) {
        case CP_OP_ROOTFS:
            fputs("size ", m);
            if (op->size)
                put_bytes(m, op->size);
            else
                fputs("default", m);
            fprintf(m, ", mode %04o", op->mode);
            break;
        case CP_OP_MKDIR:
            put_str(m, op->dst);
            fprintf(m, ", mode %04o", op->mode);
            break;
        case CP_OP_BIND:
        case CP_OP_DEVNODE:
            put_str(m, op->src);
            fputs(" -> ", m);
            put_str(m, op->dst);
            break;
        case CP_OP_TMPFS:
        case CP_OP_WORKSPACE:
            put_str(m, op->dst);
            fputs(", size ", m);
            if (op->size)
                put_bytes(m, op->size);
            else
                fputs("default", m);
            fprintf(m, ", mode %04o", op->mode);
            break;
        case CP_OP_SYMLINK:
            put_str(m, op->dst);
            fputs(" -> ", m);
            put_str(m, op->src);
            break;
        case CP_OP_PIVOT_ROOT: break;
        default: put_str(m, op->dst); break;
        }
        put_mnt_flags(m, op->flags);
        fclose(m);
        char note[32];
        put_line_note(note, sizeof note, op->line);
        put_noted(f, line, 64, note);
        free(line);
    }
}

static void dump_network(FILE *f, const struct plan *p)
{
    static const char *const modes[] = {
        "none (own network namespace, lo down)",
        "loopback (own network namespace, lo up)",
        "egress (loopback plus the rules below; refused where they cannot be enforced)",
    };
    fputs("\n[network]\n", f);
    fprintf(f, KEYW "%s\n", "mode", p->net.mode <= 2 ? modes[p->net.mode] : "?");
    if (p->net.mode != CP_NET_EGRESS)
        return;
    fprintf(f, KEYW "%zu rule%s\n", "egress", p->net.n_egress, p->net.n_egress == 1 ? "" : "s");
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (!m)
            return;
        fprintf(m, "  [%zu] %s ", i, g->proto == 6 ? "tcp" : g->proto == 17 ? "udp" : "?");
        if (g->kind == CP_EGRESS_HOST) {
            put_str(m, g->host);
        } else {
            char a[INET6_ADDRSTRLEN];
            if (g->family == 4)
                fprintf(m, "%s/%u", inet_ntop(AF_INET, g->addr, a, sizeof a) ? a : "?", g->prefix);
            else
                fprintf(m, "[%s]/%u", inet_ntop(AF_INET6, g->addr, a, sizeof a) ? a : "?", g->prefix);
        }
        if (g->port_lo == g->port_hi)
            fprintf(m, " port %u", g->port_lo);
        else
            fprintf(m, " ports %u-%u", g->port_lo, g->port_hi);
        if (g->any_name)
            fputs(" any-name (no SNI/Host check)", m);
        fclose(m);
        char note[32];
        put_line_note(note, sizeof note, g->line);
        put_noted(f, line, 64, note);
        free(line);
    }
}

static void dump_limits(FILE *f, const struct plan *p)
{
    fputs("\n[limits]\n", f);
    fprintf(f, KEYW, "memory");
    if (p->limits.memory)
        put_bytes(f, p->limits.memory);
    else
        fputs("unlimited", f);
    fprintf(f, "%s\n", (p->limits.flags & CP_LIMIT_MEMORY_BEST_EFFORT) ? " (best effort)" : "");
    fprintf(f, KEYW, "pids");
    if (p->limits.pids)
        fprintf(f, "%llu", (unsigned long long)p->limits.pids);
    else
        fputs("unlimited", f);
    fprintf(f, "%s\n", (p->limits.flags & CP_LIMIT_PIDS_BEST_EFFORT) ? " (best effort)" : "");
    fprintf(f, KEYW, "cpu");
    if (p->limits.cpu_millis)
        fprintf(f, "%u.%03u cores", p->limits.cpu_millis / 1000, p->limits.cpu_millis % 1000);
    else
        fputs("unlimited", f);
    fprintf(f, "%s\n", (p->limits.flags & CP_LIMIT_CPU_BEST_EFFORT) ? " (best effort)" : "");
    fprintf(f, KEYW, "wall");
    if (p->limits.wall_ms)
        put_ms(f, p->limits.wall_ms);
    else
        fputs("unlimited", f);
    fputc('\n', f);
}

static void put_cond(FILE *f, const struct plan *p, const struct sc_syscall *sc, const struct plan_sc_cond *c)
{
    if (c->width == 32)
        fputs("(u32)", f);
    if (sc && c->arg < sc->nargs && sc->args[c->arg].name)
        fputs(sc->args[c->arg].name, f);
    else
        fprintf(f, "arg%u", c->arg);
    if (c->op == CP_SC_MASKED_EQ) {
        fputs(" & ", f);
        put_num(f, c->mask);
    }
    fprintf(f, " %s ", op_sym(c->op));
    if (c->op == CP_SC_IN || c->op == CP_SC_NOT_IN) {
        fputc('{', f);
        for (uint32_t k = 0; k < c->set_count && c->set_first + k < p->seccomp.n_values; k++) {
            if (k)
                fputs(", ", f);
            put_num(f, p->seccomp.values[c->set_first + k]);
        }
        fputc('}', f);
    } else {
        put_num(f, c->value);
    }
}

static void dump_seccomp(FILE *f, const struct plan *p)
{
    char an[64];
    fputs("\n[seccomp]\n", f);
    fprintf(f, KEYW "%s\n", "default", bpf_action_name(p->seccomp.default_action, an, sizeof an));
    fprintf(f, KEYW "%s%s%s\n", "flags", p->seccomp.flags ? "" : "(none)",
            (p->seccomp.flags & CP_SC_ALLOW_X32) ? "allow-x32" : "",
            (p->seccomp.flags & CP_SC_ALLOW_I386)
                ? ((p->seccomp.flags & CP_SC_ALLOW_X32) ? ", allow-i386" : "allow-i386")
                : "");
    fprintf(f, KEYW "%zu (%zu conditions, %zu set values)\n", "rules", p->seccomp.n_rules, p->seccomp.n_conds,
            p->seccomp.n_values);
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        const struct sc_syscall *sc = sc_lookup(r->syscall);
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (!m)
            return;
        fprintf(m, "  [%3zu] %-16s %s", i, bpf_action_name(r->action, an, sizeof an), r->syscall);
        for (uint32_t k = 0; k < r->cond_count && r->cond_first + k < p->seccomp.n_conds; k++) {
            fputs(k ? " && " : " if ", m);
            put_cond(m, p, sc, &p->seccomp.conds[r->cond_first + k]);
        }
        fclose(m);
        char note[32];
        put_line_note(note, sizeof note, r->line);
        put_noted(f, line, 64, note);
        free(line);
    }
    if (!p->seccomp.n_programs)
        fprintf(f, KEYW "(none: cellrun refuses to run this plan)\n", "programs");
    for (size_t i = 0; i < p->seccomp.n_programs; i++) {
        const struct plan_sc_program *pr = &p->seccomp.programs[i];
        const char *arch = bpf_audit_arch_name(pr->audit_arch);
        fprintf(f, "program %s (audit arch 0x%08x), %u instructions\n", arch ? arch : "?", pr->audit_arch,
                pr->insn_count);
        bpf_disasm(f, pr->insns, pr->insn_count, pr->audit_arch, "  ");
    }
}

static void dump_vm(FILE *f, const struct plan *p)
{
    if (!p->has_vm) {
        fputs("\n[vm] (absent)\n", f);
        return;
    }
    fputs("\n[vm]\n", f);
    fprintf(f, KEYW "%u\n", "vcpus", p->vm.vcpus);
    fprintf(f, KEYW, "memory");
    put_bytes(f, p->vm.memory);
    fprintf(f, "\n" KEYW, "initramfs max");
    if (p->vm.initramfs_limit)
        put_bytes(f, p->vm.initramfs_limit);
    else
        fputs("(runtime default)", f);
    fprintf(f, "\n" KEYW, "kernel");
    put_str(f, p->vm.kernel);
    fprintf(f, "\n" KEYW, "kernel sha256");
    put_hex(f, p->vm.kernel_sha256, 32);
    fprintf(f, "\n" KEYW, "bootargs");
    if (*p->vm.bootargs)
        put_str(f, p->vm.bootargs);
    else
        fputs("(none)", f);
    fprintf(f, "\n" KEYW, "rootfs");
    if (p->vm.flags & CP_VM_HAS_ROOTFS) {
        put_str(f, p->vm.rootfs);
        fprintf(f, "\n" KEYW, "rootfs sha256");
        put_hex(f, p->vm.rootfs_sha256, 32);
    } else {
        fputs("(none: initramfs only)", f);
    }
    fputc('\n', f);
}

static void dump_gvisor(FILE *f, const struct plan *p)
{
    static const char *const platforms[] = { "auto (kvm when /dev/kvm exists, else ptrace)", "ptrace", "kvm",
                                             "systrap" };
    if (!p->has_gvisor) {
        fputs("\n[gvisor] (absent)\n", f);
        return;
    }
    fputs("\n[gvisor]\n", f);
    fprintf(f, KEYW "%s\n", "platform", p->gvisor.platform <= 3 ? platforms[p->gvisor.platform] : "?");
}

static void dump_events(FILE *f, const struct plan *p)
{
    fputs("\n[events]\n", f);
    fprintf(f, KEYW, "source");
    if (*p->events.source)
        put_str(f, p->events.source);
    else
        fputs("(urn:uuid:<run uuid>)", f);
    fprintf(f, "\n" KEYW, "subject");
    if (*p->events.subject)
        put_str(f, p->events.subject);
    else
        fputs("(the cell name)", f);
    fprintf(f, "\n" KEYW, "signing key");
    if (p->events.flags & CP_EV_HAS_KID) {
        fputs("kid ", f);
        put_hex(f, p->events.signing_kid, 32);
    } else {
        fputs("(any key the operator passes)", f);
    }
    fputc('\n', f);
    if (p->events.flags & CP_EV_REQUIRE_DELIVERED)
        fprintf(f, KEYW "every remote sink acknowledges the started event before the workload runs\n",
                "require delivered");
    /* the provenance section, when present (a CellOS document's ids) */
    const struct {
        const char *key, *val;
    } prov[] = {
        { "spec id", p->provenance.spec_id },
        { "correlation", p->provenance.correlation_id },
        { "pack id", p->provenance.pack_id },
        { "pack version", p->provenance.pack_version },
    };
    for (size_t i = 0; p->has_provenance && i < sizeof prov / sizeof prov[0]; i++)
        if (prov[i].val && *prov[i].val) {
            fprintf(f, KEYW, prov[i].key);
            put_str(f, prov[i].val);
            fputc('\n', f);
        }
}

static void dump_secrets(FILE *f, const struct plan *p)
{
    if (!p->secrets.n_items) {
        fputs("\n[secrets] (none)\n", f);
        return;
    }
    fprintf(f, "\n[secrets] %zu\n", p->secrets.n_items);
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        const struct plan_secret *s = &p->secrets.items[i];
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (!m)
            return;
        fprintf(m, "  [%zu] ", i);
        put_str(m, s->name);
        fputs(" from ", m);
        put_str(m, s->ref);
        fputs(s->delivery == CP_SECRET_ENV ? " as env " : " as file ", m);
        put_str(m, s->target);
        if (s->delivery == CP_SECRET_FILE)
            fputs(" (0400, private tmpfs)", m);
        fclose(m);
        char note[32];
        put_line_note(note, sizeof note, s->line);
        put_noted(f, line, 64, note);
        free(line);
    }
}

/* Only when present: plans without an export section dump as before. */
static void dump_export(FILE *f, const struct plan *p)
{
    if (!p->export_.n_items)
        return;
    fprintf(f, "\n[export] %zu\n", p->export_.n_items);
    for (size_t i = 0; i < p->export_.n_items; i++) {
        const struct plan_export_item *x = &p->export_.items[i];
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        if (!m)
            return;
        fprintf(m, "  [%zu] artifact ", i);
        put_str(m, x->name);
        fputs(" from ", m);
        put_str(m, x->path);
        fprintf(m, " max %llu%s", (unsigned long long)x->max_bytes,
                (x->flags & CP_EXPORT_REQUIRED) ? " required" : "");
        fclose(m);
        char note[32];
        put_line_note(note, sizeof note, x->line);
        put_noted(f, line, 64, note);
        free(line);
    }
}

int plan_dump(FILE *f, const struct plan *p, const char *name, size_t file_size)
{
    dump_header(f, p, name, file_size);
    dump_meta(f, p);
    dump_process(f, p);
    dump_filesystem(f, p);
    dump_network(f, p);
    dump_limits(f, p);
    dump_seccomp(f, p);
    dump_vm(f, p);
    dump_gvisor(f, p);
    dump_events(f, p);
    dump_secrets(f, p);
    dump_export(f, p);
    return ferror(f) ? -1 : 0;
}

/* ---------------------------------------------------------- command ---- */

#define EXIT_INVALID 1
#define EXIT_USAGE   2

static int usage(void)
{
    fputs("usage: cellc dump PLAN\n"
          "       cellc dump --bpf [--arch x86_64|aarch64] PLAN > FILE\n"
          "  --bpf      write the raw seccomp program (struct sock_filter[]) for the\n"
          "             native arch, or the one --arch names, to stdout\n"
          "exit status: 0 ok, 1 invalid plan or no program for the arch, 2 usage or I/O error\n",
          stderr);
    return EXIT_USAGE;
}


static uint32_t native_audit_arch(void)
{
#if defined(__x86_64__)
    return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    return AUDIT_ARCH_AARCH64;
#else
    return 0;
#endif
}

int cellc_cmd_dump(int argc, char **argv)
{
    bool bpf = false;
    const char *arch = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bpf")) {
            bpf = true;
        } else if (!strcmp(argv[i], "--arch")) {
            if (++i >= argc)
                return usage();
            arch = argv[i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cellc dump: unknown option %s\n", argv[i]);
            return usage();
        } else if (path) {
            fprintf(stderr, "cellc dump: one plan at a time\n");
            return usage();
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage();
    if (arch && !bpf) {
        fprintf(stderr, "cellc dump: --arch goes with --bpf\n");
        return usage();
    }
    uint32_t want = native_audit_arch();
    if (arch) {
        if (!strcmp(arch, "x86_64"))
            want = AUDIT_ARCH_X86_64;
        else if (!strcmp(arch, "aarch64"))
            want = AUDIT_ARCH_AARCH64;
        else {
            fprintf(stderr, "cellc dump: unknown arch %s (x86_64 or aarch64)\n", arch);
            return EXIT_USAGE;
        }
    }

    char *data = NULL;
    size_t n = 0;
    /* one byte more than a plan may have: the reader names an oversized file */
    int rerr = sys_read_file(path, CP_MAX_PLAN_SIZE, 0, &data, &n, NULL);
    if (rerr) {
        fprintf(stderr, "cellc dump: %s: %s\n", path, strerror(rerr));
        return EXIT_USAGE;
    }
    struct plan *p = NULL;
    struct plan_error err;
    int rc = plan_read(data, n, &p, &err);
    free(data);
    if (rc != 0) {
        char msg[512];
        plan_error_format(&err, path, msg, sizeof msg);
        fprintf(stderr, "cellc dump: %s\n", msg);
        return EXIT_INVALID;
    }

    int status = 0;
    if (bpf) {
        const struct plan_sc_program *pr = NULL;
        for (size_t i = 0; i < p->seccomp.n_programs; i++)
            if (p->seccomp.programs[i].audit_arch == want)
                pr = &p->seccomp.programs[i];
        const char *an = bpf_audit_arch_name(want);
        if (!pr) {
            fprintf(stderr, "cellc dump: %s: the plan has no seccomp program for %s\n", path,
                    an ? an : "this arch");
            status = EXIT_INVALID;
        } else if (isatty(STDOUT_FILENO)) {
            fprintf(stderr, "cellc dump: refusing to write binary BPF to a terminal; redirect stdout\n");
            status = EXIT_USAGE;
        } else if (fwrite(pr->insns, sizeof *pr->insns, pr->insn_count, stdout) != pr->insn_count ||
                   fflush(stdout) != 0) {
            fprintf(stderr, "cellc dump: writing the program: %s\n", strerror(errno));
            status = EXIT_USAGE;
        }
    } else if (plan_dump(stdout, p, path, n) != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "cellc dump: writing the dump: %s\n", strerror(errno));
        status = EXIT_USAGE;
    }
    plan_free(p);
    return status;
}
