/*
 * explain.c - `cellc explain`: what a plan's seccomp filter does with one
 * syscall, and why.
 *
 *   cellc explain [--arch x86_64|aarch64] [--data-arch ARCH] PLAN SYSCALL [ARG...]
 *
 * SYSCALL is a name from the syscall table or a number (0x40000000 to try
 * the x32 ABI, -1 for the ptrace skip value). Each ARG is a number (decimal,
 * 0x hex, 0 octal, -N as two's complement), a built-in constant, or several
 * joined by `|`; missing arguments are 0. --arch picks the program (default:
 * this machine's arch); --data-arch sets seccomp_data.arch to another ABI
 * (i386, x86_64, aarch64, arm or a number) to see the foreign-arch check.
 *
 * The compiled program runs in the BPF interpreter; the verdict, the rule
 * that decided it (from the reference semantics over the plan's rule list)
 * and every instruction executed are printed. When the program and the rule
 * list disagree, that is said and the exit status is 1.
 * Exit status: 0 ok; 1 invalid plan, no program for the arch, or
 * disagreement; 2 usage or I/O error.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_disasm.h"
#include "runtime/plan/bpf_interp.h"
#include "explain.h"
#include "plan.h"
#include "seccomp_gen.h"
#include "syscall_table.h"

#define EXIT_BAD   1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: cellc explain [--arch x86_64|aarch64] [--data-arch ARCH] PLAN SYSCALL [ARG...]\n"
          "  SYSCALL  a syscall name or number; ARG a number, a constant, or A|B|...\n",
          f);
}

/* One term: number or constant. */
static int parse_term(const char *s, size_t len, uint64_t *out)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sc_const_lookup(buf, out))
        return 0;
    int neg = buf[0] == '-';
    const char *num = buf + neg;
    if (*num < '0' || *num > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(num, &end, 0);
    if (errno || *end)
        return -1;
    *out = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return 0;
}

static int parse_value(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    for (;;) {
        const char *bar = strchr(s, '|');
        size_t len = bar ? (size_t)(bar - s) : strlen(s);
        uint64_t t;
        if (parse_term(s, len, &t))
            return -1;
        v |= t;
        if (!bar)
            break;
        s = bar + 1;
    }
    *out = v;
    return 0;
}

static int parse_arch(const char *s, enum sc_arch *a)
{
    for (int i = 0; i < SC_ARCH_COUNT; i++)
        if (strcmp(s, sc_arch_name((enum sc_arch)i)) == 0) {
            *a = (enum sc_arch)i;
            return 0;
        }
    return -1;
}

static int parse_audit(const char *s, uint32_t *out)
{
    static const struct {
        const char *name;
        uint32_t audit;
    } known[] = {
        { "x86_64", AUDIT_ARCH_X86_64 },
        { "aarch64", AUDIT_ARCH_AARCH64 },
        { "i386", AUDIT_ARCH_I386 },
        { "arm", AUDIT_ARCH_ARM },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i].name) == 0) {
            *out = known[i].audit;
            return 0;
        }
    uint64_t v;
    if (parse_term(s, strlen(s), &v) || v > 0xffffffffu)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static const char *op_text(uint8_t op)
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
    default: return "not in";
    }
}

/* "socket(domain in {1, 2, 10})": a rule as the policy wrote it, roughly. */
static void print_rule(FILE *f, const struct plan *p, size_t i)
{
    const struct plan_sc_rule *r = &p->seccomp.rules[i];
    const struct sc_syscall *s = sc_lookup(r->syscall);
    char act[64];
    fprintf(f, "%s %s", bpf_action_name(r->action, act, sizeof act), r->syscall);
    if (r->cond_count)
        fputc('(', f);
    for (uint32_t k = 0; k < r->cond_count; k++) {
        const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
        const char *an = s && c->arg < s->nargs ? s->args[c->arg].name : NULL;
        if (k)
            fputs(" && ", f);
        if (an)
            fputs(an, f);
        else
            fprintf(f, "arg%u", c->arg);
        if (c->op == CP_SC_MASKED_EQ)
            fprintf(f, " & %#llx", (unsigned long long)c->mask);
        fprintf(f, " %s ", op_text(c->op));
        if (c->op == CP_SC_IN || c->op == CP_SC_NOT_IN) {
            fputc('{', f);
            for (uint32_t v = 0; v < c->set_count && v < 16; v++)
                fprintf(f, "%s%#llx", v ? ", " : "", (unsigned long long)p->seccomp.values[c->set_first + v]);
            if (c->set_count > 16)
                fprintf(f, ", ... %u values", c->set_count);
            fputc('}', f);
        } else {
            fprintf(f, "%#llx", (unsigned long long)c->value);
        }
    }
    if (r->cond_count)
        fputc(')', f);
}

