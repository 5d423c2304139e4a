/*
 * egress_net.c - egress escape probe (docs/network.md). Each argument is one
 * attempt that must fail, and fail fast (within 2 s):
 *   tcp:ADDR:PORT          connect by address (v4 or [v6], [fe80::1%eth0])
 *   name:NAME:PORT         connect to NAME as the cell's resolver answers it
 *   front:NAME:PORT:OTHER  connect to NAME, send an HTTP request for OTHER:
 *                          must get no answer (domain fronting)
 *   send:NAME:PORT:KIND:OTHER  connect to NAME, send bytes that name NAME to
 *                          a careless check but OTHER (or nothing) to a
 *                          server: KIND sninul (SNI "NAME\0.OTHER"), twosni
 *                          (two names in server_name), twoext (two
 *                          server_name extensions), ech (an
 *                          encrypted_client_hello), absform ("GET
 *                          http://OTHER/"), connect (CONNECT OTHER:443),
 *                          fold (a folded Host line), hostsp ("Host :
 *                          OTHER" after Host): must get no answer
 *   keepalive:NAME:PORT:OTHER  a request for NAME/hello, its answer, then a
 *                          second request on the same connection for OTHER:
 *                          the second must get no answer (the first must)
 *   pipeline:NAME:PORT:OTHER   the two requests in one write: at most the
 *                          first may be answered
 *   getbody:NAME:PORT:OTHER    a GET for NAME whose Content-Length body is a
 *                          request for OTHER (a server that does not read
 *                          GET bodies takes it for the next request): at
 *                          most one answer
 *   smug:NAME:PORT:KIND:OTHER  request smuggling against a lenient server
 *                          (tests/lib/egress_srv.sh, port 8081): bytes a
 *                          careless check passes as requests for NAME that
 *                          such a server reads as one for OTHER; no answer
 *                          may say "served OTHER". KIND early0cl (a POST
 *                          the server answers without reading its body,
 *                          which is a request for OTHER), earlydrain (a
 *                          body's rest, sent after the early answer, is a
 *                          request for OTHER), te0 (a chunked body whose
 *                          chunk-size line "ADD / HTTP/1.1" opens a request
 *                          for OTHER to a server ignoring Transfer-Encoding),
 *                          hostuser ("Host: NAME:80@OTHER"), absbslash
 *                          ("GET http://OTHER\\@NAME/"), body09 (a body
 *                          that is the HTTP/0.9-style "GET
 *                          http://OTHER/"), barelf (a header line ended by
 *                          a bare LF holds Content-Length: a server that
 *                          ends lines only at CRLF, port 8082, sees no body,
 *                          and the body holds a request for OTHER),
 *                          trailer (after a chunked body's last chunk,
 *                          trailer fields "X-A: x", "Host: OTHER": a server
 *                          that stops at the last chunk reads a request)
 *   flood:ADDR:N           a datagram to each port 1..N of ADDR (v4): no answer
 *                          (and netd's refused-flow events stay bounded)
 *   udplite:ADDR:PORT      a UDP-Lite datagram (its own IP protocol): no answer
 *   udp:ADDR:PORT          send a datagram, expect an error, never an answer
 *   udpname:NAME:PORT      the same to NAME as the cell's resolver answers it
 *                          (QUIC to a name granted only for TCP)
 *   dns:SERVER:NAME:TYPE   a DNS query (TYPE a, aaaa, txt, any): must get no
 *                          address / text (NXDOMAIN, empty, or no answer)
 *   dnsflood:SERVER:N      N A queries for names no rule grants (nN.flood.test):
 *                          none may get an address (and netd's dns_query
 *                          events stay bounded)
 *   icmp:ADDR              an ICMP echo (datagram ICMP socket): no reply
 *   raw, packet            raw IP and packet sockets cannot be made
 * It prints one indented line per attempt ("contained" or "escaped"), then
 * one line CONTAINED or ESCAPED for all of them (probe.h), exit 0 or 1. Without arguments: a public address, the metadata
 * address, DNS to a public resolver, ICMP, raw and packet sockets (all must
 * fail in any cell: network none, loopback or egress).
 */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int escaped, attempts;

