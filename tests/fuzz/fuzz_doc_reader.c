/*
 * fuzz_doc_reader.c - libFuzzer target for the CellOS document reader
 * (compiler/doc/): libyaml events -> tree -> typed ExecutionCell or
 * PolicyPack -> the emitted policy text -> our own front end (parser,
 * checker, lowering), and PolicyPack admission of the document by itself.
 * No PATH is searched and no pack is read, so the run touches no file. It
 * must never crash, read out of bounds, leak, or hit undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compiler/check.h"
#include "compiler/diag.h"
#include "compiler/doc/doc_emit.h"
#include "compiler/lower.h"
#include "compiler/pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct arena a;
    struct diag d;
    arena_init(&a);
    diag_init(&d);
    struct doc doc;
    if (doc_load_text(&a, &d, "fuzz.yaml", (const char *)data, size, &doc) == 0) {
        if (doc.kind == DOC_CELL) {
            struct doc pack = { .kind = DOC_PACK };
            pack.pack.id.s = "p";
            pack.pack.max_ttl = (struct doc_int){ .set = true, .v = 1 };
            pack.pack.require_limits = true;
            doc_admit(&d, &doc, &pack);
        }
        struct doc_opts o = { .base = DOC_DEFAULT_BASE, .syscalls = DOC_DEFAULT_SYSCALLS, .path_env = NULL };
        char *text = NULL;
        size_t len = 0;
        struct doc_linemap map;
        if (doc_emit(&d, &doc, &o, &text, &len, &map) == 0) {
            struct load_opts lo = { .no_default_path = true };
            struct policy_src src;
            struct policy pol;
            if (policy_load_text(&a, &d, "fuzz.cell", text, len, &lo, &src) == 0 &&
                policy_check(&a, &d, &src, &pol) == 0 && !pol.top_is_pack)
                policy_lower(&a, &pol);
        }
        free(text);
        doc_linemap_free(&map);
    }
    if (sink) {
        diag_print(&d, sink, DIAG_TEXT);
        diag_print(&d, sink, DIAG_JSON);
    }
    diag_free(&d);
    arena_free(&a);
    return 0;
}