static enum sc_arch native_arch(void)
{
#if defined(__aarch64__)
    return SC_ARCH_AARCH64;
#else
    return SC_ARCH_X86_64;
#endif
}

int cellc_cmd_explain(int argc, char **argv)
{
    enum sc_arch arch = native_arch();
    uint32_t data_arch = 0;
    int have_data_arch = 0, npos = 0;
    char *pos[8];
    /* options may come anywhere; "-1" and the like are positional */
    for (int k = 1; k < argc; k++) {
        if (strncmp(argv[k], "--", 2) != 0) {
            if (npos == 8) {
                usage(stderr);
                return EXIT_USAGE;
            }
            pos[npos++] = argv[k];
        } else if (strcmp(argv[k], "--arch") == 0 && k + 1 < argc) {
            if (parse_arch(argv[++k], &arch)) {
                fprintf(stderr, "cellc explain: unknown arch '%s' (x86_64 or aarch64)\n", argv[k]);
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[k], "--data-arch") == 0 && k + 1 < argc) {
            if (parse_audit(argv[++k], &data_arch)) {
                fprintf(stderr, "cellc explain: unknown data arch '%s'\n", argv[k]);
                return EXIT_USAGE;
            }
            have_data_arch = 1;
        } else if (strcmp(argv[k], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "cellc explain: unknown option '%s'\n", argv[k]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (npos < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *plan_path = pos[0], *sysarg = pos[1];
    struct seccomp_data d;
    memset(&d, 0, sizeof d);
    d.arch = have_data_arch ? data_arch : sc_arch_audit(arch);
    const struct sc_syscall *s = sc_lookup(sysarg);
    uint64_t nrv;
    if (s) {
        if (s->nr[arch] < 0) {
            fprintf(stderr, "cellc explain: %s does not exist on %s\n", sysarg, sc_arch_name(arch));
            return EXIT_USAGE;
        }
        d.nr = s->nr[arch];
    } else if (parse_value(sysarg, &nrv) == 0 && (nrv <= 0xffffffffu || nrv >= 0xffffffff80000000ull)) {
        d.nr = (int)(uint32_t)nrv;
        /* name the number only in the program's own ABI */
        s = nrv <= 0x7fffffff && d.arch == sc_arch_audit(arch) ? sc_by_number(arch, (int)nrv) : NULL;
    } else {
        fprintf(stderr, "cellc explain: '%s' is neither a known syscall nor a number\n", sysarg);
        return EXIT_USAGE;
    }
    for (int k = 0; 2 + k < npos; k++) {
        uint64_t v;
        if (parse_value(pos[2 + k], &v)) {
            fprintf(stderr, "cellc explain: argument %d '%s' is not a number or a known constant\n", k,
                    pos[2 + k]);
            return EXIT_USAGE;
        }
        d.args[k] = v;
    }

    struct plan *p = NULL;
    struct plan_error perr;
    if (plan_read_file(plan_path, &p, &perr)) {
        char msg[512];
        plan_error_format(&perr, plan_path, msg, sizeof msg);
        fprintf(stderr, "cellc explain: %s\n", msg);
        return perr.e.err ? EXIT_USAGE : EXIT_BAD; /* unreadable: 2; not a valid plan: 1 */
    }
    const struct plan_sc_program *prog = NULL;
    for (size_t k = 0; k < p->seccomp.n_programs; k++)
        if (p->seccomp.programs[k].audit_arch == sc_arch_audit(arch))
            prog = &p->seccomp.programs[k];
    if (!prog) {
        fprintf(stderr, "cellc explain: %s: no seccomp program for %s\n", plan_path, sc_arch_name(arch));
        plan_free(p);
        return EXIT_BAD;
    }

    uint32_t *path = malloc(prog->insn_count * sizeof *path);
    if (!path) {
        fprintf(stderr, "cellc explain: out of memory\n");
        plan_free(p);
        return EXIT_USAGE;
    }
    struct bpf_run run = { .path = path, .path_cap = prog->insn_count };
    bpf_interp_run(prog->insns, prog->insn_count, &d, &run);
    int32_t rule = -1;
    uint32_t ref = seccomp_eval(p, arch, &d, &rule);

    char act[64];
    const char *dname = bpf_audit_arch_name(d.arch);
    printf("plan     %s, %s program (%u instructions)\n", plan_path, sc_arch_name(arch), prog->insn_count);
    printf("call     %s", s ? s->name : "(no syscall)");
    printf("(");
    int nargs = s ? s->nargs : 6;
    for (int k = 0; k < nargs; k++)
        printf("%s%s=%#llx", k ? ", " : "", s ? s->args[k].name : "arg", (unsigned long long)d.args[k]);
    printf(")  nr %#x, arch %s\n", (uint32_t)d.nr, dname ? dname : "unknown");
    printf("verdict  %s\n", bpf_action_name(run.action, act, sizeof act));
    printf("because  ");
    if (rule >= 0) {
        printf("rule at line %u: ", p->seccomp.rules[rule].line);
        print_rule(stdout, p, (size_t)rule);
        putchar('\n');
    } else if (d.arch != sc_arch_audit(arch)) {
        printf("the call is not %s: another ABI is killed\n", sc_arch_name(arch));
    } else if ((uint32_t)d.nr == 0xffffffffu) {
        printf("nr -1 is the ptrace skip value: no syscall runs, so it is allowed\n");
    } else if (arch == SC_ARCH_X86_64 && ((uint32_t)d.nr & 0x40000000u) &&
               !(p->seccomp.flags & CP_SC_ALLOW_X32)) {
        printf("the x32 ABI (bit 30 of nr) is not admitted by the policy\n");
    } else if (!s) {
        printf("the number is unknown to the syscall table: ENOSYS, so libcs fall back\n");
    } else if (strcmp(s->name, "clone3") == 0 && ref == (SECCOMP_RET_ERRNO | 38u)) {
        printf("no rule names clone3: ENOSYS, so libcs fall back to clone, whose flags are filterable\n");
    } else {
        printf("no rule for %s matched: the default action\n", s->name);
    }
    if (run.fault[0])
        printf("fault    %s\n", run.fault);

    /* the path, with the disassembler's text for each instruction executed */
    char *text = NULL;
    size_t text_len = 0;
    FILE *mf = open_memstream(&text, &text_len);
    int rc = 0;
    if (!mf || bpf_disasm(mf, prog->insns, prog->insn_count, prog->audit_arch, "") || fclose(mf)) {
        fprintf(stderr, "cellc explain: cannot disassemble the program\n");
        rc = EXIT_USAGE;
    } else {
        const char **lines = calloc(prog->insn_count, sizeof *lines);
        size_t nl = 0;
        for (char *q = text; lines && *q && nl < prog->insn_count;) {
            lines[nl++] = q;
            char *e = strchr(q, '\n');
            if (!e)
                break;
            *e = '\0';
            q = e + 1;
        }
        printf("path     %u instructions executed\n", run.executed);
        for (size_t k = 0; k < run.path_len; k++)
            printf("  %s\n", lines && run.path[k] < nl ? lines[run.path[k]] : "?");
        free(lines);
    }
    free(text);
    if (rc == 0 && ref != run.action) {
        char r2[64];
        printf("MISMATCH the rule list says %s, the compiled program %s: the plan's program does not "
               "implement its rules\n",
               bpf_action_name(ref, r2, sizeof r2), act);
        rc = EXIT_BAD;
    }
    free(path);
    plan_free(p);
    return rc;
}