static void report(bool contained, const char *what, const char *how)
{
    printf("  %s %s: %s\n", contained ? "contained" : "escaped", what, how);
    if (!contained)
        escaped++;
    attempts++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "1.2.3.4" or "[::1]" -> sockaddr */
static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    char buf[80];
    if (s[0] == '[') {
        snprintf(buf, sizeof buf, "%s", s + 1);
        char *e = strchr(buf, ']');
        if (e)
            *e = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        char *pct = strchr(buf, '%'); /* a link-local address's interface: [fe80::1%eth0] */
        if (pct) {
            *pct = 0;
            a->sin6_scope_id = if_nametoindex(pct + 1);
            FILE *f = a->sin6_scope_id ? NULL : fopen("/proc/self/net/if_inet6", "re");
            char l[200], nm[32];
            unsigned idx;
            while (f && fgets(l, sizeof l, f)) /* the index without ioctl: "ADDR IDX ... NAME" */
                if (sscanf(l, "%*s %x %*s %*s %*s %31s", &idx, nm) == 2 && !strcmp(nm, pct + 1))
                    a->sin6_scope_id = idx;
            if (f)
                fclose(f);
        }
        *len = sizeof *a;
        return inet_pton(AF_INET6, buf, &a->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    *len = sizeof *a;
    return inet_pton(AF_INET, s, &a->sin_addr) == 1 ? 0 : -1;
}

/* Split "a:b:c" on ':' outside brackets. */
static int split(char *s, char **f, int max)
{
    int n = 0, depth = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']')
            depth--;
        else if (*p == ':' && depth == 0) {
            *p = 0;
            f[n++] = p + 1;
        }
    }
    return n;
}

static int tcp_connect(struct sockaddr_storage *ss, socklen_t len, int *err, double *took)
{
    int s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    double t0 = now();
    if (s < 0) {
        *err = errno;
        *took = 0;
        return -1;
    }
    int r = connect(s, (struct sockaddr *)ss, len);
    *err = 0;
    if (r < 0 && errno == EINPROGRESS) {
        struct pollfd pf = { .fd = s, .events = POLLOUT };
        if (poll(&pf, 1, 3000) != 1) {
            *err = ETIMEDOUT;
        } else {
            socklen_t el = sizeof *err;
            getsockopt(s, SOL_SOCKET, SO_ERROR, err, &el);
        }
    } else if (r < 0) {
        *err = errno;
    }
    *took = now() - t0;
    if (*err) {
        close(s);
        return -1;
    }
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
    return s;
}

/* After a connection was accepted by something: does it carry data back?
 * (The proxy resets a refused connection after reading its first bytes.) */
static void tcp_send_attempt(const char *what, struct sockaddr_storage *ss, socklen_t len, const void *req,
                             size_t reqlen)
{
    int err;
    double took;
    char how[200];
    int s = tcp_connect(ss, len, &err, &took);
    if (s < 0) {
        snprintf(how, sizeof how, "connect: %s after %.0f ms", strerror(err), took * 1000);
        report(err != ETIMEDOUT && took < 2.0, what, how);
        return;
    }
    struct timeval tv = { 3, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t w = send(s, req, reqlen, MSG_NOSIGNAL);
    char buf[64];
    ssize_t n = w > 0 ? recv(s, buf, sizeof buf, 0) : -1;
    int e2 = errno;
    close(s);
    if (n > 0) {
        snprintf(how, sizeof how, "connected and got %zd bytes back", n);
        report(false, what, how);
    } else {
        snprintf(how, sizeof how, "connected, then %s", n == 0 ? "closed without data" : strerror(e2));
        report(n == 0 || e2 != EAGAIN, what, how);
    }
}

static void tcp_attempt(const char *what, struct sockaddr_storage *ss, socklen_t len, const char *host)
{
    char req[300];
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host ? host : "x");
    tcp_send_attempt(what, ss, len, req, strlen(req));
}

/* A TLS ClientHello into b: server_name entries sni1 (n1 bytes) and, when
 * sni2, a second entry (two == 1) or a second server_name extension
 * (two == 2); ech: an encrypted_client_hello extension too. */
