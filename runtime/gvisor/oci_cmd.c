/*
 * oci_cmd.c - `cellrun --print-oci-config [--portable | --bundle DIR] PLAN
 * [-- ARGS]`: print the OCI config.json the gvisor backend would hand runsc
 * for PLAN in this environment (PASS variables from it; secret values never
 * read, shown as "<secret NAME>"). Its SHA-256 is the started event's
 * oci_config_sha256 of a run in the same environment.
 *   --portable    the variant for other OCI tools: host paths as bind
 *                 sources instead of the run's private clones;
 *   --bundle DIR  write a complete bundle for plain `runsc run` (the
 *                 portable config, the root skeleton, staged directories)
 *                 into DIR, which must not exist; print nothing.
 * Deviations from the native backend go to stderr, one line each.
 * Exit 0, or 125 with one line on stderr (as `cellrun PLAN` would refuse).
 */
#include "oci.h"
#include "runtime/backend/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One line: what is wrong (when something is) and the usage. */
static int usage(const char *why, const char *what)
{
    if (why)
        fprintf(stderr, "cellrun --print-oci-config: %s%s%s%s (usage: ", why, what ? " \"" : "",
                what ? what : "", what ? "\"" : "");
    else
        fputs("usage: ", stderr);
    fprintf(stderr, "cellrun --print-oci-config [--portable | --bundle DIR] PLAN [-- ARGS...]%s\n",
            why ? ")" : "");
    return CELLRUN_EXIT_FAILURE;
}

int cellrun_cmd_oci_config(int argc, char **argv)
{
    bool portable = false;
    const char *dir = NULL, *plan_path = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--portable") == 0)
            portable = true;
        else if (strcmp(argv[i], "--bundle") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--bundle") == 0)
            return usage("--bundle needs a DIR", NULL);
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(NULL, NULL);
            return 0;
        } else if (argv[i][0] == '-' && strcmp(argv[i], "--") != 0)
            return usage("unknown option", argv[i]);
        else
            break;
    }
    if (i >= argc || strcmp(argv[i], "--") == 0)
        return usage("no plan given", NULL);
    plan_path = argv[i++];
    char *const *extra = NULL;
    size_t n_extra = 0;
    if (i < argc) {
        if (strcmp(argv[i], "--") != 0)
            return usage("unexpected argument after the plan", argv[i]);
        extra = argv + i + 1;
        n_extra = (size_t)(argc - i - 1);
    }

    struct plan *p = NULL;
    struct plan_error pe;
    if (plan_read_file(plan_path, &p, &pe) < 0) {
        char buf[700];
        plan_error_format(&pe, plan_path, buf, sizeof buf);
        fprintf(stderr, "cellrun: %s\n", buf);
        return CELLRUN_EXIT_FAILURE;
    }
    struct cell_error e = { 0 };
    int rc = CELLRUN_EXIT_FAILURE;
    const char **pass = calloc(p->process.n_env ? p->process.n_env : 1, sizeof *pass);
    struct oci_bundle b;
    bool have = false;
    char *portable_cfg = NULL;
    size_t portable_len = 0;
    if (!pass) {
        cell_err(&e, ENOMEM, "out of memory");
        goto out;
    }
    if (n_extra && !(p->process.flags & CP_PROC_ALLOW_EXTRA_ARGS)) {
        cell_err(&e, 0, "process: the plan does not allow extra arguments after --");
        goto out;
    }
    for (size_t k = 0; k < p->process.n_env; k++)
        if (p->process.env[k].flags & CP_ENV_PASS)
            pass[k] = getenv(p->process.env[k].name);
    struct oci_inputs in = {
        .extra_args = extra, .n_extra_args = n_extra, .pass_values = pass, .redact_only = true
    };
    if (oci_translate(p, &in, &b, &e) < 0)
        goto out;
    have = true;
    for (size_t k = 0; k < b.n_notes; k++)
        fprintf(stderr, "cellrun: gvisor deviation: %s: %s\n", b.notes[k].what, b.notes[k].why);
    if (b.fail_op >= 0)
        fprintf(stderr, "cellrun: gvisor: a run would fail at mount op %d: %s\n", b.fail_op,
                strerror(b.ops[b.fail_op].err));
    if (portable || dir) {
        if (oci_config_portable(p, &in, &b, &portable_cfg, &portable_len, &e) < 0)
            goto out;
    }
    if (dir) {
        if (mkdir(dir, 0755) < 0) {
            cell_err_sys(&e, errno, "--bundle %s", dir);
            goto out;
        }
        int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d < 0) {
            cell_err_sys(&e, errno, "--bundle %s", dir);
            goto out;
        }
        uint64_t *done = calloc(p->fs.n_ops ? p->fs.n_ops : 1, sizeof *done);
        int fop;
        int r = done
            ? oci_stage_build(&b, p, NULL, d, false, NULL, portable_cfg, portable_len, done, &fop, &e)
            : cell_err(&e, ENOMEM, "out of memory");
        free(done);
        close(d);
        if (r < 0)
            goto out;
        rc = 0;
        goto out;
    }
    const char *text = portable ? portable_cfg : b.review;
    size_t len = portable ? portable_len : b.review_len;
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        cell_err_sys(&e, errno, "writing the config");
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "cellrun: %s\n", e.msg);
    free(portable_cfg);
    if (have)
        oci_bundle_free(&b);
    free(pass);
    plan_free(p);
    return rc;
}
