/*
 * net_nft.c - the nftables table of a cell's gateway namespace, programmed
 * over nf_tables netlink as one batch (all or nothing: the kernel applies a
 * batch atomically), without running the nft tool (its start-up alone cost
 * several milliseconds per cell). Ingress on the gateway's end of the veth
 * accepts only TCP (and UDP) to a destination and port some rule may grant
 * (the synthetic pool for name rules, the rule's block for CIDR rules) and
 * DNS to the answerer; everything else is logged to nflog group
 * NET_NFLOG_GROUP and gets a TCP reset, an ICMP port unreachable (UDP) or an
 * ICMP administratively prohibited at once. Accepted TCP is redirected to
 * the proxy, accepted UDP handed to the UDP relay's transparent listeners
 * (tproxy, fwmark NET_UDP_MARK: net_udp.c); both decide per flow. In nft's
 * own syntax the table is:
 *
 *   table inet cellos {
 *     chain ingress { type filter hook ingress device "gw0" priority 0; policy accept;
 *       meta protocol != ip meta protocol != ip6 accept            (ARP)
 *       icmpv6 type nd-neighbor-solicit accept    (and -advert, nd-router-solicit)
 *       ip daddr . tcp dport @tcp4_0 accept        (and ip6 ... @tcp6_0: the sets
 *                                                   of block . ports, below)
 *       ip daddr . udp dport @udp4_0 accept        (the same for UDP rules)
 *       ip daddr 100.64.0.1 udp dport 53 accept    (and the IPv6 answerer)
 *       ip daddr 224.0.0.0/4 drop                  (and ip6 daddr ff00::/8)
 *       meta l4proto tcp log group 7               (and udp, icmp, ipv6-icmp)
 *       meta l4proto tcp reject with tcp reset
 *       meta l4proto udp reject
 *       reject with icmpx admin-prohibited }
 *     chain prerouting { type nat hook prerouting priority dstnat; policy accept;
 *       iifname "gw0" meta l4proto tcp redirect to :15001 }
 *     chain udp_tproxy { type filter hook prerouting priority mangle; policy accept;
 *       iifname "gw0" meta l4proto udp ip daddr != 100.64.0.1
 *         tproxy ip to :15002 meta mark set 0x63 accept   (and IPv6; only with UDP rules) } }
 */
#include "net.h"
#include "net_int.h"
#include "net_nflog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TABLE "cellos"

struct nb {
    uint8_t *b;
    size_t cap, n;
    bool full;
    uint32_t seq;
    struct nlmsghdr *msg; /* the message being built */
};

static void *room(struct nb *o, size_t len)
{
    size_t al = NLMSG_ALIGN(len);
    if (o->full || al > o->cap - o->n) {
        o->full = true;
        return NULL;
    }
    void *p = o->b + o->n;
    memset(p, 0, al);
    o->n += al;
    return p;
}

static void begin(struct nb *o, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
    struct nlmsghdr *h = room(o, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
    o->msg = h;
    if (!h)
        return;
    h->nlmsg_type = type;
    h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
    h->nlmsg_seq = o->seq++;
    struct nfgenmsg *g = NLMSG_DATA(h);
    g->nfgen_family = family;
    g->version = NFNETLINK_V0;
    g->res_id = htons(res_id);
}

static void end(struct nb *o)
{
    if (o->msg && !o->full)
        o->msg->nlmsg_len = (uint32_t)((o->b + o->n) - (uint8_t *)o->msg);
    o->msg = NULL;
}

static struct nlattr *attr(struct nb *o, uint16_t type, const void *data, size_t len)
{
    struct nlattr *a = room(o, NLA_HDRLEN + len);
    if (!a)
        return NULL;
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + len);
    if (len)
        memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
    return a;
}

static void attr_str(struct nb *o, uint16_t type, const char *s)
{
    attr(o, type, s, strlen(s) + 1);
}

static void attr_be32(struct nb *o, uint16_t type, uint32_t v)
{
    uint32_t be = htonl(v);
    attr(o, type, &be, sizeof be);
}

static struct nlattr *nest(struct nb *o, uint16_t type)
{
    return attr(o, (uint16_t)(type | NLA_F_NESTED), NULL, 0);
}

