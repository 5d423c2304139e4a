/*
 * net_dns.c - the DNS wire format, as much as the answerer and the upstream
 * resolver need: one question in, one address record out; A/AAAA records
 * out of an upstream answer. Every read is bounds-checked; compression
 * pointers are followed at most 32 times.
 */
#include "net_int.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Skip a (possibly compressed) name at *off; -1 when malformed. */
static int skip_name(const uint8_t *m, size_t n, size_t *off)
{
    size_t o = *off;
    for (int hops = 0; hops < 128; hops++) {
        if (o >= n)
            return -1;
        uint8_t l = m[o];
        if (l == 0) {
            *off = o + 1;
            return 0;
        }
        if ((l & 0xc0) == 0xc0) {
            if (o + 2 > n)
                return -1;
            *off = o + 2;
            return 0;
        }
        if (l & 0xc0)
            return -1;
        o += 1u + l;
    }
    return -1;
}

int dns_parse_query(const uint8_t *m, size_t n, struct dns_query *q)
{
    memset(q, 0, sizeof *q);
    if (n < 12)
        return -1;
    q->id = rd16(m);
    q->flags = rd16(m + 2);
    if ((q->flags & 0x8000) || ((q->flags >> 11) & 0xf) != 0) /* a response, or not QUERY */
        return -1;
    if (rd16(m + 4) != 1 || rd16(m + 6) != 0 || rd16(m + 8) != 0)
        return -1;
    size_t o = 12, len = 0;
    for (;;) {
        if (o >= n)
            return -1;
        uint8_t l = m[o++];
        if (l == 0)
            break;
        if (l > 63 || o + l > n || len + l + 1 > DNS_MAX_NAME + 1)
            return -1;
        if (len)
            q->name[len++] = '.';
        for (uint8_t i = 0; i < l; i++) {
            char c = (char)m[o + i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c == 0 || c == '.')
                return -1; /* never let a label forge a dotted name */
            q->name[len++] = c;
        }
        o += l;
    }
    q->name[len] = 0;
    if (o + 4 > n)
        return -1;
    q->qtype = rd16(m + o);
    q->qclass = rd16(m + o + 2);
    q->qend = o + 4;
    return 0;
}

size_t dns_build_answer(const struct dns_query *q, const uint8_t *m, unsigned rcode, const uint8_t *addr,
                        size_t alen, uint32_t ttl, uint8_t *out, size_t cap)
{
    size_t qlen = q->qend - 12;
    size_t need = 12 + qlen + (addr ? 12 + alen : 0);
    if (need > cap || q->qend < 12)
        return 0;
    wr16(out, q->id);
    /* QR, opcode 0, AA, RD copied, RA, rcode */
    uint16_t fl = (uint16_t)(0x8000 | 0x0400 | (q->flags & 0x0100) | 0x0080 | (rcode & 0xf));
    wr16(out + 2, fl);
    wr16(out + 4, 1);
    wr16(out + 6, addr ? 1 : 0);
    wr16(out + 8, 0);
    wr16(out + 10, 0);
    memcpy(out + 12, m + 12, qlen);
    size_t o = 12 + qlen;
    if (addr) {
        wr16(out + o, 0xc00c);
        wr16(out + o + 2, q->qtype);
        wr16(out + o + 4, 1);
        out[o + 6] = (uint8_t)(ttl >> 24);
        out[o + 7] = (uint8_t)(ttl >> 16);
        out[o + 8] = (uint8_t)(ttl >> 8);
        out[o + 9] = (uint8_t)ttl;
        wr16(out + o + 10, (uint16_t)alen);
        memcpy(out + o + 12, addr, alen);
        o += 12 + alen;
    }
    return o;
}

size_t dns_build_query(uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t cap)
{
    size_t nl = strlen(name);
    if (nl == 0 || nl > DNS_MAX_NAME || 12 + nl + 2 + 4 > cap)
        return 0;
    memset(out, 0, 12);
    wr16(out, id);
    wr16(out + 2, 0x0100); /* RD */
    wr16(out + 4, 1);
    size_t o = 12;
    const char *s = name;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63)
            return 0;
        out[o++] = (uint8_t)l;
        memcpy(out + o, s, l);
        o += l;
        s += l;
        if (*s == '.')
            s++;
    }
    out[o++] = 0;
    wr16(out + o, qtype);
    wr16(out + o + 2, 1);
    return o + 4;
}

int dns_parse_addrs(const uint8_t *m, size_t n, uint16_t id, uint16_t qtype, uint8_t (*addrs)[16], int max,
                    uint32_t *ttl)
{
    if (n < 12 || rd16(m) != id || !(rd16(m + 2) & 0x8000))
        return -1;
    if ((rd16(m + 2) & 0xf) != 0)
        return 0; /* NXDOMAIN, SERVFAIL ...: no address */
    unsigned qd = rd16(m + 4), an = rd16(m + 6);
    size_t o = 12;
    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(m, n, &o) < 0 || o + 4 > n)
            return -1;
        o += 4;
    }
    int got = 0;
    size_t alen = qtype == DNS_T_A ? 4 : 16;
    for (unsigned i = 0; i < an; i++) {
        if (skip_name(m, n, &o) < 0 || o + 10 > n)
            return -1;
        uint16_t t = rd16(m + o), cl = rd16(m + o + 2), rdlen = rd16(m + o + 8);
        uint32_t tt =
            (uint32_t)m[o + 4] << 24 | (uint32_t)m[o + 5] << 16 | (uint32_t)m[o + 6] << 8 | m[o + 7];
        o += 10;
        if (o + rdlen > n)
            return -1;
        if (t == qtype && cl == 1 && rdlen == alen && got < max) {
            memset(addrs[got], 0, 16);
            memcpy(addrs[got], m + o, alen);
            got++;
            if (tt < *ttl)
                *ttl = tt;
        }
        o += rdlen;
    }
    return got;
}
