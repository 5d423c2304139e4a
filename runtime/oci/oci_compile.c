/*
 * oci_compile.c - the policy text a config.json became, compiled into plan
 * bytes by the compiler library, exactly as `cellc` does it (load with the
 * host pack's directory as the only search path -> check -> lower ->
 * seccomp code generation -> plan writer). Every diagnostic becomes one
 * violation line (with the policy line and its config.json field comment).
 */
#include "oci_rt.h"
#include "compiler/check.h"
#include "compiler/diag.h"
#include "compiler/lower.h"
#include "compiler/pack.h"
#include "compiler/plan/plan_writer.h"
#include "compiler/seccomp/seccomp_gen.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One violation per error, on one line: the error, the policy line it points
 * at (whose comment names the config.json field) and its notes. An engine
 * shows the last line of the runtime's log (containerd's shim), so no line
 * may be a bare source excerpt or caret. */
static void diags_to_msgs(struct diag *d, struct ocr_msgs *viol)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    diag_print(d, f, DIAG_TEXT);
    fclose(f);
    char *cur = NULL;
    size_t cur_len = 0;
    FILE *c = NULL;
    bool have_src = false;
    char *save, *line = strtok_r(buf, "\n", &save);
    for (;; line = strtok_r(NULL, "\n", &save)) {
        if (!line || strstr(line, ": error: ")) {
            if (c) {
                fclose(c);
                ocr_msgs_add(viol, "%s", cur);
                free(cur);
                c = NULL;
            }
            if (!line)
                break;
            c = open_memstream(&cur, &cur_len);
            if (!c)
                break;
            fputs(line, c);
            have_src = false;
        } else if (c && strstr(line, ": note: ")) {
            fprintf(c, " (%s)", line);
            have_src = true; /* a note's own excerpt is not the error's */
        } else if (c && !have_src) {
            /* "  12 | text": the error's source line; the caret line after it
             * has only spaces, ^ and ~ after the bar */
            const char *bar = strstr(line, " | ");
            if (bar && bar[3 + strspn(bar + 3, " ^~")] != '\0') {
                fprintf(c, " [policy: %s]", bar + 3 + strspn(bar + 3, " "));
                have_src = true;
            }
        }
    }
    free(buf);
}

int ocr_compile(const char *text, const char *pack_dir, uint8_t **plan, size_t *plan_len,
                struct ocr_msgs *viol)
{
    struct arena a;
    struct diag d;
    arena_init(&a);
    diag_init(&d);
    const char *inc[1] = { pack_dir };
    struct load_opts lo = { .include_dirs = inc, .n_include = 1, .no_default_path = true };
    struct policy_src src;
    struct policy pol;
    int rc = policy_load_text(&a, &d, "container.cell", text, strlen(text), &lo, &src);
    if (rc == 0 && policy_check(&a, &d, &src, &pol) != 0)
        rc = -1;
    if (rc == 0) {
        policy_lower(&a, &pol);
        struct sc_gen_error ge;
        char err[512];
        if (seccomp_gen_all(&pol.plan, &ge) != 0) {
            ocr_msgs_add(viol, "linux.seccomp: %s", ge.e.msg);
            rc = -1;
        } else if (plan_write(&pol.plan, plan, plan_len, err, sizeof err) != 0) {
            ocr_msgs_add(viol, "cannot encode the plan: %s", err);
            rc = -1;
        }
        seccomp_gen_free_programs(&pol.plan);
    }
    if (rc != 0) {
        rc = -1;
        diags_to_msgs(&d, viol);
        if (!viol->n)
            ocr_msgs_add(viol, "the policy does not compile");
    }
    diag_free(&d);
    arena_free(&a);
    return rc;
}
