/*
 * net_parse.c - runtime/net's pure parts: the DNS wire format (queries in,
 * answers out, upstream answers), the TLS SNI and HTTP Host peek, rule
 * matching, the always-deny set and the nftables netlink batch. Every parser
 * is also fed every truncation of a valid input and random bytes (it must
 * never read out of bounds; ASan checks that in make sanitize).
 */
#include "tap.h"

#include "runtime/net/net.h"
#include "runtime/net/net_int.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- a small decoder of the nf_tables batch (bounds checked) ------------- */
struct batch_summary {
    bool begin_first, end_last, pool4_443, pool6_8000, cidr_5432;
    int tables, chains, sets, rules, acks, rejects, redirs, logs, lookups, tproxies;
};

static const struct nlattr *attr_at(const uint8_t *b, size_t n, size_t off)
{
    if (off + NLA_HDRLEN > n)
        return NULL;
    const struct nlattr *a = (const struct nlattr *)(b + off);
    return a->nla_len >= NLA_HDRLEN && off + a->nla_len <= n ? a : NULL;
}

/* the NFTA_DATA_VALUE inside a nested data attribute */
static bool data_value(const struct nlattr *nest, const uint8_t **v, size_t *len)
{
    const uint8_t *b = (const uint8_t *)nest + NLA_HDRLEN;
    size_t n = nest->nla_len - NLA_HDRLEN;
    const struct nlattr *a = attr_at(b, n, 0);
    if (!a || (a->nla_type & NLA_TYPE_MASK) != NFTA_DATA_VALUE)
        return false;
    *v = (const uint8_t *)a + NLA_HDRLEN;
    *len = a->nla_len - NLA_HDRLEN;
    return true;
}

static bool expr_seen(const uint8_t *b, size_t n, struct batch_summary *s)
{
    const char *name = NULL;
    bool data = false;
    for (size_t off = 0; off < n;) {
        const struct nlattr *a = attr_at(b, n, off);
        if (!a)
            return false;
        size_t len = a->nla_len - NLA_HDRLEN;
        if ((a->nla_type & NLA_TYPE_MASK) == NFTA_EXPR_NAME && len &&
            memchr((const char *)a + NLA_HDRLEN, 0, len)) /* a terminated name */
            name = (const char *)a + NLA_HDRLEN;
        else if ((a->nla_type & NLA_TYPE_MASK) == NFTA_EXPR_DATA)
            data = true;
        off += NLA_ALIGN(a->nla_len);
    }
    if (!name || !data)
        return false;
    s->rejects += strcmp(name, "reject") == 0;
    s->redirs += strcmp(name, "redir") == 0;
    s->logs += strcmp(name, "log") == 0;
    s->tproxies += strcmp(name, "tproxy") == 0;
    s->lookups += strcmp(name, "lookup") == 0;
    return true;
}

