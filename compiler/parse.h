/*
 * parse.h - turn the text of one .cell file into a struct ast_file.
 *
 * The scanner (grammar/cell_lex.l) and the parser (grammar/cell_parse.y) are
 * reentrant and keep all their state in a struct parse_ctx: no globals.
 * Syntax errors go to the diagnostics engine with the expected tokens; the
 * parser recovers at the next `;` so every syntax error of a file is
 * reported, not just the first.
 */
#ifndef CELLOS_PARSE_H
#define CELLOS_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "ast.h"
#include "diag.h"

/* Input larger than this is refused (a policy is a few KiB; the bench's
 * 10,000-rule policies are well under it). */
#define PARSE_MAX_SOURCE (16u * 1024 * 1024)

/* State shared by the scanner and the parser of one file. */
struct parse_ctx {
    struct arena *arena;
    struct diag *diag;
    uint32_t file;
    struct ast_file *out;
    /* scanner state */
    uint32_t line, col; /* position of the next byte */
    char *sbuf;         /* string literal being scanned (malloc'd) */
    size_t slen, scap;
    struct loc str_loc;    /* where the string literal started */
    struct loc cmt_loc;    /* where the block comment started */
    const char *last_text; /* spelling of the last token (arena) */
    size_t last_len;
    unsigned syntax_errors;
};

/* Parse source `file` (registered with diag_add_source). Returns 0 and the
 * tree in *out when there was no syntax error; otherwise -1 (the errors are
 * in diag) and *out may hold a partial tree (arena-owned either way). */
int parse_file(struct arena *a, struct diag *d, uint32_t file, struct ast_file **out);

#endif
