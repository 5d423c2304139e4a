/*
 * net_nft.c - the nftables table of a cell's gateway namespace, as text for
 * `nft -f -` run inside that namespace. Ingress on the gateway's end of the
 * veth accepts only TCP to a destination and port some rule may grant (the
 * synthetic pool for name rules, the rule's block for CIDR rules) and DNS to
 * the answerer; everything else gets a TCP reset, an ICMP port unreachable
 * (UDP) or an ICMP administratively prohibited at once. Accepted TCP is
 * redirected to the proxy, which decides per connection.
 */
#include "net_int.h"
#include "net.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *b;
    size_t cap, n;
    bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->b + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= o->cap - o->n) {
        o->full = true;
        return;
    }
    o->n += (size_t)k;
}

static void elements(struct out *o, const struct plan *p, int family)
{
    bool first = true;
    char a[64];
    for (size_t i = 0; i < p->net.n_egress && !o->full; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (g->proto != 6)
            continue;
        if (g->kind == CP_EGRESS_HOST)
            put(o, "%s%s/%u . %u-%u", first ? "" : ", ", family == 4 ? "100.64.128.0" : NET_SYN6_PREFIX,
                family == 4 ? 17 : 112, g->port_lo, g->port_hi);
        else if (g->family == family)
            put(o, "%s%s/%u . %u-%u", first ? "" : ", ", net_addr_str(family, g->addr, a, sizeof a),
                g->prefix, g->port_lo, g->port_hi);
        else
            continue;
        first = false;
    }
}

static bool any_elements(const struct plan *p, int family)
{
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (g->proto == 6 && (g->kind == CP_EGRESS_HOST || g->family == family))
            return true;
    }
    return false;
}

size_t net_nft_ruleset(const struct plan *p, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0, false };
    put(&o, "table inet cellos {\n");
    for (int f = 4; f <= 6; f += 2) {
        put(&o, "  set tcp%d { type %s . inet_service; flags interval;", f,
            f == 4 ? "ipv4_addr" : "ipv6_addr");
        if (any_elements(p, f)) {
            put(&o, " elements = { ");
            elements(&o, p, f);
            put(&o, " }");
        }
        put(&o, " }\n");
    }
    put(&o,
        "  chain ingress { type filter hook ingress device \"gw0\" priority 0; policy accept;\n"
        "    meta protocol != { ip, ip6 } accept\n"
        "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n"
        "    ip daddr . tcp dport @tcp4 accept\n"
        "    ip6 daddr . tcp dport @tcp6 accept\n"
        "    ip daddr " NET_GW4 " udp dport 53 accept\n"
        "    ip6 daddr " NET_GW6 " udp dport 53 accept\n"
        "    ip daddr 224.0.0.0/4 drop\n"
        "    ip6 daddr ff00::/8 drop\n"
        "    meta l4proto { tcp, udp, icmp, ipv6-icmp } log group 7\n"
        "    meta l4proto tcp reject with tcp reset\n"
        "    meta l4proto udp reject\n"
        "    reject with icmpx admin-prohibited\n"
        "  }\n"
        "  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
        "    iifname \"gw0\" meta l4proto tcp redirect to :%d\n"
        "  }\n"
        "}\n",
        NET_PROXY_PORT);
    return o.full ? 0 : o.n;
}