static bool summarize_batch(const uint8_t *b, size_t n, struct batch_summary *s)
{
    memset(s, 0, sizeof *s);
    size_t off = 0;
    int type = -1;
    while (off < n) {
        if (off + NLMSG_HDRLEN > n)
            return false;
        const struct nlmsghdr *h = (const struct nlmsghdr *)(b + off);
        if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || off + h->nlmsg_len > n)
            return false;
        type = h->nlmsg_type;
        if (off == 0)
            s->begin_first = type == NFNL_MSG_BATCH_BEGIN;
        s->acks += (h->nlmsg_flags & NLM_F_ACK) != 0;
        s->tables += type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE);
        s->chains += type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN);
        s->sets += type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSET);
        if (type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM)) {
            const uint8_t *ab = b + off + NLMSG_HDRLEN + sizeof(struct nfgenmsg);
            size_t an = h->nlmsg_len - NLMSG_HDRLEN - sizeof(struct nfgenmsg);
            for (size_t ao = 0; ao < an;) {
                const struct nlattr *a = attr_at(ab, an, ao);
                if (!a)
                    return false;
                if ((a->nla_type & NLA_TYPE_MASK) == NFTA_SET_ELEM_LIST_ELEMENTS) {
                    const uint8_t *lb = (const uint8_t *)a + NLA_HDRLEN;
                    size_t ln = a->nla_len - NLA_HDRLEN;
                    for (size_t lo = 0; lo < ln;) {
                        const struct nlattr *el = attr_at(lb, ln, lo);
                        if (!el)
                            return false;
                        const uint8_t *k = NULL, *ke = NULL;
                        size_t kl = 0, kel = 0;
                        const uint8_t *eb = (const uint8_t *)el + NLA_HDRLEN;
                        size_t en = el->nla_len - NLA_HDRLEN;
                        for (size_t eo = 0; eo < en;) {
                            const struct nlattr *x = attr_at(eb, en, eo);
                            if (!x)
                                return false;
                            if ((x->nla_type & NLA_TYPE_MASK) == NFTA_SET_ELEM_KEY && !data_value(x, &k, &kl))
                                return false;
                            if ((x->nla_type & NLA_TYPE_MASK) == NFTA_SET_ELEM_KEY_END &&
                                !data_value(x, &ke, &kel))
                                return false;
                            eo += NLA_ALIGN(x->nla_len);
                        }
                        if (!k || !ke || kl != kel || (kl != 8 && kl != 20))
                            return false;
                        size_t al = kl - 4;
                        uint16_t plo = (uint16_t)(k[al] << 8 | k[al + 1]),
                                 phi = (uint16_t)(ke[al] << 8 | ke[al + 1]);
                        if (al == 4 && k[0] == 100 && k[1] == 64 && k[2] == 128 && k[3] == 0 &&
                            ke[2] == 255 && ke[3] == 255 && plo == 443 && phi == 443)
                            s->pool4_443 = true;
                        if (al == 16 && k[0] == 0xfd && k[7] == 1 && k[14] == 0 && ke[14] == 0xff &&
                            plo == 8000 && phi == 8099)
                            s->pool6_8000 = true;
                        if (al == 4 && k[0] == 10 && k[1] == 20 && k[2] == 0 && k[3] == 0 && ke[1] == 20 &&
                            ke[2] == 255 && ke[3] == 255 && plo == 5432 && phi == 5432)
                            s->cidr_5432 = true;
                        lo += NLA_ALIGN(el->nla_len);
                    }
                }
                ao += NLA_ALIGN(a->nla_len);
            }
        }
        if (type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE)) {
            s->rules++;
            const uint8_t *ab = b + off + NLMSG_HDRLEN + sizeof(struct nfgenmsg);
            size_t an = h->nlmsg_len - NLMSG_HDRLEN - sizeof(struct nfgenmsg);
            for (size_t ao = 0; ao < an;) {
                const struct nlattr *a = attr_at(ab, an, ao);
                if (!a)
                    return false;
                if ((a->nla_type & NLA_TYPE_MASK) == NFTA_RULE_EXPRESSIONS) {
                    const uint8_t *eb = (const uint8_t *)a + NLA_HDRLEN;
                    size_t en = a->nla_len - NLA_HDRLEN;
                    for (size_t eo = 0; eo < en;) {
                        const struct nlattr *e = attr_at(eb, en, eo);
                        if (!e || !expr_seen((const uint8_t *)e + NLA_HDRLEN, e->nla_len - NLA_HDRLEN, s))
                            return false;
                        eo += NLA_ALIGN(e->nla_len);
                    }
                }
                ao += NLA_ALIGN(a->nla_len);
            }
        }
        off += NLMSG_ALIGN(h->nlmsg_len);
    }
    s->end_last = type == NFNL_MSG_BATCH_END;
    return off == n;
}

static size_t make_query(uint8_t *q, const char *name, uint16_t type)
{
    return dns_build_query(0x1234, name, type, q, 512);
}

/* a TLS 1.2-style ClientHello with one server_name of nl bytes; extra: 1 a
 * second host name entry in it, 2 a second server_name extension; ech: an
 * encrypted_client_hello extension after it */
