/*
 * seccomp_tool.c - helper for the seccomp end-to-end tests (built as
 * $CELLOS_BUILD/t/seccomp_tool).
 *
 *   seccomp_tool attach IN.plan OUT.plan
 *       write IN with its seccomp programs generated (kept when present)
 *   seccomp_tool cases PLAN ARCH FILE
 *       run PLAN's program for ARCH (x86_64|aarch64) over each case of FILE:
 *       "NR A0 A1 A2 A3 A4 A5 EXPECTED [comment]" (numbers in C syntax, NR
 *       may carry the x32 bit); print every mismatch; exit 1 on any
 *   seccomp_tool table ARCH
 *       the syscall table for ARCH: "NAME NR" per line
 *   seccomp_tool groups
 *       the built-in groups as markdown (docs/seccomp.md): members per arch
 *   seccomp_tool diff PLAN
 *       the differential check of tests/unit/seccomp_diff.c on PLAN's rules:
 *       our program vs the reference semantics vs libseccomp, per arch
 *
 * Exit status: 0 ok, 1 mismatch, 2 usage or I/O error.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/plan/bpf_check.h"
#include "runtime/plan/bpf_interp.h"
#include "plan.h"
#include "compiler/plan/plan_writer.h"
#include "compiler/seccomp/seccomp_gen.h"
#include "seccomp_oracle.h"
#include "seccomp_samples.h"
#include "compiler/seccomp/syscall_table.h"

static struct plan *load(const char *path)
{
    struct plan *p = NULL;
    struct plan_error err;
    if (plan_read_file(path, &p, &err)) {
        char msg[512];
        plan_error_format(&err, path, msg, sizeof msg);
        fprintf(stderr, "seccomp_tool: %s\n", msg);
        return NULL;
    }
    return p;
}

/* Generate programs when the plan has none. Returns 1 when it generated
 * (free with seccomp_gen_free_programs), 0 when present, -1 on error. */
static int ensure_programs(struct plan *p)
{
    if (p->seccomp.n_programs)
        return 0;
    struct sc_gen_error err;
    if (seccomp_gen_all(p, &err)) {
        fprintf(stderr, "seccomp_tool: %s\n", err.e.msg);
        return -1;
    }
    return 1;
}

static void release(struct plan *p, int generated)
{
    if (generated == 1)
        seccomp_gen_free_programs(p);
    plan_free(p);
}

static const struct plan_sc_program *program(const struct plan *p, enum sc_arch a)
{
    for (size_t i = 0; i < p->seccomp.n_programs; i++)
        if (p->seccomp.programs[i].audit_arch == sc_arch_audit(a))
            return &p->seccomp.programs[i];
    return NULL;
}

static int cmd_attach(const char *in, const char *out)
{
    struct plan *p = load(in);
    if (!p)
        return 2;
    int gen = ensure_programs(p);
    if (gen < 0) {
        plan_free(p);
        return 1;
    }
    uint8_t *buf;
    size_t len;
    char err[256];
    int rc = 2;
    if (plan_write(p, &buf, &len, err, sizeof err)) {
        fprintf(stderr, "seccomp_tool: %s: %s\n", in, err);
    } else {
        FILE *f = fopen(out, "wb");
        if (f && fwrite(buf, 1, len, f) == len && fclose(f) == 0)
            rc = 0;
        else
            fprintf(stderr, "seccomp_tool: %s: %s\n", out, strerror(errno));
        free(buf);
    }
    release(p, gen);
    return rc;
}

static int cmd_cases(const char *path, const char *archname, const char *file)
{
    enum sc_arch arch = strcmp(archname, "aarch64") == 0 ? SC_ARCH_AARCH64 : SC_ARCH_X86_64;
    struct plan *p = load(path);
    if (!p)
        return 2;
    int gen = ensure_programs(p);
    const struct plan_sc_program *pr = gen < 0 ? NULL : program(p, arch);
    FILE *f = fopen(file, "r");
    if (!pr || !f) {
        fprintf(stderr, "seccomp_tool: %s\n", !pr ? "no program" : strerror(errno));
        if (f)
            fclose(f);
        release(p, gen);
        return 2;
    }
    char line[1024];
    size_t n = 0, bad = 0;
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        unsigned long long v[8];
        char *q = line, *end;
        int k;
        for (k = 0; k < 8; k++) {
            errno = 0;
            v[k] = strtoull(q, &end, 0);
            if (end == q || errno)
                break;
            q = end;
        }
        if (k != 8) {
            fprintf(stderr, "seccomp_tool: %s:%d: expected 8 numbers\n", file, lineno);
            fclose(f);
            release(p, gen);
            return 2;
        }
        struct seccomp_data d = { .nr = (int)(uint32_t)v[0], .arch = sc_arch_audit(arch) };
        for (int a = 0; a < 6; a++)
            d.args[a] = v[1 + a];
        uint32_t got = bpf_interp_action(pr->insns, pr->insn_count, &d);
        n++;
        if (got != (uint32_t)v[7]) {
            bad++;
            if (bad <= 20)
                printf("# %s:%d: got %#x, want %#x:%s", file, lineno, got, (uint32_t)v[7], q);
        }
    }
    fclose(f);
    printf("# %zu cases, %zu mismatches\n", n, bad);
    release(p, gen);
    return bad ? 1 : 0;
}

