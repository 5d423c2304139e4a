/*
 * net_proxy.c - netd's TCP proxy: a connection the gateway redirected to
 * port 15001 is checked (its original destination -> synthetic name -> rule
 * and port, then the TLS ClientHello's SNI or the HTTP Host must be that
 * name; a CIDR rule's address is checked against the rule and the
 * always-deny set), the real destination is dialled from the host's
 * namespace, the bytes already read are sent, and both directions are
 * spliced until each side closes. A plain-HTTP connection checked by its
 * Host is checked request by request (net_http.c): its cell-to-server
 * direction goes through a buffer in user space (struct upload), so a
 * later or pipelined request naming another host is refused like the
 * first; the server-to-cell direction is spliced, but while a request
 * body is part-sent its next bytes are peeked first (early_answer): an
 * interim 1xx passes, any other early answer ends the upload (the server
 * could read the body's rest as requests). A refused connection is
 * closed with a reset and reported once per destination.
 *
 * Speed (docs/performance.md, network): a pool of worker threads waits in
 * accept itself (epoll with EPOLLEXCLUSIVE on both listeners: the kernel
 * wakes one), so a connection costs no hand-off and no thread creation;
 * the pool grows when its last idle worker takes a connection and shrinks
 * back to PROXY_IDLE_MAX. When the name's addresses are already pinned (or
 * the rule is a CIDR), the dial starts at once, in parallel with reading
 * the first bytes; on a refusal the upstream connection is reset before a
 * byte was sent on it. One worker relays both directions of its connection
 * with non-blocking splice(2) through a pipe per direction (enlarged up to
 * /proc/sys/fs/pipe-max-size, at most PROXY_PIPE_MAX).
 *
 * Invariant: no byte from the cell reaches an upstream socket before the
 * connection's name (or CIDR rule) has been checked.
 */
#include "net_int.h"
#include "net_netd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PEEK_MAX (16384 + 5) /* one whole TLS record */
_Static_assert(PEEK_MAX == HTTP_HEAD_MAX, "later requests' heads have the first's bound");
#define DIAL_TIMEOUT_MS 5000
#define PEEK_TIMEOUT_MS 5000
#define PROXY_IDLE_MAX  2          /* idle workers kept waiting in accept */
#define PROXY_WORKERS   1024       /* at most this many connections at once */
#define PROXY_PIPE_MAX  (1u << 20) /* per direction */
#define SPARE_MAX       64         /* pre-dialled upstream connections */
#define SPARE_AGE_MS    5000       /* closed unused after this long */

/* A connection dialled ahead to a name's pinned address on a port a
 * connection of the cell just used, for the next one to the same name and
 * port (no byte is sent on it before that connection passed its check). */
struct spare {
    long idx;
    uint16_t port;
    int ti; /* which of the name's dial targets */
    int fd;
    uint64_t born;
};

