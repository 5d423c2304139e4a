/*
 * net_http.c - the cell-to-server direction of a plain-HTTP connection
 * granted by name, read as the stream of HTTP/1.x requests a server will
 * read (RFC 9112), so that every request on a kept-alive or pipelined
 * connection is checked, not only the first.
 *
 * Each request's head (request line and header fields, at most
 * HTTP_HEAD_MAX bytes) is checked whole before a byte of it is released:
 * its Host by peek_http_host (net_peek.c: Host must be there once and be
 * the granted name, no folded line, an absolute-form target naming the
 * same host), and its framing strictly, so that this parser and any server
 * agree on where the next request starts or the server never sees it:
 * HTTP/1.0 or HTTP/1.1 only, header names are tokens followed at once by
 * ':', no control byte (a bare CR included) in a line, Content-Length is
 * one run of at most 18 digits without a leading zero, Transfer-Encoding only "chunked" (and not
 * on HTTP/1.0), never both, neither twice, and neither with a non-empty
 * body on GET, HEAD, OPTIONS or TRACE (a server that answers those without
 * reading a body it does not expect, as simple ones do, would read the
 * body as the next request). CONNECT and Upgrade are refused
 * (what follows them is not HTTP and could not be checked). A body is
 * released as it arrives: Content-Length bytes, or chunks (hex size of at
 * most HTTP_CHUNK_MAX, then optional spaces and ';' extensions of
 * printable bytes, CRLF, data, CRLF; the last chunk, then an empty line:
 * a trailer section is refused). A request with neither has no body.
 * The first line of every body must not read as a request line (body_line:
 * a server that answers without reading the body reads it as the next
 * request). Lines end in CRLF only; Host and an absolute-form target are
 * a host name and a port of digits (net_peek.c).
 *
 * Pure: a state in struct http_stream and the bytes offered; every read is
 * within [b, b + n).
 */
#include "net_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    HS_HEAD,
    HS_BODY,       /* Content-Length: left bytes */
    HS_CHUNK_SIZE, /* hex digits: left is the size so far */
    HS_CHUNK_BWS,  /* spaces after the digits: then ';' or CR */
    HS_CHUNK_EXT,  /* after ';', up to CR */
    HS_CHUNK_LF,   /* the LF ending a chunk-size line */
    HS_CHUNK_DATA, /* left bytes of chunk data */
    HS_DATA_CR,    /* the CRLF after chunk data */
    HS_DATA_LF,
    HS_TRAILER,    /* after the last chunk: the CR of the empty line */
    HS_TRAILER_LF, /* its LF */
    HS_REFUSED,
};

void http_stream_init(struct http_stream *s, const char *name)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->state = HS_HEAD;
}

static long refuse(struct http_stream *s, const char *why)
{
    s->state = HS_REFUSED;
    if (why != s->why)
        snprintf(s->why, sizeof s->why, "%s", why);
    return -1;
}

