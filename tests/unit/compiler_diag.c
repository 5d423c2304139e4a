/* compiler_diag.c - the diagnostics engine: gcc-style text with excerpt and
 * caret, one JSON document (valid UTF-8 whatever the input; an empty list
 * when there is nothing to say), sorting, notes,
 * expected tokens, the cap on stored errors, and quoting. */
#include "tap.h"
#include <stdlib.h>

#include "compiler/diag.h"

static char *print(struct diag *d, enum diag_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    diag_print(d, m, f);
    fclose(m);
    return buf;
}

int main(void)
{
    struct diag d;
    diag_init(&d);
    const char *src = "cell t {\n\tcapability CAP_FOO;\n}\n";
    uint32_t f = diag_add_source(&d, "t.cell", src, strlen(src));
    struct loc l = { .file = f, .line = 2, .col = 13, .end_line = 2, .end_col = 19 };
    diag_error(&d, l, "unknown capability '%s'", "CAP_FOO");
    struct loc l1 = { .file = f, .line = 1, .col = 1, .end_line = 1, .end_col = 4 };
    diag_error(&d, l1, "first by position");
    diag_note(&d, l, "a note");
    ok(diag_has_errors(&d) && d.n_errors == 2, "two errors counted");
    char *t = print(&d, DIAG_TEXT);
    is_str(t,
           "t.cell:1:1: error: first by position\n"
           "    1 | cell t {\n"
           "      | ^~~~\n"
           "t.cell:2:13: note: a note\n"
           "    2 | \tcapability CAP_FOO;\n"
           "      | \t           ^~~~~~~\n"
           "t.cell:2:13: error: unknown capability 'CAP_FOO'\n"
           "    2 | \tcapability CAP_FOO;\n"
           "      | \t           ^~~~~~~\n",
           "text: sorted by line, note follows its error, tabs kept so the caret lines up");
    free(t);
    t = print(&d, DIAG_JSON);
    is_str(t,
           "{\"errors\":2,\"warnings\":0,\"diagnostics\":[\n"
           "{\"file\":\"t.cell\",\"line\":1,\"column\":1,\"end_line\":1,\"end_column\":4,\"severity\":\"error\","
           "\"message\":\"first by position\",\"notes\":[{\"file\":\"t.cell\",\"line\":2,\"column\":13,"
           "\"end_line\":2,\"end_column\":19,\"severity\":\"note\",\"message\":\"a note\"}]},\n"
           "{\"file\":\"t.cell\",\"line\":2,\"column\":13,\"end_line\":2,\"end_column\":19,\"severity\":\"error\","
           "\"message\":\"unknown capability 'CAP_FOO'\",\"notes\":[]}\n"
           "]}\n",
           "JSON: one document, the counts, one diagnostic per line");
    free(t);
    diag_free(&d);

    /* JSON stays valid UTF-8 and escapes controls */
    diag_init(&d);
    f = diag_add_source(&d, "b\xff.cell", "x", 1);
    struct loc lb = { .file = f, .line = 1, .col = 1, .end_line = 1, .end_col = 1 };
    diag_error(&d, lb, "bad \xc3\x28 ok \xc3\xa9 \"q\" \\ tab\there \x01");
    const char *exp[] = { "';'", "string" };
    diag_expected(&d, exp, 2);
    t = print(&d, DIAG_JSON);
    is_str(t,
           "{\"errors\":1,\"warnings\":0,\"diagnostics\":[\n"
           "{\"file\":\"b\\ufffd.cell\",\"line\":1,\"column\":1,\"end_line\":1,\"end_column\":1,\"severity\":\"error\","
           "\"message\":\"bad \\ufffd( ok \xc3\xa9 \\\"q\\\" \\\\ tab\\there \\u0001\",\"expected\":[\"';'\",\"string\"],"
           "\"notes\":[]}\n]}\n",
           "invalid UTF-8 becomes U+FFFD, valid passes, controls escaped, expected tokens listed");
    free(t);
    diag_free(&d);

    /* nothing to say: still one document, with an empty list */
    diag_init(&d);
    diag_add_source(&d, "clean.cell", "", 0);
    t = print(&d, DIAG_JSON);
    is_str(t, "{\"errors\":0,\"warnings\":0,\"diagnostics\":[]}\n", "JSON of a clean policy: an empty list");
    free(t);
    t = print(&d, DIAG_TEXT);
    is_str(t, "", "text of a clean policy: nothing");
    free(t);
    diag_free(&d);

    /* whole-file errors and the cap on stored errors */
    diag_init(&d);
    f = diag_add_source(&d, "x.cell", "", 0);
    diag_error_file(&d, f, "cannot read policy: %s", "No such file or directory");
    t = print(&d, DIAG_TEXT);
    is_str(t, "x.cell: error: cannot read policy: No such file or directory\n", "whole-file error has no location");
    free(t);
    for (int i = 0; i < DIAG_MAX_STORED + 5; i++)
        diag_error(&d, lb, "e%d", i);
    diag_note(&d, lb, "dropped note");
    is_int(d.n_errors, DIAG_MAX_STORED + 6, "every error counted");
    is_int(d.n_items, DIAG_MAX_STORED, "at most DIAG_MAX_STORED stored");
    t = print(&d, DIAG_TEXT);
    ok(strstr(t, "cellc: error: 6 more errors not shown\n") != NULL, "the overflow is said");
    free(t);
    t = print(&d, DIAG_JSON);
    char head[64];
    snprintf(head, sizeof head, "{\"errors\":%d,\"warnings\":0,\"diagnostics\":[\n", DIAG_MAX_STORED + 6);
    ok(!strncmp(t, head, strlen(head)) && !strcmp(t + strlen(t) - 5, "}\n]}\n"),
       "JSON: the count says how many there were, the list holds those stored");
    free(t);
    diag_free(&d);

    /* a long line is shown as a window around the column */
    diag_init(&d);
    char longline[1001];
    memset(longline, 'a', 1000);
    longline[1000] = 0;
    longline[899] = 'X';
    f = diag_add_source(&d, "long.cell", longline, 1000);
    struct loc ll = { .file = f, .line = 1, .col = 900, .end_line = 1, .end_col = 900 };
    diag_error(&d, ll, "here");
    t = print(&d, DIAG_TEXT);
    char *l2 = strchr(t, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    ok(strlen(t) < 600, "output bounded (%zu bytes)", strlen(t));
    ok(!strncmp(l2, "    1 | ...", 11) && strstr(l2, "...\n") == NULL, "window starts with ..., ends at the line's end");
    size_t xcol = (size_t)(strchr(l2, 'X') - l2), ccol = (size_t)(strchr(l3, '^') - l3);
    is_int(ccol, xcol, "caret under the column inside the window");
    free(t);
    diag_free(&d);

    char q[32];
    is_str(diag_quote(q, sizeof q, "a'b\\c\n\0", 7), "a\\'b\\\\c\\x0a\\x00", "quote escapes");
    is_str(diag_quote(q, 12, "abcdefghijklmnop", 16), "abcdefgh...", "quote truncates with ...");
    return done_testing();
}
