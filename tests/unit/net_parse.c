/*
 * net_parse.c - runtime/net's pure parts: the DNS wire format (queries in,
 * answers out, upstream answers), the TLS SNI and HTTP Host peek, rule
 * matching, the always-deny set and the nftables ruleset text. Every parser
 * is also fed every truncation of a valid input and random bytes (it must
 * never read out of bounds; ASan checks that in make sanitize).
 */
#include "tap.h"

#include "runtime/net/net.h"
#include "runtime/net/net_int.h"

#include <arpa/inet.h>
#include <stdint.h>

static size_t make_query(uint8_t *q, const char *name, uint16_t type)
{
    return dns_build_query(0x1234, name, type, q, 512);
}

/* a TLS 1.2-style ClientHello with one server_name */
static size_t make_hello(uint8_t *b, const char *sni)
{
    size_t nl = strlen(sni), o = 0;
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

    /* ---- the ruleset */
    char rs[8192];
    size_t rl = net_nft_ruleset(&p, rs, sizeof rs);
    ok(rl > 0, "the ruleset is written");
    ok(strstr(rs, "100.64.128.0/17 . 443-443") && strstr(rs, "10.20.0.0/16 . 5432-5432") &&
           strstr(rs, "fd63:e11:0:1::/112 . 8000-8099"),
       "the sets hold the pool and the CIDR block with their ports");
    ok(strstr(rs, "reject with tcp reset") && strstr(rs, "redirect to :15001"), "reject and redirect");
    is_int((int)net_nft_ruleset(&p, rs, 100), 0, "a buffer too small gives 0, not a cut ruleset");
    return done_testing();
}
