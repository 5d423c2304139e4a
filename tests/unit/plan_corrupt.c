/* plan_corrupt.c - the corrupted-plan corpus. For each real plan (the rich
 * and minimal fixtures, and hello.plan from cellc when the compiler and the
 * example exist): every truncation length, every single-byte flip (xor 0x01,
 * 0x80, 0xff and a random value), and random multi-byte corruptions, each
 * read twice: as is (the body SHA-256 or a header check must reject it) and
 * with the body hash recomputed (so the structural checks see every byte).
 * Nothing may crash or leak (make sanitize runs this under ASan+UBSan); a
 * rejection must carry a one-line message and a section name; an accepted
 * corruption must be a valid plan in its own right: the writer takes it and
 * rereads it equal. CELLOS_CORRUPT_ROUNDS scales the random part. */
#include "plan_fixture.h"
#include "plan_reject_lib.h"
#include <unistd.h>

struct tally {
    unsigned long reads, rejected, accepted, bad;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    /* xorshift64*: deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Read once; check the verdict is well-formed. */
static void judge(const uint8_t *d, size_t n, struct tally *t, bool must_reject, const char *what, size_t where)
{
    struct plan *p = NULL;
    struct plan_error e;
    memset(&e, 0x5a, sizeof e);
    int rc = plan_read(d, n, &p, &e);
    t->reads++;
    if (rc != 0) {
        t->rejected++;
        size_t ml = strnlen(e.e.msg, sizeof e.e.msg);
        if (p || ml == 0 || ml == sizeof e.e.msg || strchr(e.e.msg, '\n') ||
            e.section > CP_SEC_MAX_TYPE || e.offset > n + 64) {
            if (t->bad++ < 5)
                diag("%s at %zu: malformed rejection (section %u offset %llu)", what, where, e.section,
                     (unsigned long long)e.offset);
        }
        return;
    }
    t->accepted++;
    if (must_reject) {
        if (t->bad++ < 5)
            diag("%s at %zu: accepted but must be rejected", what, where);
        plan_free(p);
        return;
    }
    /* an accepted corruption is a valid plan: the writer must agree */
    uint8_t *b = NULL;
    size_t bn = 0;
    char err[256];
    struct plan *q = NULL;
    char why[256];
    if (plan_write(p, &b, &bn, err, sizeof err) != 0 || plan_read(b, bn, &q, &e) != 0 ||
        !plan_equal(p, q, why, sizeof why)) {
        if (t->bad++ < 5)
            diag("%s at %zu: accepted plan does not round-trip: %s", what, where, err);
    }
    plan_free(q);
    free(b);
    plan_free(p);
}

static void corpus(const char *name, const uint8_t *orig, size_t n, unsigned rounds)
{
    uint8_t *w = malloc(n);
    struct tally trunc = {0}, trunc_fixed = {0}, flip = {0}, flip_rehash = {0}, multi = {0}, multi_rehash = {0};

    /* every truncation length, as is and with body_length and hash fixed up */
    for (size_t len = 0; len < n; len++) {
        memcpy(w, orig, len);
        judge(w, len, &trunc, true, "truncation", len);
        if (len >= 64) {
            struct pbuf b = { w, len };
            pb_w64(&b, 24, len - 64);
            pb_rehash(&b);
            judge(w, len, &trunc_fixed, true, "truncation with fixed header", len);
        }
    }
    /* every single-byte flip */
    for (size_t i = 0; i < n; i++) {
        uint8_t xs[4] = { 0x01, 0x80, 0xff, (uint8_t)(1 + rnd() % 255) };
        for (int k = 0; k < 4; k++) {
            memcpy(w, orig, n);
            w[i] ^= xs[k];
            judge(w, n, &flip, true, "flip", i);
            if (i >= 64) {
                struct pbuf b = { w, n };
                pb_rehash(&b);
                judge(w, n, &flip_rehash, false, "flip with rehash", i);
            }
        }
    }
    /* random multi-byte corruptions */
    for (unsigned r = 0; r < rounds; r++) {
        memcpy(w, orig, n);
        unsigned k = 2 + (unsigned)(rnd() % 7);
        for (unsigned j = 0; j < k; j++) {
            size_t at = 64 + rnd() % (n - 64);
            if (rnd() % 3 == 0 && at % 4 == 0 && at + 4 <= n) {   /* a plausible number over a u32 */
                uint32_t v = (uint32_t)(rnd() % 4 == 0 ? rnd() : rnd() % 64);
                memcpy(w + at, &v, 4);
            } else {
                w[at] = (uint8_t)rnd();
            }
        }
        if (memcmp(w, orig, n) == 0)
            w[64 + rnd() % (n - 64)] ^= 0x10;
        judge(w, n, &multi, false, "multi-byte corruption", r);
        struct pbuf b = { w, n };
        pb_rehash(&b);
        judge(w, n, &multi_rehash, false, "multi-byte corruption with rehash", r);
    }
    free(w);

    ok(trunc.rejected == trunc.reads && !trunc.bad, "%s: all %lu truncations rejected", name, trunc.reads);
    ok(trunc_fixed.rejected == trunc_fixed.reads && !trunc_fixed.bad,
       "%s: all %lu truncations with a consistent header rejected", name, trunc_fixed.reads);
    ok(flip.rejected == flip.reads && !flip.bad, "%s: all %lu single-byte flips rejected", name, flip.reads);
    ok(!flip_rehash.bad, "%s: %lu flips with the hash recomputed: %lu rejected, %lu valid plans that round-trip",
       name, flip_rehash.reads, flip_rehash.rejected, flip_rehash.accepted);
    ok(flip_rehash.rejected * 10 > flip_rehash.reads * 6,
       "%s: the structural checks alone reject most flips (%lu of %lu)", name, flip_rehash.rejected, flip_rehash.reads);
    ok(!multi.bad && multi.accepted == 0, "%s: %lu multi-byte corruptions rejected", name, multi.reads);
    ok(!multi_rehash.bad, "%s: %lu multi-byte corruptions with rehash: %lu rejected, %lu valid", name,
       multi_rehash.reads, multi_rehash.rejected, multi_rehash.accepted);
}

/* Compile policies/examples/hello.cell with $CELLC into *out. */
static bool hello_plan(uint8_t **out, size_t *n, char *why, size_t whylen)
{
    const char *cellc = getenv("CELLC"), *top = getenv("CELLOS_TOP");
    char src[4096], dst[] = "/tmp/cellos-plan-corrupt.XXXXXX", cmd[8800];
    if (!cellc || !top || access(cellc, X_OK) != 0) {
        snprintf(why, whylen, "cellc is not built yet");
        return false;
    }
    snprintf(src, sizeof src, "%s/policies/examples/hello.cell", top);
    if (access(src, R_OK) != 0) {
        snprintf(why, whylen, "policies/examples/hello.cell does not exist yet");
        return false;
    }
    int fd = mkstemp(dst);
    if (fd < 0) {
        snprintf(why, whylen, "mkstemp failed");
        return false;
    }
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' -I '%s/policies' '%s' -o '%s' >/dev/null 2>&1", cellc, top, src, dst);
    int rc = system(cmd);
    struct plan *p = NULL;
    struct plan_error e;
    *out = NULL;
    if (rc == 0 && plan_read_file(dst, &p, &e) == 0) {
        FILE *f = fopen(dst, "rb");
        *out = malloc(CP_MAX_PLAN_SIZE);
        *n = f ? fread(*out, 1, CP_MAX_PLAN_SIZE, f) : 0;
        if (f)
            fclose(f);
        plan_free(p);
    } else {
        snprintf(why, whylen, "cellc could not compile hello.cell (exit %d)", rc);
    }
    unlink(dst);
    return *out != NULL;
}

int main(void)
{
    const char *env = getenv("CELLOS_CORRUPT_ROUNDS");
    unsigned rounds = env ? (unsigned)strtoul(env, NULL, 10) : 3000;
    if (getenv("CELLOS_SANITIZE") && strcmp(getenv("CELLOS_SANITIZE"), "1") == 0 && !env)
        rounds = 1000;

    struct plan rich = fixture_plan(), min = fixture_min_plan();
    struct pbuf a = pb_from_plan(&rich), b = pb_from_plan(&min);
    corpus("rich plan", a.d, a.n, rounds);
    corpus("minimal plan", b.d, b.n, rounds);
    free(a.d);
    free(b.d);

    uint8_t *h = NULL;
    size_t hn = 0;
    char why[128];
    if (hello_plan(&h, &hn, why, sizeof why)) {
        corpus("hello.plan", h, hn, rounds);
        free(h);
    } else {
        skip(7, why);
    }
    return done_testing();
}
