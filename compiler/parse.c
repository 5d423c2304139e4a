/*
 * parse.c - run the reentrant scanner and the pure parser over one source.
 *
 * The source text comes from the diagnostics engine (which owns it), so a
 * location in any later diagnostic can still print its line.
 */
#include "parse.h"

#include <stdlib.h>

#include "cell_parse.h"
#include "cell_lex.h"

int yyparse(yyscan_t scanner, struct parse_ctx *ctx);

int parse_file(struct arena *a, struct diag *d, uint32_t file, struct ast_file **out)
{
    const struct diag_source *src = diag_source(d, file);
    struct ast_file *f = arena_alloc(a, sizeof *f);
    f->file = file;
    *out = f;
    if (!src)
        return -1;
    if (src->len > PARSE_MAX_SOURCE) {
        diag_error_file(d, file, "policy file is larger than %u bytes", PARSE_MAX_SOURCE);
        return -1;
    }

    struct parse_ctx ctx = {
        .arena = a,
        .diag = d,
        .file = file,
        .out = f,
        .line = 1,
        .col = 1,
    };
    yyscan_t scanner;
    if (yylex_init_extra(&ctx, &scanner) != 0) {
        diag_error_file(d, file, "cannot start the scanner");
        return -1;
    }
    YY_BUFFER_STATE buf = yy_scan_bytes(src->text, (int)src->len, scanner);
    int rc = yyparse(scanner, &ctx);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    free(ctx.sbuf);
    if (rc != 0 && ctx.syntax_errors == 0) {
        diag_error_file(d, file, "cannot parse the policy");
        ctx.syntax_errors++;
    }
    return ctx.syntax_errors ? -1 : 0;
}
