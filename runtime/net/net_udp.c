/*
 * net_udp.c - netd's UDP relay. In the gateway namespace, nftables `tproxy`
 * hands the cell's accepted datagrams (any destination but the answerer) to
 * a transparent listener (IP_TRANSPARENT, IP_RECVORIGDSTADDR) with a fwmark
 * whose routing table delivers every address locally; no packet is
 * forwarded. The first datagram of a flow (cell address and port, original
 * destination and port) is checked: a synthetic address maps back to its
 * name and needs a UDP rule for that name and port (no SNI for UDP), an
 * address needs a UDP CIDR rule; the always-deny set applies to the address
 * dialled. A granted flow gets two sockets: one in the host's namespace
 * connected to the real destination (the name's pinned address), and a
 * transparent one in the gateway namespace bound to the original
 * destination and connected to the cell, which takes the flow's later
 * datagrams (the kernel prefers the connected socket) and sends the replies
 * from the address the cell dialled. A refused flow gets an ICMP port
 * unreachable (ECONNREFUSED in the cell), written by a raw socket of the
 * gateway namespace, and a flow_refused report for the first attempt.
 *
 * A name not pinned yet (a wildcard's name on first use) is resolved by a
 * thread of its own; its first datagrams (at most UDP_PENDING in all) wait
 * meanwhile, so the relay itself never blocks on the host's resolver.
 *
 * Invariants: one thread owns every flow (no locks here; netd's shared
 * state is reached through the netd_* calls); at most UDP_MAX_FLOWS flows
 * (the least recently active one is closed to make room); a flow idle for
 * UDP_IDLE_MS is closed; nothing is created in the host's namespace but the
 * dialling sockets.
 */
#include "net.h"
#include "net_int.h"
#include "net_netd.h"
#include "net_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDP_MAX_FLOWS 256
#define UDP_IDLE_MS   30000 /* CELLOS_NET_UDP_IDLE_MS (test-only) overrides */
#define UDP_DGRAM_MAX 65536
#define UDP_PENDING   32 /* datagrams held while their name is resolved */

enum {
    EV_LST4,
    EV_LST6,
    EV_DOWN,
    EV_UP
};
#define EV_WAKE UINT64_MAX /* a name was resolved (never a flow's tag: slots < 256) */

struct flow {
    bool used;
    uint8_t family; /* the cell's side: 4 or 6 */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    int down, up; /* gateway side (to the cell), host side (to the destination) */
    int rule;
    uint32_t gen;
    uint64_t last;
};

/* The first datagram of a flow to a name not pinned yet, held while a
 * thread of its own resolves the name (the relay never waits for it). */
struct pending {
    bool used;
    uint8_t family;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    long idx;
    size_t len;
    uint8_t *data;
};

struct udp_relay {
    struct netd *d;
    const struct plan *p;
    int gw_ns, host_ns;
    int lst4, lst6, icmp4, icmp6;
    int ep;
    uint32_t gen;
    uint64_t idle_ms;
    int wake[2]; /* resolver threads -> relay: the index of a name resolved */
    struct pending pend[UDP_PENDING];
    uint8_t *buf;
    struct flow flows[UDP_MAX_FLOWS];
};

bool net_has_udp(const struct plan *p)
{
    for (size_t i = 0; i < p->net.n_egress; i++)
        if (p->net.egress[i].proto == 17)
            return true;
    return false;
}

/* The name a synthetic address stands for (idx >= 0), or -1. */
static long syn_name(struct netd *d, int family, const uint8_t *a, char *name, size_t cap)
{
    long idx = netd_syn_lookup(d, family, a);
    if (idx >= 0) {
        pthread_mutex_lock(&d->mu);
        snprintf(name, cap, "%s", d->syn[idx].name);
        pthread_mutex_unlock(&d->mu);
    }
    return idx;
}

/* The pinned real addresses of synthetic name idx (resolved on first use). */
static int syn_addrs(struct netd *d, long idx, uint8_t *fam, uint8_t (*addr)[16], int max)
{
    netd_resolve(d, (size_t)idx);
    pthread_mutex_lock(&d->mu);
    const struct syn *s = &d->syn[idx];
    int n = s->n < max ? s->n : max;
    memcpy(fam, s->fam, (size_t)n);
    memcpy(addr, s->addr, (size_t)n * 16);
    pthread_mutex_unlock(&d->mu);
    return n;
}

