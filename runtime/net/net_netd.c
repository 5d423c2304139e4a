/*
 * net_netd.c - netd, the helper process that enforces a cell's egress: it
 * creates the gateway network namespace (unshare), the veth pair into the
 * cell's namespace and its addresses and routes (or, for a VM, a tap device
 * whose descriptor it passes to the supervisor), loads the nftables table,
 * opens the answerer's and the proxy's sockets there, then returns to the
 * host's namespace, from where it dials the real destinations.
 *
 * The main thread answers DNS, reads nflog and the supervisor's requests;
 * the proxy (net_proxy.c) serves TCP from worker threads of its own. Shared state (the synthetic name table, the refused set)
 * is under one mutex; counters are atomics (net_netd.h).
 * Reports go to the supervisor as fixed-size records (atomic pipe writes);
 * netd never holds the signing key (it is forked before the key is read).
 */
#include "net.h"
#include "net_int.h"
#include "net_netd.h"
#include "net_nflog.h"
#include "net_nl.h"
#include "runtime/lib/sys_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void netd_report(struct netd *d, struct net_report *r)
{
    ssize_t w;
    do
        w = write(d->report_fd, r, sizeof *r);
    while (w < 0 && errno == EINTR);
}

__attribute__((noreturn)) static void die_setup(struct netd *d, const char *step, int err)
{
    struct net_report r;
    memset(&r, 0, sizeof r);
    r.kind = NR_ERROR;
    r.a = (uint64_t)err;
    snprintf(r.why, sizeof r.why, "%s", step);
    netd_report(d, &r);
    _exit(125);
}

/* ---- set-up -------------------------------------------------------------- */

static int bound_socket(int family, int type, const char *addr, int port)
{
    int s = socket(family, type | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r;
    if (family == AF_INET) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        inet_pton(AF_INET, addr, &sa.sin_addr);
        r = bind(s, (struct sockaddr *)&sa, sizeof sa);
    } else {
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
        inet_pton(AF_INET6, addr, &sa.sin6_addr);
        r = bind(s, (struct sockaddr *)&sa, sizeof sa);
    }
    if (r == 0 && type == SOCK_STREAM)
        r = listen(s, 512);
    if (r < 0) {
        int err = errno;
        close(s);
        errno = err;
        return -1;
    }
    return s;
}

struct socks {
    int dns4, dns6, lst4, lst6, nflog;
    int tap; /* the VM's link (cell_ns -1): the tap's queue, else -1 */
};

/* The gateway's end of a VM's link: a tap device gw0 in the current
 * (gateway) namespace; its queue's descriptor, or -1. */
static int make_tap(void)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "gw0");
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Pass the tap's descriptor to the supervisor over the control socket. */
static int send_fd(int sock, int fd)
{
    return sys_send_fds(sock, "t", 1, &fd, 1);
}

/* The cell's end of the veth: addresses and default routes via the
 * gateway, set from inside the cell's namespace; back to the gateway's. */
static void cell_side(struct netd *d, int cell_ns, int gw_ns)
{
    uint8_t a[16];
    int nl;
    if (setns(cell_ns, CLONE_NEWNET) < 0 || (nl = nl_open()) < 0)
        die_setup(d, "cell namespace: setns", errno);
    inet_pton(AF_INET, NET_CELL4, a);
    if (nl_addr(nl, "eth0", AF_INET, a, 30) < 0)
        die_setup(d, "cell address (IPv4)", errno);
    inet_pton(AF_INET6, NET_CELL6, a);
    if (nl_addr(nl, "eth0", AF_INET6, a, 126) < 0)
        die_setup(d, "cell address (IPv6)", errno);
    if (nl_link_up(nl, "eth0") < 0)
        die_setup(d, "cell link up", errno);
    inet_pton(AF_INET, NET_GW4, a);
    if (nl_default_route(nl, "eth0", AF_INET, a) < 0)
        die_setup(d, "cell default route (IPv4)", errno);
    inet_pton(AF_INET6, NET_GW6, a);
    if (nl_default_route(nl, "eth0", AF_INET6, a) < 0)
        die_setup(d, "cell default route (IPv6)", errno);
    close(nl);
    close(cell_ns);
    if (setns(gw_ns, CLONE_NEWNET) < 0)
        die_setup(d, "gateway namespace: setns", errno);
}

