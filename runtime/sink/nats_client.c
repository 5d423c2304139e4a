/*
 * nats_client.c - a minimal NATS JetStream publisher (nats_client.h).
 *
 * Wire format (text, CRLF-terminated control lines):
 *   server: INFO {json} | MSG subj sid [reply] n | HMSG subj sid [reply] h t
 *           | PING | PONG | +OK | -ERR 'text'
 *   client: CONNECT {json} | PING | PONG | SUB subj sid
 *           | HPUB subj reply h t  (headers "NATS/1.0\r\nNats-Msg-Id: X\r\n\r\n")
 * A JetStream publish is a publish with a reply subject; the stream answers
 * on it with {"stream":..,"seq":N[,"duplicate":true]} or {"error":{..}},
 * or the server answers an HMSG with status 503 when no stream listens.
 * Replies go to _INBOX.<random>.<n>; n indexes the message in the batch
 * plus a per-connection offset, so a late ack of an earlier batch is
 * recognised and ignored. Every size read from the server is bounded.
 */
#include "nats_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NATS_LINE_MAX    (64 * 1024) /* a control line, INFO included */
#define NATS_PAYLOAD_MAX (1 << 20)   /* an ack payload we accept */

struct nats_conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    bool dead;
    char server[300];    /* host:port for messages */
    char inbox[40];      /* _INBOX.<22 chars> */
    uint64_t next_reply; /* reply numbers already used */
    int timeout_ms;
    char *in; /* read buffer */
    size_t in_len, in_cap;
    char *out; /* write buffer */
    size_t out_len, out_cap;
    /* the INFO we got */
    bool srv_tls_required, srv_headers;
    char nonce[128];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct nats_conn *c, struct cell_error *e, int err, const char *fmt, const char *arg)
{
    c->dead = true;
    char msg[400];
    snprintf(msg, sizeof msg, fmt, arg);
    return cell_err(e, err, "nats %s: %s", c->server, msg);
}

/* ---- transport ------------------------------------------------------------ */

static int flush_out(struct nats_conn *c, struct cell_error *e)
{
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t w;
        if (c->ssl) {
            int r = SSL_write(c->ssl, c->out + off, (int)(c->out_len - off));
            w = r > 0 ? r : -1;
            if (r <= 0)
                errno = EPIPE;
        } else {
            w = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(c, e, errno, "%s", "connection lost while writing");
        off += (size_t)w;
    }
    c->out_len = 0;
    return 0;
}

static int out_reserve(struct nats_conn *c, size_t more, struct cell_error *e)
{
    if (c->out_len + more <= c->out_cap)
        return 0;
    size_t cap = c->out_cap ? c->out_cap : 65536;
    while (cap < c->out_len + more)
        cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p)
        return fail(c, e, ENOMEM, "%s", "out of memory");
    c->out = p;
    c->out_cap = cap;
    return 0;
}

static int out_add(struct nats_conn *c, const char *p, size_t n, struct cell_error *e)
{
    if (out_reserve(c, n, e) < 0)
        return -1;
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

/* Read more bytes into the input buffer, waiting until deadline. */
static int fill(struct nats_conn *c, int64_t deadline, struct cell_error *e)
{
    if (c->in_cap - c->in_len < 16384) {
        size_t cap = c->in_cap ? c->in_cap * 2 : 65536;
        if (cap > NATS_LINE_MAX + NATS_PAYLOAD_MAX + 65536 && c->in_cap)
            return fail(c, e, 0, "%s", "the server sent an oversized message");
        char *p = realloc(c->in, cap);
        if (!p)
            return fail(c, e, ENOMEM, "%s", "out of memory");
        c->in = p;
        c->in_cap = cap;
    }
    for (;;) {
        if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return fail(c, e, ETIMEDOUT, "%s", "no answer in time");
            struct pollfd pf = { .fd = c->fd, .events = POLLIN };
            int r = poll(&pf, 1, (int)left);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return fail(c, e, errno, "%s", "poll");
            if (r == 0)
                return fail(c, e, ETIMEDOUT, "%s", "no answer in time");
        }
        ssize_t n;
        if (c->ssl) {
            int r = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));
            if (r <= 0) {
                int se = SSL_get_error(c->ssl, r);
                if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE)
                    continue;
                return fail(c, e, 0, "%s", "connection closed (TLS)");
            }
            n = r;
        } else {
            n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fail(c, e, errno, "%s", "connection lost");
            if (n == 0)
                return fail(c, e, 0, "%s", "the server closed the connection");
        }
        c->in_len += (size_t)n;
        return 0;
    }
}