static size_t client_hello(uint8_t *b, const char *sni1, size_t n1, const char *sni2, int two, bool ech)
{
    uint8_t e[700];
    size_t k = 0, n2 = sni2 ? strlen(sni2) : 0;
    size_t list = 3 + n1 + (two == 1 ? 3 + n2 : 0);
    e[k++] = 0, e[k++] = 0, e[k++] = (uint8_t)((list + 2) >> 8), e[k++] = (uint8_t)(list + 2);
    e[k++] = (uint8_t)(list >> 8), e[k++] = (uint8_t)list;
    e[k++] = 0, e[k++] = (uint8_t)(n1 >> 8), e[k++] = (uint8_t)n1;
    memcpy(e + k, sni1, n1), k += n1;
    if (two == 1) {
        e[k++] = 0, e[k++] = (uint8_t)(n2 >> 8), e[k++] = (uint8_t)n2;
        memcpy(e + k, sni2, n2), k += n2;
    } else if (two == 2) {
        e[k++] = 0, e[k++] = 0, e[k++] = (uint8_t)((n2 + 5) >> 8), e[k++] = (uint8_t)(n2 + 5);
        e[k++] = (uint8_t)((n2 + 3) >> 8), e[k++] = (uint8_t)(n2 + 3);
        e[k++] = 0, e[k++] = (uint8_t)(n2 >> 8), e[k++] = (uint8_t)n2;
        memcpy(e + k, sni2, n2), k += n2;
    }
    if (ech) {
        static const uint8_t x[] = { 0xfe, 0x0d, 0, 4, 0, 0, 0, 0 };
        memcpy(e + k, x, sizeof x), k += sizeof x;
    }
    uint8_t h[800];
    size_t o = 0;
    h[o++] = 3, h[o++] = 3;
    memset(h + o, 0x5a, 32), o += 32;
    h[o++] = 0;                                                                      /* session id */
    h[o++] = 0, h[o++] = 4, h[o++] = 0x13, h[o++] = 1, h[o++] = 0xc0, h[o++] = 0x2f; /* suites */
    h[o++] = 1, h[o++] = 0;                                                          /* compression */
    h[o++] = (uint8_t)(k >> 8), h[o++] = (uint8_t)k;
    memcpy(h + o, e, k), o += k;
    size_t n = 0;
    b[n++] = 0x16, b[n++] = 3, b[n++] = 1, b[n++] = (uint8_t)((o + 4) >> 8), b[n++] = (uint8_t)(o + 4);
    b[n++] = 1, b[n++] = 0, b[n++] = (uint8_t)(o >> 8), b[n++] = (uint8_t)o;
    memcpy(b + n, h, o);
    return n + o;
}

/* send:NAME:PORT:KIND:OTHER - what a proxy that checks names must refuse */
static void send_attempt(const char *what, struct sockaddr_storage *ss, socklen_t len, const char *name,
                         const char *kind, const char *other)
{
    uint8_t b[1200];
    size_t n = 0;
    char sni[300];
    if (!strcmp(kind, "sninul")) { /* "NAME\0.OTHER": a C string compare sees NAME */
        int l = snprintf(sni, sizeof sni, "%s#.%s", name, other);
        sni[strlen(name)] = 0;
        n = client_hello(b, sni, (size_t)l, NULL, 0, false);
    } else if (!strcmp(kind, "twosni")) {
        n = client_hello(b, name, strlen(name), other, 1, false);
    } else if (!strcmp(kind, "twoext")) {
        n = client_hello(b, name, strlen(name), other, 2, false);
    } else if (!strcmp(kind, "ech")) { /* the inner ClientHello would name OTHER */
        n = client_hello(b, name, strlen(name), NULL, 0, true);
    } else {
        const char *fmt = !strcmp(kind, "absform") ? "GET http://%2$s/ HTTP/1.1\r\nHost: %1$s\r\n\r\n"
            : !strcmp(kind, "connect")             ? "CONNECT %2$s:443 HTTP/1.1\r\nHost: %1$s\r\n\r\n"
            : !strcmp(kind, "fold")                ? "GET / HTTP/1.1\r\nHost: %1$s\r\n %2$s\r\n\r\n"
            : !strcmp(kind, "hostsp")              ? "GET / HTTP/1.1\r\nHost: %1$s\r\nHost : %2$s\r\n\r\n"
                                                   : NULL;
        if (!fmt)
            UNSURE("unknown kind %s", kind);
        n = (size_t)snprintf((char *)b, sizeof b, fmt, name, other);
    }
    tcp_send_attempt(what, ss, len, b, n);
}

/* How many HTTP responses (status lines) are in b[0, n). */
static int responses(const char *b, size_t n)
{
    int k = 0;
    for (size_t i = 0; i + 9 <= n; i++)
        k += memcmp(b + i, "HTTP/1.", 7) == 0 && b[i + 8] == ' ';
    return k;
}

