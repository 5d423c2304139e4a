/*
 * net_policy.c - which rule grants a name or an address, and the
 * always-deny set that sits above every rule. Names are compared in lower
 * case; a rule "*.example.org" matches names under example.org, never
 * example.org itself.
 */
#include "net_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool net_name_valid(const char *name)
{
    size_t n = strlen(name), lab = 0;
    if (n == 0 || n > DNS_MAX_NAME)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];
        if (c == '.' || c == 0) {
            if (lab == 0 || lab > 63 || name[i - 1] == '-')
                return false;
            lab = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_';
        if (!ok || (lab == 0 && c == '-'))
            return false;
        lab++;
    }
    return true;
}

bool net_name_matches(const char *pat, const char *name)
{
    if (pat[0] == '*' && pat[1] == '.') {
        size_t pl = strlen(pat + 1), nl = strlen(name); /* ".suffix" */
        return nl > pl && strcasecmp(name + nl - pl, pat + 1) == 0;
    }
    return strcasecmp(pat, name) == 0;
}

int net_rule_for_name(const struct plan *p, const char *name, uint8_t proto, uint16_t port)
{
    int any = -1; /* an any-host rule (`*`, 0.0.0.0/0 or ::/0, unsafe) grants every name */
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (any < 0 && g->kind == CP_EGRESS_CIDR && g->prefix == 0 && g->proto == proto &&
            (!port || (port >= g->port_lo && port <= g->port_hi)))
            any = (int)i;
    }
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (g->kind != CP_EGRESS_HOST || !g->host || g->proto != proto)
            continue;
        if (port && (port < g->port_lo || port > g->port_hi))
            continue;
        if (net_name_matches(g->host, name))
            return (int)i;
    }
    return any;
}

int net_rule_any_name(const struct plan *p, const char *name, uint16_t port)
{
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (g->kind == CP_EGRESS_HOST && g->any_name && g->host && g->proto == 6 && port >= g->port_lo &&
            port <= g->port_hi && net_name_matches(g->host, name))
            return (int)i;
    }
    return -1;
}

static bool in_prefix(const uint8_t *addr, const uint8_t *net, unsigned bits)
{
    for (unsigned b = 0; b < bits; b++) {
        uint8_t m = (uint8_t)(0x80u >> (b % 8));
        if ((addr[b / 8] & m) != (net[b / 8] & m))
            return false;
    }
    return true;
}

int net_rule_for_addr(const struct plan *p, int family, const uint8_t *addr, uint8_t proto, uint16_t port)
{
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (g->kind != CP_EGRESS_CIDR || g->family != family || g->proto != proto)
            continue;
        if (port && (port < g->port_lo || port > g->port_hi))
            continue;
        if (in_prefix(addr, g->addr, g->prefix))
            return (int)i;
    }
    return -1;
}

bool net_cidr_names(const struct plan *p, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        /* a /0 (the unsafe any-address rule) names no private range */
        if (g->kind == CP_EGRESS_CIDR && g->family == family && g->prefix > 0 &&
            in_prefix(addr, g->addr, g->prefix))
            return true;
    }
    return false;
}

struct range {
    uint8_t a[16];
    unsigned bits;
};

static bool in_ranges(const uint8_t *addr, const struct range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (in_prefix(addr, r[i].a, r[i].bits))
            return true;
    return false;
}

bool net_always_denied(int family, const uint8_t *addr)
{
    static const struct range v4[] = {
        { { 0 }, 8 },         /* this network */
        { { 127 }, 8 },       /* loopback */
        { { 169, 254 }, 16 }, /* link-local, cloud metadata */
        { { 100, 64 }, 10 },  /* shared space: the gateway and the synthetic pool */
        { { 224 }, 4 },       /* multicast */
        { { 240 }, 4 },       /* reserved, broadcast */
    };
    static const struct range v6[] = {
        { { 0 }, 127 },                                             /* :: and ::1 */
        { { 0xfe, 0x80 }, 10 },                                     /* link-local */
        { { 0xff }, 8 },                                            /* multicast */
        { { 0xfd, 0x63, 0x0e, 0x11 }, 32 },                         /* the gateway's own ULA range */
        { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 96 }, /* v4-compatible */
        { { 0x01, 0 }, 8 },                                         /* discard-only, 100::/64 and reserved */
    };
    if (family == 4)
        return in_ranges(addr, v4, sizeof v4 / sizeof *v4);
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(addr, mapped, 12) == 0)
        return true; /* v4-mapped: the dialer uses plain v4, never this form */
    if (addr[0] == 0x20 && addr[1] == 0x02)
        return true; /* 6to4 embeds a v4 address */
    if (addr[0] == 0x00 && addr[1] == 0x64 && addr[2] == 0xff && addr[3] == 0x9b)
        return true; /* NAT64 */
    return in_ranges(addr, v6, sizeof v6 / sizeof *v6);
}

bool net_private(int family, const uint8_t *addr)
{
    static const struct range v4[] = { { { 10 }, 8 }, { { 172, 16 }, 12 }, { { 192, 168 }, 16 } };
    static const struct range v6[] = { { { 0xfc }, 7 } };
    if (family == 4)
        return in_ranges(addr, v4, 3);
    return in_ranges(addr, v6, 1);
}

const char *net_addr_str(int family, const uint8_t *addr, char *buf, size_t cap)
{
    if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
    return buf;
}
