/*
 * net_int.h - the pieces of runtime/net/ shared between its files: the DNS
 * wire format, the TLS ClientHello / HTTP Host peek, rule matching and the
 * always-deny set, rtnetlink, the nftables ruleset and netd's reports.
 * Everything that parses bytes from the cell checks bounds before each read.
 */
#ifndef CELLOS_NET_INT_H
#define CELLOS_NET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* ---- DNS (net_dns.c) ---------------------------------------------------- */
#define DNS_T_A      1
#define DNS_T_CNAME  5
#define DNS_T_TXT    16
#define DNS_T_AAAA   28
#define DNS_MAX_NAME 253

struct dns_query {
    uint16_t id, flags, qtype, qclass;
    char name[DNS_MAX_NAME + 2]; /* lower case, no trailing dot; "" for the root */
    size_t qend;                 /* offset just past the question */
};

/* 0, or -1 when m is not a single well-formed query (then only id is valid
 * when n >= 2; *formerr says whether a FORMERR answer can be built). */
int dns_parse_query(const uint8_t *m, size_t n, struct dns_query *q);
/* An answer to q (question copied from m): rcode, and when addr is not NULL
 * one record of q->qtype (4 or 16 bytes) with ttl. Returns its length, 0
 * when out is too small. */
size_t dns_build_answer(const struct dns_query *q, const uint8_t *m, unsigned rcode, const uint8_t *addr,
                        size_t alen, uint32_t ttl, uint8_t *out, size_t cap);
/* A recursive query for name/qtype. Returns its length, 0 on a bad name. */
size_t dns_build_query(uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t cap);
/* The addresses of type qtype (A: 4 bytes, AAAA: 16) in an answer with id;
 * returns how many were stored (at most max), -1 when m is not such an
 * answer. *ttl gets the smallest TTL seen. */
int dns_parse_addrs(const uint8_t *m, size_t n, uint16_t id, uint16_t qtype, uint8_t (*addrs)[16], int max,
                    uint32_t *ttl);

/* ---- the first bytes of a connection (net_peek.c) ------------------------ */
/* 1: name found (lower case, port stripped), 0: complete but names nothing,
 * -1: need more bytes, -2: not this protocol. */
int peek_tls_sni(const uint8_t *b, size_t n, char *name, size_t cap);
int peek_http_host(const uint8_t *b, size_t n, char *name, size_t cap);
/* The length of the HTTP head at b (request line and header lines, up to
 * and including the first empty line, CRLF or a bare LF), 0 when b[0, n)
 * holds no empty line. */
size_t http_head_len(const uint8_t *b, size_t n);

/* ---- an HTTP/1.x request stream (net_http.c) ------------------------------ */
#define HTTP_HEAD_MAX       (16384 + 5) /* a request head, as the first peek (net_proxy.c) */
#define HTTP_CHUNK_MAX      0x7fffffffu /* a larger chunk size is refused (32-bit servers) */
#define HTTP_CHUNK_LINE_MAX 4096        /* a chunk-size line with its extensions */
/* A body's first line is checked up to this many bytes: a server reading a
 * body as a request line refuses a longer line (Go's limit, the largest
 * common one, is 1 MiB + 4 KiB). */
#define HTTP_BODY_LINE_MAX (2u << 20)

struct http_stream {
    char name[DNS_MAX_NAME + 1]; /* the granted name (lower case) */
    int state;
    uint64_t left;     /* body or chunk bytes left; while reading a chunk size, the size so far */
    size_t line;       /* bytes of the current chunk-size line */
    bool digits;       /* a chunk size has a digit */
    bool quoted;       /* in a quoted string of a chunk extension */
    uint64_t requests; /* request heads checked */
    uint64_t pos;      /* stream bytes taken (returned by http_stream_scan) */
    uint64_t body_end; /* the stream position after the last body byte taken */
    /* the first line of each body (body_line): must not read as a request */
    int bl_state;
    uint8_t bl_match; /* bytes of "HTTP/" matched */
    uint8_t bl_wlen;  /* bytes of the first word (HTTP_METHOD_MAX + 1: longer) */
    char bl_word[8];
    uint32_t bl_count; /* bytes of the line (and of leading blanks but CR, LF) */
    char why[160];     /* after a refusal */
};
/* The stream of requests a connection granted for name carries. */
void http_stream_init(struct http_stream *s, const char *name);
/* The next n bytes of the stream at b (what a previous call did not take
 * first, then what arrived since): how many leading ones are checked and
 * may be sent on (the rest, an incomplete request head, must be offered
 * again with more bytes after it), or -1 when the stream is refused
 * (s->why says why; so does every later call). */
long http_stream_scan(struct http_stream *s, const uint8_t *b, size_t n);
/* Is a request body (or a chunked body's framing) part-read: the server
 * may answer before reading the rest, and read the rest as requests. */
bool http_stream_in_body(const struct http_stream *s);
/* The length of a complete interim answer head (1xx but 101: 100 Continue,
 * 102, 103) at the start of b[0, n) (what a server sent), else 0. */