/* The gateway namespace forwards nothing and takes no source route,
 * whatever the host's settings are (a new namespace copies the host's IPv4
 * ones: a Docker host's ip_forward=1 with it). /proc/sys/net is the
 * opener's namespace: the gateway's here. 0, or -1 naming the file. */
static int gw_sysctls(const char **which)
{
    static const char *const files[] = {
        "/proc/sys/net/ipv4/conf/all/forwarding",
        "/proc/sys/net/ipv6/conf/all/forwarding",
        "/proc/sys/net/ipv4/conf/all/accept_source_route",
        "/proc/sys/net/ipv4/conf/default/accept_source_route",
        "/proc/sys/net/ipv4/conf/all/accept_redirects",
        "/proc/sys/net/ipv4/conf/default/accept_redirects",
        "/proc/sys/net/ipv6/conf/all/accept_redirects",
        "/proc/sys/net/ipv6/conf/default/accept_redirects",
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        int fd = open(files[i], O_WRONLY | O_CLOEXEC);
        ssize_t w = fd < 0 ? -1 : write(fd, "0\n", 2);
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (w != 2) {
            *which = files[i];
            errno = e;
            return -1;
        }
    }
    return 0;
}

static void setup(struct netd *d, int cell_ns, struct socks *so)
{
    int host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_ns < 0)
        die_setup(d, "gateway namespace: opening the host's", errno);
    if (unshare(CLONE_NEWNET) < 0)
        die_setup(d, "gateway namespace: unshare", errno);
    const char *which = NULL;
    if (gw_sysctls(&which) < 0)
        die_setup(d, which, errno);
    int gw_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int nl = nl_open();
    if (gw_ns < 0 || nl < 0)
        die_setup(d, "gateway namespace: rtnetlink", errno);
    uint8_t a[16];
    so->tap = -1;
    if (cell_ns < 0 && (so->tap = make_tap()) < 0)
        die_setup(d, "tap device", errno);
    if (cell_ns >= 0 && nl_veth(nl, "gw0", "eth0", cell_ns) < 0)
        die_setup(d, "veth pair", errno);
    inet_pton(AF_INET, NET_GW4, a);
    if (nl_addr(nl, "gw0", AF_INET, a, 30) < 0)
        die_setup(d, "gateway address (IPv4)", errno);
    inet_pton(AF_INET6, NET_GW6, a);
    if (nl_addr(nl, "gw0", AF_INET6, a, 126) < 0)
        die_setup(d, "gateway address (IPv6)", errno);
    if (nl_link_up(nl, "gw0") < 0 || nl_link_up(nl, "lo") < 0)
        die_setup(d, "gateway links up", errno);
    close(nl);

    /* the cell's end: addresses and default routes via the gateway (a VM's
     * guest configures its own) */
    if (cell_ns >= 0)
        cell_side(d, cell_ns, gw_ns);

    if (net_nft_load(d->p) < 0)
        die_setup(d,
                  errno == E2BIG ? "nftables: the ruleset is too large (over 4096 TCP rules)"
                                 : "nftables: loading the gateway's table",
                  errno);
    net_icmp_unlimited();
    so->dns4 = bound_socket(AF_INET, SOCK_DGRAM, NET_GW4, 53);
    so->dns6 = bound_socket(AF_INET6, SOCK_DGRAM, NET_GW6, 53);
    if (so->dns4 < 0 || so->dns6 < 0)
        die_setup(d, "DNS answerer: bind port 53", errno);
    so->lst4 = bound_socket(AF_INET, SOCK_STREAM, "0.0.0.0", NET_PROXY_PORT);
    so->lst6 = bound_socket(AF_INET6, SOCK_STREAM, "::", NET_PROXY_PORT);
    if (so->lst4 < 0 || so->lst6 < 0)
        die_setup(d, "proxy: listen", errno);
    if (net_has_udp(d->p)) {
        const char *step = "UDP relay";
        if (!(d->udp = udp_relay_open(d, d->p, host_ns, &step)))
            die_setup(d, step, errno);
    }
    so->nflog = nflog_open(NET_NFLOG_GROUP);
    if (so->nflog < 0)
        die_setup(d, "nflog: the refused-flow log", errno);
    close(gw_ns);
    /* back home: every socket from here on is the host's */
    if (setns(host_ns, CLONE_NEWNET) < 0)
        die_setup(d, "host namespace: setns", errno);
    close(host_ns);

    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) == 0) {
        for (struct ifaddrs *i = ifa; i && d->nhost < MAX_HOSTADDR; i = i->ifa_next) {
            if (!i->ifa_addr)
                continue;
            if (i->ifa_addr->sa_family == AF_INET) {
                memset(d->hostaddr[d->nhost], 0, 16);
                memcpy(d->hostaddr[d->nhost], &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
                d->hostfam[d->nhost++] = 4;
            } else if (i->ifa_addr->sa_family == AF_INET6) {
                memcpy(d->hostaddr[d->nhost], &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
                d->hostfam[d->nhost++] = 6;
            }
        }
        freeifaddrs(ifa);
    }
}

/* ---- resolving real addresses (the host's view) --------------------------- */

static int hosts_lookup(const char *file, const char *name, uint8_t *fam, uint8_t (*addr)[16], int max)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return 0;
    char line[512];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
        if (!tok || tok[0] == '#')
            continue;
        uint8_t a[16] = { 0 };
        int family = inet_pton(AF_INET, tok, a) == 1 ? 4 : inet_pton(AF_INET6, tok, a) == 1 ? 6 : 0;
        if (!family)
            continue;
        for (char *h; (h = strtok_r(NULL, " \t\r\n", &save));)
            if (strcasecmp(h, name) == 0 && n < max) {
                fam[n] = (uint8_t)family;
                memcpy(addr[n], a, 16);
                n++;
                break;
            }
    }
    fclose(f);
    return n;
}