/* Read from s into b (NUL-terminated, at most cap - 1) until until appears
 * (when not NULL), the peer closes or resets, or 2 s pass: the length. */
static size_t read_some(int s, char *b, size_t have, size_t cap, const char *until)
{
    struct timeval tv = { 2, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (have + 1 < cap) {
        b[have] = 0;
        if (until && strstr(b, until))
            break;
        ssize_t k = recv(s, b + have, cap - 1 - have, 0);
        if (k <= 0)
            break;
        have += (size_t)k;
    }
    b[have] = 0;
    return have;
}

/* keepalive / pipeline: a granted request, then one for OTHER on the same
 * connection (after the first's answer, or in the same write) */
static void two_requests(const char *what, struct sockaddr_storage *ss, socklen_t len, const char *name,
                         const char *other, bool wait_first, bool getbody)
{
    int err;
    double took;
    char how[200], r1[300], r2[300], b[8192];
    int s = tcp_connect(ss, len, &err, &took);
    if (s < 0) {
        snprintf(how, sizeof how, "connect: %s (the granted name must connect)", strerror(err));
        report(false, what, how);
        return;
    }
    int n2 = snprintf(r2, sizeof r2, "GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", other);
    int n1 = getbody
        ? snprintf(r1, sizeof r1, "GET /hello HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", name, n2)
        : snprintf(r1, sizeof r1, "GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", name);
    size_t have = 0;
    if (wait_first) {
        if (send(s, r1, (size_t)n1, MSG_NOSIGNAL) != n1) {
            close(s);
            report(false, what, "the first request could not be sent");
            return;
        }
        have = read_some(s, b, 0, sizeof b, "hello-from-srv");
        if (!strstr(b, "hello-from-srv")) {
            close(s);
            report(false, what, "the first (granted) request got no answer: nothing was checked");
            return;
        }
        send(s, r2, (size_t)n2, MSG_NOSIGNAL);
    } else {
        char both[600];
        memcpy(both, r1, (size_t)n1);
        memcpy(both + n1, r2, (size_t)n2);
        send(s, both, (size_t)(n1 + n2), MSG_NOSIGNAL);
    }
    have = read_some(s, b, have, sizeof b, NULL);
    int e = errno;
    close(s);
    int k = responses(b, have);
    snprintf(how, sizeof how, "%d answer(s), then %s", k, have && k ? "the end" : strerror(e));
    report(k <= 1 && (!wait_first || k == 1), what, how);
}

/* smug:NAME:PORT:KIND:OTHER - see the top */
static void smug_attempt(const char *what, struct sockaddr_storage *ss, socklen_t len, const char *name,
                         const char *kind, const char *other)
{
    int err;
    double took;
    char how[240], req[4096], tail[300], b[8192], marker[300];
    int s = tcp_connect(ss, len, &err, &took);
    if (s < 0) {
        snprintf(how, sizeof how, "connect: %s (the granted name must connect)", strerror(err));
        report(false, what, how);
        return;
    }
    snprintf(marker, sizeof marker, "served %s", other);
    int r2 = snprintf(tail, sizeof tail, "GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", other);
    int n = 0;
    bool drain = false;
    if (!strcmp(kind, "early0cl")) {
        n = snprintf(req, sizeof req, "POST /early HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s",
                     name, r2, tail);
    } else if (!strcmp(kind, "earlydrain")) { /* the body's first bytes now, its rest after the answer */
        n = snprintf(req, sizeof req,
                     "POST /early-drain HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\na=1&", name,
                     6 + r2);
        r2 = snprintf(tail, sizeof tail, "\r\nGET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", other);
        drain = true;
    } else if (!strcmp(kind, "te0")) { /* chunk size 0xADD, its extension " / HTTP/1.1" */
        int h = snprintf(req, sizeof req,
                         "POST /up HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "ADD / HTTP/1.1\r\n",
                         name);
        int d = snprintf(req + h, sizeof req - (size_t)h, "Host: %s\r\nContent-Length: 0\r\n\r\n", other);
        memset(req + h + d, 'x', 0xADD - (size_t)d);
        n = h + 0xADD;
        n += snprintf(req + n, sizeof req - (size_t)n, "\r\n0\r\n\r\n");
    } else if (!strcmp(kind, "hostuser")) {
        n = snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: %s:80@%s\r\n\r\n", name, other);
    } else if (!strcmp(kind, "absbslash")) {
        n = snprintf(req, sizeof req, "GET http://%s\\@%s/hello HTTP/1.1\r\nHost: %s\r\n\r\n", other, name,
                     name);
    } else if (!strcmp(kind, "barelf")) {
        r2 = snprintf(tail, sizeof tail, "x=1\r\nGET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", other);
        n = snprintf(req, sizeof req, "POST /up HTTP/1.1\r\nHost: %s\r\nX: a\nContent-Length: %d\r\n\r\n%s",
                     name, r2, tail);
    } else if (!strcmp(kind, "trailer")) { /* fields, as a request: "X-A: x" then Host */
        r2 = snprintf(tail, sizeof tail, "X-A: x\r\nHost: %s\r\n\r\n", other);
        n = snprintf(
            req, sizeof req,
            "POST /chunked HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n%s",
            name, tail);
    } else if (!strcmp(kind, "body09")) {
        r2 = snprintf(tail, sizeof tail, "GET http://%s/hello\r\n\r\n", other);
        n = snprintf(req, sizeof req, "POST /early HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s",
                     name, r2, tail);
    } else {
        UNSURE("unknown smuggling kind %s", kind);
    }
    size_t have = 0;
    b[0] = 0;
    if (send(s, req, (size_t)n, MSG_NOSIGNAL) == n && drain) {
        have = read_some(s, b, 0, sizeof b, "served");
        send(s, tail, (size_t)r2, MSG_NOSIGNAL);
    }
    have = read_some(s, b, have, sizeof b, marker);
    int e = errno;
    close(s);
    int k = responses(b, have);
    bool esc = strstr(b, marker) != NULL;
    snprintf(how, sizeof how, "%d answer(s)%s, then %s", k, esc ? ", one for the other host" : "",
             have && k ? "the end" : strerror(e));
    report(!esc, what, how);
}

static size_t dns_query(uint8_t *q, const char *name, uint16_t type, uint16_t id)
{
    memset(q, 0, 12);
    q[0] = (uint8_t)(id >> 8);
    q[1] = (uint8_t)id;
    q[2] = 1;
    q[5] = 1;
    size_t o = 12;
    const char *s = name;
    while (*s && o < 400) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l > 63)
            l = 63;
        q[o++] = (uint8_t)l;
        memcpy(q + o, s, l);
        o += l;
        s += l;
        while (*s && *s != '.')
            s++;
        if (*s == '.')
            s++;
    }
    q[o++] = 0;
    q[o++] = (uint8_t)(type >> 8);
    q[o++] = (uint8_t)type;
    q[o++] = 0;
    q[o++] = 1;
    return o;
}

