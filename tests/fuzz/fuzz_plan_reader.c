/*
 * fuzz_plan_reader.c - libFuzzer target for the plan reader.
 *
 * Each input is read three ways: as is; with body_length set to the input's
 * length and the body SHA-256 recomputed (so mutations get past the hash to
 * the structural checks); and, when the input looks signed, as its unsigned
 * prefix with the hash fixed. Whatever the reader accepts must be a valid
 * plan in its own right: the writer takes it, the rewritten bytes read back
 * to an equal plan, and `cellc dump`'s renderer prints it. A violation
 * aborts (a finding). Seeds: tests/fuzz/corpus/plan_reader/ (valid plans).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "plan.h"
#include "compiler/plan/plan_dump.h"
#include "compiler/plan/plan_writer.h"
#include "../unit/plan_fixture.h"

static void accepted(const struct plan *p)
{
    uint8_t *b = NULL;
    size_t n = 0;
    char err[256];
    if (plan_write(p, &b, &n, err, sizeof err) != 0) {
        fprintf(stderr, "reader accepted a plan the writer refuses: %s\n", err);
        abort();
    }
    struct plan *q = NULL;
    struct plan_error e;
    if (plan_read(b, n, &q, &e) != 0) {
        fprintf(stderr, "rewritten plan rejected: %s\n", e.e.msg);
        abort();
    }
    char why[256];
    if (!plan_equal(p, q, why, sizeof why)) {
        fprintf(stderr, "rewritten plan differs: %s\n", why);
        abort();
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        plan_dump(null, q, "fuzz.plan", n);
        fclose(null);
    }
    plan_free(q);
    free(b);
}

static void try_read(const uint8_t *d, size_t n)
{
    struct plan *p = NULL;
    struct plan_error e;
    int rc = plan_read(d, n, &p, &e);
    if (rc == 0) {
        accepted(p);
        plan_free(p);
    } else if (p || !memchr(e.e.msg, 0, sizeof e.e.msg) || e.section > CP_SEC_MAX_TYPE) {
        fprintf(stderr, "malformed rejection\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_read(data, size);
    if (size < CP_HEADER_SIZE || size > CP_MAX_PLAN_SIZE)
        return 0;
    uint8_t *w = malloc(size);
    if (!w)
        return 0;
    /* past the hash: body = everything after the header */
    memcpy(w, data, size);
    uint64_t bl = size - CP_HEADER_SIZE;
    memcpy(w + offsetof(struct cp_header, body_length), &bl, 8);
    crypto_hash_sha256(w + offsetof(struct cp_header, body_sha256), w + CP_HEADER_SIZE, bl);
    try_read(w, size);
    /* and as a signed plan: the trailer is the last 104 bytes */
    if (size >= CP_HEADER_SIZE + sizeof(struct cp_signature)) {
        bl = size - CP_HEADER_SIZE - sizeof(struct cp_signature);
        memcpy(w + offsetof(struct cp_header, body_length), &bl, 8);
        crypto_hash_sha256(w + offsetof(struct cp_header, body_sha256), w + CP_HEADER_SIZE, bl);
        memcpy(w + size - sizeof(struct cp_signature), CP_SIG_MAGIC, 8);
        try_read(w, size);
    }
    free(w);
    return 0;
}