static void consume(struct nats_conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* The next control line (without CRLF, NUL-terminated in place) and its
 * full length including CRLF; waits until deadline. */
static int next_line(struct nats_conn *c, int64_t deadline, char **line, size_t *total, struct cell_error *e)
{
    for (;;) {
        char *crlf = c->in_len ? memmem(c->in, c->in_len, "\r\n", 2) : NULL;
        if (crlf) {
            *crlf = 0;
            *line = c->in;
            *total = (size_t)(crlf - c->in) + 2;
            return 0;
        }
        if (c->in_len > NATS_LINE_MAX)
            return fail(c, e, 0, "%s", "a protocol line over 64 KiB");
        if (fill(c, deadline, e) < 0)
            return -1;
    }
}

/* ---- small JSON helpers for INFO and acks (flat lookups by key) ---------- */

/* The value after "key": in a JSON text, or NULL. */
static const char *json_find(const char *j, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(j, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static bool json_true(const char *j, const char *key)
{
    const char *v = json_find(j, key);
    return v && strncmp(v, "true", 4) == 0;
}

/* A string value without escapes into out; false when absent or too long. */
static bool json_str(const char *j, const char *key, char *out, size_t cap)
{
    const char *v = json_find(j, key);
    if (!v || *v != '"')
        return false;
    v++;
    size_t n = strcspn(v, "\"\\");
    if (v[n] != '"' || n >= cap)
        return false;
    memcpy(out, v, n);
    out[n] = 0;
    return true;
}

/* Append s as a JSON string. */
static int out_json_str(struct nats_conn *c, const char *s, struct cell_error *e)
{
    if (out_reserve(c, strlen(s) * 6 + 2, e) < 0)
        return -1;
    c->out[c->out_len++] = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            c->out[c->out_len++] = '\\';
            c->out[c->out_len++] = (char)ch;
        } else if (ch < 0x20) {
            c->out_len += (size_t)sprintf(c->out + c->out_len, "\\u%04x", ch);
        } else {
            c->out[c->out_len++] = (char)ch;
        }
    }
    c->out[c->out_len++] = '"';
    return 0;
}

/* ---- connect ---------------------------------------------------------------- */

static int tcp_connect(const char *host, unsigned port, int timeout_ms, char *why, size_t whycap)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    int r = getaddrinfo(host, ps, &hints, &res);
    if (r != 0) {
        snprintf(why, whycap, "cannot resolve: %s", gai_strerror(r));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
            err = errno;
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd pf = { .fd = fd, .events = POLLOUT };
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (poll(&pf, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
            err = soerr ? soerr : ETIMEDOUT;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(why, whycap, "cannot connect: %s", strerror(err));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int tls_start(struct nats_conn *c, const struct nats_opts *o, struct cell_error *e)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return fail(c, e, 0, "%s", "TLS: cannot create a context");
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (o->ca && *o->ca) {
        if (SSL_CTX_load_verify_locations(c->ctx, o->ca, NULL) != 1)
            return fail(c, e, 0, "TLS: cannot load the CA file %s", o->ca);
    } else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
        return fail(c, e, 0, "%s", "TLS: no system CA store");
    }
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return fail(c, e, 0, "%s", "TLS: cannot set up the connection");
    SSL_set_tlsext_host_name(c->ssl, o->host);
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(c->ssl, o->host) != 1)
        return fail(c, e, 0, "%s", "TLS: cannot set the expected host name");
    struct timeval tv = { .tv_sec = o->timeout_ms / 1000, .tv_usec = (o->timeout_ms % 1000) * 1000 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (SSL_connect(c->ssl) != 1) {
        long vr = SSL_get_verify_result(c->ssl);
        char why[300];
        if (vr != X509_V_OK)
            snprintf(why, sizeof why, "TLS: the server's certificate does not verify for %s: %s", o->host,
                     X509_verify_cert_error_string(vr));
        else
            snprintf(why, sizeof why, "TLS handshake failed: %s",
                     ERR_reason_error_string(ERR_peek_last_error())
                         ? ERR_reason_error_string(ERR_peek_last_error())
                         : "unknown");
        ERR_clear_error();
        return fail(c, e, 0, "%s", why);
    }
    struct timeval zero = { 0, 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero);
    return 0;
}

static int handshake(struct nats_conn *c, const struct nats_opts *o, struct cell_error *e)
{
    int64_t deadline = now_ms() + o->timeout_ms;
    char *line;
    size_t total;
    if (next_line(c, deadline, &line, &total, e) < 0)
        return -1;
    if (strncmp(line, "INFO ", 5) != 0)
        return fail(c, e, 0, "%s", "not a NATS server (no INFO)");
    c->srv_tls_required = json_true(line, "tls_required");
    c->srv_headers = json_true(line, "headers");
    if (!json_str(line, "nonce", c->nonce, sizeof c->nonce))
        c->nonce[0] = 0;
    consume(c, total);
    if (!c->srv_headers)
        return fail(c, e, 0, "%s", "the server does not support headers (NATS 2.2 or later needed)");
    if (c->srv_tls_required && !o->tls)
        return fail(c, e, 0, "%s", "the server requires TLS (use tls:// or #tls)");
    if (o->tls && tls_start(c, o, e) < 0)
        return -1;
    const char *head = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"cellsend\",\"lang\":\"c\","
                       "\"version\":\"1.0\",\"protocol\":1,\"headers\":true,\"no_responders\":true,"
                       "\"tls_required\":";
    if (out_add(c, head, strlen(head), e) < 0 || out_add(c, o->tls ? "true" : "false", o->tls ? 4 : 5, e) < 0)
        return -1;
#define FIELD(k, v)                                                                                          \
    do {                                                                                                     \
        if (out_add(c, ",\"" k "\":", strlen(k) + 4, e) < 0 || out_json_str(c, (v), e) < 0)                  \
            return -1;                                                                                       \
    } while (0)
    if (o->user && *o->user) {
        FIELD("user", o->user);
        FIELD("pass", o->pass ? o->pass : "");
    }
    if (o->token && *o->token)
        FIELD("auth_token", o->token);
    if (o->nkey) {
        if (!c->nonce[0])
            return fail(c, e, 0, "%s", "the server sent no nonce to sign (is nkey/JWT auth configured?)");
        char sig[128];
        if (nkey_sign_nonce(o->nkey, c->nonce, strlen(c->nonce), sig, sizeof sig, e) < 0)
            return -1;
        if (o->nkey->jwt)
            FIELD("jwt", o->nkey->jwt);
        else
            FIELD("nkey", o->nkey->public_key);
        FIELD("sig", sig);
    }
#undef FIELD
    char sub[80];
    int sn = snprintf(sub, sizeof sub, "}\r\nPING\r\n");
    if (out_add(c, sub, (size_t)sn, e) < 0 || flush_out(c, e) < 0)
        return -1;
    for (;;) {
        if (next_line(c, deadline, &line, &total, e) < 0)
            return -1;
        if (strcmp(line, "PONG") == 0) {
            consume(c, total);
            break;
        }
        if (strncmp(line, "-ERR", 4) == 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "the server refused the connection: %s", line + 4 + (line[4] == ' '));
            return fail(c, e, EACCES, "%s", msg);
        }
        if (strcmp(line, "PING") == 0 && (out_add(c, "PONG\r\n", 6, e) < 0 || flush_out(c, e) < 0))
            return -1;
        consume(c, total); /* +OK, INFO updates */
    }
    /* the reply inbox */
    uint8_t rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    memcpy(c->inbox, "_INBOX.", 7);
    for (int i = 0; i < 16; i++)
        c->inbox[7 + i] = alpha[rnd[i] % 62];
    c->inbox[23] = 0;
    sn = snprintf(sub, sizeof sub, "SUB %s.* 1\r\n", c->inbox);
    return out_add(c, sub, (size_t)sn, e) < 0 || flush_out(c, e) < 0 ? -1 : 0;
}

static struct nats_conn *conn_new(const struct nats_opts *o)
{
    struct nats_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = -1;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    snprintf(c->server, sizeof c->server, "%s:%u", o->host ? o->host : "?", o->port);
    return c;
}

int nats_connect_fd(struct nats_conn **out, int fd, const struct nats_opts *o, struct cell_error *e)
{
    *out = NULL;
    if (sodium_init() < 0)
        return cell_err(e, 0, "nats: libsodium failed");
    struct nats_conn *c = conn_new(o);
    if (!c) {
        close(fd);
        return cell_err(e, ENOMEM, "nats: out of memory");
    }
    c->fd = fd;
    struct nats_opts oo = *o;
    oo.timeout_ms = c->timeout_ms;
    if (handshake(c, &oo, e) < 0) {
        nats_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

int nats_connect(struct nats_conn **out, const struct nats_opts *o, struct cell_error *e)
{
    char why[200];
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    int fd = tcp_connect(o->host, o->port, timeout, why, sizeof why);
    if (fd < 0) {
        *out = NULL;
        return cell_err(e, ECONNREFUSED, "nats %s:%u: %s", o->host, o->port, why);
    }
    return nats_connect_fd(out, fd, o, e);
}

/* ---- publish ------------------------------------------------------------------ */

enum ack_state {
    ACK_WAIT,
    ACK_OK,
    ACK_FAIL
};

/* Read one server message; records acks for replies in [base, base+n). */
static int read_one(struct nats_conn *c, uint64_t base, size_t n, uint8_t *state, size_t *pending, char *err,
                    size_t errcap, struct cell_error *e)
{
    char *line;
    size_t total;
    if (next_line(c, now_ms() + c->timeout_ms, &line, &total, e) < 0)
        return -1;
    if (strcmp(line, "PING") == 0) {
        consume(c, total);
        return out_add(c, "PONG\r\n", 6, e) < 0 || flush_out(c, e) < 0 ? -1 : 0;
    }
    if (strncmp(line, "-ERR", 4) == 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "server error: %s", line + 4 + (line[4] == ' '));
        return fail(c, e, EPROTO, "%s", msg);
    }
    bool hmsg = strncmp(line, "HMSG ", 5) == 0;
    if (!hmsg && strncmp(line, "MSG ", 4) != 0) {
        consume(c, total); /* +OK, PONG, INFO */
        return 0;
    }
    /* MSG subject sid [reply] bytes | HMSG subject sid [reply] hbytes tbytes */
    char *tok[6];
    int nt = 0;
    for (char *p = strtok(line, " "); p && nt < 6; p = strtok(NULL, " "))
        tok[nt++] = p;
    int want = hmsg ? 5 : 4;
    if (nt != want && nt != want + 1)
        return fail(c, e, EPROTO, "%s", "malformed MSG line");
    char *end;
    unsigned long tbytes = strtoul(tok[nt - 1], &end, 10);
    unsigned long hbytes = hmsg ? strtoul(tok[nt - 2], NULL, 10) : 0;
    if (*end || tbytes > NATS_PAYLOAD_MAX || hbytes > tbytes)
        return fail(c, e, EPROTO, "%s", "a message size out of range");
    char subject[128];
    snprintf(subject, sizeof subject, "%s", tok[1]);
    consume(c, total);
    while (c->in_len < tbytes + 2)
        if (fill(c, now_ms() + c->timeout_ms, e) < 0)
            return -1;
    const char *hdr = c->in, *pay = c->in + hbytes;
    size_t plen = tbytes - hbytes;
    /* which reply is it? */
    size_t il = strlen(c->inbox);
    if (strncmp(subject, c->inbox, il) == 0 && subject[il] == '.') {
        char *ep;
        unsigned long long r = strtoull(subject + il + 1, &ep, 10);
        if (!*ep && r >= base && r < base + n && state[r - base] == ACK_WAIT) {
            size_t i = (size_t)(r - base);
            char body[512];
            snprintf(body, sizeof body, "%.*s", (int)(plen < 511 ? plen : 511), pay);
            char hstatus[64] = "";
            if (hmsg)
                snprintf(hstatus, sizeof hstatus, "%.*s",
                         (int)strcspn(hdr, "\r\n") < 63 ? (int)strcspn(hdr, "\r\n") : 63, hdr);
            if (hmsg && strstr(hstatus, " 503")) {
                state[i] = ACK_FAIL;
                if (!err[0])
                    snprintf(err, errcap, "no JetStream stream stores the subject (503 no responders)");
            } else if (strstr(body, "\"error\"")) {
                state[i] = ACK_FAIL;
                char desc[200] = "?";
                json_str(body, "description", desc, sizeof desc);
                if (!err[0])
                    snprintf(err, errcap, "JetStream refused event %zu: %s", i + 1, desc);
            } else if (json_find(body, "stream") && json_find(body, "seq")) {
                state[i] = ACK_OK;
            } else {
                state[i] = ACK_FAIL;
                if (!err[0])
                    snprintf(err, errcap, "an acknowledgement that is not JetStream's: %.200s", body);
            }
            (*pending)--;
        }
    }
    consume(c, tbytes + 2);
    return 0;
}

int nats_js_publish(struct nats_conn *c, const struct nats_msg *m, size_t n, size_t window, size_t *acked,
                    struct cell_error *e)
{
    *acked = 0;
    if (c->dead)
        return cell_err(e, 0, "nats %s: the connection failed earlier", c->server);
    if (n == 0)
        return 0;
    if (window == 0)
        window = 1;
    uint8_t *state = calloc(n, 1);
    if (!state)
        return cell_err(e, ENOMEM, "nats: out of memory");
    uint64_t base = c->next_reply;
    c->next_reply += n;
    size_t sent = 0, pending = 0;
    char err[300] = "";
    int rc = 0;
    while (rc == 0 && (sent < n || pending > 0)) {
        while (sent < n && pending < window) {
            char head[600];
            char hdrs[400];
            int hl = snprintf(hdrs, sizeof hdrs, "NATS/1.0\r\nNats-Msg-Id: %.*s\r\n\r\n",
                              (int)m[sent].msg_id_len, m[sent].msg_id);
            if (hl < 0 || (size_t)hl >= sizeof hdrs) {
                rc = cell_err(e, 0, "nats: message id too long");
                break;
            }
            int l = snprintf(head, sizeof head, "HPUB %s %s.%llu %d %zu\r\n", m[sent].subject, c->inbox,
                             (unsigned long long)(base + sent), hl, (size_t)hl + m[sent].len);
            if (l < 0 || (size_t)l >= sizeof head) {
                rc = cell_err(e, 0, "nats: subject too long");
                break;
            }
            if (out_add(c, head, (size_t)l, e) < 0 || out_add(c, hdrs, (size_t)hl, e) < 0 ||
                out_add(c, m[sent].data, m[sent].len, e) < 0 || out_add(c, "\r\n", 2, e) < 0) {
                rc = -1;
                break;
            }
            sent++;
            pending++;
        }
        if (rc < 0)
            break;
        if (c->out_len && flush_out(c, e) < 0) {
            rc = -1;
            break;
        }
        if (pending && read_one(c, base, n, state, &pending, err, sizeof err, e) < 0)
            rc = -1;
        /* read everything already buffered without waiting */
        while (rc == 0 && pending && c->in_len && memmem(c->in, c->in_len, "\r\n", 2))
            if (read_one(c, base, n, state, &pending, err, sizeof err, e) < 0)
                rc = -1;
    }
    size_t k = 0;
    while (k < n && state[k] == ACK_OK)
        k++;
    *acked = k;
    free(state);
    if (rc < 0)
        return -1;
    if (k < n)
        return cell_err(e, 0, "nats %s: %s", c->server, err[0] ? err : "not every event was acknowledged");
    return 0;
}

bool nats_dead(const struct nats_conn *c)
{
    return !c || c->dead;
}

void nats_close(struct nats_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}