static void nest_end(struct nb *o, struct nlattr *a)
{
    if (a && !o->full)
        a->nla_len = (uint16_t)((o->b + o->n) - (uint8_t *)a);
}

/* ---- expressions --------------------------------------------------------- */

static struct nlattr *expr(struct nb *o, const char *name, struct nlattr **data)
{
    struct nlattr *e = nest(o, NFTA_LIST_ELEM);
    attr_str(o, NFTA_EXPR_NAME, name);
    *data = nest(o, NFTA_EXPR_DATA);
    return e;
}

static void expr_end(struct nb *o, struct nlattr *e, struct nlattr *data)
{
    nest_end(o, data);
    nest_end(o, e);
}

static void data_value(struct nb *o, uint16_t type, const void *v, size_t len)
{
    struct nlattr *d = nest(o, type);
    attr(o, NFTA_DATA_VALUE, v, len);
    nest_end(o, d);
}

static void e_meta(struct nb *o, uint32_t key)
{
    struct nlattr *d, *e = expr(o, "meta", &d);
    attr_be32(o, NFTA_META_KEY, key);
    attr_be32(o, NFTA_META_DREG, NFT_REG_1);
    expr_end(o, e, d);
}

static void e_cmp(struct nb *o, uint32_t op, const void *v, size_t len)
{
    struct nlattr *d, *e = expr(o, "cmp", &d);
    attr_be32(o, NFTA_CMP_SREG, NFT_REG_1);
    attr_be32(o, NFTA_CMP_OP, op);
    data_value(o, NFTA_CMP_DATA, v, len);
    expr_end(o, e, d);
}

static void e_cmp8(struct nb *o, uint32_t op, uint8_t v)
{
    e_cmp(o, op, &v, 1);
}

static void e_cmp16(struct nb *o, uint32_t op, uint16_t host_order)
{
    uint16_t be = htons(host_order);
    e_cmp(o, op, &be, 2);
}

static void e_payload_to(struct nb *o, uint32_t base, uint32_t off, uint32_t len, uint32_t reg)
{
    struct nlattr *d, *e = expr(o, "payload", &d);
    attr_be32(o, NFTA_PAYLOAD_DREG, reg);
    attr_be32(o, NFTA_PAYLOAD_BASE, base);
    attr_be32(o, NFTA_PAYLOAD_OFFSET, off);
    attr_be32(o, NFTA_PAYLOAD_LEN, len);
    expr_end(o, e, d);
}

static void e_payload(struct nb *o, uint32_t base, uint32_t off, uint32_t len)
{
    e_payload_to(o, base, off, len, NFT_REG_1);
}

static void e_lookup(struct nb *o, const char *set, uint32_t id)
{
    struct nlattr *d, *e = expr(o, "lookup", &d);
    attr_be32(o, NFTA_LOOKUP_SREG, NFT_REG_1);
    attr_str(o, NFTA_LOOKUP_SET, set);
    attr_be32(o, NFTA_LOOKUP_SET_ID, id);
    expr_end(o, e, d);
}

static void e_mask(struct nb *o, const uint8_t *mask, size_t len)
{
    static const uint8_t zero[16];
    struct nlattr *d, *e = expr(o, "bitwise", &d);
    attr_be32(o, NFTA_BITWISE_SREG, NFT_REG_1);
    attr_be32(o, NFTA_BITWISE_DREG, NFT_REG_1);
    attr_be32(o, NFTA_BITWISE_LEN, (uint32_t)len);
    data_value(o, NFTA_BITWISE_MASK, mask, len);
    data_value(o, NFTA_BITWISE_XOR, zero, len);
    expr_end(o, e, d);
}