size_t http_interim_len(const uint8_t *b, size_t n);

/* ---- rules (net_policy.c) ------------------------------------------------ */
bool net_name_valid(const char *name);
/* Does rule host pattern pat (a name or "*.suffix") match name? */
bool net_name_matches(const char *pat, const char *name);
/* The first host rule for name (any port when port is 0), else an
 * any-host rule (a CIDR /0, which needs unsafe), or -1. */
int net_rule_for_name(const struct plan *p, const char *name, uint8_t proto, uint16_t port);
/* The first TCP host rule for name and port marked `any-name` (its
 * connections need not carry the name in SNI/Host), or -1. */
int net_rule_any_name(const struct plan *p, const char *name, uint16_t port);
/* The first CIDR rule covering addr (family 4: first 4 bytes) and port, or -1. */
int net_rule_for_addr(const struct plan *p, int family, const uint8_t *addr, uint8_t proto, uint16_t port);
/* Loopback, unspecified, link-local (metadata), multicast, broadcast, the
 * shared 100.64/10 range the gateway uses, v4-mapped forms of those. */
bool net_always_denied(int family, const uint8_t *addr);
/* RFC 1918, fc00::/7: only reachable when a CIDR rule names them. */
bool net_private(int family, const uint8_t *addr);
/* Does a CIDR rule of p cover addr (any port, proto)? */
bool net_cidr_names(const struct plan *p, int family, const uint8_t *addr);
/* Printable address. */
const char *net_addr_str(int family, const uint8_t *addr, char *buf, size_t cap);

/* ---- the ruleset (net_nft.c) -------------------------------------------- */
/* The gateway's nftables table for p as one nf_tables netlink batch in buf:
 * its length, or 0 when cap is too small (net_nft_batch_cap(p) suffices) or
 * p has more than NET_NFT_MAX_TCP_RULES TCP rules. */
#define NET_NFT_MAX_TCP_RULES 4096
size_t net_nft_batch(const struct plan *p, void *buf, size_t cap);
size_t net_nft_batch_cap(const struct plan *p);
/* Load that batch in the current network namespace: 0, or -1 with errno
 * (the kernel's error; nothing was applied then). */
int net_nft_load(const struct plan *p);

/* ---- synthetic addresses --------------------------------------------------- */
#define NET_SYN4_BASE   0x64408000u /* 100.64.128.0/17 */
#define NET_SYN_MAX     30000
#define NET_SYN6_PREFIX "fd63:e11:0:1::"

/* ---- netd -> supervisor (net_gw.c reads, netd.c writes) ------------------ */
enum net_report_kind {
    NR_READY = 1,  /* set-up done */
    NR_ERROR,      /* set-up failed: why names the step, a = errno */
    NR_DNS,        /* a DNS answer: rule (-1: NXDOMAIN), qtype, name, addr (family 0: none) */
    NR_REFUSED,    /* the first refused flow to a destination: why */
    NR_UNRESOLVED, /* a granted name the host cannot resolve: name, why */
    NR_COUNTER,    /* rule, a connections, b bytes out, c bytes in */
    NR_DONE,       /* the last report after a counters request: a DNS queries answered, b refused */
};
struct net_report {
    uint32_t kind;
    int32_t rule;
    uint16_t qtype, port;
    uint8_t proto, family, pad[2];
    uint8_t addr[16];
    uint64_t a, b, c;
    char name[256];
    char why[120];
};
_Static_assert(sizeof(struct net_report) < 512, "a report is written atomically to a pipe");

/* ---- the UDP relay (net_udp.c) --------------------------------------------- */
#define NET_UDP_PORT  15002 /* the transparent listeners in the gateway namespace */
#define NET_UDP_MARK  0x63  /* fwmark of tproxied datagrams: routed to lo */
#define NET_UDP_TABLE 99    /* the routing table holding that local route */

struct netd;
struct udp_relay;
/* In the gateway namespace (the caller's): no rate limit on the ICMP
 * errors it sends the cell (icmp_ratemask empty), so every refusal fails
 * fast, not only the first few per second. Best effort. */
void net_icmp_unlimited(void);
/* Does the plan have UDP rules (and so a relay)? */
bool net_has_udp(const struct plan *p);
/* Called in the gateway namespace: the fwmark rule and local route, the
 * transparent listeners and the ICMP sockets for refusals. host_ns is an
 * fd of the host's namespace (kept, not owned). NULL with errno and *step
 * naming what failed. */
struct udp_relay *udp_relay_open(struct netd *d, const struct plan *p, int host_ns, const char **step);
/* Serve in a thread of its own; -1 when it cannot start. */
int udp_relay_start(struct udp_relay *u);

/* netd's main (net_netd.c): never returns. fds: report pipe (write end),
 * control socket (netd's end), the cell's network namespace (-1: a VM's
 * tap instead of a veth, its descriptor sent over the control socket
 * before READY), and the pipe the cell waits on for 'r' (or -1). */
__attribute__((noreturn)) void netd_main(const struct plan *p, int report_fd, int ctl_fd, int cell_ns,
                                         int ready_fd);

#endif
