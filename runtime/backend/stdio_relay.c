/*
 * stdio_relay.c - the stdio relay (see stdio_relay.h): runsc or the native
 * cell gets pipes or a fresh pty slave, never the caller's descriptors, and
 * the relay copies the bytes. Invariant: the caller's descriptors 0, 1, 2 are
 * only read (0) and written (1, 2); their file status flags, owner and mode
 * are never changed.
 */
#include "stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

enum {
    S_IN,
    S_OUT,
    S_ERR,
    S_PTY
};

static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static void stream_init(struct stdio_stream *s)
{
    s->src = s->dst = -1;
    s->src_ours = s->dst_ours = s->to_pty = s->eof = false;
    s->len = s->off = 0;
}

static void stream_end(struct stdio_stream *s);

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A fresh pty pair whose slave looks like the caller's terminal `like`
 * (modes, window size), without echo or output processing: the caller's
 * terminal does both. */
static int open_pty(int like, int *slave_out)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return -1;
    char name[64];
    int slave = -1;
    if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0 ||
        (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        int err = errno;
        close(master);
        errno = err;
        return -1;
    }
    struct termios t;
    if (tcgetattr(like, &t) == 0) {
        /* the caller's terminal echoes and maps newlines already */
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        t.c_oflag &= ~(tcflag_t)OPOST;
        tcsetattr(slave, TCSANOW, &t);
    }
    struct winsize ws;
    if (ioctl(like, TIOCGWINSZ, &ws) == 0)
        ioctl(slave, TIOCSWINSZ, &ws);
    if (set_nonblock(master) < 0) {
        int err = errno;
        close(master);
        close(slave);
        errno = err;
        return -1;
    }
    *slave_out = slave;
    return master;
}