struct proxy {
    struct netd *d;
    int lst4, lst6;
    int pipe_size; /* 0: the kernel's default */
    pthread_mutex_t mu;
    int idle, total;
    struct spare spare[SPARE_MAX];
    int nspare;
    bool janitor;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int ms_left(uint64_t end)
{
    uint64_t now = now_ms();
    return now >= end ? 0 : (int)(end - now);
}

static void reset_close(int fd)
{
    struct linger lg = { 1, 0 }; /* close with a reset */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void refuse(struct netd *d, int fd, int family, const uint8_t *addr, uint16_t port, const char *name,
                   const char *why)
{
    struct linger lg = { 1, 0 }; /* the cell's connection is closed with a reset */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    netd_refused_flow(d, family, 6, addr, port, name, why);
}

/* A non-blocking connect to family/a/port (in progress or done), or -1. */
static int dial_start(int family, const uint8_t *a, uint16_t port)
{
    int s = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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
    if (r < 0 && errno != EINPROGRESS) {
        int err = errno;
        close(s);
        errno = err;
        return -1;
    }
    return s;
}

/* Wait (bounded) for a dial_start socket to connect: 0, or -1 (closed). */
static int dial_finish(int s)
{
    struct pollfd pf = { .fd = s, .events = POLLOUT };
    int err = 0, n;
    socklen_t el = sizeof err;
    do
        n = poll(&pf, 1, DIAL_TIMEOUT_MS);
    while (n < 0 && errno == EINTR);
    if (n != 1 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        close(s);
        return -1;
    }
    return 0;
}

/* The pinned addresses of a name that may be dialled, in order. */
struct targets {
    int n;
    uint8_t fam[MAX_PINNED];
    uint8_t addr[MAX_PINNED][16];
    const char *why; /* when n == 0 */
};

static void name_targets(struct netd *d, long idx, struct targets *t)
{
    pthread_mutex_lock(&d->mu);
    struct syn s = d->syn[idx];
    pthread_mutex_unlock(&d->mu);
    t->n = 0;
    t->why = "the host cannot resolve this name";
    for (int i = 0; i < s.n; i++) {
        const char *deny = netd_dial_denied(d, s.fam[i], s.addr[i], true);
        if (deny) {
            t->why = deny;
            continue;
        }
        t->fam[t->n] = s.fam[i];
        memcpy(t->addr[t->n], s.addr[i], 16);
        t->n++;
    }
}

static bool name_pinned(struct netd *d, long idx)
{
    pthread_mutex_lock(&d->mu);
    bool r = d->syn[idx].resolved;
    pthread_mutex_unlock(&d->mu);
    return r;
}

/* ---- spares ---------------------------------------------------------------- */

/* Take the spare for (idx, port) if it is still fresh and quiet (no error,
 * no hang-up, nothing sent by the server): its fd and target, else -1. */
static int spare_take(struct proxy *px, long idx, uint16_t port, int *ti)
{
    int fd = -1;
    pthread_mutex_lock(&px->mu);
    for (int i = 0; i < px->nspare; i++)
        if (px->spare[i].idx == idx && px->spare[i].port == port) {
            fd = px->spare[i].fd;
            *ti = px->spare[i].ti;
            bool stale = now_ms() - px->spare[i].born > SPARE_AGE_MS;
            px->spare[i] = px->spare[--px->nspare];
            if (stale) {
                close(fd);
                fd = -1;
            }
            break;
        }
    pthread_mutex_unlock(&px->mu);
    if (fd >= 0) {
        struct pollfd pf = { .fd = fd, .events = POLLIN | POLLRDHUP };
        int err = 0;
        socklen_t el = sizeof err;
        if (poll(&pf, 1, 0) != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

static void *janitor(void *arg)
{
    struct proxy *px = arg;
    for (;;) {
        sleep(1);
        pthread_mutex_lock(&px->mu);
        uint64_t now = now_ms();
        for (int i = 0; i < px->nspare;)
            if (now - px->spare[i].born > SPARE_AGE_MS) {
                close(px->spare[i].fd);
                px->spare[i] = px->spare[--px->nspare];
            } else {
                i++;
            }
        pthread_mutex_unlock(&px->mu);
    }
    return NULL;
}

/* Dial a spare for (idx, port) to target ti unless one is waiting. */
static void spare_fill(struct proxy *px, long idx, uint16_t port, const struct targets *t, int ti)
{
    pthread_mutex_lock(&px->mu);
    bool have = px->nspare >= SPARE_MAX;
    for (int i = 0; i < px->nspare && !have; i++)
        have = px->spare[i].idx == idx && px->spare[i].port == port;
    bool start_janitor = !have && !px->janitor;
    if (start_janitor)
        px->janitor = true;
    pthread_mutex_unlock(&px->mu);
    if (have)
        return;
    if (start_janitor) {
        pthread_attr_t at;
        pthread_t th;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 64 * 1024);
        if (pthread_create(&th, &at, janitor, px) != 0) {
            pthread_attr_destroy(&at);
            return; /* no spares without someone to close them */
        }
        pthread_attr_destroy(&at);
    }
    int fd = dial_start(t->fam[ti], t->addr[ti], port);
    if (fd < 0)
        return;
    pthread_mutex_lock(&px->mu);
    have = px->nspare >= SPARE_MAX;
    for (int i = 0; i < px->nspare && !have; i++)
        have = px->spare[i].idx == idx && px->spare[i].port == port;
    if (!have)
        px->spare[px->nspare++] = (struct spare){ idx, port, ti, fd, now_ms() };
    pthread_mutex_unlock(&px->mu);
    if (have)
        close(fd);
}

/* ---- the relay ------------------------------------------------------------ */

/* The cell-to-server direction of a plain-HTTP connection checked by its
 * Host: read into buf, checked request by request (net_http.c), written
 * from buf. buf[off, ok) is checked and waits to be written, buf[ok,
 * have) is an incomplete request head waiting for more. */
#define UPLOAD_BUF 65536
_Static_assert(UPLOAD_BUF > HTTP_HEAD_MAX, "an upload buffer holds a whole request head");
struct upload {
    struct http_stream hs;
    size_t off, ok, have;
    uint64_t sent; /* stream bytes sent to the server */
    bool refused;
    bool cut; /* the server answered while a body was part-sent: nothing more goes to it */
    uint8_t buf[UPLOAD_BUF];
};

struct dir {
    int src, dst, pp[2];
    size_t inpipe; /* with an upload: checked bytes not written yet */
    bool eof, shut, dead;
    bool rd_ok, wr_ok; /* false after a short or EAGAIN splice, until poll says otherwise */
    uint64_t moved;
    size_t budget; /* bytes src may still be read (SIZE_MAX: any) */
    atomic_uint_fast64_t *count;
    struct upload *up; /* NULL: splice */
};

/* dir_step for a direction with an upload: read, check, write from the
 * buffer; a refused request stops it (x->up->refused) with nothing of that
 * request written. */
static void upload_step(struct dir *x)
{
    struct upload *u = x->up;
    bool can_read = x->rd_ok, can_write = x->wr_ok;
    for (bool progress = true; progress && !x->dead;) {
        progress = false;
        if (u->off == u->ok && u->off > 0) { /* all checked bytes written: keep only the waiting head */
            memmove(u->buf, u->buf + u->ok, u->have - u->ok);
            u->have -= u->ok;
            u->off = u->ok = 0;
        }
        if (can_read && !x->eof && u->have < sizeof u->buf) {
            ssize_t n = recv(x->src, u->buf + u->have, sizeof u->buf - u->have, MSG_DONTWAIT);
            if (n > 0) {
                u->have += (size_t)n;
                long t = http_stream_scan(&u->hs, u->buf + u->ok, u->have - u->ok);
                if (t < 0) {
                    u->refused = true;
                    x->dead = true;
                    break;
                }
                u->ok += (size_t)t;
                progress = true;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                x->eof = true; /* an incomplete head left at the end is never sent */
            } else {
                can_read = false;
            }
        }
        if (can_write && u->ok > u->off) {
            ssize_t w = send(x->dst, u->buf + u->off, u->ok - u->off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0) {
                can_write = (size_t)w == u->ok - u->off;
                u->off += (size_t)w;
                u->sent += (uint64_t)w;
                x->moved += (uint64_t)w;
                atomic_fetch_add(x->count, (uint64_t)w);
                progress = true;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                x->dead = true;
            } else {
                can_write = false;
            }
        }
    }
    x->rd_ok = can_read;
    x->wr_ok = can_write;
    x->inpipe = u->ok - u->off;
    if (((x->eof && x->inpipe == 0) || x->dead) && !x->shut && !u->refused) {
        shutdown(x->dst, SHUT_WR);
        shutdown(x->src, SHUT_RD);
        x->shut = true;
    }
}

/* Move what can move now from src to dst without blocking. A call that
 * would only say EAGAIN is not made: a short splice means the socket is
 * drained (reading) or full (writing) until poll says otherwise. */
static void dir_step(struct dir *x, size_t cap)
{
    if (x->up) {
        upload_step(x);
        return;
    }
    bool can_read = x->rd_ok, can_write = x->wr_ok;
    for (bool progress = true; progress && !x->dead;) {
        progress = false;
        if (can_read && !x->eof && x->inpipe < cap && x->budget > 0) {
            size_t want = cap - x->inpipe < x->budget ? cap - x->inpipe : x->budget;
            ssize_t n = splice(x->src, NULL, x->pp[1], NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                x->inpipe += (size_t)n;
                if (x->budget != SIZE_MAX)
                    x->budget -= (size_t)n;
                can_read = (size_t)n == want;
                progress = true;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                x->eof = true;
            } else {
                can_read = false;
            }
        }
        if (can_write && x->inpipe > 0) {
            ssize_t w = splice(x->pp[0], NULL, x->dst, NULL, x->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (w > 0) {
                can_write = (size_t)w == x->inpipe;
                x->inpipe -= (size_t)w;
                x->moved += (uint64_t)w;
                atomic_fetch_add(x->count, (uint64_t)w);
                progress = true;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                x->dead = true; /* the receiver is gone */
            } else {
                can_write = false;
            }
        }
    }
    x->rd_ok = can_read;
    x->wr_ok = can_write;
    if ((x->eof && x->inpipe == 0) || x->dead) {
        if (!x->shut) {
            shutdown(x->dst, SHUT_WR);
            shutdown(x->src, SHUT_RD);
            x->shut = true;
        }
    }
}

/* Plain HTTP checked by Host: while a request body is part-sent to the
 * server (or still to be read from the cell), what the server sends may
 * be an early answer: a server that answers without reading the body (an
 * early 4xx, a final answer to Expect: 100-continue, a POST to a static
 * file) and keeps the connection open would read the rest of the body as
 * requests, unchecked. So the server's next bytes are peeked first: an
 * interim answer (100 Continue, 102, 103) goes to the cell alone (the
 * budget of down); anything else ends the upload (u->cut): what is
 * buffered is dropped, the server gets EOF (SHUT_WR) and the cell's
 * further bytes are not read, while the answer still reaches the cell. */
static void early_answer(struct upload *u, struct dir *upd, struct dir *down)
{
    if (down->budget != SIZE_MAX && down->budget > 0)
        return; /* the rest of an interim answer (a splice moved only part of it) */
    down->budget = SIZE_MAX;
    if (!u || upd->shut || !(http_stream_in_body(&u->hs) || u->sent < u->hs.body_end) || !down->rd_ok ||
        down->eof)
        return;
    uint8_t b[1024];
    ssize_t n = recv(down->src, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        down->budget = 0; /* nothing yet: poll says when */
        down->rd_ok = false;
        return;
    }
    if (n <= 0)
        return; /* EOF or an error: the splice sees it */
    size_t il = http_interim_len(b, (size_t)n);
    if (il) {
        down->budget = il;
        return;
    }
    u->cut = true;
    u->off = u->ok = u->have = 0;
    upd->dead = upd->eof = true;
    upd->inpipe = 0;
    shutdown(upd->dst, SHUT_WR);
    shutdown(upd->src, SHUT_RD);
    upd->shut = true;
}

static bool dir_done(const struct dir *x)
{
    return x->shut;
}

/* A worker's two pipes, kept from one connection to the next while they
 * come back empty (-1: to be made). */
struct wpipes {
    int pp[2][2];
    size_t cap[2];
};

static void wpipes_close(struct wpipes *wp, int i)
{
    if (wp->pp[i][0] >= 0) {
        close(wp->pp[i][0]);
        close(wp->pp[i][1]);
    }
    wp->pp[i][0] = wp->pp[i][1] = -1;
}

static int wpipes_ready(struct wpipes *wp)
{
    for (int i = 0; i < 2; i++) {
        if (wp->pp[i][0] >= 0)
            continue;
        if (pipe2(wp->pp[i], O_CLOEXEC | O_NONBLOCK) < 0) {
            wp->pp[i][0] = wp->pp[i][1] = -1;
            return -1;
        }
    }
    return 0;
}

/* Enlarge a worker's pipes for a connection (size 0: keep the default) and
 * learn their capacity; between connections they go back to the default
 * size, so an idle worker holds no more pipe pages (counted per user: the
 * host's other root processes share that count) than any pipe does. */
static void wpipes_size(struct wpipes *wp, int size)
{
    for (int i = 0; i < 2; i++) {
        if (wp->pp[i][0] < 0)
            continue;
        if (size > 0)
            fcntl(wp->pp[i][1], F_SETPIPE_SZ, size);
        int sz = fcntl(wp->pp[i][1], F_GETPIPE_SZ);
        wp->cap[i] = sz > 0 ? (size_t)sz : 65536;
    }
}

/* What to dial once the first answer bytes went to the cell. */
struct spare_req {
    bool want;
    long idx;
    uint16_t port;
    int ti;
    struct targets t;
};

/* Splice both ways between the cell's connection and upstream's (both
 * non-blocking) until each direction has ended; with an upload (plain
 * HTTP), the cell's direction goes through it. 0, or -1 when the upload
 * refused a request (u->hs.why). */
static int relay(struct proxy *px, struct wpipes *wp, int cell, int up, struct counters *ctr,
                 struct spare_req *sr, struct upload *u)
{
    if (wpipes_ready(wp) < 0)
        return 0;
    wpipes_size(wp, px->pipe_size);
    struct dir dirs[2] = {
        { .src = cell,
          .dst = up,
          .rd_ok = true,
          .wr_ok = true,
          .budget = SIZE_MAX,
          .count = &ctr->out,
          .up = u },
        { .src = up, .dst = cell, .rd_ok = true, .wr_ok = true, .budget = SIZE_MAX, .count = &ctr->in },
    };
    size_t caps[2];
    for (int i = 0; i < 2; i++) {
        dirs[i].pp[0] = wp->pp[i][0];
        dirs[i].pp[1] = wp->pp[i][1];
        caps[i] = wp->cap[i];
    }
    const short rd = POLLIN | POLLHUP | POLLERR | POLLRDHUP, wr = POLLOUT | POLLHUP | POLLERR;
    for (;;) {
        early_answer(u, &dirs[0], &dirs[1]); /* before more of a body goes out */
        dir_step(&dirs[0], caps[0]);
        if (u && u->refused)
            break;
        early_answer(u, &dirs[0], &dirs[1]);
        dir_step(&dirs[1], caps[1]);
        if (sr->want && dirs[1].moved != 0) {
            /* the answer is on its way to the cell: now a spare for the
             * cell's next connection to this name and port */
            sr->want = false;
            spare_fill(px, sr->idx, sr->port, &sr->t, sr->ti);
        }
        if (dir_done(&dirs[0]) && dir_done(&dirs[1]))
            break;
        /* what each socket waits for: readable while its direction can
         * take more, writable while its direction's pipe holds bytes */
        struct pollfd pf[2] = { { .fd = cell }, { .fd = up } };
        for (int i = 0; i < 2; i++) {
            struct dir *x = &dirs[i];
            if (x->shut)
                continue;
            struct pollfd *in = x->src == cell ? &pf[0] : &pf[1], *out = x->dst == cell ? &pf[0] : &pf[1];
            if (!x->eof && (x->up ? x->up->have < sizeof x->up->buf : x->inpipe < caps[i]))
                in->events |= POLLIN | POLLRDHUP;
            if (x->inpipe > 0)
                out->events |= POLLOUT;
        }
        for (int i = 0; i < 2; i++)
            if (!pf[i].events)
                pf[i].fd = -1; /* a hung-up socket with nothing to wait for would wake poll at once */
        /* errors and hang-ups surface as splice results in dir_step */
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            struct dir *x = &dirs[i];
            short rs = x->src == cell ? pf[0].revents : pf[1].revents;
            short ds = x->dst == cell ? pf[0].revents : pf[1].revents;
            x->rd_ok |= (rs & rd) != 0;
            x->wr_ok |= (ds & wr) != 0;
        }
    }
    for (int i = 0; i < 2; i++)
        if (dirs[i].inpipe && !dirs[i].up) /* left over: the pipe is not clean for the next connection */
            wpipes_close(wp, i);
    if (px->pipe_size > 0)
        for (int i = 0; i < 2; i++)
            if (wp->pp[i][0] >= 0 && fcntl(wp->pp[i][1], F_SETPIPE_SZ, 65536) < 0)
                wpipes_close(wp, i); /* could not shrink: make a new one next time */
    return u && u->refused ? -1 : 0;
}

/* ---- one connection -------------------------------------------------------- */

/* Send all of b to a non-blocking socket (bounded wait): 0 or -1. */
static int send_all(int s, const uint8_t *b, size_t n)
{
    uint64_t end = now_ms() + DIAL_TIMEOUT_MS;
    for (size_t off = 0; off < n;) {
        ssize_t w = send(s, b + off, n - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        struct pollfd pf = { .fd = s, .events = POLLOUT };
        if (poll(&pf, 1, ms_left(end)) != 1)
            return -1;
    }
    return 0;
}

static void serve(struct proxy *px, struct wpipes *wp, int fd, int family)
{
    struct netd *d = px->d;
    int up = -1;
    struct upload *u = NULL; /* plain HTTP checked by its Host: every request is parsed */
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
    struct spare_req sr = { .want = false };
    uint8_t peek[PEEK_MAX];
    size_t np = 0;
    char name[DNS_MAX_NAME + 1] = "";
    if (idx < 0) { /* an address: a CIDR rule, checked before the dial */
        rule = net_rule_for_addr(d->p, family, dst, 6, port);
        const char *deny =
            rule < 0 ? "no rule grants this address and port" : netd_dial_denied(d, family, dst, false);
        if (deny) {
            refuse(d, fd, family, dst, port, NULL, deny);
            goto done;
        }
        up = dial_start(family, dst, port);
        if (up < 0 || dial_finish(up) < 0) {
            up = -1;
            refuse(d, fd, family, dst, port, NULL, "the destination did not accept the connection");
            goto done;
        }
    } else {
        pthread_mutex_lock(&d->mu);
        snprintf(name, sizeof name, "%s", d->syn[idx].name);
        pthread_mutex_unlock(&d->mu);
        rule = net_rule_for_name(d->p, name, 6, port);
        int any = net_rule_any_name(d->p, name, port); /* `any-name`: no SNI/Host check */
        if (any >= 0)
            rule = any;
        if (rule < 0) {
            refuse(d, fd, family, dst, port, name, "no rule grants this name on this port");
            goto done;
        }
        /* pinned already: dial the first address now, while the cell's
         * first bytes arrive (nothing is sent on it before the check) */
        struct targets t = { 0 };
        int next = 0, cur = -1;
        if (name_pinned(d, idx)) {
            name_targets(d, idx, &t);
            up = spare_take(px, idx, port, &cur);
            if (up < 0 || cur >= t.n)
                cur = -1;
            while (up < 0 && next < t.n) {
                cur = next++;
                up = dial_start(t.fam[cur], t.addr[cur], port);
            }
        }
        /* the connection must name the host it was granted for (unless
         * the rule says any-name) */
        uint64_t end = now_ms() + PEEK_TIMEOUT_MS;
        char said[DNS_MAX_NAME + 2] = "";
        int tls = -1, http = -1;
        while (any < 0) {
            tls = np ? peek_tls_sni(peek, np, said, sizeof said) : -1;
            http = np ? peek_http_host(peek, np, said, sizeof said) : -1;
            /* (checked once more after the read that filled the buffer: a
             * head that came in pieces, then body bytes up to the end) */
            if (tls >= 0 || http >= 0 || (tls == -2 && http == -2) || np == sizeof peek)
                break;
            struct pollfd pf = { .fd = fd, .events = POLLIN };
            int left = ms_left(end);
            if (left == 0 || poll(&pf, 1, left) != 1)
                break;
            ssize_t k = recv(fd, peek + np, sizeof peek - np, 0);
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (k <= 0)
                break;
            np += (size_t)k;
        }
        const char *why = NULL;
        char whybuf[120];
        if (any >= 0) {
            why = NULL;
        } else if (tls != 1 && http != 1) {
            why = tls == 0  ? "TLS without a server name"
                : http == 0 ? "HTTP without a Host header"
                            : "no TLS server name or HTTP Host within the first bytes";
        } else if (strcasecmp(said, name) != 0) {
            snprintf(whybuf, sizeof whybuf, "the connection names %.64s, not the granted name", said);
            why = whybuf;
        } else if (tls != 1) {
            /* plain HTTP: every request on the connection is checked, the
             * first (and whatever followed it in these bytes) now */
            u = malloc(sizeof *u);
            if (!u) {
                why = "out of memory for the connection's request check";
            } else {
                http_stream_init(&u->hs, name);
                long ok = http_stream_scan(&u->hs, peek, np);
                if (ok < 0)
                    why = u->hs.why;
                u->off = 0;
                u->ok = ok < 0 ? 0 : (size_t)ok;
                u->have = np;
                u->refused = false;
                u->cut = false;
                u->sent = 0;
                memcpy(u->buf, peek, np);
            }
        }
        if (why) {
            if (up >= 0)
                reset_close(up);
            up = -1;
            refuse(d, fd, family, dst, port, name, why);
            goto done;
        }
        if (!t.n && !next) { /* not pinned at accept: resolve now (may block) */
            netd_resolve(d, (size_t)idx);
            name_targets(d, idx, &t);
        }
        why = t.n ? "the destination did not accept the connection" : t.why;
        for (;;) {
            if (up >= 0 && dial_finish(up) == 0)
                break;
            up = -1;
            while (up < 0 && next < t.n) {
                cur = next++;
                up = dial_start(t.fam[cur], t.addr[cur], port);
            }
            if (up < 0)
                break;
        }
        if (up < 0) {
            refuse(d, fd, family, dst, port, name, why);
            goto done;
        }
        if (cur >= 0 && any < 0) /* checked names only: TLS and HTTP clients speak first */
            sr = (struct spare_req){ true, idx, port, cur, t };
    }
    atomic_fetch_add(&d->ctr[rule].conns, 1);
    if (!u) {
        if (np && send_all(up, peek, np) < 0)
            goto done;
        atomic_fetch_add(&d->ctr[rule].out, np);
    }
    if (relay(px, wp, fd, up, &d->ctr[rule], &sr, u) < 0) {
        /* a later request on the connection named another host (or was
         * not HTTP a server reads the same way): both sides reset */
        reset_close(up);
        up = -1;
        refuse(d, fd, family, dst, port, name, u->hs.why);
    }
done:
    free(u);
    if (up >= 0)
        close(up);
    close(fd);
}

/* ---- the worker pool -------------------------------------------------------- */

static void *worker(void *arg);

/* Start one more worker (counted idle); false when none could start. */
static bool spawn(struct proxy *px)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 128 * 1024);
    pthread_t t;
    pthread_mutex_lock(&px->mu);
    bool ok = px->total < PROXY_WORKERS;
    if (ok) {
        px->total++;
        px->idle++;
    }
    pthread_mutex_unlock(&px->mu);
    if (ok && pthread_create(&t, &at, worker, px) != 0) {
        pthread_mutex_lock(&px->mu);
        px->total--;
        px->idle--;
        pthread_mutex_unlock(&px->mu);
        ok = false;
    }
    pthread_attr_destroy(&at);
    return ok;
}

static void *worker(void *arg)
{
    struct proxy *px = arg;
    struct wpipes wp = { .pp = { { -1, -1 }, { -1, -1 } } };
    wpipes_ready(&wp); /* now, not when a connection waits (retried then) */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e4 = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = 4 };
    struct epoll_event e6 = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = 6 };
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, px->lst4, &e4) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, px->lst6, &e6) < 0) {
        if (ep >= 0)
            close(ep);
        wpipes_close(&wp, 0);
        wpipes_close(&wp, 1);
        pthread_mutex_lock(&px->mu);
        px->total--;
        px->idle--;
        pthread_mutex_unlock(&px->mu);
        return NULL;
    }
    for (;;) {
        struct epoll_event ev;
        int n = epoll_wait(ep, &ev, 1, -1);
        if (n != 1)
            continue;
        int family = (int)ev.data.u32;
        int fd = accept4(family == 4 ? px->lst4 : px->lst6, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                poll(NULL, 0, 20); /* out of descriptors: the connection waits in the backlog, no spin */
            continue;              /* else another worker took it */
        }
        /* non-blocking from here on (the peek polls); TCP_NODELAY comes
         * from the listener */
        pthread_mutex_lock(&px->mu);
        bool last = --px->idle == 0;
        pthread_mutex_unlock(&px->mu);
        if (last)
            spawn(px); /* keep one waiting in accept */
        serve(px, &wp, fd, family);
        pthread_mutex_lock(&px->mu);
        bool leave = px->idle >= PROXY_IDLE_MAX;
        if (leave)
            px->total--;
        else
            px->idle++;
        pthread_mutex_unlock(&px->mu);
        if (leave)
            break;
    }
    close(ep);
    wpipes_close(&wp, 0);
    wpipes_close(&wp, 1);
    return NULL;
}