static bool tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A byte a field value, request target or extension may hold. */
static bool vchar(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hexval(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'f'  ? c - 'a' + 10
        : c >= 'A' && c <= 'F'  ? c - 'A' + 10
                                : -1;
}

enum {
    BL_OFF,
    BL_SKIP,
    BL_LINE
};

/* A byte a server splitting a request line on whitespace may skip or split
 * at (Python's str.split() on a latin-1 line: also 0x1c-0x1f, 0x85, 0xa0). */
static bool body_blank(uint8_t c)
{
    return c <= 0x20 || c == 0x7f || c == 0x85 || c == 0xa0;
}

static bool is_method(const char *w, size_t l)
{
    static const char *const methods[] = { "GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                           "OPTIONS", "PATCH", "TRACE", "CONNECT" };
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++)
        if (l == strlen(methods[m]) && memcmp(w, methods[m], l) == 0)
            return true;
    return false;
}

/* The first line of a body (its raw bytes: with a chunked body, the first
 * chunk-size line), after leading blank bytes and lines, must not read as
 * a request line: no "HTTP/" in it, and a first word that is no method. A
 * server that answers a request without reading its body (or takes it for
 * an empty one: a POST to a static file, an early answer to Expect, no
 * support for chunked) reads the body from its start as the next request;
 * then that request line is malformed, and the server answers 400 and
 * closes. Checked byte by byte before the call's bytes are released, so
 * the LF that would end such a line is never sent. */
static long body_line(struct http_stream *s, const uint8_t *b, size_t n)
{
    static const char http[] = "HTTP/";
    for (size_t i = 0; i < n && s->bl_state != BL_OFF; i++) {
        uint8_t c = b[i];
        if (s->bl_state == BL_SKIP) {
            if (body_blank(c)) {
                if (c != '\r' && c != '\n' && ++s->bl_count > HTTP_BODY_LINE_MAX)
                    s->bl_state = BL_OFF;
                continue;
            }
            s->bl_state = BL_LINE;
        }
        if (c == '\n' || ++s->bl_count > HTTP_BODY_LINE_MAX) {
            s->bl_state = BL_OFF;
            break;
        }
        if (s->bl_wlen <= sizeof s->bl_word) { /* the first word */
            if (body_blank(c)) {
                if (is_method(s->bl_word, s->bl_wlen))
                    return refuse(s, "a request body whose first line reads as a request line (a method)");
                s->bl_wlen = sizeof s->bl_word + 1;
            } else if (s->bl_wlen < sizeof s->bl_word) {
                s->bl_word[s->bl_wlen++] = (char)c;
            } else {
                s->bl_wlen = sizeof s->bl_word + 1;
            }
        }
        s->bl_match = c == (uint8_t)http[s->bl_match] ? (uint8_t)(s->bl_match + 1) : c == 'H' ? 1 : 0;
        if (s->bl_match == 5)
            return refuse(s, "a request body whose first line reads as a request line (\"HTTP/\")");
    }
    return 0;
}

/* Does a header name (k bytes at line) spell want, with '_' for some '-'? 1
 * exactly, 2 with an underscore (a server or gateway may map one to the
 * other), else 0. */
static int name_is(const uint8_t *line, size_t k, const char *want)
{
    if (k != strlen(want))
        return 0;
    int r = 1;
    for (size_t i = 0; i < k; i++) {
        uint8_t c = line[i];
        if (c == '_' && want[i] == '-')
            r = 2;
        else if ((c | 0x20) != (uint8_t)want[i] && c != (uint8_t)want[i])
            return 0;
    }
    return r;
}

/* The framing of one complete head b[0, n) (its lines end in LF, the last
 * one empty): 0 with s->state and s->left set for its body, or -1. */
static long head_framing(struct http_stream *s, const uint8_t *b, size_t n)
{
    bool have_cl = false, have_te = false, http10 = false, bodiless = false;
    uint64_t cl = 0;
    size_t lineno = 0;
    for (const uint8_t *line = b; line < b + n; lineno++) {
        const uint8_t *eol = memchr(line, '\n', (size_t)(b + n - line));
        if (!eol)
            return refuse(s, "malformed HTTP request head");
        size_t ll = (size_t)(eol - line);
        if (!ll || line[ll - 1] != '\r') /* a server that ends lines only at CRLF joins it to the next */
            return refuse(s, "a bare LF in an HTTP request head (lines end in CRLF)");
        ll--;
        for (size_t i = 0; i < ll; i++)
            if (!vchar(line[i]))
                return refuse(s, "a control byte in an HTTP request head (bare CR, NUL...)");
        if (ll == 0) /* the empty line that ends the head */
            break;
        if (lineno == 0) { /* METHOD SP target SP HTTP/1.x */
            const uint8_t *sp1 = memchr(line, ' ', ll);
            const uint8_t *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line + ll - sp1 - 1)) : NULL;
            if (!sp1 || !sp2 || sp2 == sp1 + 1 || line + ll - sp2 - 1 != 8 || memchr(line, '\t', ll))
                return refuse(s, "malformed HTTP request line");
            for (const uint8_t *m = line; m < sp1; m++)
                if (!tchar(*m))
                    return refuse(s, "malformed HTTP request line");
            if (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0)
                return refuse(s, "not an HTTP/1.0 or HTTP/1.1 request");
            http10 = sp2[8] == '0';
            if (sp1 - line == 7 && memcmp(line, "CONNECT", 7) == 0)
                return refuse(s, "CONNECT (a tunnel) on a checked HTTP connection");
            static const char *const nobody[] = { "GET", "HEAD", "OPTIONS", "TRACE" };
            for (size_t m = 0; m < sizeof nobody / sizeof *nobody; m++)
                if ((size_t)(sp1 - line) == strlen(nobody[m]) &&
                    memcmp(line, nobody[m], strlen(nobody[m])) == 0)
                    bodiless = true;
        } else {
            size_t k = 0;
            while (k < ll && tchar(line[k]))
                k++;
            if (k == 0 || k == ll || line[k] != ':')
                return refuse(s, "malformed HTTP header line (a name that is not a token, or no colon)");
            const uint8_t *v = line + k + 1, *ve = line + ll;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t vl = (size_t)(ve - v);
            int cln = name_is(line, k, "content-length"), ten = name_is(line, k, "transfer-encoding");
            if (cln == 2 || ten == 2)
                return refuse(s,
                              "Content_Length or Transfer_Encoding (an underscore a server may read as '-')");
            if (cln) {
                if (have_cl)
                    return refuse(s, "two Content-Length headers");
                if (vl == 0 || vl > 18 || (vl > 1 && v[0] == '0')) /* "010": octal to strtol(, 0) */
                    return refuse(s, "an invalid Content-Length");
                cl = 0;
                for (size_t i = 0; i < vl; i++) {
                    if (v[i] < '0' || v[i] > '9')
                        return refuse(s, "an invalid Content-Length");
                    cl = cl * 10 + (uint64_t)(v[i] - '0');
                }
                have_cl = true;
            } else if (ten) {
                if (have_te)
                    return refuse(s, "two Transfer-Encoding headers");
                if (vl != 7 || strncasecmp((const char *)v, "chunked", 7) != 0)
                    return refuse(s, "a Transfer-Encoding other than chunked");
                have_te = true;
            } else if (k == 7 && strncasecmp((const char *)line, "upgrade", 7) == 0) {
                return refuse(s, "Upgrade on a checked plain-HTTP connection (use TLS or any-name)");
            }
        }
        line = eol + 1;
    }
    if (have_te && have_cl)
        return refuse(s, "both Content-Length and Transfer-Encoding");
    if (bodiless && (have_te || cl))
        return refuse(s, "a body on a GET, HEAD, OPTIONS or TRACE request (a server may not read it)");
    if (have_te && http10)
        return refuse(s, "Transfer-Encoding on an HTTP/1.0 request");
    if (have_te || (have_cl && cl)) { /* a body: its first line is checked */
        s->bl_state = BL_SKIP;
        s->bl_match = 0;
        s->bl_wlen = 0;
        s->bl_count = 0;
    }
    if (have_te) {
        s->state = HS_CHUNK_SIZE;
        s->left = 0;
        s->line = 0;
        s->digits = false;
        s->quoted = false;
    } else if (have_cl && cl) {
        s->state = HS_BODY;
        s->left = cl;
    } else {
        s->state = HS_HEAD;
    }
    return 0;
}