/* A datagram answer on a connected socket within 2 s: its length, or -1
 * with errno (EAGAIN: none). A pending socket error (an ICMP error the
 * stack took for the socket: ECONNREFUSED) counts as the error: gVisor's
 * netstack reports it in SO_ERROR and POLLERR but not from a blocking
 * recv (docs/network.md), and clients that poll see it at once. */
static ssize_t recv_answer(int s, void *buf, size_t n)
{
    struct pollfd pf = { .fd = s, .events = POLLIN };
    int k = poll(&pf, 1, 2000);
    if (k == 0) {
        errno = EAGAIN;
        return -1;
    }
    if (k > 0 && (pf.revents & POLLERR) && !(pf.revents & POLLIN)) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err) {
            errno = err;
            return -1;
        }
    }
    return recv(s, buf, n, MSG_DONTWAIT);
}

/* Ask server for name/type: -1 error (errno), else the rcode, *ancount. */
static int dns_ask(const char *server, const char *name, uint16_t type, int *ancount, uint8_t *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(server, 53, &ss, &len) < 0) {
        errno = EINVAL;
        return -1;
    }
    int s = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (s < 0)
        return -1;
    struct timeval tv = { 2, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t q[512], r[1500];
    size_t ql = dns_query(q, name, type, 0x4242);
    if (connect(s, (struct sockaddr *)&ss, len) < 0 || send(s, q, ql, 0) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    ssize_t n = recv_answer(s, r, sizeof r);
    int e = errno;
    close(s);
    if (n < 12) {
        errno = n < 0 ? e : EPROTO;
        return -1;
    }
    *ancount = r[6] << 8 | r[7];
    /* the first answer's data, when it is an address right after the question */
    if (addr && *ancount > 0 && (size_t)n >= ql + 12) {
        size_t o = ql;
        unsigned rdlen = (unsigned)(r[o + 10] << 8 | r[o + 11]);
        if ((rdlen == 4 || rdlen == 16) && o + 12 + rdlen <= (size_t)n)
            memcpy(addr, r + o + 12, rdlen);
    }
    return r[3] & 0xf;
}

static uint16_t qtype(const char *t)
{
    return !strcmp(t, "aaaa") ? 28
        : !strcmp(t, "txt")   ? 16
        : !strcmp(t, "any")   ? 255
        : !strcmp(t, "https") ? 65
                              : 1;
}

/* NAME's first A record from the cell's answerer, with PORT: the address
 * a granted name's connection goes to (UNSURE when it does not resolve). */
static void resolve_name(const char *name, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
    uint8_t a[16] = { 0 };
    int an = 0;
    int rc = dns_ask("100.64.0.1", name, 1, &an, a);
    if (rc != 0 || an < 1)
        UNSURE("%s does not resolve in this cell (rcode %d)", name, rc);
    char ip[64];
    inet_ntop(AF_INET, a, ip, sizeof ip);
    parse_addr(ip, (uint16_t)atoi(port), ss, len);
}

static void attempt(char *arg)
{
    char what[300];
    snprintf(what, sizeof what, "%s", arg);
    char *f[6];
    int n = split(arg, f, 6);
    char how[200];
    struct sockaddr_storage ss;
    socklen_t len;
    if (!strcmp(f[0], "tcp") && n == 3) {
        if (parse_addr(f[1], (uint16_t)atoi(f[2]), &ss, &len) < 0)
            UNSURE("bad address %s", f[1]);
        tcp_attempt(what, &ss, len, NULL);
    } else if ((!strcmp(f[0], "name") && n == 3) || (!strcmp(f[0], "front") && n == 4)) {
        resolve_name(f[1], f[2], &ss, &len);
        tcp_attempt(what, &ss, len, n == 4 ? f[3] : f[1]);
    } else if (!strcmp(f[0], "send") && n == 5) {
        resolve_name(f[1], f[2], &ss, &len);
        send_attempt(what, &ss, len, f[1], f[3], f[4]);
    } else if (!strcmp(f[0], "smug") && n == 5) {
        resolve_name(f[1], f[2], &ss, &len);
        smug_attempt(what, &ss, len, f[1], f[3], f[4]);
    } else if ((!strcmp(f[0], "keepalive") || !strcmp(f[0], "pipeline") || !strcmp(f[0], "getbody")) &&
               n == 4) {
        resolve_name(f[1], f[2], &ss, &len);
        two_requests(what, &ss, len, f[1], f[3], !strcmp(f[0], "keepalive"), !strcmp(f[0], "getbody"));
    } else if (!strcmp(f[0], "flood") && n == 3) { /* a datagram to each of ports 1..N of ADDR */
        if (parse_addr(f[1], 1, &ss, &len) < 0)
            UNSURE("bad address %s", f[1]);
        int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0), got = 0, count = atoi(f[2]);
        for (int port = 1; s >= 0 && port <= count; port++) {
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
            sendto(s, "probe", 5, 0, (struct sockaddr *)&ss, len);
            char buf[64];
            got += recv(s, buf, sizeof buf, 0) > 0;
            struct timespec ts = { 0, 200000 }; /* paced: the refused-flow log keeps up */
            nanosleep(&ts, NULL);
        }
        snprintf(how, sizeof how, "%d answers to %d datagrams", got, count);
        report(got == 0, what, how);
    } else if (!strcmp(f[0], "udplite") && n == 3) {
        if (parse_addr(f[1], (uint16_t)atoi(f[2]), &ss, &len) < 0)
            UNSURE("bad address %s", f[1]);
        int s = socket(ss.ss_family, SOCK_DGRAM, IPPROTO_UDPLITE);
        if (s < 0) {
            snprintf(how, sizeof how, "socket: %s", strerror(errno));
            report(true, what, how);
            return;
        }
        struct timeval tv = { 2, 0 };
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[64];
        ssize_t r = -1;
        if (connect(s, (struct sockaddr *)&ss, len) == 0 && send(s, "probe", 5, 0) == 5)
            r = recv_answer(s, buf, sizeof buf);
        int e = errno;
        close(s);
        snprintf(how, sizeof how, "%s", r >= 0 ? "an answer" : strerror(e));
        report(r < 0, what, how);
    } else if ((!strcmp(f[0], "udp") || !strcmp(f[0], "udpname")) && n == 3) {
        if (!strcmp(f[0], "udpname")) {
            resolve_name(f[1], f[2], &ss, &len);
        } else if (parse_addr(f[1], (uint16_t)atoi(f[2]), &ss, &len) < 0)
            UNSURE("bad address %s", f[1]);
        int s = socket(ss.ss_family, SOCK_DGRAM, 0);
        struct timeval tv = { 2, 0 };
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        double t0 = now();
        char buf[64];
        ssize_t r = -1;
        if (s >= 0 && connect(s, (struct sockaddr *)&ss, len) == 0 && send(s, "probe", 5, 0) == 5)
            r = recv_answer(s, buf, sizeof buf);
        int e = errno;
        snprintf(how, sizeof how, "%s after %.0f ms", r >= 0 ? "an answer" : strerror(e),
                 (now() - t0) * 1000);
        report(r < 0 && e != EAGAIN, what, how);
    } else if (!strcmp(f[0], "dns") && n == 4) {
        int an = 0;
        double t0 = now();
        int rc = dns_ask(f[1], f[2], qtype(f[3]), &an, NULL);
        int e = errno;
        if (rc < 0)
            snprintf(how, sizeof how, "%s after %.0f ms", strerror(e), (now() - t0) * 1000);
        else
            snprintf(how, sizeof how, "rcode %d, %d answers, after %.0f ms", rc, an, (now() - t0) * 1000);
        report((rc < 0 && e != EAGAIN) || (rc >= 0 && an == 0), what, how);
    } else if (!strcmp(f[0], "dnsflood") && n == 3) {
        int count = atoi(f[2]), got = 0, nx = 0;
        for (int i = 0; i < count; i++) {
            char name[64];
            int an = 0;
            snprintf(name, sizeof name, "n%d.flood.test", i);
            int rc = dns_ask(f[1], name, 1, &an, NULL);
            got += rc >= 0 && an > 0;
            nx += rc == 3;
        }
        snprintf(how, sizeof how, "%d of %d queries answered with an address, %d NXDOMAIN", got, count, nx);
        report(got == 0, what, how);
    } else if (!strcmp(f[0], "icmp") && n == 2) {
        if (parse_addr(f[1], 0, &ss, &len) < 0)
            UNSURE("bad address %s", f[1]);
        int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
        if (s < 0) {
            snprintf(how, sizeof how, "socket: %s", strerror(errno));
            report(true, what, how);
            return;
        }
        struct icmphdr h = { .type = ICMP_ECHO };
        struct timeval tv = { 2, 0 };
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[128];
        ssize_t r = -1;
        if (sendto(s, &h, sizeof h, 0, (struct sockaddr *)&ss, len) >= 0)
            r = recv_answer(s, buf, sizeof buf);
        int e = errno;
        snprintf(how, sizeof how, "%s", r >= 0 ? "an echo reply" : strerror(e));
        report(r < 0, what, how);
        close(s);
    } else if (!strcmp(f[0], "raw")) {
        int s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
        snprintf(how, sizeof how, "socket: %s", s < 0 ? strerror(errno) : "created");
        report(s < 0, what, how);
    } else if (!strcmp(f[0], "packet")) {
        int s = socket(AF_PACKET, SOCK_RAW, htons(3));
        snprintf(how, sizeof how, "socket: %s", s < 0 ? strerror(errno) : "created");
        report(s < 0, what, how);
    } else {
        UNSURE("unknown attempt %s", what);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    static char defaults[][40] = {
        "tcp:1.1.1.1:443", "tcp:169.254.169.254:80", "dns:8.8.8.8:example.org:a", "icmp:1.1.1.1", "raw",
        "packet"
    };
    if (argc < 2) {
        for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
            attempt(defaults[i]);
    } else {
        for (int i = 1; i < argc; i++)
            attempt(argv[i]);
    }
    if (escaped)
        ESCAPED("%d of %d attempts", escaped, attempts);
    CONTAINED("all %d attempts failed fast", attempts);
}
