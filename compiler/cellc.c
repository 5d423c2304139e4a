/*
 * cellc.c - the policy compiler's command line.
 *
 *   cellc [-I DIR]... [--diagnostics=text|json] FILE.cell -o OUT.plan
 *   cellc check [-I DIR]... [--diagnostics=text|json] FILE.cell
 *   cellc SUBCOMMAND ...        (dump, explain, ...: see the table below)
 *
 * Exit status: 0 ok; 1 the policy has errors (all reported); 2 usage or
 * I/O error. Compiling is load (parse the cell and its packs) -> check ->
 * lower -> seccomp code generation -> plan writer; the plan is written as
 * every output is (runtime/lib/out_file.h): a regular file via a temporary
 * name and a rename, so a failed compile leaves no plan; /dev/null, a fifo
 * or a socket in place; "-" to stdout; never through a symlink.
 * `cellc check` runs the same pipeline without writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellc_cmds.h"
#include "check.h"
#include "diag.h"
#include "lower.h"
#include "pack.h"
#include "compiler/doc/doc_emit.h"
#include "compiler/plan/plan_sign.h"
#include "runtime/lib/out_file.h"
#include "plan_format.h"
#include "compiler/plan/plan_writer.h"
#include "compiler/seccomp/seccomp_gen.h"

#define EXIT_POLICY 1
#define EXIT_USAGE  2

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

/* One line per subcommand; teams add theirs here. */
static const struct subcommand subcommands[] = {
    { "import", cellc_cmd_import,
      "print a CellOS document (YAML/JSON) as a policy: [--base P] [--syscalls P] DOC" },
    { "check", cellc_cmd_check, "check a policy and print every diagnostic; write no plan" },
    { "sign", cellc_cmd_sign, "sign an existing plan in place: PLAN --key KEY (default $CELLOS_KEY)" },
    { "dump", cellc_cmd_dump, "print a plan: every section, mount op, rule and BPF program" },
    { "--emit", cellc_cmd_emit, "--emit firecracker-config PLAN: the plan's Firecracker config (JSON)" },
    { "explain", cellc_cmd_explain, "run a plan's seccomp filter on one call: PLAN SYSCALL [ARG...]" },
};

static void usage(FILE *f)
{
    fputs("usage: cellc [-I DIR]... [--diagnostics=text|json] FILE.cell -o OUT.plan\n"
          "       cellc SUBCOMMAND [ARGS...]\n"
          "options:\n"
          "  -I DIR                 search DIR for packs (`use \"NAME\"` -> DIR/NAME.cell); repeatable,\n"
          "                         searched before ./policies and the cell file's directory\n"
          "  --no-default-path      search only the -I directories\n"
          "  --diagnostics=FORMAT   text (gcc style, the default) or json (one document on stderr:\n"
          "                         {\"errors\":N,\"warnings\":N,\"diagnostics\":[...]}, also when clean)\n"
          "  -o FILE                write the plan to FILE (- = stdout; /dev/null, a fifo\n"
          "                         or a socket is written in place; a symlink is refused)\n"
          "  --sign KEY             sign the plan with this Ed25519 key file (cellrun keygen)\n"
          "  --version              print the compiler version\n"
          "CellOS documents (FILE.yaml, .yml, .json, or - for stdin; docs/cellos-documents.md):\n"
          "  --base PACK            pack for the filesystem (default " DOC_DEFAULT_BASE ")\n"
          "  --syscalls PACK        pack for the syscalls (default " DOC_DEFAULT_SYSCALLS ")\n"
          "  --pack PACK.yaml       admit the cell by this PolicyPack: every violation is listed\n"
          "subcommands:\n",
          f);
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fputs("exit status: 0 ok, 1 the policy has errors (dump, explain, sign, --emit: the plan is not\n"
          "valid), 2 usage error (one line) or a file cannot be read or written\n",
          f);
}

struct opts {
    const char **inc;
    size_t n_inc;
    bool no_default_path;
    enum diag_format fmt;
    const char *input, *output;
    const char *sign_key; /* --sign KEY: append the signature trailer */
    /* CellOS documents */
    const char *base, *syscalls, *pack_doc;
    const char *path_env; /* PATH, for a bare argv[0] */
};

/* Which command parses its options: each usage error names it and what it
 * takes. */
enum cmd {
    CMD_COMPILE, /* cellc FILE -o PLAN: -o (required) and --sign */
    CMD_CHECK,   /* cellc check FILE */
    CMD_IMPORT   /* cellc import DOC: a CellOS document only */
};

