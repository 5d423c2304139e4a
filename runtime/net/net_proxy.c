/*
 * net_proxy.c - netd's TCP proxy: a connection the gateway redirected to
 * port 15001 is checked (its original destination -> synthetic name -> rule
 * and port, then the TLS ClientHello's SNI or the HTTP Host must be that
 * name; a CIDR rule's address is checked against the rule and the
 * always-deny set), the real destination is dialled from the host's
 * namespace, the bytes already read are sent, and both directions are
 * spliced until each side closes. A refused connection is closed with a
 * reset and reported once per destination.
 */
#include "net_int.h"
#include "net_netd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEEK_MAX        (16384 + 5) /* one whole TLS record */
#define DIAL_TIMEOUT_MS 5000
#define PEEK_TIMEOUT_MS 5000

struct conn {
    struct netd *d;
    int fd, family;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void refuse(struct netd *d, int fd, int family, const uint8_t *addr, uint16_t port, const char *name,
                   const char *why)
{
    struct linger lg = { 1, 0 }; /* close with a reset */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    netd_refused_flow(d, family, 6, addr, port, name, why);
}

/* Report the first refused attempt per (family, protocol, address, port). */ static int
dial(int family, const uint8_t *a, uint16_t port)
{
    int s = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    int r;
    if (family == 4) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        memcpy(&sa.sin_addr, a, 4);
        r = connect(s, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
        memcpy(&sa.sin6_addr, a, 16);
        r = connect(s, (struct sockaddr *)&sa, sizeof sa);
    }
    if (r < 0 && errno == EINPROGRESS) {
        struct pollfd pf = { .fd = s, .events = POLLOUT };
        int err = 0;
        socklen_t el = sizeof err;
        if (poll(&pf, 1, DIAL_TIMEOUT_MS) != 1 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
            close(s);
            errno = err ? err : ETIMEDOUT;
            return -1;
        }
        r = 0;
    }
    if (r < 0) {
        int err = errno;
        close(s);
        errno = err;
        return -1;
    }
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    return s;
}

struct pump_arg {
    int src, dst;
    atomic_uint_fast64_t *count;
};

/* src -> dst until EOF or an error, through a pipe with splice(2). */
static void *pump(void *arg)
{
    struct pump_arg *pa = arg;
    int pp[2];
    if (pipe2(pp, O_CLOEXEC) == 0) {
        for (;;) {
            ssize_t n = splice(pa->src, NULL, pp[1], NULL, 1 << 20, SPLICE_F_MOVE);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            ssize_t left = n;
            while (left > 0) {
                ssize_t w = splice(pp[0], NULL, pa->dst, NULL, (size_t)left, SPLICE_F_MOVE);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    goto out;
                left -= w;
            }
            atomic_fetch_add(pa->count, (uint64_t)n);
        }
    out:
        close(pp[0]);
        close(pp[1]);
    }
    shutdown(pa->dst, SHUT_WR);
    shutdown(pa->src, SHUT_RD);
    return NULL;
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct netd *d = c->d;
    int fd = c->fd, family = c->family, up = -1;
    free(c);
    uint8_t dst[16] = { 0 };
    uint16_t port = 0;
    if (family == 4) {
        struct sockaddr_in o;
        socklen_t l = sizeof o;
        if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &o, &l) < 0)
            goto done;
        memcpy(dst, &o.sin_addr, 4);
        port = ntohs(o.sin_port);
    } else {
        struct sockaddr_in6 o;
        socklen_t l = sizeof o;
        if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &o, &l) < 0)
            goto done;
        memcpy(dst, &o.sin6_addr, 16);
        port = ntohs(o.sin6_port);
    }
    long idx = netd_syn_lookup(d, family, dst);
    int rule;
    uint8_t peek[PEEK_MAX];
    size_t np = 0;
    char name[DNS_MAX_NAME + 1] = "";
    if (idx >= 0) {
        pthread_mutex_lock(&d->mu);
        snprintf(name, sizeof name, "%s", d->syn[idx].name);
        pthread_mutex_unlock(&d->mu);
        rule = net_rule_for_name(d->p, name, 6, port);
        if (rule < 0) {
            refuse(d, fd, family, dst, port, name, "no rule grants this name on this port");
            goto done;
        }
        /* the connection must name the host it was granted for */
        uint64_t end = now_ms() + PEEK_TIMEOUT_MS;
        char said[DNS_MAX_NAME + 2] = "";
        int tls = -1, http = -1;
        while (np < sizeof peek) {
            tls = np ? peek_tls_sni(peek, np, said, sizeof said) : -1;
            http = np ? peek_http_host(peek, np, said, sizeof said) : -1;
            if (tls >= 0 || http >= 0 || (tls == -2 && http == -2))
                break;
            uint64_t now = now_ms();
            struct pollfd pf = { .fd = fd, .events = POLLIN };
            if (now >= end || poll(&pf, 1, (int)(end - now)) != 1)
                break;
            ssize_t k = recv(fd, peek + np, sizeof peek - np, 0);
            if (k <= 0)
                break;
            np += (size_t)k;
        }
        if (tls != 1 && http != 1) {
            refuse(d, fd, family, dst, port, name,
                   tls == 0        ? "TLS without a server name"
                       : http == 0 ? "HTTP without a Host header"
                                   : "no TLS server name or HTTP Host within the first bytes");
            goto done;
        }
        if (strcasecmp(said, name) != 0) {
            char why[120];
            snprintf(why, sizeof why, "the connection names %.64s, not the granted name", said);
            refuse(d, fd, family, dst, port, name, why);
            goto done;
        }
        netd_resolve(d, (size_t)idx);
        pthread_mutex_lock(&d->mu);
        struct syn s = d->syn[idx];
        pthread_mutex_unlock(&d->mu);
        const char *why = "the host cannot resolve this name";
        for (int i = 0; i < s.n && up < 0; i++) {
            const char *deny = netd_dial_denied(d, s.fam[i], s.addr[i], true);
            if (deny) {
                why = deny;
                continue;
            }
            up = dial(s.fam[i], s.addr[i], port);
            if (up < 0)
                why = "the destination did not accept the connection";
        }
        if (up < 0) {
            refuse(d, fd, family, dst, port, name, why);
            goto done;
        }
    } else {
        rule = net_rule_for_addr(d->p, family, dst, 6, port);
        const char *deny =
            rule < 0 ? "no rule grants this address and port" : netd_dial_denied(d, family, dst, false);
        if (deny) {
            refuse(d, fd, family, dst, port, NULL, deny);
            goto done;
        }
        up = dial(family, dst, port);
        if (up < 0) {
            refuse(d, fd, family, dst, port, NULL, "the destination did not accept the connection");
            goto done;
        }
    }
    atomic_fetch_add(&d->ctr[rule].conns, 1);
    for (size_t off = 0; off < np;) {
        ssize_t w = send(up, peek + off, np - off, MSG_NOSIGNAL);
        if (w <= 0)
            goto done;
        off += (size_t)w;
    }
    atomic_fetch_add(&d->ctr[rule].out, np);
    struct pump_arg back = { up, fd, &d->ctr[rule].in }, fwd = { fd, up, &d->ctr[rule].out };
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    if (pthread_create(&t, &at, pump, &back) == 0) {
        pump(&fwd);
        pthread_join(t, NULL);
    }
    pthread_attr_destroy(&at);
done:
    if (up >= 0)
        close(up);
    close(fd);
    return NULL;
}

void proxy_accept(struct netd *d, int lst, int family)
{
    int fd = accept4(lst, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    struct conn *c = malloc(sizeof *c);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 128 * 1024);
    if (!c) {
        close(fd);
    } else {
        *c = (struct conn){ d, fd, family };
        if (pthread_create(&t, &at, conn_main, c) != 0) {
            close(fd);
            free(c);
        }
    }
    pthread_attr_destroy(&at);
}
