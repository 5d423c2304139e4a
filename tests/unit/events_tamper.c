/* events_tamper.c - the verifier against systematic tampering of the golden
 * signed stream: every byte of the first, a middle and the last line changed
 * (and a fixed-seed sample of bytes of every other line; all bytes of all
 * lines with CELLOS_EVENTS_EXHAUSTIVE=1), every line dropped, duplicated,
 * swapped with its successor, and the stream truncated after every line.
 * Each must fail on exactly the right line (or, for truncation at an event
 * boundary, verify as unsealed). */
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/events/verify.h"

static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 20;
    char *b = malloc(cap);
    ssize_t n = read(fd, b, cap);
    close(fd);
    *len = n > 0 ? (size_t)n : 0;
    return b;
}

static struct ev_verify_opts vo;

static int check(const char *buf, size_t len, size_t *bad_line, char *why, size_t whylen)
{
    struct ev_verify_result r;
    int rc = ev_verify_buffer(buf, len, &vo, &r);
    *bad_line = r.bad_line;
    snprintf(why, whylen, "%s", r.why);
    ev_verify_result_free(&r);
    return rc;
}

int main(void)
{
    const char *top = getenv("CELLOS_TOP");
    if (!top)
        skip_all("CELLOS_TOP is not set (run through make test)");
    char p[512];
    size_t len, tlen;
    snprintf(p, sizeof p, "%s/tests/data/events/signed.jsonl", top);
    char *s = slurp(p, &len);
    snprintf(p, sizeof p, "%s/tests/data/events/test1.trust.json", top);
    char *tt = slurp(p, &tlen);
    if (!s || !tt)
        skip_all("golden data missing");
    struct ev_trust *trust;
    struct cell_error e;
    if (ev_trust_parse(tt, tlen, "test1.trust.json", &trust, &e) < 0)
        skip_all("bad trust file");
    vo.trust = trust;

    /* Line starts. */
    size_t starts[64], n = 0;
    for (size_t i = 0; i < len && n < 63; i++)
        if (i == 0 || s[i - 1] == '\n')
            starts[n++] = i;
    starts[n] = len;
    size_t bl;
    char why[512];
    is_int(check(s, len, &bl, why, sizeof why), EV_VERIFY_OK, "the golden stream verifies (%zu lines)", n);

    bool exhaustive = getenv("CELLOS_EVENTS_EXHAUSTIVE") != NULL;
    char *t = malloc(len + 1);
    unsigned long rng = 12345;

    /* Changed bytes. */
    for (size_t line = 0; line < n; line++) {
        bool full = exhaustive || line == 0 || line == n / 2 || line == n - 1;
        size_t caught = 0, tried = 0, misplaced = 0;
        char first_bad[600] = "";
        for (size_t b = starts[line]; b < starts[line + 1]; b++) {
            if (!full) {
                rng = rng * 6364136223846793005ul + 1442695040888963407ul;
                if ((rng >> 33) % 40)
                    continue;
            }
            memcpy(t, s, len);
            t[b] ^= 1;
            tried++;
            int rc = check(t, len, &bl, why, sizeof why);
            if (rc == EV_VERIFY_BAD && bl == line + 1)
                caught++;
            else if (line == n - 1 && b == len - 1 && rc == EV_VERIFY_UNSEALED)
                caught++; /* the final newline changed: the seal's line is cut off, the run unsealed */
            else if (!first_bad[0]) {
                misplaced++;
                snprintf(first_bad, sizeof first_bad, "byte %zu: rc %d line %zu: %s", b - starts[line], rc,
                         bl, why);
            }
        }
        ok(caught == tried && tried > 0, "line %zu: %zu of %zu %s byte changes caught on that line%s%s",
           line + 1, caught, tried, full ? "(all)" : "(sampled)", first_bad[0] ? "; first miss: " : "",
           first_bad);
    }

    /* Dropped, duplicated, swapped lines; truncation. */
    size_t drop_ok = 0, dup_ok = 0, swap_ok = 0, cut_ok = 0;
    for (size_t line = 0; line < n; line++) {
        size_t a = starts[line], z = starts[line + 1];
        /* drop */
        memcpy(t, s, a);
        memcpy(t + a, s + z, len - z);
        int rc = check(t, len - (z - a), &bl, why, sizeof why);
        if (line == n - 1 ? rc == EV_VERIFY_UNSEALED
                          : (rc == EV_VERIFY_BAD && bl == line + 1 && strstr(why, "missing")))
            drop_ok++;
        else
            diag("drop line %zu: rc %d line %zu: %s", line + 1, rc, bl, why);
        /* duplicate */
        char *d = malloc(len + (z - a));
        memcpy(d, s, z);
        memcpy(d + z, s + a, len - a);
        rc = check(d, len + (z - a), &bl, why, sizeof why);
        if (rc == EV_VERIFY_BAD && bl == line + 2 && strstr(why, "duplicate"))
            dup_ok++;
        else
            diag("duplicate line %zu: rc %d line %zu: %s", line + 1, rc, bl, why);
        free(d);
        /* swap with the next */
        if (line + 1 < n) {
            size_t z2 = starts[line + 2];
            memcpy(t, s, a);
            memcpy(t + a, s + z, z2 - z);
            memcpy(t + a + (z2 - z), s + a, z - a);
            memcpy(t + z2, s + z2, len - z2);
            rc = check(t, len, &bl, why, sizeof why);
            if (rc == EV_VERIFY_BAD && bl == line + 1 && strstr(why, "out of order"))
                swap_ok++;
            else
                diag("swap lines %zu,%zu: rc %d line %zu: %s", line + 1, line + 2, rc, bl, why);
        }
        /* truncate after this line */
        rc = check(s, z, &bl, why, sizeof why);
        if (line == n - 1 ? rc == EV_VERIFY_OK : rc == EV_VERIFY_UNSEALED)
            cut_ok++;
        else
            diag("cut after line %zu: rc %d: %s", line + 1, rc, why);
    }
    is_int(drop_ok, n, "every dropped line is named as a missing event (the seal: unsealed)");
    is_int(dup_ok, n, "every duplicated line is named as a duplicate");
    is_int(swap_ok, n - 1, "every swap of neighbours is named as out of order");
    is_int(cut_ok, n, "a cut after every line is unsealed (exit 3), after the seal verified");

    /* A crash part way through a write: the stream cut at every byte inside
     * every line but the first is cut off (exit 3), never bad, never sealed;
     * inside the first line there is nothing to verify (exit 1). */
    size_t mid_ok = 0, mid_tried = 0;
    char mid_bad[700] = "";
    for (size_t at = 1; at < len; at++) {
        if (s[at - 1] == '\n')
            continue; /* a cut at a line boundary: above */
        int rc = check(s, at, &bl, why, sizeof why);
        bool first = at < starts[1];
        mid_tried++;
        if (first ? rc == EV_VERIFY_BAD && bl == 1 : rc == EV_VERIFY_UNSEALED)
            mid_ok++;
        else if (!mid_bad[0])
            snprintf(mid_bad, sizeof mid_bad, "cut at byte %zu: rc %d line %zu: %s", at, rc, bl, why);
    }
    ok(mid_ok == mid_tried && mid_tried > 0, "a cut inside a line at each of %zu bytes: cut off (exit 3)%s%s",
       mid_tried, mid_bad[0] ? "; first miss: " : "", mid_bad);
    free(t);
    free(s);
    free(tt);
    ev_trust_free(trust);
    return done_testing();
}