static const char *const cmd_prefix[] = { "cellc", "cellc check", "cellc import" };

/* Parse options common to compile, check and import; returns 0, or
 * EXIT_USAGE after printing why in one line. */
static int parse_opts(int argc, char **argv, int first, enum cmd cmd, struct opts *o)
{
    const char *who = cmd_prefix[cmd];
    bool want_output = cmd == CMD_COMPILE;
    memset(o, 0, sizeof *o);
    o->inc = calloc((size_t)argc + 1, sizeof *o->inc);
    if (!o->inc) {
        fputs("cellc: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-I") || !strcmp(a, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs an argument\n", who, a);
                return EXIT_USAGE;
            }
            if (a[1] == 'I') {
                o->inc[o->n_inc++] = argv[++i];
            } else {
                if (!want_output) {
                    fprintf(stderr, "%s: -o is not %s option (%s)\n", who,
                            cmd == CMD_CHECK ? "a check" : "an import",
                            cmd == CMD_CHECK ? "check writes no plan; compile with cellc FILE -o OUT.plan"
                                             : "import prints the policy on stdout: > OUT.cell");
                    return EXIT_USAGE;
                }
                if (o->output) {
                    fprintf(stderr, "cellc: -o given twice\n");
                    return EXIT_USAGE;
                }
                o->output = argv[++i];
            }
        } else if (!strcmp(a, "--sign") && !want_output) {
            fprintf(stderr, "%s: --sign is not %s option (it signs the plan a compile writes: -o OUT.plan)\n",
                    who, cmd == CMD_CHECK ? "a check" : "an import");
            return EXIT_USAGE;
        } else if (!strcmp(a, "--sign")) {
            if (i + 1 >= argc || o->sign_key) {
                fprintf(stderr, "cellc: --sign needs one KEY file\n");
                return EXIT_USAGE;
            }
            o->sign_key = argv[++i];
        } else if (!strcmp(a, "--base") || !strcmp(a, "--syscalls") || !strcmp(a, "--pack")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs an argument\n", who, a);
                return EXIT_USAGE;
            }
            const char **slot = a[2] == 'b' ? &o->base : a[2] == 's' ? &o->syscalls : &o->pack_doc;
            if (*slot) {
                fprintf(stderr, "%s: %s given twice\n", who, a);
                return EXIT_USAGE;
            }
            *slot = argv[++i];
        } else if (!strncmp(a, "-I", 2)) {
            o->inc[o->n_inc++] = a + 2;
        } else if (!strcmp(a, "--diagnostics=json")) {
            o->fmt = DIAG_JSON;
        } else if (!strcmp(a, "--diagnostics=text")) {
            o->fmt = DIAG_TEXT;
        } else if (!strncmp(a, "--diagnostics=", 14) || !strcmp(a, "--diagnostics")) {
            fprintf(stderr, "%s: --diagnostics takes text or json, not '%s' (--diagnostics=json)\n", who,
                    a[13] == '=' ? a + 14 : "");
            return EXIT_USAGE;
        } else if (!strcmp(a, "--no-default-path")) {
            o->no_default_path = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s' (try cellc --help)\n", who, a);
            return EXIT_USAGE;
        } else {
            if (o->input) {
                fprintf(stderr, "%s: one %s at a time ('%s' and '%s')\n", who,
                        cmd == CMD_IMPORT ? "CellOS document" : "policy", o->input, a);
                return EXIT_USAGE;
            }
            o->input = a;
        }
    }
    if (!o->input) {
        if (cmd == CMD_IMPORT)
            fprintf(
                stderr,
                "%s: no CellOS document given (DOC.yaml, .yml, .json, or - for stdin; try cellc --help)\n",
                who);
        else
            fprintf(stderr, "%s: no policy given (FILE.cell or a CellOS document; try cellc --help)\n", who);
        return EXIT_USAGE;
    }
    if (cmd == CMD_IMPORT && strcmp(o->input, "-") != 0 && access(o->input, F_OK) == 0 &&
        !doc_is_document(o->input)) {
        fprintf(
            stderr,
            "%s: %s is a policy, not a CellOS document (YAML or JSON); it needs no import: cellc check %s\n",
            who, o->input, o->input);
        return EXIT_USAGE;
    }
    if (!o->base)
        o->base = DOC_DEFAULT_BASE;
    if (!o->syscalls)
        o->syscalls = DOC_DEFAULT_SYSCALLS;
    o->path_env = getenv("PATH");
    if (want_output && !o->output) {
        fputs("cellc: no output file: add -o OUT.plan (or use `cellc check FILE`)\n", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* The seccomp code generator's error, as a diagnostic at the rule it names
 * (the first rule written on that line) or on the policy file. */
static void report_gen_error(struct diag *d, const struct policy *pol, const struct sc_gen_error *ge)
{
    for (size_t i = 0; ge->line && i < pol->plan.seccomp.n_rules; i++)
        if (pol->plan.seccomp.rules[i].line == ge->line) {
            diag_error(d, pol->rule_locs[i], "%s", ge->e.msg);
            return;
        }
    diag_error_file(d, 0, "%s", ge->e.msg);
}

/* A CellOS document: read it (and the --pack PolicyPack, admitting the
 * cell by it), emit the equivalent policy and load that as the policy
 * `cellc import` would print, named dir/stem.cell (compiler/doc/). */
static int load_document(struct arena *a, struct diag *d, const struct opts *o, const struct load_opts *lo,
                         struct policy_src *src, struct doc_linemap *map, uint32_t *emitted)
{
    memset(src, 0, sizeof *src);
    struct doc doc, pack;
    int rc = doc_load(a, d, o->input, &doc);
    if (rc)
        return rc;
    if (o->pack_doc) {
        rc = doc_load(a, d, o->pack_doc, &pack);
        if (rc)
            return rc;
        if (pack.kind != DOC_PACK) {
            diag_error(d, pack.kind_loc, "--pack needs a PolicyPack document");
            return EXIT_POLICY;
        }
        if (doc.kind != DOC_CELL) {
            diag_error(d, doc.kind_loc, "--pack admits an ExecutionCell; this is a PolicyPack");
            return EXIT_POLICY;
        }
        if (doc_admit(d, &doc, &pack))
            return EXIT_POLICY;
    }
    struct doc_opts dopt = { .base = o->base, .syscalls = o->syscalls, .path_env = o->path_env };
    char *text;
    size_t len;
    if (doc_emit(d, &doc, &dopt, &text, &len, map))
        return EXIT_POLICY;
    const char *name = doc_policy_name(a, o->input);
    *emitted = (uint32_t)d->n_src; /* the index policy_load_text gives it */
    /* loaded as dir/stem.cell (packs are searched in the document's
     * directory); diagnostics left in it name the document it came from */
    rc = policy_load_text(a, d, name, text, len, lo, src);
    free(text);
    if (*emitted < d->n_src) {
        char *shown = NULL;
        if (asprintf(&shown, "%s (as imported from %s)", name, o->input) >= 0) {
            free(d->src[*emitted].name);
            d->src[*emitted].name = shown;
        }
    }
    const char *slash = strrchr(name, '/');
    src->source_name = slash ? slash + 1 : name;
    return rc;
}

int cellc_cmd_import(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, 1, CMD_IMPORT, &o);
    if (rc == 0 && o.pack_doc) {
        fputs("cellc import: --pack is for compiling (cellc JOB --pack PACK -o PLAN)\n", stderr);
        rc = EXIT_USAGE;
    }
    if (rc == 0) {
        struct arena a;
        struct diag d;
        arena_init(&a);
        diag_init(&d);
        struct doc doc;
        rc = doc_load(&a, &d, o.input, &doc);
        struct doc_opts dopt = { .base = o.base, .syscalls = o.syscalls, .path_env = o.path_env };
        char *text = NULL;
        size_t len = 0;
        if (rc == 0 && doc_emit(&d, &doc, &dopt, &text, &len, NULL))
            rc = EXIT_POLICY;
        if (rc == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)) {
            fprintf(stderr, "cellc import: cannot write the policy: %s\n", strerror(errno));
            rc = EXIT_USAGE;
        }
        free(text);
        diag_print(&d, stderr, o.fmt);
        diag_free(&d);
        arena_free(&a);
    }
    free(o.inc);
    return rc;
}