/* One complete head at b[0, hl): its name and framing. */
static long check_head(struct http_stream *s, const uint8_t *b, size_t hl)
{
    char said[DNS_MAX_NAME + 2] = "";
    int r = peek_http_host(b, hl, said, sizeof said);
    if (r != 1)
        return refuse(s, r == 0 ? "HTTP without a Host header" : "not an HTTP request");
    if (strcasecmp(said, s->name) != 0) {
        snprintf(s->why, sizeof s->why, "the connection names %.64s, not the granted name", said);
        return refuse(s, s->why);
    }
    s->requests++;
    return head_framing(s, b, hl);
}

/* The length of a complete interim (1xx but 101) response head at b[0, n),
 * else 0. */
size_t http_interim_len(const uint8_t *b, size_t n)
{
    if (n < 13 || memcmp(b, "HTTP/1.", 7) != 0 || (b[7] != '0' && b[7] != '1') || b[8] != ' ' ||
        b[9] != '1' || b[10] < '0' || b[10] > '9' || b[11] < '0' || b[11] > '9' ||
        (b[12] != ' ' && b[12] != '\r') || (b[10] == '0' && b[11] == '1'))
        return 0;
    const uint8_t *e = memmem(b, n, "\r\n\r\n", 4);
    return e ? (size_t)(e + 4 - b) : 0;
}

bool http_stream_in_body(const struct http_stream *s)
{
    return s->state != HS_HEAD && s->state != HS_REFUSED;
}