static size_t make_hello_raw(uint8_t *b, const char *sni, size_t nl, int extra, bool ech)
{
    size_t o = 0;
    uint8_t body[600];
    size_t k = 0;
    body[k++] = 3;
    body[k++] = 3;
    memset(body + k, 7, 32);
    k += 32;
    body[k++] = 0; /* session id */
    body[k++] = 0;
    body[k++] = 2; /* cipher suites */
    body[k++] = 0x13;
    body[k++] = 0x01;
    body[k++] = 1; /* compression */
    body[k++] = 0;
    size_t ext = 2 + 2 + 2 + 1 + 2 + nl;
    body[k++] = (uint8_t)(ext >> 8);
    body[k++] = (uint8_t)ext;
    body[k++] = 0; /* server_name */
    body[k++] = 0;
    body[k++] = (uint8_t)((nl + 5) >> 8);
    body[k++] = (uint8_t)(nl + 5);
    body[k++] = (uint8_t)((nl + 3) >> 8);
    body[k++] = (uint8_t)(nl + 3);
    body[k++] = 0;
    body[k++] = (uint8_t)(nl >> 8);
    body[k++] = (uint8_t)nl;
    memcpy(body + k, sni, nl);
    k += nl;
    size_t ext_at = 41; /* where the extensions' length is in body */
    size_t add = 0;
    if (extra == 1) { /* the list grows by one entry "x.y" */
        static const uint8_t e1[] = { 0, 0, 3, 'x', '.', 'y' };
        memcpy(body + k, e1, sizeof e1);
        k += sizeof e1;
        add = sizeof e1;
        size_t sl = nl + 5 + add, ll = nl + 3 + add;
        body[ext_at + 4] = (uint8_t)(sl >> 8);
        body[ext_at + 5] = (uint8_t)sl;
        body[ext_at + 6] = (uint8_t)(ll >> 8);
        body[ext_at + 7] = (uint8_t)ll;
    } else if (extra == 2) {
        static const uint8_t e2[] = { 0, 0, 0, 8, 0, 6, 0, 0, 3, 'x', '.', 'y' };
        memcpy(body + k, e2, sizeof e2);
        k += sizeof e2;
        add = sizeof e2;
    }
    if (ech) {
        static const uint8_t e3[] = { 0xfe, 0x0d, 0, 2, 0, 0 };
        memcpy(body + k, e3, sizeof e3);
        k += sizeof e3;
        add += sizeof e3;
    }
    size_t el = (size_t)(body[ext_at] << 8 | body[ext_at + 1]) + add;
    body[ext_at] = (uint8_t)(el >> 8);
    body[ext_at + 1] = (uint8_t)el;
    b[o++] = 0x16;
    b[o++] = 3;
    b[o++] = 1;
    b[o++] = (uint8_t)((k + 4) >> 8);
    b[o++] = (uint8_t)(k + 4);
    b[o++] = 1;
    b[o++] = 0;
    b[o++] = (uint8_t)(k >> 8);
    b[o++] = (uint8_t)k;
    memcpy(b + o, body, k);
    return o + k;
}

static size_t make_hello(uint8_t *b, const char *sni)
{
    return make_hello_raw(b, sni, strlen(sni), 0, false);
}