/* An error that is not in the policy (the plan cannot be written, the
 * signing key cannot be read): one "cellc: ..." line in text; in JSON a
 * whole-file error on `file`, so that stderr stays one JSON document. */
static void report_io_error(struct diag *d, enum diag_format fmt, const char *file, const char *msg)
{
    if (fmt == DIAG_JSON)
        diag_error_file(d, diag_add_source(d, file, "", 0), "%s", msg);
    else
        fprintf(stderr, "cellc: %s\n", msg);
}

/* Whether path starts with the plan magic: a compiled plan handed to cellc
 * where a policy belongs gets one line saying so, not a syntax error over
 * binary bytes. */
static bool is_plan_file(const char *path)
{
    char magic[sizeof CP_MAGIC - 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return false;
    struct stat sb;
    bool plan = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        read(fd, magic, sizeof magic) == (ssize_t)sizeof magic && memcmp(magic, CP_MAGIC, sizeof magic) == 0;
    close(fd);
    return plan;
}

/* load -> check -> lower -> seccomp code generation -> plan bytes, and the
 * file when o->output is set (`cellc check` runs everything but the write,
 * so it reports every error a compile would). */
static int run(const struct opts *o)
{
    struct arena a;
    struct diag d;
    arena_init(&a);
    diag_init(&d);
    struct load_opts lo = { .include_dirs = o->inc,
                            .n_include = o->n_inc,
                            .no_default_path = o->no_default_path };
    struct policy_src src;
    struct doc_linemap map = { 0 };
    uint32_t emitted = UINT32_MAX;
    int rc;
    if (!strcmp(o->input, "-") || doc_is_document(o->input)) {
        rc = load_document(&a, &d, o, &lo, &src, &map, &emitted);
    } else if (o->pack_doc) {
        char msg[600];
        snprintf(msg, sizeof msg, "--pack admits a CellOS document; '%s' is a policy (use a ceiling)",
                 o->input);
        report_io_error(&d, o->fmt, o->input, msg);
        rc = EXIT_USAGE;
    } else if (is_plan_file(o->input)) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "%.256s: a compiled cell plan, not a policy (`cellc dump %.256s` shows it; cellrun runs it)",
                 o->input, o->input);
        report_io_error(&d, o->fmt, o->input, msg);
        memset(&src, 0, sizeof src);
        rc = EXIT_USAGE;
    } else {
        rc = policy_load_file(&a, &d, o->input, &lo, &src);
    }
    struct policy pol;
    if (rc == 0 && policy_check(&a, &d, &src, &pol) != 0)
        rc = EXIT_POLICY;
    if (rc == 0 && o->output && pol.top_is_pack) {
        diag_error_file(&d, 0, "the file holds a pack; compile a cell (use `cellc check` for a pack)");
        rc = EXIT_POLICY;
    }
    if (rc == 0 && !pol.top_is_pack) {
        policy_lower(&a, &pol);
        struct sc_gen_error ge;
        uint8_t *bytes = NULL;
        size_t len = 0;
        char err[512];
        struct cell_error ce = { 0 };
        if (seccomp_gen_all(&pol.plan, &ge) != 0) {
            report_gen_error(&d, &pol, &ge);
            rc = EXIT_POLICY;
        } else if (plan_write(&pol.plan, &bytes, &len, err, sizeof err) != 0) {
            diag_error_file(&d, 0, "cannot encode the plan: %s", err);
            rc = EXIT_POLICY;
        } else if (!o->output) {
            /* cellc check: nothing to write */
        } else if (o->sign_key && plan_sign_with_key_file(&bytes, &len, o->sign_key, &ce) < 0) {
            char msg[sizeof ce.msg + 16];
            snprintf(msg, sizeof msg, "--sign: %s", ce.msg);
            report_io_error(&d, o->fmt, o->sign_key, msg);
            rc = EXIT_USAGE;
        } else {
            /* a regular file is replaced atomically, /dev/null or a fifo
             * written in place, "-" is stdout, a symlink refused */
            const struct out_spec spec = { .how = OUT_REPLACE, .mode = 0644, .flags = OUT_DASH_STDOUT };
            if (out_write_whole(o->output, bytes, len, &spec, &ce) < 0) {
                report_io_error(&d, o->fmt, o->output, ce.msg);
                rc = EXIT_USAGE;
            }
        }
        free(bytes);
        seccomp_gen_free_programs(&pol.plan);
    }
    if (emitted != UINT32_MAX)
        doc_remap(&d, emitted, &map); /* the checker's errors, at the document's fields */
    doc_linemap_free(&map);
    diag_print(&d, stderr, o->fmt);
    diag_free(&d);
    arena_free(&a);
    return rc;
}

int cellc_cmd_check(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts(argc, argv, 1, CMD_CHECK, &o);
    if (rc == 0)
        rc = run(&o);
    free(o.inc);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        if (argc > 2) {
            fputs("cellc: --version takes no argument\n", stderr);
            return EXIT_USAGE;
        }
        puts("cellc " CELLC_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].fn(argc - 1, argv + 1);
    struct opts o;
    int rc = parse_opts(argc, argv, 1, CMD_COMPILE, &o);
    if (rc == 0)
        rc = run(&o);
    free(o.inc);
    return rc;
}