static void e_verdict(struct nb *o, uint32_t code)
{
    struct nlattr *d, *e = expr(o, "immediate", &d);
    attr_be32(o, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
    struct nlattr *id = nest(o, NFTA_IMMEDIATE_DATA);
    struct nlattr *v = nest(o, NFTA_DATA_VERDICT);
    attr_be32(o, NFTA_VERDICT_CODE, code);
    nest_end(o, v);
    nest_end(o, id);
    expr_end(o, e, d);
}

static void e_log(struct nb *o, uint16_t group)
{
    struct nlattr *d, *e = expr(o, "log", &d);
    uint16_t be = htons(group);
    attr(o, NFTA_LOG_GROUP, &be, sizeof be);
    expr_end(o, e, d);
}

static void e_reject(struct nb *o, uint32_t type, uint8_t code)
{
    struct nlattr *d, *e = expr(o, "reject", &d);
    attr_be32(o, NFTA_REJECT_TYPE, type);
    attr(o, NFTA_REJECT_ICMP_CODE, &code, 1);
    expr_end(o, e, d);
}

static void e_redirect(struct nb *o, uint16_t port)
{
    struct nlattr *d, *e = expr(o, "immediate", &d);
    attr_be32(o, NFTA_IMMEDIATE_DREG, NFT_REG_1);
    uint16_t be = htons(port);
    data_value(o, NFTA_IMMEDIATE_DATA, &be, 2);
    expr_end(o, e, d);
    e = expr(o, "redir", &d);
    attr_be32(o, NFTA_REDIR_REG_PROTO_MIN, NFT_REG_1);
    attr_be32(o, NFTA_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
    expr_end(o, e, d);
}

/* tproxy to port (this host's address on the incoming interface) */
static void e_tproxy(struct nb *o, int family, uint16_t port)
{
    struct nlattr *d, *e = expr(o, "immediate", &d);
    attr_be32(o, NFTA_IMMEDIATE_DREG, NFT_REG_1);
    uint16_t be = htons(port);
    data_value(o, NFTA_IMMEDIATE_DATA, &be, 2);
    expr_end(o, e, d);
    e = expr(o, "tproxy", &d);
    attr_be32(o, NFTA_TPROXY_FAMILY, family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    attr_be32(o, NFTA_TPROXY_REG_PORT, NFT_REG_1);
    expr_end(o, e, d);
}

/* meta mark set mark */
static void e_set_mark(struct nb *o, uint32_t mark)
{
    struct nlattr *d, *e = expr(o, "immediate", &d);
    attr_be32(o, NFTA_IMMEDIATE_DREG, NFT_REG_1);
    data_value(o, NFTA_IMMEDIATE_DATA, &mark, 4); /* host order, as the mark is kept */
    expr_end(o, e, d);
    e = expr(o, "meta", &d);
    attr_be32(o, NFTA_META_KEY, NFT_META_MARK);
    attr_be32(o, NFTA_META_SREG, NFT_REG_1);
    expr_end(o, e, d);
}

/* ---- rules, chains, the table -------------------------------------------- */

static struct nlattr *rule_begin(struct nb *o, const char *chain)
{
    begin(o, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
          NFPROTO_INET, 0);
    attr_str(o, NFTA_RULE_TABLE, TABLE);
    attr_str(o, NFTA_RULE_CHAIN, chain);
    return nest(o, NFTA_RULE_EXPRESSIONS);
}

static void rule_end(struct nb *o, struct nlattr *exprs)
{
    nest_end(o, exprs);
    end(o);
}

static void chain(struct nb *o, const char *name, const char *type, uint32_t hook, int32_t prio,
                  const char *dev)
{
    begin(o, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET, 0);
    attr_str(o, NFTA_CHAIN_TABLE, TABLE);
    attr_str(o, NFTA_CHAIN_NAME, name);
    struct nlattr *h = nest(o, NFTA_CHAIN_HOOK);
    attr_be32(o, NFTA_HOOK_HOOKNUM, hook);
    attr_be32(o, NFTA_HOOK_PRIORITY, (uint32_t)prio);
    if (dev)
        attr_str(o, NFTA_HOOK_DEV, dev);
    nest_end(o, h);
    attr_be32(o, NFTA_CHAIN_POLICY, NF_ACCEPT);
    attr_str(o, NFTA_CHAIN_TYPE, type);
    end(o);
}

/* nfproto and l4proto: the dependency every address/port match needs */
static void proto_match(struct nb *o, int family, uint8_t l4)
{
    e_meta(o, NFT_META_NFPROTO);
    e_cmp8(o, NFT_CMP_EQ, family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
    e_meta(o, NFT_META_L4PROTO);
    e_cmp8(o, NFT_CMP_EQ, l4);
}

/* daddr in addr/prefix (nothing to match for /0) */
static void daddr_match(struct nb *o, int family, const uint8_t *addr, unsigned prefix)
{
    size_t len = family == 4 ? 4 : 16;
    if (prefix == 0)
        return;
    e_payload(o, NFT_PAYLOAD_NETWORK_HEADER, family == 4 ? 16 : 24, (uint32_t)len);
    uint8_t mask[16] = { 0 }, net[16] = { 0 };
    for (unsigned i = 0; i < len; i++) {
        unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
        mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
        net[i] = addr[i] & mask[i];
    }
    if (prefix < len * 8)
        e_mask(o, mask, len);
    e_cmp(o, NFT_CMP_EQ, net, len);
}

static void dport_match(struct nb *o, uint16_t lo, uint16_t hi)
{
    if (lo == 0 && hi == 65535)
        return;
    e_payload(o, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    if (lo == hi) {
        e_cmp16(o, NFT_CMP_EQ, lo);
    } else {
        e_cmp16(o, NFT_CMP_GTE, lo);
        e_cmp16(o, NFT_CMP_LTE, hi);
    }
}

/* One element of a TCP or UDP set: address . port from lo to hi (the port padded
 * to 4 bytes, as nf_tables registers hold it); part: which set it is in. */
struct elem {
    uint8_t lo[20], hi[20];
    unsigned part;
};

static bool overlap(const struct elem *a, const struct elem *b, size_t alen)
{
    return memcmp(a->lo, b->hi, alen) <= 0 && memcmp(b->lo, a->hi, alen) <= 0 &&
        memcmp(a->lo + alen, b->hi + alen, 2) <= 0 && memcmp(b->lo + alen, a->hi + alen, 2) <= 0;
}

/* The (block . ports) elements for one family: the synthetic pool with each
 * name rule's ports, each CIDR rule's block with its ports; identical ones
 * once. Overlapping elements go to different sets (the kernel refuses
 * overlaps within one interval set): each element takes the first set
 * holding nothing it overlaps. Returns the count (*parts: how many sets),
 * -1 when out of memory. */
static long l4_elems(const struct plan *p, int family, uint8_t proto, struct elem **out, unsigned *parts)
{
    size_t alen = family == 4 ? 4 : 16, n = 0;
    struct elem *e = calloc(p->net.n_egress ? p->net.n_egress : 1, sizeof *e);
    if (!e)
        return -1;
    uint8_t pool[16] = { 0 };
    inet_pton(family == 4 ? AF_INET : AF_INET6, family == 4 ? "100.64.128.0" : NET_SYN6_PREFIX, pool);
    *parts = 0;
    for (size_t i = 0; i < p->net.n_egress; i++) {
        const struct plan_egress *g = &p->net.egress[i];
        if (g->proto != proto || (g->kind != CP_EGRESS_HOST && g->family != family))
            continue;
        const uint8_t *addr = g->kind == CP_EGRESS_HOST ? pool : g->addr;
        unsigned prefix = g->kind == CP_EGRESS_HOST ? (family == 4 ? 17 : 112) : g->prefix;
        struct elem *x = &e[n];
        for (size_t k = 0; k < alen; k++) {
            unsigned bits = prefix > k * 8 ? prefix - k * 8 : 0;
            uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
            x->lo[k] = addr[k] & m;
            x->hi[k] = (uint8_t)(addr[k] | (uint8_t)~m);
        }
        x->lo[alen] = (uint8_t)(g->port_lo >> 8);
        x->lo[alen + 1] = (uint8_t)g->port_lo;
        x->hi[alen] = (uint8_t)(g->port_hi >> 8);
        x->hi[alen + 1] = (uint8_t)g->port_hi;
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = memcmp(e[j].lo, x->lo, alen + 2) == 0 && memcmp(e[j].hi, x->hi, alen + 2) == 0;
        if (dup)
            continue;
        for (x->part = 0;; x->part++) {
            bool clash = false;
            for (size_t j = 0; j < n && !clash; j++)
                clash = e[j].part == x->part && overlap(&e[j], x, alen);
            if (!clash)
                break;
        }
        if (x->part + 1 > *parts)
            *parts = x->part + 1;
        n++;
    }
    *out = e;
    return (long)n;
}

static void set_name(char *buf, size_t cap, uint8_t proto, int family, unsigned part)
{
    snprintf(buf, cap, "%s%d_%u", proto == 17 ? "udp" : "tcp", family, part);
}

static uint32_t set_id(uint8_t proto, int family, unsigned part)
{
    return (uint32_t)proto << 24 | (uint32_t)family << 16 | part;
}

/* Set part of family with its elements (at most 256 per message:
 * attribute lengths are 16 bits). */
static void l4_set(struct nb *o, uint8_t proto, int family, unsigned part, const struct elem *e, size_t n)
{
    size_t alen = family == 4 ? 4 : 16;
    char name[32];
    set_name(name, sizeof name, proto, family, part);
    begin(o, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET, 0);
    attr_str(o, NFTA_SET_TABLE, TABLE);
    attr_str(o, NFTA_SET_NAME, name);
    attr_be32(o, NFTA_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT);
    attr_be32(o, NFTA_SET_KEY_TYPE,
              (family == 4 ? 7u : 8u) << 6 | 13u); /* nft: ipv[46]_addr . inet_service */
    attr_be32(o, NFTA_SET_KEY_LEN, (uint32_t)alen + 4);
    attr_be32(o, NFTA_SET_ID, set_id(proto, family, part));
    struct nlattr *desc = nest(o, NFTA_SET_DESC), *cc = nest(o, NFTA_SET_DESC_CONCAT);
    for (int f = 0; f < 2; f++) {
        struct nlattr *le = nest(o, NFTA_LIST_ELEM);
        attr_be32(o, NFTA_SET_FIELD_LEN, f == 0 ? (uint32_t)alen : 2);
        nest_end(o, le);
    }
    nest_end(o, cc);
    nest_end(o, desc);
    end(o);
    size_t in_msg = 0;
    struct nlattr *list = NULL;
    for (size_t i = 0; i < n && !o->full; i++) {
        if (e[i].part != part)
            continue;
        if (in_msg == 0) {
            begin(o, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET,
                  0);
            attr_str(o, NFTA_SET_ELEM_LIST_TABLE, TABLE);
            attr_str(o, NFTA_SET_ELEM_LIST_SET, name);
            attr_be32(o, NFTA_SET_ELEM_LIST_SET_ID, set_id(proto, family, part));
            list = nest(o, NFTA_SET_ELEM_LIST_ELEMENTS);
        }
        struct nlattr *el = nest(o, NFTA_LIST_ELEM);
        data_value(o, NFTA_SET_ELEM_KEY, e[i].lo, alen + 4);
        data_value(o, NFTA_SET_ELEM_KEY_END, e[i].hi, alen + 4);
        nest_end(o, el);
        if (++in_msg == 256) {
            nest_end(o, list);
            end(o);
            in_msg = 0;
        }
    }
    if (in_msg) {
        nest_end(o, list);
        end(o);
    }
}

size_t net_nft_batch(const struct plan *p, void *buf, size_t cap)
{
    size_t ntcp = 0, nudp = 0;
    for (size_t i = 0; i < p->net.n_egress; i++) {
        ntcp += p->net.egress[i].proto == 6;
        nudp += p->net.egress[i].proto == 17;
    }
    if (ntcp > NET_NFT_MAX_TCP_RULES || nudp > NET_NFT_MAX_TCP_RULES)
        return 0;
    struct nb o = { .b = buf, .cap = cap, .seq = 1 };
    begin(&o, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    end(&o);
    begin(&o, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET, 0);
    attr_str(&o, NFTA_TABLE_NAME, TABLE);
    end(&o);
    /* [0] tcp4 [1] tcp6 [2] udp4 [3] udp6 */
    struct elem *el[4] = { NULL, NULL, NULL, NULL };
    long nel[4];
    unsigned parts[4];
    for (int i = 0; i < 4; i++) {
        nel[i] = l4_elems(p, i & 1 ? 6 : 4, i < 2 ? 6 : 17, &el[i], &parts[i]);
        if (nel[i] < 0) {
            for (int j = 0; j < i; j++)
                free(el[j]);
            return 0;
        }
        for (unsigned k = 0; k < parts[i]; k++)
            l4_set(&o, i < 2 ? 6 : 17, i & 1 ? 6 : 4, k, el[i], (size_t)nel[i]);
    }
    chain(&o, "ingress", "filter", NF_INET_INGRESS, 0, "gw0");
    chain(&o, "prerouting", "nat", NF_INET_PRE_ROUTING, -100 /* dstnat */, NULL);
    if (nudp)
        chain(&o, "udp_tproxy", "filter", NF_INET_PRE_ROUTING, -150 /* mangle */, NULL);

    /* ARP and other non-IP: accepted */
    struct nlattr *r = rule_begin(&o, "ingress");
    e_meta(&o, NFT_META_PROTOCOL);
    e_cmp16(&o, NFT_CMP_NEQ, 0x0800);
    e_cmp16(&o, NFT_CMP_NEQ, 0x86dd);
    e_verdict(&o, NF_ACCEPT);
    rule_end(&o, r);
    /* IPv6 neighbour discovery */
    static const uint8_t nd[] = { 135, 136, 133 };
    for (size_t i = 0; i < sizeof nd; i++) {
        r = rule_begin(&o, "ingress");
        proto_match(&o, 6, IPPROTO_ICMPV6);
        e_payload(&o, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
        e_cmp8(&o, NFT_CMP_EQ, nd[i]);
        e_verdict(&o, NF_ACCEPT);
        rule_end(&o, r);
    }
    /* TCP and UDP a rule may grant: (address . port) in one of the sets */
    for (int i = 0; i < 4; i++) {
        int f = i & 1 ? 6 : 4;
        uint8_t proto = i < 2 ? IPPROTO_TCP : IPPROTO_UDP;
        for (unsigned k = 0; k < parts[i]; k++) {
            char name[32];
            set_name(name, sizeof name, proto, f, k);
            r = rule_begin(&o, "ingress");
            proto_match(&o, f, proto);
            e_payload(&o, NFT_PAYLOAD_NETWORK_HEADER, f == 4 ? 16 : 24, f == 4 ? 4 : 16);
            e_payload_to(&o, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, f == 4 ? NFT_REG32_01 : NFT_REG_2);
            e_lookup(&o, name, set_id(proto, f, k));
            e_verdict(&o, NF_ACCEPT);
            rule_end(&o, r);
        }
        free(el[i]);
    }
    /* DNS to the answerer */
    for (int f = 4; f <= 6; f += 2) {
        uint8_t a[16] = { 0 };
        inet_pton(f == 4 ? AF_INET : AF_INET6, f == 4 ? NET_GW4 : NET_GW6, a);
        r = rule_begin(&o, "ingress");
        proto_match(&o, f, IPPROTO_UDP);
        daddr_match(&o, f, a, f == 4 ? 32 : 128);
        dport_match(&o, 53, 53);
        e_verdict(&o, NF_ACCEPT);
        rule_end(&o, r);
    }
    /* multicast: dropped quietly */
    for (int f = 4; f <= 6; f += 2) {
        r = rule_begin(&o, "ingress");
        e_meta(&o, NFT_META_NFPROTO);
        e_cmp8(&o, NFT_CMP_EQ, f == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
        if (f == 4) {
            daddr_match(&o, 4, (const uint8_t[16]){ 224 }, 4);
        } else {
            e_payload(&o, NFT_PAYLOAD_NETWORK_HEADER, 24, 1);
            e_cmp8(&o, NFT_CMP_EQ, 0xff);
        }
        e_verdict(&o, NF_DROP);
        rule_end(&o, r);
    }
    /* everything else: logged for the refused-flow events, then refused */
    static const uint8_t logged[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 };
    for (size_t i = 0; i < sizeof logged; i++) {
        r = rule_begin(&o, "ingress");
        e_meta(&o, NFT_META_L4PROTO);
        e_cmp8(&o, NFT_CMP_EQ, logged[i]);
        e_log(&o, NET_NFLOG_GROUP);
        rule_end(&o, r);
    }
    r = rule_begin(&o, "ingress");
    e_meta(&o, NFT_META_L4PROTO);
    e_cmp8(&o, NFT_CMP_EQ, IPPROTO_TCP);
    e_reject(&o, NFT_REJECT_TCP_RST, 0);
    rule_end(&o, r);
    r = rule_begin(&o, "ingress");
    e_meta(&o, NFT_META_L4PROTO);
    e_cmp8(&o, NFT_CMP_EQ, IPPROTO_UDP);
    e_reject(&o, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
    rule_end(&o, r);
    r = rule_begin(&o, "ingress");
    e_reject(&o, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
    rule_end(&o, r);

    /* the proxy gets every TCP connection the ingress chain let through */
    r = rule_begin(&o, "prerouting");
    char ifname[16] = "gw0";
    e_meta(&o, NFT_META_IIFNAME);
    e_cmp(&o, NFT_CMP_EQ, ifname, sizeof ifname);
    e_meta(&o, NFT_META_L4PROTO);
    e_cmp8(&o, NFT_CMP_EQ, IPPROTO_TCP);
    e_redirect(&o, NET_PROXY_PORT);
    rule_end(&o, r);

    /* the UDP relay gets every datagram the ingress chain let through but
     * the answerer's: tproxy to its transparent listeners, with the fwmark
     * whose routing table delivers every address locally */
    for (int f = 4; f <= 6 && nudp; f += 2) {
        uint8_t gw[16] = { 0 };
        inet_pton(f == 4 ? AF_INET : AF_INET6, f == 4 ? NET_GW4 : NET_GW6, gw);
        r = rule_begin(&o, "udp_tproxy");
        e_meta(&o, NFT_META_IIFNAME);
        e_cmp(&o, NFT_CMP_EQ, ifname, sizeof ifname);
        proto_match(&o, f, IPPROTO_UDP);
        e_payload(&o, NFT_PAYLOAD_NETWORK_HEADER, f == 4 ? 16 : 24, f == 4 ? 4 : 16);
        e_cmp(&o, NFT_CMP_NEQ, gw, f == 4 ? 4 : 16);
        e_tproxy(&o, f, NET_UDP_PORT);
        e_set_mark(&o, NET_UDP_MARK);
        e_verdict(&o, NF_ACCEPT);
        rule_end(&o, r);
    }

    begin(&o, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    end(&o);
    return o.full ? 0 : o.n;
}

size_t net_nft_batch_cap(const struct plan *p)
{
    return 12288 + 128 * p->net.n_egress;
}

/* Read the kernel's answers to a sent batch: 0 once the message with seq
 * last is acknowledged, the first error otherwise. */
static int batch_result(int fd, uint32_t last)
{
    char in[8192] __attribute__((aligned(4)));
    for (;;) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        int pr = poll(&pf, 1, 2000);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr != 1)
            return pr == 0 ? ETIMEDOUT : errno;
        ssize_t n = recv(fd, in, sizeof in, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EPROTO;
        size_t left = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)in; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                continue;
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (e->error)
                return -e->error;
            if (h->nlmsg_seq == last)
                return 0;
        }
    }
}

int net_nft_load(const struct plan *p)
{
    size_t cap = net_nft_batch_cap(p);
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -1;
    size_t len = net_nft_batch(p, buf, cap);
    int err = 0;
    int fd = -1;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    if (len == 0)
        err = E2BIG;
    else if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)) < 0 ||
             bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        err = errno;
    if (!err) {
        int sb = (int)len + 65536; /* the batch is one message: the buffer must hold it */
        if (len > 160000)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof sb);
        if (send(fd, buf, len, 0) != (ssize_t)len)
            err = errno ? errno : EIO;
    }
    if (!err) {
        /* every message but the batch markers asks for an ACK: the last
         * one's means the whole batch was applied, any error that none of
         * it was (a batch is all or nothing) */
        uint32_t last = 0;
        size_t left = len;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
            if (h->nlmsg_flags & NLM_F_ACK)
                last = h->nlmsg_seq;
        err = batch_result(fd, last);
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    errno = err;
    return err ? -1 : 0;
}
