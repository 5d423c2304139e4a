/*
 * fuzz_policy_parser.c - libFuzzer target for the .cell front end: scanner,
 * parser, diagnostics (text and JSON), type checker and lowering, on
 * arbitrary bytes. Packs are not searched (no default path, no -I), so a
 * `use` is reported as not found and the run touches no file. It must never
 * crash, read out of bounds, leak, or hit undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compiler/check.h"
#include "compiler/diag.h"
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
    struct load_opts lo = { .no_default_path = true };
    struct policy_src src;
    int rc = policy_load_text(&a, &d, "fuzz.cell", (const char *)data, size, &lo, &src);
    struct policy pol;
    if (rc == 0 && policy_check(&a, &d, &src, &pol) == 0 && !pol.top_is_pack)
        policy_lower(&a, &pol);
    if (sink) {
        diag_print(&d, sink, DIAG_TEXT);
        diag_print(&d, sink, DIAG_JSON);
    }
    diag_free(&d);
    arena_free(&a);
    return 0;
}