static int cmd_diff(const char *path)
{
    struct plan *p = load(path);
    if (!p)
        return 2;
    int gen = ensure_programs(p);
    if (gen < 0) {
        plan_free(p);
        return 1;
    }
    int rc = 0;
    for (int a = 0; a < SC_ARCH_COUNT; a++) {
        const struct plan_sc_program *pr = program(p, (enum sc_arch)a);
        struct bpf_check_error be;
        if (!pr || bpf_check_seccomp(pr->insns, pr->insn_count, &be)) {
            printf("# %s: no valid program\n", sc_arch_name(a));
            rc = 1;
            continue;
        }
        struct cp_bpf_insn *lib = NULL;
        size_t nlib = 0;
        int slow = 0;
        int have = oracle_build_timed(p, (enum sc_arch)a, 0, 0, 2000, 5000, &lib, &nlib, &slow) == 0;
        long lib_amb = have ? bpf_ambiguous_compare(lib, nlib) : -1;
        struct samples S = { 0 };
        samples_for(p, (enum sc_arch)a, 42, &S);
        size_t bad = 0, lbad = 0, lcases = 0, ldefect = 0;
        for (size_t i = 0; i < S.n; i++) {
            const struct seccomp_data *d = &S.d[i];
            uint32_t ours = bpf_interp_action(pr->insns, pr->insn_count, d);
            uint32_t ref = seccomp_eval(p, (enum sc_arch)a, d, NULL);
            if (ours != ref && bad++ < 10)
                printf("# %s: nr %#x arch %#x: ours %#x, reference %#x\n", sc_arch_name(a), (unsigned)d->nr,
                       d->arch, ours, ref);
            /* libseccomp is asked only where our documented semantics agree with it */
            const struct sc_syscall *s = (uint32_t)d->nr <= 0x7fffffff ? sc_by_number((enum sc_arch)a, d->nr) : NULL;
            int applies = d->arch != sc_arch_audit((enum sc_arch)a) ||
                          (a == SC_ARCH_X86_64 && ((uint32_t)d->nr & 0x40000000u) && (uint32_t)d->nr != 0xffffffffu);
            if (!applies && s) {
                applies = 1;
                for (int k = 0; k < s->nargs; k++)
                    if (s->args[k].width == 32 && (d->args[k] >> 32))
                        applies = 0;
            }
            if (have && applies) {
                uint32_t them = bpf_interp_action(lib, nlib, d);
                lcases++;
                if (them != ours && ours == ref && lib_amb >= 0)
                    ldefect++;
                else if (them != ours && lbad++ < 10)
                    printf("# %s: nr %#x arch %#x: ours %#x, libseccomp %#x\n", sc_arch_name(a),
                           (unsigned)d->nr, d->arch, ours, them);
            }
        }
        printf("# %s: %u instructions, %zu samples: %zu differ from the reference; ", sc_arch_name(a),
               pr->insn_count, S.n, bad);
        if (have)
            printf("%zu compared with libseccomp, %zu differ%s\n", lcases, lbad,
                   ldefect ? " (plus libseccomp stale-word defects)" : "");
        else
            printf("libseccomp cannot express these rules%s\n", slow ? " in time" : "");
        if (bad || lbad)
            rc = 1;
        samples_free(&S);
        free(lib);
    }
    release(p, gen);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "attach") == 0)
        return cmd_attach(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "cases") == 0)
        return cmd_cases(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "table") == 0) {
        enum sc_arch a = strcmp(argv[2], "aarch64") == 0 ? SC_ARCH_AARCH64 : SC_ARCH_X86_64;
        for (size_t i = 0; sc_at(i); i++)
            if (sc_at(i)->nr[a] >= 0)
                printf("%s %d\n", sc_at(i)->name, sc_at(i)->nr[a]);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "groups") == 0) {
        const struct sc_group *g;
        for (size_t i = 0; (g = sc_group_at(i)); i++) {
            printf("**%s** - %s. ", g->name, g->description);
            for (size_t k = 0; g->members[k]; k++) {
                const struct sc_syscall *s = sc_lookup(g->members[k]);
                int x86_only = s->nr[SC_ARCH_X86_64] >= 0 && s->nr[SC_ARCH_AARCH64] < 0;
                printf("%s`%s`%s%s", k ? ", " : "", g->members[k], x86_only ? "¹" : "",
                       sc_danger(g->members[k]) ? "*" : "");
            }
            printf("\n\n");
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "diff") == 0)
        return cmd_diff(argv[2]);
    fprintf(stderr, "usage: seccomp_tool attach IN OUT | cases PLAN ARCH FILE | table ARCH | diff PLAN\n");
    return 2;
}