static void count(struct netd *d, int rule, uint64_t conns, uint64_t out, uint64_t in)
{
    if (rule < 0 || (size_t)rule >= d->p->net.n_egress)
        return;
    atomic_fetch_add(&d->ctr[rule].conns, conns);
    atomic_fetch_add(&d->ctr[rule].out, out);
    atomic_fetch_add(&d->ctr[rule].in, in);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static socklen_t mk_sa(int family, const uint8_t *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, a, 4);
        return sizeof *s4;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    memcpy(&s6->sin6_addr, a, 16);
    return sizeof *s6;
}

static int transparent(int s, int family)
{
    int one = 1;
    return family == 4 ? setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof one)
                       : setsockopt(s, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one);
}

static int listener(int family)
{
    int s = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    int one = 1;
    struct sockaddr_storage ss;
    uint8_t any[16] = { 0 };
    socklen_t l = mk_sa(family, any, NET_UDP_PORT, &ss);
    int r = transparent(s, family);
    if (r == 0 && family == 4)
        r = setsockopt(s, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof one);
    if (r == 0 && family == 6)
        r = setsockopt(s, SOL_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (r == 0 && family == 6)
        r = setsockopt(s, SOL_IPV6, IPV6_RECVORIGDSTADDR, &one, sizeof one);
    if (r == 0)
        r = bind(s, (struct sockaddr *)&ss, l);
    if (r < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

/* A raw ICMP socket that only sends (every type filtered on receive). */
static int icmp_sender(int family)
{
    int s = socket(family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                   family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (s < 0)
        return -1;
    if (family == 4) {
        struct icmp_filter f = { .data = ~0u };
        setsockopt(s, SOL_RAW, ICMP_FILTER, &f, sizeof f);
    } else {
        struct icmp6_filter f;
        memset(&f, 0xff, sizeof f); /* block all */
        setsockopt(s, SOL_ICMPV6, ICMPV6_FILTER, &f, sizeof f);
    }
    return s;
}

void net_icmp_unlimited(void)
{
    /* /proc/sys/net is the opener's namespace: the gateway's here */
    static const char *const files[][2] = {
        { "/proc/sys/net/ipv4/icmp_ratemask", "0\n" },
        { "/proc/sys/net/ipv6/icmp/ratemask", "\n" },
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        int fd = open(files[i][0], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t w = write(fd, files[i][1], strlen(files[i][1]));
        (void)w; /* best effort: without it refusals are rate-limited, not opened */
        close(fd);
    }
}

struct udp_relay *udp_relay_open(struct netd *d, const struct plan *p, int host_ns, const char **step)
{
    struct udp_relay *u = calloc(1, sizeof *u);
    if (!u) {
        *step = "UDP relay: out of memory";
        return NULL;
    }
    u->d = d;
    u->p = p;
    u->host_ns = fcntl(host_ns, F_DUPFD_CLOEXEC, 0);
    u->idle_ms = UDP_IDLE_MS;
    const char *idle = getenv("CELLOS_NET_UDP_IDLE_MS");
    if (idle && idle[0]) {
        char *end;
        unsigned long long v = strtoull(idle, &end, 10);
        if (!*end && v >= 10 && v <= 3600000)
            u->idle_ms = v;
    }
    u->lst4 = u->lst6 = u->icmp4 = u->icmp6 = u->ep = -1;
    u->buf = malloc(UDP_DGRAM_MAX);
    u->gw_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int nl = nl_open();
    if (!u->buf || u->gw_ns < 0 || u->host_ns < 0 || nl < 0) {
        *step = "UDP relay: set-up";
        goto fail;
    }
    if (nl_tproxy_route(nl, AF_INET, NET_UDP_MARK, NET_UDP_TABLE) < 0 ||
        nl_tproxy_route(nl, AF_INET6, NET_UDP_MARK, NET_UDP_TABLE) < 0) {
        *step = "UDP relay: the fwmark rule and local route";
        goto fail;
    }
    close(nl);
    nl = -1;
    u->lst4 = listener(4);
    u->lst6 = listener(6);
    if (u->lst4 < 0 || u->lst6 < 0) {
        *step = "UDP relay: the transparent listeners";
        goto fail;
    }
    u->icmp4 = icmp_sender(4);
    u->icmp6 = icmp_sender(6);
    if (u->icmp4 < 0 || u->icmp6 < 0) {
        *step = "UDP relay: the ICMP sockets";
        goto fail;
    }
    return u;
fail : {
    int e = errno;
    if (nl >= 0)
        close(nl);
    int fds[] = { u->gw_ns, u->host_ns, u->lst4, u->lst6, u->icmp4, u->icmp6 };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(u->buf);
    free(u);
    errno = e;
    return NULL;
}
}

static uint16_t csum(const uint8_t *b, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        s += (uint32_t)(b[n - 1] << 8);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* ICMP port unreachable to the cell for its datagram src:sport -> dst:dport
 * of len payload bytes: its connected socket gets ECONNREFUSED. */
static void unreachable(struct udp_relay *u, int family, const uint8_t *src, uint16_t sport,
                        const uint8_t *dst, uint16_t dport, size_t len)
{
    uint8_t m[8 + 40 + 8];
    memset(m, 0, sizeof m);
    size_t n;
    uint8_t *udp;
    if (family == 4) {
        m[0] = 3; /* destination unreachable */
        m[1] = 3; /* port unreachable */
        uint8_t *ip = m + 8;
        size_t tot = 20 + 8 + len;
        ip[0] = 0x45;
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[8] = 64;
        ip[9] = 17;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        uint16_t c = csum(ip, 20);
        ip[10] = (uint8_t)(c >> 8);
        ip[11] = (uint8_t)c;
        udp = ip + 20;
        n = 8 + 20 + 8;
    } else {
        m[0] = 1; /* destination unreachable */
        m[1] = 4; /* port unreachable */
        uint8_t *ip = m + 8;
        ip[0] = 0x60;
        ip[4] = (uint8_t)((8 + len) >> 8);
        ip[5] = (uint8_t)(8 + len);
        ip[6] = 17;
        ip[7] = 64;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
        udp = ip + 40;
        n = 8 + 40 + 8;
    }
    udp[0] = (uint8_t)(sport >> 8);
    udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8);
    udp[3] = (uint8_t)dport;
    udp[4] = (uint8_t)((8 + len) >> 8);
    udp[5] = (uint8_t)(8 + len);
    if (family == 4) {
        uint16_t c = csum(m, n);
        m[2] = (uint8_t)(c >> 8);
        m[3] = (uint8_t)c;
    } /* ICMPv6: the kernel computes the checksum */
    struct sockaddr_storage ss;
    socklen_t l = mk_sa(family, src, 0, &ss);
    sendto(family == 4 ? u->icmp4 : u->icmp6, m, n, MSG_DONTWAIT, (struct sockaddr *)&ss, l);
}

static void flow_close(struct flow *f)
{
    if (f->down >= 0)
        close(f->down);
    if (f->up >= 0)
        close(f->up);
    f->used = false;
    f->down = f->up = -1;
}

static struct flow *flow_find(struct udp_relay *u, int family, const uint8_t *src, uint16_t sport,
                              const uint8_t *dst, uint16_t dport)
{
    for (size_t i = 0; i < UDP_MAX_FLOWS; i++) {
        struct flow *f = &u->flows[i];
        if (f->used && f->family == family && f->sport == sport && f->dport == dport &&
            !memcmp(f->src, src, 16) && !memcmp(f->dst, dst, 16))
            return f;
    }
    return NULL;
}

/* A free slot, closing the least recently active flow when all are used. */
static struct flow *flow_slot(struct udp_relay *u)
{
    struct flow *old = &u->flows[0];
    for (size_t i = 0; i < UDP_MAX_FLOWS; i++) {
        struct flow *f = &u->flows[i];
        if (!f->used)
            return f;
        if (f->last < old->last)
            old = f;
    }
    flow_close(old);
    return old;
}

static int watch(struct udp_relay *u, int fd, struct flow *f, unsigned kind)
{
    struct epoll_event ev = { .events = EPOLLIN };
    ev.data.u64 = (uint64_t)f->gen << 32 | (uint64_t)(f - u->flows) << 2 | kind;
    return epoll_ctl(u->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The gateway-side socket of a flow: transparent, bound to the address the
 * cell dialled, connected to the cell. Made in the gateway namespace. */
static int down_socket(struct udp_relay *u, const struct flow *f)
{
    if (setns(u->gw_ns, CLONE_NEWNET) < 0)
        return -1;
    int s = socket(f->family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int e = errno;
    if (setns(u->host_ns, CLONE_NEWNET) < 0) {
        /* this thread would dial from the gateway: never go on like that */
        _exit(125);
    }
    if (s < 0) {
        errno = e;
        return -1;
    }
    int one = 1;
    struct sockaddr_storage ss;
    socklen_t l;
    int r = transparent(s, f->family);
    if (r == 0)
        r = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (r == 0 && f->family == 6)
        r = setsockopt(s, SOL_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (r == 0) {
        l = mk_sa(f->family, f->dst, f->dport, &ss);
        r = bind(s, (struct sockaddr *)&ss, l);
    }
    if (r == 0) {
        l = mk_sa(f->family, f->src, f->sport, &ss);
        r = connect(s, (struct sockaddr *)&ss, l);
    }
    if (r < 0) {
        e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

/* The host-side socket of a flow, connected to the real destination. */
static int up_socket(int family, const uint8_t *a, uint16_t port)
{
    int s = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t l = mk_sa(family, a, port, &ss);
    if (connect(s, (struct sockaddr *)&ss, l) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

static bool syn_pinned(struct netd *d, long idx)
{
    pthread_mutex_lock(&d->mu);
    bool r = d->syn[idx].resolved;
    pthread_mutex_unlock(&d->mu);
    return r;
}

struct resolver_arg {
    struct netd *d;
    long idx;
    int wake;
};

static void *resolver_main(void *arg)
{
    struct resolver_arg a = *(struct resolver_arg *)arg;
    free(arg);
    netd_resolve(a.d, (size_t)a.idx);
    ssize_t w;
    do
        w = write(a.wake, &a.idx, sizeof a.idx);
    while (w < 0 && errno == EINTR);
    return NULL;
}

/* Keep the datagram in u->buf (len bytes) until name idx is pinned; start
 * resolving it unless a held datagram already waits for the same name.
 * Dropped (as UDP may be) when UDP_PENDING are held or memory is short. */
static void hold(struct udp_relay *u, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                 uint16_t dport, long idx, size_t len)
{
    struct pending *slot = NULL;
    bool waiting = false;
    for (size_t i = 0; i < UDP_PENDING; i++) {
        if (!u->pend[i].used && !slot)
            slot = &u->pend[i];
        if (u->pend[i].used && u->pend[i].idx == idx)
            waiting = true;
    }
    if (!slot)
        return;
    uint8_t *data = malloc(len ? len : 1);
    if (!data)
        return;
    memcpy(data, u->buf, len);
    if (!waiting) {
        struct resolver_arg *a = malloc(sizeof *a);
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        bool started = a != NULL;
        if (a) {
            *a = (struct resolver_arg){ u->d, idx, u->wake[1] };
            started = pthread_create(&t, &at, resolver_main, a) == 0;
            if (!started)
                free(a);
        }
        pthread_attr_destroy(&at);
        if (!started) {
            free(data);
            return;
        }
    }
    *slot = (struct pending){ .used = true,
                              .family = (uint8_t)family,
                              .sport = sport,
                              .dport = dport,
                              .idx = idx,
                              .len = len,
                              .data = data };
    memcpy(slot->src, src, 16);
    memcpy(slot->dst, dst, 16);
}

static void flow_new(struct udp_relay *u, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                     uint16_t dport, size_t len);

/* One datagram from the cell, as the listener got it (payload in u->buf). */
static void from_cell(struct udp_relay *u, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                      uint16_t dport, size_t len)
{
    struct flow *f = flow_find(u, family, src, sport, dst, dport);
    if (f) {
        f->last = mono_ms();
        ssize_t w = send(f->up, u->buf, len, MSG_DONTWAIT);
        if (w > 0)
            count(u->d, f->rule, 0, (uint64_t)w, 0);
    } else {
        flow_new(u, family, src, sport, dst, dport, len);
    }
}

/* Names resolved: the datagrams held for them go on, in arrival order. */
static void on_wake(struct udp_relay *u)
{
    long idx;
    while (read(u->wake[0], &idx, sizeof idx) == (ssize_t)sizeof idx) {
        for (size_t i = 0; i < UDP_PENDING; i++) {
            struct pending *pd = &u->pend[i];
            if (!pd->used || pd->idx != idx)
                continue;
            memcpy(u->buf, pd->data, pd->len);
            pd->used = false;
            from_cell(u, pd->family, pd->src, pd->sport, pd->dst, pd->dport, pd->len);
            free(pd->data);
            pd->data = NULL;
        }
    }
}

/* The first datagram of a flow: decide, and open the flow or refuse it. */
static void flow_new(struct udp_relay *u, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                     uint16_t dport, size_t len)
{
    char name[DNS_MAX_NAME + 1] = "";
    const char *why = NULL;
    int rule, up = -1;
    long idx = syn_name(u->d, family, dst, name, sizeof name);
    if (idx >= 0) {
        rule = net_rule_for_name(u->p, name, 17, dport);
        if (rule < 0) {
            why = net_rule_for_name(u->p, name, 6, dport) >= 0
                ? "the name is granted for TCP only on this port (QUIC and other UDP refused)"
                : "no UDP rule grants this name on this port";
        } else if (!syn_pinned(u->d, idx)) {
            hold(u, family, src, sport, dst, dport, idx, len);
            return;
        } else {
            uint8_t fam[8], addr[8][16];
            int n = syn_addrs(u->d, idx, fam, addr, 8);
            why = "the host cannot resolve this name";
            for (int i = 0; i < n && up < 0; i++) {
                const char *deny = netd_dial_denied(u->d, fam[i], addr[i], true);
                if (deny) {
                    why = deny;
                    continue;
                }
                up = up_socket(fam[i], addr[i], dport);
                if (up < 0)
                    why = "the destination cannot be reached";
            }
        }
    } else {
        rule = net_rule_for_addr(u->p, family, dst, 17, dport);
        why = rule < 0 ? "no rule grants this address and port" : netd_dial_denied(u->d, family, dst, false);
        if (!why && (up = up_socket(family, dst, dport)) < 0)
            why = "the destination cannot be reached";
    }
    if (up < 0) {
        unreachable(u, family, src, sport, dst, dport, len);
        netd_refused_flow(u->d, family, 17, dst, dport, idx >= 0 ? name : NULL, why ? why : "refused");
        return;
    }
    struct flow *f = flow_slot(u);
    *f = (struct flow){ .used = true,
                        .family = (uint8_t)family,
                        .sport = sport,
                        .dport = dport,
                        .down = -1,
                        .up = up,
                        .rule = rule,
                        .gen = ++u->gen,
                        .last = mono_ms() };
    memcpy(f->src, src, 16);
    memcpy(f->dst, dst, 16);
    f->down = down_socket(u, f);
    if (f->down < 0 || watch(u, f->down, f, EV_DOWN) < 0 || watch(u, f->up, f, EV_UP) < 0) {
        flow_close(f);
        unreachable(u, family, src, sport, dst, dport, len);
        netd_refused_flow(u->d, family, 17, dst, dport, idx >= 0 ? name : NULL,
                          "the relay could not open the flow");
        return;
    }
    count(u->d, rule, 1, 0, 0);
    ssize_t w = send(f->up, u->buf, len, MSG_DONTWAIT);
    if (w > 0)
        count(u->d, rule, 0, (uint64_t)w, 0);
}

/* A datagram on a transparent listener: a new flow, or a flow's datagram
 * that arrived before its own socket existed. */
static void on_listener(struct udp_relay *u, int s, int family)
{
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage from;
        char cbuf[CMSG_SPACE(sizeof(struct sockaddr_in6))];
        struct iovec iov = { u->buf, UDP_DGRAM_MAX };
        struct msghdr mh = { .msg_name = &from,
                             .msg_namelen = sizeof from,
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = cbuf,
                             .msg_controllen = sizeof cbuf };
        ssize_t n = recvmsg(s, &mh, MSG_DONTWAIT);
        if (n < 0)
            return;
        uint8_t src[16] = { 0 }, dst[16] = { 0 };
        uint16_t sport = 0, dport = 0;
        bool have = false;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (family == 4 && c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR &&
                c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
                struct sockaddr_in o;
                memcpy(&o, CMSG_DATA(c), sizeof o);
                memcpy(dst, &o.sin_addr, 4);
                dport = ntohs(o.sin_port);
                have = true;
            } else if (family == 6 && c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR &&
                       c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6))) {
                struct sockaddr_in6 o;
                memcpy(&o, CMSG_DATA(c), sizeof o);
                memcpy(dst, &o.sin6_addr, 16);
                dport = ntohs(o.sin6_port);
                have = true;
            }
        }
        if (!have || (mh.msg_flags & MSG_TRUNC))
            continue;
        if (family == 4 && from.ss_family == AF_INET) {
            const struct sockaddr_in *f4 = (const struct sockaddr_in *)&from;
            memcpy(src, &f4->sin_addr, 4);
            sport = ntohs(f4->sin_port);
        } else if (family == 6 && from.ss_family == AF_INET6) {
            const struct sockaddr_in6 *f6 = (const struct sockaddr_in6 *)&from;
            memcpy(src, &f6->sin6_addr, 16);
            sport = ntohs(f6->sin6_port);
        } else {
            continue;
        }
        from_cell(u, family, src, sport, dst, dport, (size_t)n);
    }
}

/* Datagrams of an open flow, either way. */
static void on_flow(struct udp_relay *u, struct flow *f, bool from_cell)
{
    int in = from_cell ? f->down : f->up, out = from_cell ? f->up : f->down;
    for (int k = 0; k < 64; k++) {
        ssize_t n = recv(in, u->buf, UDP_DGRAM_MAX, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (!from_cell && errno == ECONNREFUSED) /* the destination's own port unreachable */
                unreachable(u, f->family, f->src, f->sport, f->dst, f->dport, 0);
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue;
        }
        if (n > UDP_DGRAM_MAX)
            continue; /* truncated: drop it, as a too-small path would */
        f->last = mono_ms();
        ssize_t w = send(out, u->buf, (size_t)n, MSG_DONTWAIT);
        if (w > 0)
            count(u->d, f->rule, 0, from_cell ? (uint64_t)w : 0, from_cell ? 0 : (uint64_t)w);
    }
}

static void sweep(struct udp_relay *u)
{
    uint64_t now = mono_ms();
    for (size_t i = 0; i < UDP_MAX_FLOWS; i++)
        if (u->flows[i].used && now - u->flows[i].last >= u->idle_ms)
            flow_close(&u->flows[i]);
}

static void *relay_main(void *arg)
{
    struct udp_relay *u = arg;
    int tick = u->idle_ms < 1000 ? (int)u->idle_ms / 2 : 1000;
    uint64_t next_sweep = mono_ms() + (uint64_t)tick;
    for (;;) {
        struct epoll_event evs[32];
        int n = epoll_wait(u->ep, evs, 32, tick);
        for (int i = 0; i < n; i++) {
            uint64_t v = evs[i].data.u64;
            if (v == EV_WAKE) {
                on_wake(u);
                continue;
            }
            unsigned kind = (unsigned)(v & 3);
            if (kind == EV_LST4) {
                on_listener(u, u->lst4, 4);
                continue;
            }
            if (kind == EV_LST6) {
                on_listener(u, u->lst6, 6);
                continue;
            }
            size_t slot = (size_t)((v >> 2) & 0x3fffffff);
            if (slot >= UDP_MAX_FLOWS)
                continue;
            struct flow *f = &u->flows[slot];
            if (!f->used || f->gen != (uint32_t)(v >> 32))
                continue; /* closed (and maybe reused) since this event was queued */
            on_flow(u, f, kind == EV_DOWN);
        }
        uint64_t now = mono_ms();
        if (now >= next_sweep) {
            sweep(u);
            next_sweep = now + (uint64_t)tick;
        }
    }
    return NULL;
}

int udp_relay_start(struct udp_relay *u)
{
    for (size_t i = 0; i < UDP_MAX_FLOWS; i++)
        u->flows[i].down = u->flows[i].up = -1;
    u->ep = epoll_create1(EPOLL_CLOEXEC);
    if (u->ep < 0 || pipe2(u->wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    struct epoll_event ew = { .events = EPOLLIN, .data.u64 = EV_WAKE };
    if (epoll_ctl(u->ep, EPOLL_CTL_ADD, u->wake[0], &ew) < 0)
        return -1;
    struct epoll_event e4 = { .events = EPOLLIN, .data.u64 = EV_LST4 };
    struct epoll_event e6 = { .events = EPOLLIN, .data.u64 = EV_LST6 };
    if (epoll_ctl(u->ep, EPOLL_CTL_ADD, u->lst4, &e4) < 0 ||
        epoll_ctl(u->ep, EPOLL_CTL_ADD, u->lst6, &e6) < 0)
        return -1;
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t, &at, relay_main, u);
    pthread_attr_destroy(&at);
    return r == 0 ? 0 : -1;
}
