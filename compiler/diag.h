/*
 * diag.h - the diagnostics engine: every error the compiler finds in a policy,
 * with its location, the source line, a caret under the token, notes that
 * point at related places ("previous grant here"), and what was expected.
 *
 * Diagnostics are collected, never printed as they are found, so that all of
 * them can be reported (sorted by file, line and column; a note stays with
 * its error) in gcc's text format or as JSON lines:
 *
 *   hello.cell:12:16: error: unknown capability 'CAP_FOO'
 *      12 |     capability CAP_FOO;
 *         |                ^~~~~~~
 *
 *   {"file":"hello.cell","line":12,"column":16,"end_line":12,"end_column":22,
 *    "severity":"error","message":"unknown capability 'CAP_FOO'","notes":[]}
 *
 * The engine owns copies of every source text it is given (sources are
 * added by the loader before parsing), so locations stay printable after the
 * parser's buffers are gone.
 */
#ifndef CELLOS_DIAG_H
#define CELLOS_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "ast.h"

enum diag_format {
    DIAG_TEXT = 0,
    DIAG_JSON = 1
};

/* Stop storing after this many errors (counting goes on); a final line says
 * how many were dropped. */
#define DIAG_MAX_STORED 10000

struct diag_source {
    char *name; /* as the user named it (command line) or as resolved (packs) */
    char *text;
    size_t len;
    size_t *line_start; /* byte offset of each line; n_lines entries */
    size_t n_lines;
};

struct diag_note {
    struct loc loc;
    char *msg;
};

struct diag_item {
    struct loc loc;
    char *msg;
    char **expected; /* what the parser expected here, or NULL */
    size_t n_expected;
    struct diag_note *notes;
    size_t n_notes;
    size_t seq;   /* report order, the sort's tie-breaker */
    bool warning; /* a warning: reported, but the policy still compiles */
};

struct diag {
    struct diag_source *src;
    size_t n_src;
    struct diag_item *items;
    size_t n_items, cap_items;
    size_t n_errors;   /* all errors, stored or not */
    size_t n_warnings; /* all warnings, stored or not */
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);

/* Register a source text (copied); returns its index for struct loc.file. */
uint32_t diag_add_source(struct diag *d, const char *name, const char *text, size_t len);
const struct diag_source *diag_source(const struct diag *d, uint32_t file);

/* Report an error at loc. */
void diag_error(struct diag *d, struct loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Attach a note to the error reported last (ignored when it was dropped). */
void diag_note(struct diag *d, struct loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Attach the parser's expected-token list to the error reported last. */
void diag_expected(struct diag *d, const char *const *tokens, size_t n);
/* An error about a whole file (I/O, missing pack): line and column 0. */
/* Report a warning at loc: printed like an error ("warning:"), notes attach
 * to it, but it does not fail the compilation. */
void diag_warning(struct diag *d, struct loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_error_file(struct diag *d, uint32_t file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline bool diag_has_errors(const struct diag *d)
{
    return d->n_errors > 0;
}

/* Print every stored diagnostic, sorted, in the given format. */
void diag_print(struct diag *d, FILE *out, enum diag_format fmt);

/* Quote untrusted bytes for a message: printable ASCII as is, `'` and `\`
 * escaped, anything else as \xHH; cut with "..." when it does not fit
 * `buf`. Returns buf. */
const char *diag_quote(char *buf, size_t bufsz, const char *s, size_t len);

#endif