int stdio_relay_open(struct stdio_relay *r)
{
    r->master = -1;
    for (int i = 0; i < 3; i++)
        r->child[i] = -1;
    for (int i = 0; i < STDIO_RELAY_N; i++)
        stream_init(&r->s[i]);
    bool tty[3];
    int like = -1;
    for (int i = 0; i < 3; i++) {
        tty[i] = isatty(i) == 1;
        if (tty[i] && like < 0)
            like = i;
    }
    int slave = -1;
    if (tty[0] || tty[1] || tty[2]) {
        r->master = open_pty(like, &slave);
        if (r->master < 0)
            goto fail;
        /* the master's output goes to the caller's terminal */
        struct stdio_stream *p = &r->s[S_PTY];
        p->src = r->master;
        p->dst = tty[1] ? 1 : tty[2] ? 2 : 0;
    }
    /* stdin */
    struct stdio_stream *in = &r->s[S_IN];
    if (tty[0]) {
        if ((r->child[0] = fcntl(slave, F_DUPFD_CLOEXEC, 3)) < 0)
            goto fail;
        in->dst = r->master;
        in->to_pty = true;
        /* a terminal whose foreground is not ours cannot be read (EIO) */
        in->src = tcgetpgrp(0) == getpgrp() ? 0 : -1;
    } else {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            goto fail;
        r->child[0] = p[0];
        in->dst = p[1];
        in->dst_ours = true;
        in->src = fd_open(0) ? 0 : -1;
        if (set_nonblock(p[1]) < 0)
            goto fail;
    }
    in->eof = in->src < 0;
    /* stdout, stderr */
    for (int i = 1; i <= 2; i++) {
        if (tty[i]) {
            if ((r->child[i] = fcntl(slave, F_DUPFD_CLOEXEC, 3)) < 0)
                goto fail;
            continue;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            goto fail;
        r->child[i] = p[1];
        struct stdio_stream *o = &r->s[i];
        o->src = p[0];
        o->src_ours = true;
        o->dst = fd_open(i) ? i : -1;
        if (set_nonblock(p[0]) < 0)
            goto fail;
    }
    if (slave >= 0)
        close(slave);
    if (in->eof)
        stream_end(in); /* nothing to pass: runsc's stdin ends at once */
    return 0;
fail:;
    int err = errno;
    if (slave >= 0)
        close(slave);
    stdio_relay_forked(r);
    stdio_relay_drain(r, 0);
    errno = err;
    return -1;
}

int stdio_relay_child(const struct stdio_relay *r)
{
    /* child[] are all >= 3 (pipes and dups made while 0-2 are open) */
    for (int i = 0; i < 3; i++)
        if (dup2(r->child[i], i) < 0)
            return -1;
    return 0;
}

void stdio_relay_forked(struct stdio_relay *r)
{
    for (int i = 0; i < 3; i++) {
        if (r->child[i] >= 0)
            close(r->child[i]);
        r->child[i] = -1;
    }
}

/* The stream's source has ended and its buffer is empty: let dst know. */
static void stream_end(struct stdio_stream *s)
{
    if (s->to_pty && s->dst >= 0) {
        /* an end-of-file character at the start of a line: read() == 0 */
        char eof = 4;
        struct termios t;
        if (tcgetattr(s->dst, &t) == 0 && t.c_cc[VEOF])
            eof = (char)t.c_cc[VEOF];
        ssize_t w = write(s->dst, &eof, 1);
        (void)w;
    }
    if (s->dst_ours && s->dst >= 0)
        close(s->dst);
    if (s->src_ours && s->src >= 0)
        close(s->src);
    s->src = s->dst = -1;
    s->len = 0;
}

/* Write what is buffered; a dst that fails takes no more (discarded). */
static void stream_flush(struct stdio_stream *s)
{
    while (s->len > s->off) {
        if (s->dst < 0) {
            s->len = s->off = 0;
            break;
        }
        ssize_t w = write(s->dst, s->buf + s->off, s->len - s->off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0) {
            if (s->dst_ours)
                close(s->dst);
            s->dst = -1;
            if (s->src >= 0 && !s->src_ours)
                s->eof = true; /* the workload closed its stdin: stop reading ours */
            continue;
        }
        s->off += (size_t)w;
    }
    s->len = s->off = 0;
    if (s->eof)
        stream_end(s);
}

static void stream_read(struct stdio_stream *s)
{
    ssize_t n = read(s->src, s->buf, sizeof s->buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        s->eof = true; /* EOF, or EIO: a pty whose slave is closed */
    } else {
        s->len = (size_t)n;
        s->off = 0;
    }
    stream_flush(s);
}

void stdio_relay_poll(struct stdio_relay *r, struct pollfd *pf)
{
    for (int i = 0; i < STDIO_RELAY_N; i++) {
        struct stdio_stream *s = &r->s[i];
        pf[i].fd = -1;
        pf[i].events = 0;
        pf[i].revents = 0;
        r->pf_out[i] = false;
        if (s->len > s->off && s->dst >= 0) {
            pf[i].fd = s->dst;
            pf[i].events = POLLOUT;
            r->pf_out[i] = true;
        } else if (s->src >= 0 && !s->eof) {
            pf[i].fd = s->src;
            pf[i].events = POLLIN;
        }
    }
}

void stdio_relay_move(struct stdio_relay *r, const struct pollfd *pf)
{
    for (int i = 0; i < STDIO_RELAY_N; i++) {
        if (pf[i].fd < 0 || !pf[i].revents)
            continue;
        if (r->pf_out[i])
            stream_flush(&r->s[i]);
        else
            stream_read(&r->s[i]);
    }
}

void stdio_relay_drain(struct stdio_relay *r, int timeout_ms)
{
    /* nobody reads runsc's stdin any more */
    r->s[S_IN].eof = true;
    r->s[S_IN].len = r->s[S_IN].off = 0;
    r->s[S_IN].to_pty = false;
    stream_end(&r->s[S_IN]);
    for (;;) {
        struct pollfd pf[STDIO_RELAY_POLL];
        stdio_relay_poll(r, pf);
        bool any = false;
        for (int i = 0; i < STDIO_RELAY_N; i++)
            any |= pf[i].fd >= 0;
        if (!any || timeout_ms <= 0)
            break;
        int n = poll(pf, STDIO_RELAY_POLL, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        stdio_relay_move(r, pf);
    }
    for (int i = 0; i < STDIO_RELAY_N; i++) {
        struct stdio_stream *s = &r->s[i];
        s->to_pty = false;
        s->eof = true;
        stream_end(s);
    }
    if (r->master >= 0)
        close(r->master);
    r->master = -1;
}

static bool outputs_done(const struct stdio_relay *r)
{
    for (int i = S_OUT; i < STDIO_RELAY_N; i++)
        if (r->s[i].src >= 0 || r->s[i].len > r->s[i].off)
            return false;
    return true;
}

void stdio_relay_loop(struct stdio_relay *r)
{
    while (!outputs_done(r)) {
        struct pollfd pf[STDIO_RELAY_POLL];
        stdio_relay_poll(r, pf);
        if (poll(pf, STDIO_RELAY_POLL, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        stdio_relay_move(r, pf);
    }
    stdio_relay_drain(r, 0);
}

void stdio_relay_release(struct stdio_relay *r)
{
    for (int i = 0; i < STDIO_RELAY_N; i++) {
        struct stdio_stream *s = &r->s[i];
        if (s->src_ours && s->src >= 0)
            close(s->src);
        if (s->dst_ours && s->dst >= 0)
            close(s->dst);
        stream_init(s);
    }
    if (r->master >= 0)
        close(r->master);
    r->master = -1;
}