int main(void)
{
    uint8_t q[512], a[512];
    struct dns_query dq;

    /* ---- DNS */
    size_t ql = make_query(q, "Svc.Example.ORG", DNS_T_A);
    ok(ql > 12, "a query is built");
    is_int(dns_parse_query(q, ql, &dq), 0, "and parsed");
    is_str(dq.name, "svc.example.org", "the name in lower case");
    is_int(dq.qtype, DNS_T_A, "qtype A");
    uint8_t addr[4] = { 100, 64, 128, 1 };
    size_t al = dns_build_answer(&dq, q, 0, addr, 4, 60, a, sizeof a);
    ok(al == ql + 16, "an answer with one A record");
    uint8_t got[4][16];
    uint32_t ttl = UINT32_MAX;
    is_int(dns_parse_addrs(a, al, 0x1234, DNS_T_A, got, 4, &ttl), 1, "the answer parses back");
    ok(memcmp(got[0], addr, 4) == 0 && ttl == 60, "to the same address and TTL");
    is_int(dns_parse_addrs(a, al, 0x9999, DNS_T_A, got, 4, &ttl), -1, "another id is not our answer");
    al = dns_build_answer(&dq, q, 3, NULL, 0, 0, a, sizeof a);
    ok(al == ql && (a[3] & 0xf) == 3 && a[7] == 0, "NXDOMAIN: rcode 3, no answer");
    is_int(dns_parse_addrs(a, al, 0x1234, DNS_T_A, got, 4, &ttl), 0, "NXDOMAIN has no address");
    q[2] |= 0x80;
    is_int(dns_parse_query(q, ql, &dq), -1, "a response is not a query");
    q[2] &= 0x7f;
    uint8_t dotted[64] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1 };
    is_int(dns_parse_query(dotted, 21, &dq), -1, "a label holding a dot is refused");
    char longname[400];
    memset(longname, 0, sizeof longname);
    for (int i = 0; i < 5; i++)
        strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
    strcat(longname, "org");
    ok(dns_build_query(1, longname, 1, q, sizeof q) == 0, "a name over 253 bytes is not queried");
    int bad = 0;
    ql = make_query(q, "svc.example.org", DNS_T_AAAA);
    for (size_t n = 0; n < ql; n++)
        bad += dns_parse_query(q, n, &dq) == 0;
    is_int(bad, 0, "every truncated query is refused");
    uint32_t seed = 12345;
    for (int i = 0; i < 20000; i++) {
        uint8_t r[64];
        for (size_t j = 0; j < sizeof r; j++)
            r[j] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
        size_t n = (size_t)(seed % 64);
        dns_parse_query(r, n, &dq);
        dns_parse_addrs(r, n, (uint16_t)(r[0] << 8 | r[1]), DNS_T_A, got, 4, &ttl);
        char nm[300];
        peek_tls_sni(r, n, nm, sizeof nm);
        peek_http_host(r, n, nm, sizeof nm);
    }
    ok(1, "random bytes: no parser crashed (ASan checks the bounds)");

    /* ---- SNI and Host */
    uint8_t h[700];
    char nm[300];
    size_t hl = make_hello(h, "Mirror.Example.org");
    is_int(peek_tls_sni(h, hl, nm, sizeof nm), 1, "SNI found");
    is_str(nm, "mirror.example.org", "in lower case");
    int partial = 0;
    for (size_t n = 0; n < hl; n++)
        partial += peek_tls_sni(h, n, nm, sizeof nm) == -1;
    is_int(partial, (int)hl, "every truncated ClientHello asks for more bytes");
    is_int(peek_tls_sni((const uint8_t *)"GET / HTTP/1.1\r\n", 16, nm, sizeof nm), -2, "HTTP is not TLS");
    const char *req = "GET /x HTTP/1.1\r\nUser-Agent: t\r\nhost:  Svc.Test:8080 \r\n\r\n";
    is_int(peek_http_host((const uint8_t *)req, strlen(req), nm, sizeof nm), 1, "Host found");
    is_str(nm, "svc.test", "without the port, lower case");
    is_int(peek_http_host((const uint8_t *)req, 20, nm, sizeof nm), -1, "headers not complete yet");
    const char *two = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    is_int(peek_http_host((const uint8_t *)two, strlen(two), nm, sizeof nm), 0,
           "two Host headers name nothing");
    const char *none = "GET / HTTP/1.0\r\n\r\n";
    is_int(peek_http_host((const uint8_t *)none, strlen(none), nm, sizeof nm), 0, "no Host header");
    is_int(peek_http_host((const uint8_t *)"\x16\x03\x01", 3, nm, sizeof nm), -2, "TLS is not HTTP");

    /* adversarial names (tests/escape/egress_net.c probes the proxy with the same) */
    static const uint8_t nulsni[] = "svc.test\0.evil.example";
    hl = make_hello_raw(h, (const char *)nulsni, sizeof nulsni - 1, 0, false);
    is_int(peek_tls_sni(h, hl, nm, sizeof nm), 0, "SNI with a NUL names nothing");
    hl = make_hello_raw(h, "svc.test", 8, 1, false);
    is_int(peek_tls_sni(h, hl, nm, sizeof nm), 0, "two host names in server_name name nothing");
    hl = make_hello_raw(h, "svc.test", 8, 2, false);
    is_int(peek_tls_sni(h, hl, nm, sizeof nm), 0, "two server_name extensions name nothing");
    hl = make_hello_raw(h, "svc.test", 8, 0, true);
    is_int(peek_tls_sni(h, hl, nm, sizeof nm), 0, "an encrypted_client_hello names nothing");
    hl = make_hello_raw(h, "SVC.test.", 9, 0, false);
    ok(peek_tls_sni(h, hl, nm, sizeof nm) == 1 && strcmp(nm, "svc.test") == 0,
       "SNI with a trailing dot and upper case: the name");
    static const struct {
        const char *req;
        int want;
        const char *why;
    } hreq[] = {
        { "GET http://other.example/ HTTP/1.1\r\nHost: svc.test\r\n\r\n", 0,
          "absolute form naming another host" },
        { "GET http://svc.test:80/x HTTP/1.1\r\nHost: svc.test\r\n\r\n", 1, "absolute form naming Host" },
        { "GET http://u@svc.test:80/x HTTP/1.1\r\nHost: svc.test\r\n\r\n", 0,
          "absolute form with userinfo names nothing" },
        { "GET http://other.example\\@svc.test/x HTTP/1.1\r\nHost: svc.test\r\n\r\n", 0,
          "absolute form with a backslash (WHATWG: other.example) names nothing" },
        { "GET / HTTP/1.1\r\nHost: svc.test:80@other.example\r\n\r\n", 0,
          "Host with userinfo after the port names nothing" },
        { "GET / HTTP/1.1\r\nHost: svc.test:8x\r\n\r\n", 0, "Host with a port not digits names nothing" },
        { "CONNECT other.example:443 HTTP/1.1\r\nHost: svc.test\r\n\r\n", 0, "CONNECT to another host" },
        { "OPTIONS * HTTP/1.1\r\nHost: svc.test\r\n\r\n", 1, "OPTIONS *" },
        { "GET / HTTP/1.1\r\nHost: svc.test\r\n other.example\r\n\r\n", 0, "a folded header line" },
        { "GET / HTTP/1.1\r\nHost: svc.test\r\nHost : other.example\r\n\r\n", 0, "Host and \"Host :\"" },
        { "GET / HTTP/1.1\r\nHost: svc.test other.example\r\n\r\n", 0, "Host with inner whitespace" },
        { "GET / HTTP/1.1\r\nHost: svc.test%00\r\n\r\n", 0, "Host with a percent escape" },
    };
    for (size_t i = 0; i < sizeof hreq / sizeof hreq[0]; i++) {
        int r = peek_http_host((const uint8_t *)hreq[i].req, strlen(hreq[i].req), nm, sizeof nm);
        if (hreq[i].want == 1 && r == 1 && strcmp(nm, "other.example") == 0)
            r = 0;
        is_int(r, hreq[i].want, hreq[i].why);
    }
    {
        const char *lf = "GET / HTTP/1.1\nHost: other.example\n\nGET / HTTP/1.1\r\nHost: svc.test\r\n\r\n";
        ok(peek_http_host((const uint8_t *)lf, strlen(lf), nm, sizeof nm) == 1 &&
               strcmp(nm, "other.example") == 0,
           "the first request's Host is the one checked");
    }

    /* ---- rules */
    ok(net_name_matches("*.pkg.example.org", "a.pkg.example.org"), "wildcard: a name under it");
    ok(net_name_matches("*.pkg.example.org", "a.b.pkg.example.org"), "wildcard: deeper");
    ok(!net_name_matches("*.pkg.example.org", "pkg.example.org"), "wildcard: not the bare name");
    ok(!net_name_matches("*.pkg.example.org", "xpkg.example.org"), "wildcard: not a suffix without a dot");
    ok(net_name_matches("Mirror.example.org", "mirror.EXAMPLE.org"), "names compare in any case");
    struct plan_egress rules[3] = {
        { .kind = CP_EGRESS_HOST, .proto = 6, .port_lo = 443, .port_hi = 443, .host = "mirror.example.org" },
        { .kind = CP_EGRESS_HOST, .proto = 6, .port_lo = 8000, .port_hi = 8099, .host = "*.pkg.example.org" },
        { .kind = CP_EGRESS_CIDR,
          .family = 4,
          .prefix = 16,
          .proto = 6,
          .port_lo = 5432,
          .port_hi = 5432,
          .host = "",
          .addr = { 10, 20 } },
    };
    struct plan p;
    memset(&p, 0, sizeof p);
    p.net.mode = CP_NET_EGRESS;
    p.net.egress = rules;
    p.net.n_egress = 3;
    is_int(net_rule_for_name(&p, "mirror.example.org", 6, 443), 0, "name and port: rule 0");
    is_int(net_rule_for_name(&p, "mirror.example.org", 6, 80), -1, "another port: none");
    is_int(net_rule_for_name(&p, "x.pkg.example.org", 6, 8050), 1, "a port in a range of a wildcard rule");
    is_int(net_rule_for_name(&p, "mirror.example.org", 17, 443), -1, "UDP is not TCP");
    uint8_t ip[16] = { 10, 20, 3, 4 };
    is_int(net_rule_for_addr(&p, 4, ip, 6, 5432), 2, "an address in the CIDR rule");
    ip[1] = 21;
    is_int(net_rule_for_addr(&p, 4, ip, 6, 5432), -1, "outside it: none");
    ok(net_cidr_names(&p, 4, (uint8_t[16]){ 10, 20, 0, 1 }), "a CIDR rule names 10.20.0.1");
    ok(net_private(4, (uint8_t[16]){ 192, 168, 1, 1 }) && !net_private(4, (uint8_t[16]){ 8, 8, 8, 8 }),
       "private ranges");
    uint8_t v6[16];
    inet_pton(AF_INET6, "::ffff:127.0.0.1", v6);
    ok(net_always_denied(4, (uint8_t[16]){ 169, 254, 169, 254 }) &&
           net_always_denied(4, (uint8_t[16]){ 127, 0, 0, 1 }) && net_always_denied(6, v6),
       "always denied: metadata, loopback, v4-mapped");
    inet_pton(AF_INET6, "fe80::1", v6);
    ok(net_always_denied(6, v6), "always denied: IPv6 link-local");
    inet_pton(AF_INET6, "2001:db8::1", v6);
    ok(!net_always_denied(6, v6) && !net_always_denied(4, (uint8_t[16]){ 151, 101, 2, 132 }),
       "public addresses pass");

    struct plan_egress anyr[2] = {
        rules[0],
        { .kind = CP_EGRESS_CIDR,
          .family = 4,
          .prefix = 0,
          .proto = 6,
          .port_lo = 443,
          .port_hi = 443,
          .host = "" },
    };
    struct plan pa = p;
    pa.net.egress = anyr;
    pa.net.n_egress = 2;
    is_int(net_rule_for_name(&pa, "other.example.net", 6, 443), 1,
           "an any-host rule grants every name on its port");
    is_int(net_rule_for_name(&pa, "other.example.net", 6, 80), -1, "but not on another port");
    is_int(net_rule_for_name(&pa, "mirror.example.org", 6, 443), 0, "a host rule still comes first");

    /* ---- the ruleset: one nf_tables netlink batch */
    size_t cap = net_nft_batch_cap(&p);
    uint8_t *nb = malloc(cap);
    size_t bl = net_nft_batch(&p, nb, cap);
    ok(bl > 0 && bl <= cap, "the batch is written");
    struct batch_summary bs;
    ok(summarize_batch(nb, bl, &bs), "every message and attribute lies within the batch");
    ok(bs.begin_first && bs.end_last, "it is framed by BATCH_BEGIN and BATCH_END");
    is_int(bs.tables, 1, "one table");
    is_int(bs.chains, 2, "two chains (ingress, prerouting)");
    ok(bs.acks > bs.tables + bs.chains + bs.sets + bs.rules,
       "every table, chain, set, element list and rule asks for an ACK");
    is_int(bs.sets, 2, "two sets (tcp4_0, tcp6_0)");
    ok(bs.pool4_443 && bs.pool6_8000, "their elements: the pool with each name rule's ports, v4 and v6");
    ok(bs.cidr_5432, "the CIDR rule's block: 10.20.0.0 to 10.20.255.255, port 5432");
    is_int(bs.lookups, 2, "one lookup rule per set");
    ok(bs.rejects == 3 && bs.redirs == 1 && bs.logs == 4, "three rejects, four log rules, one redirect");
    /* overlapping elements go to separate sets */
    struct plan_egress ov[2] = { rules[0], rules[0] };
    ov[1].port_lo = 400;
    ov[1].port_hi = 500;
    struct plan po = p;
    po.net.egress = ov;
    po.net.n_egress = 2;
    bl = net_nft_batch(&po, nb, cap);
    ok(bl > 0 && summarize_batch(nb, bl, &bs) && bs.sets == 4 && bs.lookups == 4,
       "443 and 400-500 on the pool overlap: two sets per family");
    is_int((int)net_nft_batch(&p, nb, 100), 0, "a buffer too small gives 0, not a cut batch");
    is_int(bs.tproxies, 0, "no UDP rule: no tproxy");
    /* UDP rules: their own sets and an ingress rule each, and the tproxy chain */
    struct plan_egress ur[4] = { rules[0], rules[2], rules[0], rules[2] };
    ur[2].proto = 17;
    ur[2].port_lo = ur[2].port_hi = 8443;
    ur[3].proto = 17;
    ur[3].port_lo = ur[3].port_hi = 53;
    struct plan pu = p;
    pu.net.egress = ur;
    pu.net.n_egress = 4;
    free(nb);
    cap = net_nft_batch_cap(&pu);
    nb = malloc(cap);
    bl = net_nft_batch(&pu, nb, cap);
    ok(bl > 0 && summarize_batch(nb, bl, &bs), "a batch with UDP rules is written");
    is_int(bs.chains, 3, "three chains (ingress, prerouting, udp_tproxy)");
    is_int(bs.sets, 4, "four sets (tcp4_0, tcp6_0, udp4_0, udp6_0)");
    is_int(bs.lookups, 4, "one lookup rule per set");
    is_int(bs.tproxies, 2, "tproxy for IPv4 and IPv6");
    ok(net_has_udp(&pu) && !net_has_udp(&p), "net_has_udp");
    /* any-name: the first TCP host rule with it for the name and port */
    struct plan_egress an[3] = { rules[0], rules[0], rules[1] };
    an[1].any_name = true;
    an[2].any_name = true;
    struct plan pn = p;
    pn.net.egress = an;
    pn.net.n_egress = 3;
    is_int(net_rule_any_name(&pn, "mirror.example.org", 443), 1,
           "any-name: the rule that says it, not the first");
    is_int(net_rule_any_name(&pn, "a.pkg.example.org", 8001), 2, "any-name on a wildcard rule");
    is_int(net_rule_any_name(&pn, "mirror.example.org", 444), -1, "any-name: another port, none");
    is_int(net_rule_any_name(&p, "mirror.example.org", 443), -1, "no any-name rule: none");
    free(nb);
    return done_testing();
}
