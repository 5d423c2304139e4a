/*
 * fuzz_events_verify.c - libFuzzer target for the events verifier and its
 * strict JSON parser (runtime/events/verify.c, runtime/events/jcs.c).
 *
 * Invariants checked on every input:
 *  - ev_verify_buffer never crashes and returns 0, 1 or 3, naming a line
 *    within the input when it fails;
 *  - for the input as one JSON document: when jcs_parse accepts it, the
 *    canonical serialisation parses again to the same canonical bytes
 *    (idempotence), and a trust-file parse never crashes.
 * Seed corpus: tests/fuzz/corpus/events_verify/ (golden lines, JSON edge cases).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/events/jcs.h"
#include "runtime/events/keys.h"
#include "runtime/events/verify.h"

/* test key 1 of tests/data/events */
static const char TRUST[] =
    "{\"408978d5c9f1cbf61046c1378a5f978dabf3dacc9b6d20588f09252e11120bf7\":"
    "\"e7ehlSN-jyfAu1NzGRFLIVdITFezHSBfwDSrpexJUU8\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ev_trust *trust;
    struct cell_error e;
    if (!trust && ev_trust_parse(TRUST, sizeof TRUST - 1, "fuzz", &trust, &e) < 0)
        abort();

    const char *text = (const char *)data;
    struct ev_verify_result r;
    struct ev_verify_opts o = { .trust = trust };
    int rc = ev_verify_buffer(text, size, &o, &r);
    if (rc != EV_VERIFY_OK && rc != EV_VERIFY_BAD && rc != EV_VERIFY_UNSEALED)
        abort();
    if (rc == EV_VERIFY_BAD && r.bad_line > size + 1)
        abort();
    ev_verify_result_free(&r);
    o = (struct ev_verify_opts){ .allow_unsigned = true };
    rc = ev_verify_buffer(text, size, &o, &r);
    ev_verify_result_free(&r);

    struct jcs_doc *d = jcs_doc_new(), *d2 = jcs_doc_new();
    struct jcs_value *v, *v2;
    struct jcs_parse_error pe;
    if (jcs_parse(d, text, size, 32, &v, &pe) == 0) {
        struct jcs_buf a = { 0 }, b = { 0 };
        if (jcs_serialize(v, NULL, &a) < 0)
            abort();
        if (jcs_parse(d2, a.p, a.len, 32, &v2, &pe) < 0)
            abort();                        /* canonical output must parse */
        if (jcs_serialize(v2, NULL, &b) < 0 || a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
            abort();                        /* and be a fixed point */
        jcs_buf_free(&a);
        jcs_buf_free(&b);
    } else if (pe.offset > size) {
        abort();
    }
    jcs_doc_free(d);
    jcs_doc_free(d2);

    struct ev_trust *t = NULL;
    if (ev_trust_parse(text, size, "fuzz", &t, &e) == 0 && ev_trust_count(t) == 0)
        abort();
    ev_trust_free(t);
    return 0;
}