long http_stream_scan(struct http_stream *s, const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = b[i];
        size_t from = i;
        bool body = s->state != HS_HEAD && s->state != HS_REFUSED; /* this step takes body bytes */
        switch (s->state) {
        case HS_REFUSED: return -1;
        case HS_HEAD: {
            size_t avail = n - i, lim = avail < HTTP_HEAD_MAX ? avail : HTTP_HEAD_MAX;
            size_t hl = http_head_len(b + i, lim);
            if (!hl) {
                /* not an HTTP method at all: refuse now, not after 16 KiB */
                char said[DNS_MAX_NAME + 2];
                if (peek_http_host(b + i, lim, said, sizeof said) == -2)
                    return refuse(s, "not an HTTP request");
                if (avail >= HTTP_HEAD_MAX)
                    return refuse(s, "HTTP request headers longer than the proxy reads (16389 bytes)");
                return (long)i; /* wait for the rest of the head */
            }
            if (check_head(s, b + i, hl) < 0)
                return -1;
            i += hl;
            break;
        }
        case HS_BODY:
        case HS_CHUNK_DATA: {
            uint64_t take = n - i < s->left ? n - i : s->left;
            i += (size_t)take;
            s->left -= take;
            if (s->left == 0)
                s->state = s->state == HS_BODY ? HS_HEAD : HS_DATA_CR;
            break;
        }
        case HS_CHUNK_SIZE: {
            int h = hexval(c);
            if (h >= 0) {
                if (s->left > (HTTP_CHUNK_MAX >> 4))
                    return refuse(s, "a chunk size too large");
                s->left = s->left << 4 | (uint64_t)h; /* at most HTTP_CHUNK_MAX */
                s->digits = true;
            } else if (s->digits && c == ';') {
                s->state = HS_CHUNK_EXT;
            } else if (s->digits && (c == ' ' || c == '\t')) {
                s->state = HS_CHUNK_BWS;
            } else if (s->digits && c == '\r') {
                s->state = HS_CHUNK_LF;
            } else {
                return refuse(s, "a malformed chunk size");
            }
            if (++s->line > HTTP_CHUNK_LINE_MAX)
                return refuse(s, "a chunk-size line too long");
            i++;
            break;
        }
        case HS_CHUNK_BWS: /* chunk-size BWS ";" ext (RFC 9112 7.1.1): "5 junk" is refused */
            if (c == ';')
                s->state = HS_CHUNK_EXT;
            else if (c == '\r')
                s->state = HS_CHUNK_LF;
            else if (c != ' ' && c != '\t')
                return refuse(s, "a malformed chunk extension");
            if (++s->line > HTTP_CHUNK_LINE_MAX)
                return refuse(s, "a chunk-size line too long");
            i++;
            break;
        case HS_CHUNK_EXT:
            /* a quoted string must close on its line, without '\\': a
             * server that honours quotes reads on past a CRLF inside one */
            if (c == '\r' && !s->quoted)
                s->state = HS_CHUNK_LF;
            else if (!vchar(c) || (s->quoted && c == '\\'))
                return refuse(s, "a control byte or an open quote in a chunk extension");
            else if (c == '"')
                s->quoted = !s->quoted;
            if (++s->line > HTTP_CHUNK_LINE_MAX)
                return refuse(s, "a chunk-size line too long");
            i++;
            break;
        case HS_CHUNK_LF:
            if (c != '\n')
                return refuse(s, "a chunk-size line not ended by CRLF");
            i++;
            s->line = 0;
            if (s->left) {
                s->state = HS_CHUNK_DATA;
            } else {
                s->state = HS_TRAILER; /* the last chunk: then an empty line */
            }
            break;
        case HS_DATA_CR:
        case HS_DATA_LF:
            if (c != (s->state == HS_DATA_CR ? '\r' : '\n'))
                return refuse(s, "chunk data not followed by CRLF");
            i++;
            if (s->state == HS_DATA_CR) {
                s->state = HS_DATA_LF;
            } else {
                s->state = HS_CHUNK_SIZE;
                s->left = 0;
                s->line = 0;
                s->digits = false;
                s->quoted = false;
            }
            break;
        case HS_TRAILER: /* no trailer section: a server that stops at the last
                          * chunk would read its lines as requests */
            if (c != '\r')
                return refuse(s, "a trailer section in a request (use TLS or any-name)");
            s->state = HS_TRAILER_LF;
            i++;
            break;
        case HS_TRAILER_LF:
            if (c != '\n')
                return refuse(s, "the last chunk not ended by CRLF CRLF");
            i++;
            s->state = HS_HEAD; /* the empty line: the request is complete */
            break;
        default: return refuse(s, "internal: bad HTTP stream state");
        }
        if (body) { /* b[from, i) */
            s->body_end = s->pos + i;
            if (s->bl_state != BL_OFF && body_line(s, b + from, i - from) < 0)
                return -1;
        }
    }
    if (s->state == HS_REFUSED)
        return -1;
    s->pos += i;
    return (long)i;
}
