/*
 * net_http.c - the plain-HTTP request stream check (runtime/net/net_http.c):
 * every request on a kept-alive or pipelined connection must name the
 * granted host, bodies are framed per RFC 9112 (Content-Length, chunked
 * with extensions and trailers) so a body never passes for a request and a
 * request never hides in a body, and bad framing is refused. Each case is
 * fed whole, split at every byte boundary, and one byte at a time, the way
 * the proxy feeds it (what a call does not take is offered again with what
 * arrives next); the bytes released must be the same prefix every time and
 * never reach into a refused request. Random bytes must never crash it
 * (ASan in make sanitize).
 */
#include "tap.h"

#include "runtime/net/net_int.h"

#include <stdint.h>
#include <stdlib.h>

#define NAME "svc.test"

struct result {
    bool refused;
    size_t released; /* bytes released, in order, from the start */
    uint64_t requests;
    char why[160];
};

/* Feed s[0, n) in pieces cut at the offsets in cuts (ascending, ncut of
 * them), as the proxy does: a pending buffer of what was not taken. */
static struct result feed(const uint8_t *s, size_t n, const size_t *cuts, size_t ncut)
{
    struct http_stream hs;
    http_stream_init(&hs, NAME);
    struct result r = { 0 };
    size_t have = 0; /* s[released, have) is pending */
    for (size_t k = 0; k <= ncut; k++) {
        size_t end = k < ncut ? cuts[k] : n;
        if (end < have)
            continue;
        have = end;
        /* a copy of exactly the pending bytes: ASan sees any read past them */
        size_t pl = have - r.released;
        uint8_t *p = malloc(pl ? pl : 1);
        memcpy(p, s + r.released, pl);
        long t = http_stream_scan(&hs, p, pl);
        free(p);
        if (t < 0) {
            r.refused = true;
            snprintf(r.why, sizeof r.why, "%s", hs.why);
            break;
        }
        if ((size_t)t > pl) {
            r.refused = true;
            snprintf(r.why, sizeof r.why, "took more than it was given");
            break;
        }
        r.released += (size_t)t;
    }
    r.requests = hs.requests;
    return r;
}

/* Whole, split at every boundary, byte by byte: same verdict; released
 * never more than whole's (and equal for an accepted stream). */
static void check(const char *what, const char *req, size_t n, bool refused, size_t released,
                  uint64_t requests)
{
    const uint8_t *s = (const uint8_t *)req;
    struct result w = feed(s, n, NULL, 0);
    /* a refused stream may release less than what passed before the refused
     * request (nothing more is sent on it), never more */
    bool good = w.refused == refused && (refused ? w.released <= released : w.released == released) &&
        (refused || w.requests == requests);
    if (!good)
        diag("%s: whole: refused %d released %zu requests %llu (%s); want %d %zu %llu", what, w.refused,
             w.released, (unsigned long long)w.requests, w.why, refused, released,
             (unsigned long long)requests);
    int bad_splits = 0;
    for (size_t c = 0; c <= n; c++) {
        struct result x = feed(s, n, &c, 1);
        if (x.refused != refused || x.released > released || (!refused && x.released != released)) {
            if (!bad_splits++)
                diag("%s: split at %zu: refused %d released %zu (%s)", what, c, x.refused, x.released, x.why);
        }
    }
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    for (size_t c = 0; c < n; c++)
        cuts[c] = c + 1;
    struct result b = feed(s, n, cuts, n);
    free(cuts);
    if (b.refused != refused || b.released > released || (!refused && b.released != released)) {
        bad_splits++;
        diag("%s: byte by byte: refused %d released %zu (%s)", what, b.refused, b.released, b.why);
    }
    ok(good && !bad_splits, "%s", what);
}

#define ACCEPT(what, req, nreq)     check(what, req, strlen(req), false, strlen(req), nreq)
#define REFUSE(what, req, okprefix) check(what, req, strlen(req), true, strlen(okprefix), 0)
#define GET(host)                   "GET / HTTP/1.1\r\nHost: " host "\r\n\r\n"

