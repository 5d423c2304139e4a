/*
 * net_peek.c - the name a connection carries in its first bytes: the
 * server_name of a TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3) or the Host
 * header of an HTTP/1.x request. Pure functions over a buffer; every length
 * field is checked against what is there before it is followed. Anything a
 * server could read as a name other than the one returned names nothing
 * (returns 0): a byte that is not a host name's (NUL, space, '%'...), a
 * second server_name entry or extension, an encrypted_client_hello (its
 * inner ClientHello's name is hidden), a second Host header (also
 * "Host :"), a folded header line, a request-target in absolute or
 * authority form naming another host than Host, a Host or target whose
 * port is not digits or that has userinfo ("NAME:80@other"), a target
 * with a '\\' or a scheme other than http.
 */
#include "net_int.h"

#include <string.h>
#include <strings.h>

static size_t rd16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

static int copy_name(const uint8_t *s, size_t l, char *name, size_t cap)
{
    if (l == 0 || l >= cap)
        return 0;
    for (size_t i = 0; i < l; i++) {
        char c = (char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            return 0; /* "granted.example\0.other", "a b", "%2e": not a host name */
        name[i] = c;
    }
    name[l] = 0;
    if (l && name[l - 1] == '.')
        name[l - 1] = 0; /* an absolute name */
    return 1;
}

int peek_tls_sni(const uint8_t *b, size_t n, char *name, size_t cap)
{
    if (n < 1)
        return -1;
    if (b[0] != 0x16)
        return -2; /* not a handshake record */
    if (n < 5)
        return -1;
    size_t rlen = rd16(b + 3);
    if (b[1] != 3 || rlen < 4)
        return -2;
    if (n < 5 + rlen)
        return -1; /* the ClientHello must fit the first record (a split one names nothing) */
    const uint8_t *h = b + 5;
    size_t hn = rlen;
    if (h[0] != 1)
        return -2; /* not a ClientHello */
    size_t hl = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (hl + 4 > hn)
        return 0;
    const uint8_t *p = h + 4, *end = h + 4 + hl;
    /* version(2) random(32) */
    if (end - p < 34)
        return 0;
    p += 34;
    if (end - p < 1 || end - p < 1 + p[0])
        return 0;
    p += 1 + p[0]; /* session id */
    if (end - p < 2 || (size_t)(end - p) < 2 + rd16(p))
        return 0;
    p += 2 + rd16(p); /* cipher suites */
    if (end - p < 1 || end - p < 1 + p[0])
        return 0;
    p += 1 + p[0]; /* compression methods */
    if (end - p < 2)
        return 0;
    size_t el = rd16(p);
    p += 2;
    if ((size_t)(end - p) < el)
        return 0;
    end = p + el;
    int found = 0;
    while (end - p >= 4) {
        size_t type = rd16(p), len = rd16(p + 2);
        p += 4;
        if ((size_t)(end - p) < len)
            return 0;
        if (type == 0xfe0d || type == 0xffce)
            return 0;    /* encrypted_client_hello (and draft ESNI): the real name is hidden */
        if (type == 0) { /* server_name: list length, then (type, length, name) */
            if (found)
                return 0; /* a second server_name extension: ambiguous */
            const uint8_t *q = p, *qe = p + len;
            if (qe - q < 2)
                return 0;
            q += 2;
            while (qe - q >= 3) {
                size_t nl = rd16(q + 1);
                if ((size_t)(qe - q - 3) < nl)
                    return 0;
                if (q[0] == 0) {
                    if (found)
                        return 0; /* two host names: ambiguous */
                    if (!copy_name(q + 3, nl, name, cap))
                        return 0;
                    found = 1;
                }
                q += 3 + nl;
            }
            if (!found)
                return 0;
        }
        p += len;
    }
    return found;
}

/* A host name with an optional port (digits only) at s[0, l) into name:
 * 1, or 0. "h:80@other" (userinfo to a URL parser), "[::1]", "h:x" name
 * nothing. */
static int host_port(const uint8_t *s, size_t l, char *name, size_t cap)
{
    const uint8_t *colon = memchr(s, ':', l);
    if (colon)
        for (const uint8_t *p = colon + 1; p < s + l; p++)
            if (*p < '0' || *p > '9')
                return 0;
    return copy_name(s, colon ? (size_t)(colon - s) : l, name, cap);
}

/* The host of a request-target in absolute form ("http://h:1/x") or
 * authority form ("h:443", CONNECT) into name; 1, or 0 when it has none.
 * Strictly: the scheme http (or none: the authority form), no userinfo
 * ("http://NAME@other/" and "http://other\\@NAME/", which a WHATWG URL
 * parser reads as other), no '\\' anywhere in the target. */
static int target_host(const uint8_t *t, size_t tl, char *name, size_t cap)
{
    const uint8_t *e = t + tl, *s = t;
    if (memchr(t, '\\', tl))
        return 0;
    if (tl >= 7 && strncasecmp((const char *)t, "http://", 7) == 0)
        s = t + 7;
    const uint8_t *h = s;
    while (h < e && *h != '/' && *h != '?' && *h != '#')
        h++;
    return host_port(s, (size_t)(h - s), name, cap);
}

size_t http_head_len(const uint8_t *b, size_t n)
{
    /* the header block ends at the first empty line (CRLF or a bare LF) */
    for (const uint8_t *line = b; line < b + n;) {
        const uint8_t *eol = memchr(line, '\n', (size_t)(b + n - line));
        if (!eol)
            break;
        if (eol == line || (eol == line + 1 && line[0] == '\r'))
            return (size_t)(eol + 1 - b);
        line = eol + 1;
    }
    return 0;
}

int peek_http_host(const uint8_t *b, size_t n, char *name, size_t cap)
{
    static const char *const methods[] = { "GET ",     "HEAD ",  "POST ",  "PUT ",     "DELETE ",
                                           "OPTIONS ", "PATCH ", "TRACE ", "CONNECT ", NULL };
    bool ok = false, partial = false;
    for (const char *const *m = methods; *m; m++) {
        size_t ml = strlen(*m);
        size_t k = n < ml ? n : ml;
        if (memcmp(b, *m, k) == 0) {
            if (n < ml)
                partial = true;
            else
                ok = true;
        }
    }
    if (!ok)
        return partial ? -1 : -2;
    size_t hl = http_head_len(b, n);
    if (!hl)
        return -1;
    const uint8_t *endh = b + hl - (b[hl - 2] == '\r' ? 2 : 1); /* the empty line */
    int found = 0;
    const uint8_t *line = b, *target = NULL;
    size_t tlen = 0;
    while (line < endh) {
        const uint8_t *eol = memchr(line, '\n', (size_t)(endh - line));
        if (!eol)
            break;
        size_t ll = (size_t)(eol - line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (line == b) { /* the request line: METHOD SP target SP version */
            const uint8_t *sp = memchr(line, ' ', ll);
            if (sp) {
                target = sp + 1;
                const uint8_t *sp2 = memchr(target, ' ', (size_t)(line + ll - target));
                tlen = (size_t)((sp2 ? sp2 : line + ll) - target);
            }
        } else if (ll && (line[0] == ' ' || line[0] == '\t')) {
            return 0; /* a folded line (obsolete): a server may join it to Host */
        } else {
            size_t k = 0;
            while (k < ll && line[k] != ':' && line[k] != ' ' && line[k] != '\t')
                k++;
            size_t c = k;
            while (c < ll && (line[c] == ' ' || line[c] == '\t'))
                c++;
            if (k == 4 && c < ll && line[c] == ':' && strncasecmp((const char *)line, "host", 4) == 0) {
                if (found)
                    return 0; /* two Host headers: ambiguous, names nothing */
                const uint8_t *v = line + c + 1, *ve = line + ll;
                while (v < ve && (*v == ' ' || *v == '\t'))
                    v++;
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                if (!host_port(v, (size_t)(ve - v), name, cap))
                    return 0;
                found = 1;
            }
        }
        line = eol + 1;
    }
    /* absolute form ("GET http://other/") or authority form (CONNECT
     * other:443): a server routes by it, not by Host; it must be the same */
    if (found && target && tlen && target[0] != '/' && !(tlen == 1 && target[0] == '*')) {
        char th[DNS_MAX_NAME + 2];
        if (!target_host(target, tlen, th, sizeof th) || strcmp(th, name) != 0)
            return 0;
    }
    return found;
}