/* The pipe size to ask for: pipe-max-size (what an unprivileged F_SETPIPE_SZ
 * may reach), at most PROXY_PIPE_MAX; 0 to keep the default. */
static int pipe_size(void)
{
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
    unsigned long v = 0;
    if (f) {
        if (fscanf(f, "%lu", &v) != 1)
            v = 0;
        fclose(f);
    }
    if (v > PROXY_PIPE_MAX)
        v = PROXY_PIPE_MAX;
    return v > 65536 ? (int)v : 0;
}

/* The congestion control of the cell-facing connections (accepted ones
 * inherit the listener's): CUBIC, else Reno (always built in), whatever
 * the host's default. The gateway-to-cell hop is a veth inside this host,
 * with no bottleneck and no loss; a pacing default such as BBR (common on
 * hosts tuned for the Internet) paces each download to its estimate of a
 * bottleneck that is not there, which cost bulk downloads a third of their
 * speed here (bench/network.sh, docs/performance.md). The upstream
 * connections cross the host's real network and keep the host's choice. */
static void cell_side_congestion(int lst)
{
    static const char cubic[] = "cubic", reno[] = "reno";
    if (setsockopt(lst, IPPROTO_TCP, TCP_CONGESTION, cubic, sizeof cubic - 1) < 0)
        setsockopt(lst, IPPROTO_TCP, TCP_CONGESTION, reno, sizeof reno - 1);
}

int proxy_start(struct netd *d, int lst4, int lst6)
{
    /* non-blocking listeners: a worker woken for a connection another took
     * goes back to waiting instead of blocking in accept */
    if (fcntl(lst4, F_SETFL, fcntl(lst4, F_GETFL) | O_NONBLOCK) < 0 ||
        fcntl(lst6, F_SETFL, fcntl(lst6, F_GETFL) | O_NONBLOCK) < 0)
        return -1;
    int one = 1; /* accepted connections inherit it */
    setsockopt(lst4, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(lst6, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    cell_side_congestion(lst4);
    cell_side_congestion(lst6);
    struct proxy *px = calloc(1, sizeof *px); /* lives as long as netd */
    if (!px)
        return -1;
    px->d = d;
    px->lst4 = lst4;
    px->lst6 = lst6;
    px->pipe_size = pipe_size();
    pthread_mutex_init(&px->mu, NULL);
    for (int i = 0; i < PROXY_IDLE_MAX; i++)
        if (!spawn(px) && i == 0)
            return -1;
    return 0;
}