static int first_nameserver(struct sockaddr_storage *ss, socklen_t *len)
{
    FILE *f = fopen("/etc/resolv.conf", "re");
    if (!f)
        return -1;
    char line[256];
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof line, f)) {
        char ns[128];
        if (sscanf(line, " nameserver %127s", ns) != 1)
            continue;
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        memset(ss, 0, sizeof *ss);
        if (inet_pton(AF_INET, ns, &s4->sin_addr) == 1) {
            s4->sin_family = AF_INET;
            s4->sin_port = htons(53);
            *len = sizeof *s4;
            rc = 0;
        } else if (inet_pton(AF_INET6, ns, &s6->sin6_addr) == 1) {
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(53);
            *len = sizeof *s6;
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

/* A and AAAA from the host's first nameserver, two tries within ~3 s. */
static int dns_lookup(const char *name, uint8_t *fam, uint8_t (*addr)[16], int max, char *why, size_t wcap)
{
    struct sockaddr_storage ns;
    socklen_t nl = 0;
    if (first_nameserver(&ns, &nl) < 0) {
        snprintf(why, wcap, "no nameserver in the host's /etc/resolv.conf");
        return 0;
    }
    int s = socket(ns.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&ns, nl) < 0) {
        snprintf(why, wcap, "nameserver: %s", strerror(errno));
        if (s >= 0)
            close(s);
        return 0;
    }
    uint16_t ids[2];
    uint8_t rnd[4];
    if (getentropy(rnd, sizeof rnd) < 0)
        memset(rnd, 0x5a, sizeof rnd);
    ids[0] = (uint16_t)(rnd[0] << 8 | rnd[1]);
    ids[1] = (uint16_t)(rnd[2] << 8 | rnd[3]);
    static const uint16_t types[2] = { DNS_T_A, DNS_T_AAAA };
    bool done[2] = { false, false };
    int n = 0;
    for (int attempt = 0; attempt < 2 && !(done[0] && done[1]); attempt++) {
        for (int t = 0; t < 2; t++) {
            uint8_t q[300];
            size_t ql = dns_build_query(ids[t], name, types[t], q, sizeof q);
            if (!done[t] && ql && send(s, q, ql, 0) < 0)
                done[t] = true;
        }
        struct pollfd pf = { .fd = s, .events = POLLIN };
        while (!(done[0] && done[1]) && poll(&pf, 1, 1500) > 0) {
            uint8_t m[1500];
            ssize_t k = recv(s, m, sizeof m, 0);
            if (k <= 0)
                break;
            for (int t = 0; t < 2; t++) {
                if (done[t])
                    continue;
                uint8_t got[MAX_PINNED][16];
                uint32_t ttl = UINT32_MAX;
                int g = dns_parse_addrs(m, (size_t)k, ids[t], types[t], got, MAX_PINNED, &ttl);
                if (g < 0)
                    continue;
                done[t] = true;
                for (int i = 0; i < g && n < max; i++, n++) {
                    fam[n] = t == 0 ? 4 : 6;
                    memcpy(addr[n], got[i], 16);
                }
            }
        }
    }
    close(s);
    if (n == 0)
        snprintf(why, wcap, "%s",
                 done[0] || done[1] ? "the host's resolver has no address for it"
                                    : "the host's resolver did not answer");
    return n;
}

/* Pin the name's real addresses (first answer wins, kept for the cell's
 * life). Called without the lock held; takes it to store. */
void netd_resolve(struct netd *d, size_t idx)
{
    char name[DNS_MAX_NAME + 1];
    pthread_mutex_lock(&d->mu);
    bool have = d->syn[idx].resolved;
    snprintf(name, sizeof name, "%s", d->syn[idx].name);
    pthread_mutex_unlock(&d->mu);
    if (have)
        return;
    uint8_t fam[MAX_PINNED], addr[MAX_PINNED][16];
    char why[100] = "";
    int n = 0;
    if (d->hosts_file)
        n = hosts_lookup(d->hosts_file, name, fam, addr, MAX_PINNED);
    else
        n = dns_lookup(name, fam, addr, MAX_PINNED, why, sizeof why);
    if (d->hosts_file && n == 0)
        snprintf(why, sizeof why, "not in the answerer's hosts file");
    pthread_mutex_lock(&d->mu);
    struct syn *s = &d->syn[idx];
    if (!s->resolved) {
        s->resolved = true;
        s->n = n;
        memcpy(s->fam, fam, sizeof fam);
        memcpy(s->addr, addr, sizeof addr);
    }
    pthread_mutex_unlock(&d->mu);
    if (n == 0) {
        struct net_report r;
        memset(&r, 0, sizeof r);
        r.kind = NR_UNRESOLVED;
        r.rule = -1;
        snprintf(r.name, sizeof r.name, "%s", name);
        snprintf(r.why, sizeof r.why, "%s", why);
        netd_report(d, &r);
    }
}

/* The synthetic index of name, added when absent; -1 when the pool is full. */
static long syn_index(struct netd *d, const char *name)
{
    pthread_mutex_lock(&d->mu);
    long idx = -1;
    for (size_t i = 0; i < d->nsyn; i++)
        if (strcmp(d->syn[i].name, name) == 0) {
            idx = (long)i;
            break;
        }
    if (idx < 0 && d->nsyn < NET_SYN_MAX) {
        idx = (long)d->nsyn++;
        memset(&d->syn[idx], 0, sizeof d->syn[idx]);
        snprintf(d->syn[idx].name, sizeof d->syn[idx].name, "%s", name);
    }
    pthread_mutex_unlock(&d->mu);
    return idx;
}

static void syn_addr(long idx, int family, uint8_t *out)
{
    memset(out, 0, 16);
    if (family == 4) {
        uint32_t v = htonl(NET_SYN4_BASE + 1 + (uint32_t)idx);
        memcpy(out, &v, 4);
    } else {
        inet_pton(AF_INET6, NET_SYN6_PREFIX, out);
        out[14] = (uint8_t)((idx + 1) >> 8);
        out[15] = (uint8_t)(idx + 1);
    }
}

/* The synthetic index an address stands for, or -1. */
long netd_syn_lookup(struct netd *d, int family, const uint8_t *a)
{
    long idx = -1;
    if (family == 4) {
        uint32_t v;
        memcpy(&v, a, 4);
        v = ntohl(v);
        if (v > NET_SYN4_BASE && v < NET_SYN4_BASE + 1 + NET_SYN_MAX)
            idx = (long)(v - NET_SYN4_BASE - 1);
    } else {
        uint8_t pre[16];
        inet_pton(AF_INET6, NET_SYN6_PREFIX, pre);
        if (memcmp(a, pre, 14) == 0 && (a[14] << 8 | a[15]) > 0)
            idx = (long)((a[14] << 8 | a[15]) - 1);
    }
    pthread_mutex_lock(&d->mu);
    if (idx >= (long)d->nsyn)
        idx = -1;
    pthread_mutex_unlock(&d->mu);
    return idx;
}

/* ---- DNS answerer ----------------------------------------------------------- */

/* Count a query and report it while fewer than dns_events_max were (the
 * last one says so): a cell flooding queries cannot flood the stream. */
static void dns_report(struct netd *d, struct net_report *r, bool answered)
{
    if (answered)
        d->dns_answered++;
    else
        d->dns_refused++;
    if (d->dns_events >= d->dns_events_max)
        return;
    if (++d->dns_events == d->dns_events_max) {
        size_t l = strlen(r->why);
        snprintf(r->why + l, sizeof r->why - l,
                 " (the last reported; later queries are counted, not reported)");
    }
    netd_report(d, r);
}

static void answer_dns(struct netd *d, int s)
{
    uint8_t m[1500], out[1500];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(s, m, sizeof m, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n <= 0)
        return;
    struct dns_query q;
    struct net_report r;
    memset(&r, 0, sizeof r);
    r.kind = NR_DNS;
    r.rule = -1;
    if (dns_parse_query(m, (size_t)n, &q) < 0) {
        snprintf(r.why, sizeof r.why, "malformed query (dropped)");
        dns_report(d, &r, false);
        return;
    }
    r.qtype = q.qtype;
    snprintf(r.name, sizeof r.name, "%s", q.name);
    unsigned rcode = 3; /* NXDOMAIN */
    const uint8_t *addr = NULL;
    size_t alen = 0;
    uint8_t a[16];
    int rule = q.qclass == 1 && net_name_valid(q.name) ? net_rule_for_name(d->p, q.name, 6, 0) : -1;
    if (rule < 0 && q.qclass == 1 && net_name_valid(q.name))
        rule = net_rule_for_name(d->p, q.name, 17, 0); /* a name granted for UDP only */
    if (rule >= 0) {
        long idx = syn_index(d, q.name);
        if (idx < 0) {
            rcode = 2; /* SERVFAIL: the pool is full */
            snprintf(r.why, sizeof r.why, "synthetic address pool exhausted");
        } else {
            rcode = 0;
            r.rule = rule;
            if (q.qtype == DNS_T_A || q.qtype == DNS_T_AAAA) {
                int fam = q.qtype == DNS_T_A ? 4 : 6;
                syn_addr(idx, fam, a);
                addr = a;
                alen = fam == 4 ? 4 : 16;
                r.family = (uint8_t)fam;
                memcpy(r.addr, a, 16);
                snprintf(r.why, sizeof r.why, "granted");
            } else {
                snprintf(r.why, sizeof r.why, "granted name, record type %u answered empty", q.qtype);
            }
        }
    } else {
        snprintf(r.why, sizeof r.why, "no rule grants this name");
    }
    size_t ol = dns_build_answer(&q, m, rcode, addr, alen, 60, out, sizeof out);
    if (ol)
        sendto(s, out, ol, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
    dns_report(d, &r, rcode == 0);
}

/* ---- refusals and the dial check (shared by the proxy) -------------------- */

void netd_refused_flow(struct netd *d, int family, uint8_t proto, const uint8_t *addr, uint16_t port,
                       const char *name, const char *why)
{
    bool first = true, last = false;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->nref; i++)
        if (d->ref[i].family == family && d->ref[i].port == port && d->ref[i].proto == proto &&
            memcmp(d->ref[i].addr, addr, 16) == 0)
            first = false;
    if (first && d->nref < MAX_REFUSED) {
        struct refused *x = &d->ref[d->nref++];
        x->family = (uint8_t)family;
        x->proto = proto;
        x->port = port;
        memcpy(x->addr, addr, 16);
        last = d->nref == MAX_REFUSED;
    } else if (first) {
        first = false; /* bounded: at most MAX_REFUSED events, whatever the cell tries */
    }
    pthread_mutex_unlock(&d->mu);
    if (first) {
        struct net_report r;
        memset(&r, 0, sizeof r);
        r.kind = NR_REFUSED;
        r.rule = -1;
        r.family = (uint8_t)family;
        r.proto = proto;
        r.port = port;
        memcpy(r.addr, addr, 16);
        snprintf(r.name, sizeof r.name, "%s", name ? name : "");
        snprintf(r.why, sizeof r.why, "%s%s", why, last ? " (the last reported)" : "");
        netd_report(d, &r);
    }
}

static bool host_own(struct netd *d, int family, const uint8_t *a)
{
    for (int i = 0; i < d->nhost; i++)
        if (d->hostfam[i] == family && memcmp(d->hostaddr[i], a, family == 4 ? 4 : 16) == 0)
            return true;
    return false;
}

/* Why addr may not be dialled for a cell, or NULL. by_name: reached by a
 * name rule (private ranges then need a CIDR rule too). */
const char *netd_dial_denied(struct netd *d, int family, const uint8_t *a, bool by_name)
{
    if (net_always_denied(family, a))
        return "always denied (loopback, link-local, metadata, multicast or the gateway's range)";
    if (host_own(d, family, a))
        return "always denied (an address of the host)";
    if (by_name && net_private(family, a) && !net_cidr_names(d->p, family, a))
        return "the name resolves into a private range no CIDR rule names";
    return NULL;
}

static void send_counters(struct netd *d)
{
    for (size_t i = 0; i < d->p->net.n_egress; i++) {
        struct net_report r;
        memset(&r, 0, sizeof r);
        r.kind = NR_COUNTER;
        r.rule = (int32_t)i;
        r.a = atomic_load(&d->ctr[i].conns);
        r.b = atomic_load(&d->ctr[i].out);
        r.c = atomic_load(&d->ctr[i].in);
        netd_report(d, &r);
    }
    struct net_report r;
    memset(&r, 0, sizeof r);
    r.kind = NR_DONE;
    r.a = d->dns_answered;
    r.b = d->dns_refused;
    netd_report(d, &r);
}

static void *prefetch(void *arg)
{
    struct netd *d = arg;
    for (size_t i = 0; i < d->p->net.n_egress; i++) {
        const struct plan_egress *g = &d->p->net.egress[i];
        if (g->kind == CP_EGRESS_HOST && g->host && g->host[0] != '*') {
            long idx = syn_index(d, g->host);
            if (idx >= 0)
                netd_resolve(d, (size_t)idx);
        }
    }
    return NULL;
}

void netd_main(const struct plan *p, int report_fd, int ctl_fd, int cell_ns, int ready_fd)
{
    signal(SIGPIPE, SIG_IGN);
    struct netd d;
    memset(&d, 0, sizeof d);
    d.p = p;
    d.report_fd = report_fd;
    const char *hf = getenv("CELLOS_NET_HOSTS");
    d.hosts_file = hf && hf[0] ? hf : NULL;
    d.dns_events_max = MAX_DNS_EVENTS;
    const char *de = getenv("CELLOS_NET_DNS_EVENTS");
    if (de && de[0]) {
        char *end;
        unsigned long v = strtoul(de, &end, 10);
        if (!*end && v >= 1 && v < MAX_DNS_EVENTS)
            d.dns_events_max = v; /* test-only: lower, never higher */
    }
    pthread_mutex_init(&d.mu, NULL);
    d.syn = calloc(NET_SYN_MAX, sizeof *d.syn);
    d.ref = calloc(MAX_REFUSED, sizeof *d.ref);
    d.ctr = calloc(p->net.n_egress ? p->net.n_egress : 1, sizeof *d.ctr);
    if (!d.syn || !d.ref || !d.ctr)
        die_setup(&d, "netd: out of memory", ENOMEM);
    struct socks so;
    setup(&d, cell_ns, &so);
    if (so.tap >= 0) { /* a VM's link: the supervisor hands the tap to the VMM */
        if (send_fd(ctl_fd, so.tap) < 0)
            die_setup(&d, "tap device: passing it to the supervisor", errno);
        close(so.tap);
    }
    if (proxy_start(&d, so.lst4, so.lst6) < 0)
        die_setup(&d, "proxy: starting its workers", errno);
    if (d.udp && udp_relay_start(d.udp) < 0)
        die_setup(&d, "UDP relay: start", errno);
    struct net_report r;
    memset(&r, 0, sizeof r);
    r.kind = NR_READY;
    netd_report(&d, &r);
    if (ready_fd >= 0) { /* the cell waits for this before its workload can exist */
        ssize_t w;
        do
            w = write(ready_fd, "r", 1);
        while (w < 0 && errno == EINTR);
        close(ready_fd);
    }

    /* pin the granted plain names now, in a thread of their own, so a name
     * the host cannot resolve is reported at start while the answerer
     * already serves the cell */
    pthread_t pre;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&pre, &at, prefetch, &d) != 0)
        prefetch(&d);
    pthread_attr_destroy(&at);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    int fds[6] = {
        so.dns4, so.dns6, -1, -1, ctl_fd, so.nflog
    }; /* 2, 3: were the listeners (the proxy's now) */
    for (int i = 0; i < 6; i++) {
        if (fds[i] < 0)
            continue;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    for (;;) {
        struct epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, -1);
        for (int i = 0; i < n; i++) {
            switch (evs[i].data.u32) {
            case 0: answer_dns(&d, so.dns4); break;
            case 1: answer_dns(&d, so.dns6); break;
            case 5: {
                struct nflog_flow fl[32];
                int k = nflog_read(so.nflog, fl, 32);
                for (int j = 0; j < k; j++)
                    netd_refused_flow(&d, fl[j].family, fl[j].proto, fl[j].addr, fl[j].port, NULL,
                                      "no rule grants this destination (refused at the gateway)");
                break;
            }
            default: {
                char c;
                ssize_t k = read(ctl_fd, &c, 1);
                if (k == 1 && c == 'f')
                    send_counters(&d);
                else if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
                    _exit(0); /* the supervisor is done with us */
            }
            }
        }
    }
}