int main(void)
{
    /* ---- kept-alive and pipelined requests */
    ACCEPT("one GET", GET(NAME), 1);
    ACCEPT("two pipelined GETs for the granted name", GET(NAME) GET(NAME), 2);
    ACCEPT("Host with a port, upper case, absolute name", "GET / HTTP/1.1\r\nHost: SVC.test.:8080\r\n\r\n",
           1);
    REFUSE("a second request names another host", GET(NAME) GET("other.test"), GET(NAME));
    REFUSE("the third of three names another host", GET(NAME) GET(NAME) GET("other.test"),
           GET(NAME) GET(NAME));
    REFUSE("a later request without Host", GET(NAME) "GET / HTTP/1.1\r\nX: y\r\n\r\n", GET(NAME));
    REFUSE("a later request with two Host headers",
           GET(NAME) "GET / HTTP/1.1\r\nHost: " NAME "\r\nHost: other.test\r\n\r\n", GET(NAME));
    REFUSE("a later request: absolute form naming another host",
           GET(NAME) "GET http://other.test/ HTTP/1.1\r\nHost: " NAME "\r\n\r\n", GET(NAME));
    ACCEPT("absolute form naming the granted host",
           "GET http://svc.test/x HTTP/1.1\r\nHost: svc.test\r\n\r\n", 1);
    REFUSE("a later request: folded Host",
           GET(NAME) "GET / HTTP/1.1\r\nHost: " NAME "\r\n other.test\r\n\r\n", GET(NAME));
    REFUSE("\"Host :\" (space before the colon)", GET(NAME) "GET / HTTP/1.1\r\nHost : other.test\r\n\r\n",
           GET(NAME));
    REFUSE("a bare CR inside a header line",
           GET(NAME) "GET / HTTP/1.1\r\nX: a\rHost: other.test\r\nHost: " NAME "\r\n\r\n", GET(NAME));
    {
        static const char nul[] = GET(NAME) "GET / HTTP/1.1\r\nHost: " NAME "\r\nX: a\0b\r\n\r\n";
        check("a NUL in a header", nul, sizeof nul - 1, true, strlen(GET(NAME)), 0);
    }
    REFUSE("CONNECT, first", "CONNECT svc.test:443 HTTP/1.1\r\nHost: svc.test\r\n\r\n", "");
    REFUSE("CONNECT, later", GET(NAME) "CONNECT svc.test:443 HTTP/1.1\r\nHost: svc.test\r\n\r\n", GET(NAME));
    REFUSE("Upgrade (websocket)",
           GET(NAME) "GET / HTTP/1.1\r\nHost: " NAME "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
           GET(NAME));
    REFUSE("HTTP/2.0 in the request line", "GET / HTTP/2.0\r\nHost: svc.test\r\n\r\n", "");
    REFUSE("TLS after a request", GET(NAME) "\x16\x03\x01\x00\x05hello", GET(NAME));
    REFUSE("an empty line between requests", GET(NAME) "\r\n" GET(NAME), GET(NAME));
    REFUSE("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: svc.test\r\n\r\n", "");
    REFUSE("bare LF line ends in a head (a CRLF-only server joins the lines)",
           "GET / HTTP/1.1\nHost: svc.test\n\n" GET(NAME), "");
    REFUSE("a bare LF inside a later head",
           GET(NAME) "POST / HTTP/1.1\r\nHost: svc.test\r\nX: a\nContent-Length: 5\r\n\r\nhello", GET(NAME));
    REFUSE("Content_Length (an underscore)",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent_Length: 5\r\n\r\nhello", "");
    REFUSE("Transfer_Encoding (an underscore)",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 5\r\nTransfer_Encoding: chunked\r\n\r\n",
           "");
    REFUSE("Host: NAME:80@other (userinfo to a URL parser)",
           "GET / HTTP/1.1\r\nHost: svc.test:80@other.test\r\n\r\n", "");
    REFUSE("absolute form http://other\\@NAME/ (a WHATWG parser reads other)",
           "GET http://other.test\\@svc.test/ HTTP/1.1\r\nHost: svc.test\r\n\r\n", "");
    REFUSE("absolute form http://NAME@other/",
           "GET http://svc.test@other.test/ HTTP/1.1\r\nHost: svc.test\r\n\r\n", "");
    ACCEPT("HTTP/1.0", "GET / HTTP/1.0\r\nHost: svc.test\r\n\r\n", 1);

    /* ---- Content-Length */
    const char *post = "POST /u HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 49\r\n\r\n"
                       "x=1\r\nGET / HTTP/1.1\r\nHost: other.test\r\n\r\nxxxxxxxx" GET(NAME);
    ACCEPT("a body of Content-Length bytes is not a request (even one naming another host)", post, 2);
#define POSTH(cl) "POST /u HTTP/1.1\r\nHost: svc.test\r\nContent-Length: " cl "\r\n\r\n"
    /* a body a server that does not read it (0.CL, an early answer) reads
     * as the next request: refused before its first line's LF */
    REFUSE("a body that is a request (a server ignoring the body reads it)",
           POSTH("37") "GET / HTTP/1.1\r\nHost: other.test\r\n\r\n", POSTH("37") "GET / HTTP/1.1");
    REFUSE("a body that is a request after blank lines and spaces",
           POSTH("43") "\r\n\r\n \t\x0bGET / HTTP/1.1\r\nHost: other.test\r\n\r\n",
           POSTH("43") "\r\n\r\n \t\x0bGET / HTTP/1.1");
    REFUSE("a body whose first line is an HTTP/0.9 GET", POSTH("26") "GET http://other.test/x\r\n\r\n",
           POSTH("26") "GET http://other.test/x");
    REFUSE("a body whose first line has HTTP/ after an odd method",
           POSTH("37") "ADD / HTTP/1.1\r\nHost: other.test\r\n\r\n", POSTH("37") "ADD / HTTP/1.1");
    {
        static const char nulbody[] = POSTH("39") "\0\xa0GET / HTTP/1.1\r\nHost: other.test\r\n\r\n";
        check("a body whose first line is a request, after a NUL and 0xa0", nulbody, sizeof nulbody - 1, true,
              strlen(POSTH("39")) + 2 + 14, 0);
    }
    ACCEPT("a body whose first line only starts like a method word",
           POSTH("13") "GETTING x\r\n\r\n" GET(NAME), 2);
    ACCEPT("a body with HTTP/ on its second line", POSTH("22") "a\r\nHTTP/1.1 200 OK\r\n\r\n" GET(NAME), 2);
    REFUSE("a chunked body whose chunk-size line reads as a request line",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n"
           "ADD / HTTP/1.1\r\n",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\nADD ");
    REFUSE("a chunked body: \"5 ;x HTTP/1.1\"",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x "
           "HTTP/1.1\r\nhello\r\n0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x HTTP");
    {
        /* the check ends with the first line: a later line may be anything */
        struct http_stream hs;
        http_stream_init(&hs, NAME);
        const char *p1 = POSTH("100") "ab";
        long t1 = http_stream_scan(&hs, (const uint8_t *)p1, strlen(p1));
        ok(t1 == (long)strlen(p1) && http_stream_in_body(&hs) && hs.body_end == strlen(p1),
           "a part-read body: in_body, body_end at its last byte");
    }
    ACCEPT("Content-Length: 0, then a request",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-length:0\r\n\r\n" GET(NAME), 2);
    REFUSE("a request after a short body names another host",
           "PUT / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 3\r\n\r\nabc" GET("other.test"),
           "PUT / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 3\r\n\r\nabc");
    REFUSE("two Content-Length headers",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "");
    REFUSE("Content-Length: 3, 3", "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 3, 3\r\n\r\nabc",
           "");
    REFUSE("Content-Length: -1", "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: -1\r\n\r\n", "");
    REFUSE("Content-Length: +3", "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: +3\r\n\r\nabc", "");
    REFUSE("Content-Length: 010 (octal to some parsers)",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 010\r\n\r\n0123456789", "");
    REFUSE("Content-Length: 0x10", "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 0x10\r\n\r\n", "");
    REFUSE("Content-Length: empty", "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: \r\n\r\n", "");
    REFUSE("Content-Length of 19 digits (overflow)",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 18446744073709551617\r\n\r\n", "");
    REFUSE("\"Content-Length :\"", "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length : 3\r\n\r\nabc", "");
    REFUSE("Content-Length and Transfer-Encoding",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 3\r\nTransfer-Encoding: "
           "chunked\r\n\r\n0\r\n\r\n",
           "");
    ACCEPT("a Content-Length of 18 digits is framed (the body continues)",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 999999999999999999\r\n\r\nabc\r\nGET / "
           "HTTP/1.1\r\nHost: other\r\n\r\n",
           1);

    REFUSE("a GET with a body (a server may read it as the next request)",
           GET(NAME) "GET / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 37\r\n\r\nGET / HTTP/1.1\r\nHost: "
                     "other.test\r\n\r\n",
           GET(NAME));
    REFUSE("a HEAD with a chunked body",
           "HEAD / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "");
    ACCEPT("a GET with Content-Length: 0",
           "GET / HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 0\r\n\r\n" GET(NAME), 2);
    ACCEPT("a DELETE with a body",
           "DELETE /x HTTP/1.1\r\nHost: svc.test\r\nContent-Length: 2\r\n\r\n{}" GET(NAME), 2);

    /* ---- chunked */
    const char *ch = "POST /c HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5;name=val;q=\"x y\"\r\nhello\r\n"
                     "1D\r\nGET / HTTP/1.1\r\nHost: other\r\n\r\n"
                     "0\r\n\r\n" GET(NAME);
    ACCEPT("chunked with extensions, then a request", ch, 2);
    REFUSE("chunked with a trailer section (a server stopping at the last chunk reads it as a request)",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
    ACCEPT("chunked: upper-case hex, leading zeros, Transfer-Encoding: CHUNKED",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding:  CHUNKED "
           "\r\n\r\n000A\r\n0123456789\r\n0\r\n\r\n" GET(NAME),
           2);
    ACCEPT("chunked: a size line with whitespace before its extension",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n1 ;a\r\nx\r\n0\r\n\r\n",
           1);
    ACCEPT("chunked: the largest chunk size (0x7fffffff) is framed",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\nGET / "
           "HTTP/1.1\r\nHost: other\r\n\r\n",
           1);
    const char *chbad = "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", chbad, "80000000\r\n");
    struct result r = feed((const uint8_t *)buf, strlen(buf), NULL, 0);
    ok(r.refused && strstr(r.why, "too large"), "chunk size 0x80000000: refused (%s)", r.why);
    snprintf(buf, sizeof buf, "%s%s", chbad, "ffffffffffffffffffffffffffffffff01\r\n");
    r = feed((const uint8_t *)buf, strlen(buf), NULL, 0);
    ok(r.refused && strstr(r.why, "too large"), "a 64-bit overflowing chunk size: refused (%s)", r.why);
    snprintf(buf, sizeof buf, "%s%s", chbad, "0000000000000000000000000000000000000001\r\nx\r\n0\r\n\r\n");
    r = feed((const uint8_t *)buf, strlen(buf), NULL, 0);
    ok(!r.refused && r.released == strlen(buf), "many leading zeros are not an overflow");
    /* refused wherever the bytes are cut (body bytes before the error may have
     * been released: the server gets a request cut short, then a reset) */
    static const struct {
        const char *body, *what;
        size_t len; /* 0: strlen */
    } bad[] = {
        { "5\nhello\r\n0\r\n\r\n", "a bare LF after the chunk size", 0 },
        { "\r\nhello\r\n", "a chunk size with no digit", 0 },
        { "g\r\n", "a chunk size that is not hex", 0 },
        { "-5\r\n", "a negative chunk size", 0 },
        { "5x\r\nhello\r\n", "junk after the chunk size", 0 },
        { "5 x\r\nhello\r\n", "junk after the chunk size and a space", 0 },
        { "0x5\r\nhello\r\n", "a chunk size with 0x", 0 },
        { " 5\r\nhello\r\n", "a space before the chunk size", 0 },
        { "5;a\rb\r\nhello\r\n", "a bare CR in a chunk extension", 0 },
        { "5;a=\"x\r\nhello\r\n", "an open quote in a chunk extension at CR", 0 },
        { "5;a=\"x\\\"\r\nhello\r\n", "a backslash in a quoted chunk extension", 0 },
        { "5;a\0b\r\nhello\r\n", "a NUL in a chunk extension", 13 },
        { "5\r\nhelloXX0\r\n\r\n", "chunk data not followed by CRLF", 0 },
        { "5\r\nhello\n0\r\n\r\n", "chunk data followed by a bare LF", 0 },
        { "0\r\nX: 1\n\r\n", "a trailer line ended by a bare LF", 0 },
        { "0\r\n folded\r\n\r\n", "a trailer line starting with a space", 0 },
        { "0\r\n\n", "the last line ended by a bare LF", 0 },
        { "0\r\nGET http://other.test/ HTTP/1.1\r\n\r\n", "a trailer line that is a request line", 0 },
        { "0\r\nX-T\r\n\r\n", "a trailer line without a colon", 0 },
        { "0\r\n: v\r\n\r\n", "a trailer line with an empty name", 0 },
        { "0\r\nX T: v\r\n\r\n", "a trailer name with a space", 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t bl = bad[i].len ? bad[i].len : strlen(bad[i].body);
        memcpy(buf, chbad, strlen(chbad));
        memcpy(buf + strlen(chbad), bad[i].body, bl);
        size_t n = strlen(chbad) + bl;
        struct result w = feed((const uint8_t *)buf, n, NULL, 0);
        int splits_ok = 1;
        for (size_t c = 0; c <= n; c++) {
            struct result x = feed((const uint8_t *)buf, n, &c, 1);
            if (!x.refused)
                splits_ok = 0;
        }
        ok(w.refused && splits_ok, "chunked: %s: refused (%s)", bad[i].what, w.why);
    }
    REFUSE("Transfer-Encoding: gzip, chunked",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "");
    REFUSE("two Transfer-Encoding headers",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
           "chunked\r\n\r\n",
           "");
    REFUSE("Transfer-Encoding on HTTP/1.0",
           "POST / HTTP/1.0\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "");
    REFUSE("after a chunked body, a request for another host",
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" GET(
               "other.test"),
           "POST / HTTP/1.1\r\nHost: svc.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");

    /* ---- bounds */
    {
        size_t big = HTTP_HEAD_MAX + 100;
        char *h = malloc(big + 64);
        int o = snprintf(h, big + 64, "GET / HTTP/1.1\r\nHost: svc.test\r\nX: ");
        memset(h + o, 'a', big - (size_t)o);
        memcpy(h + big, "\r\n\r\n", 5);
        struct result x = feed((const uint8_t *)h, big + 4, NULL, 0);
        ok(x.refused && x.released == 0 && strstr(x.why, "longer"),
           "a head longer than HTTP_HEAD_MAX: refused (%s)", x.why);
        /* fed in 1000-byte pieces: refused as soon as the limit is passed */
        size_t cuts[40], nc = 0;
        for (size_t c = 1000; c < big && nc < 40; c += 1000)
            cuts[nc++] = c;
        x = feed((const uint8_t *)h, big + 4, cuts, nc);
        ok(x.refused && x.released == 0, "the same in pieces: refused, nothing released");
        /* one that just fits */
        size_t fit = HTTP_HEAD_MAX - 4;
        memset(h + o, 'a', fit - (size_t)o);
        memcpy(h + fit, "\r\n\r\n", 5);
        x = feed((const uint8_t *)h, fit + 4, NULL, 0);
        ok(!x.refused && x.released == fit + 4, "a head of exactly HTTP_HEAD_MAX bytes passes");
        free(h);
    }
    {
        /* a long chunk-size line (extensions) */
        char *h = malloc(HTTP_CHUNK_LINE_MAX + 200);
        int o = snprintf(h, HTTP_CHUNK_LINE_MAX + 200, "%s1;", chbad);
        memset(h + o, 'e', HTTP_CHUNK_LINE_MAX);
        struct result x = feed((const uint8_t *)h, (size_t)o + HTTP_CHUNK_LINE_MAX, NULL, 0);
        ok(x.refused && strstr(x.why, "too long"), "a chunk-size line over its bound: refused (%s)", x.why);
        free(h);
    }
    {
        /* an incomplete head: nothing released, nothing refused, it waits */
        const char *inc = GET(NAME) "GET / HTTP/1.1\r\nHost: other.test\r\n";
        struct result x = feed((const uint8_t *)inc, strlen(inc), NULL, 0);
        ok(!x.refused && x.released == strlen(GET(NAME)), "an incomplete second head waits (first released)");
        x = feed((const uint8_t *)"GE", 2, NULL, 0);
        ok(!x.refused && x.released == 0, "two bytes of a method wait");
        x = feed((const uint8_t *)"XYZ ", 4, NULL, 0);
        ok(x.refused, "bytes that cannot start a request: refused at once");
    }
    {
        /* a refused stream stays refused */
        struct http_stream hs;
        http_stream_init(&hs, NAME);
        const char *two = GET("other.test");
        ok(http_stream_scan(&hs, (const uint8_t *)two, strlen(two)) == -1,
           "the first request for another host");
        ok(http_stream_scan(&hs, (const uint8_t *)GET(NAME), strlen(GET(NAME))) == -1, "stays refused");
        ok(strstr(hs.why, "names other.test") != NULL, "why: %s", hs.why);
        ok(http_stream_scan(&hs, (const uint8_t *)"", 0) == -1, "even with no bytes");
    }

    /* ---- interim answers (what may reach the cell while a body is part-sent) */
    {
        static const struct {
            const char *a;
            size_t want;
        } ia[] = {
            { "HTTP/1.1 100 Continue\r\n\r\n", 25 },
            { "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 25 },
            { "HTTP/1.0 102\r\n\r\n", 16 },
            { "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", 44 },
            { "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0 },
            { "HTTP/1.1 200 OK\r\n\r\n", 0 },
            { "HTTP/1.1 417 Expectation Failed\r\n\r\n", 0 },
            { "HTTP/1.1 100 Contin", 0 },
            { "HTTP/2.0 100 Continue\r\n\r\n", 0 },
            { "HTTP/1.1 1000 x\r\n\r\n", 0 },
            { "HTTP/1.1 100 Continue\n\n", 0 },
        };
        int bad = 0;
        for (size_t i = 0; i < sizeof ia / sizeof *ia; i++) {
            size_t got = http_interim_len((const uint8_t *)ia[i].a, strlen(ia[i].a));
            if (got != ia[i].want) {
                bad++;
                diag("interim %zu: %zu, want %zu", i, got, ia[i].want);
            }
        }
        ok(!bad, "interim answers: 100, 102, 103 complete heads pass; 101, finals, partial ones do not");
    }

    /* ---- random bytes and random mutations of valid streams never crash,
     * never take more than given */
    srand(1);
    int over = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t rb[600];
        size_t n = (size_t)(rand() % (int)sizeof rb);
        if (round % 2) {
            size_t cl = strlen(ch);
            n = cl < sizeof rb ? cl : sizeof rb;
            memcpy(rb, ch, n);
            for (int m = 0; m < 3; m++)
                rb[rand() % (int)n] = (uint8_t)rand();
        } else {
            for (size_t i = 0; i < n; i++)
                rb[i] = (uint8_t)(rand() % 4 ? "GET /\r\nHost:svc.test0123456789abcdef;\t "[rand() % 40]
                                             : rand());
        }
        size_t cuts[8], nc = 0;
        for (size_t c = 0; c < 8 && n; c++)
            cuts[nc++] = (size_t)rand() % n;
        for (size_t a = 1; a < nc; a++)
            for (size_t b2 = a; b2 > 0 && cuts[b2 - 1] > cuts[b2]; b2--) {
                size_t t = cuts[b2];
                cuts[b2] = cuts[b2 - 1];
                cuts[b2 - 1] = t;
            }
        struct result x = feed(rb, n, cuts, nc);
        if (x.released > n || strstr(x.why, "more than"))
            over++;
    }
    ok(over == 0, "3000 random and mutated streams: no overrun");
    return done_testing();
}
