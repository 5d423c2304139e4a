/*
 * nats_client.h - the part of the NATS client protocol a JetStream
 * publisher needs (https://docs.nats.io/reference/reference-protocols/nats-protocol):
 * INFO, CONNECT (user/password, token, nkey or JWT signature of the nonce),
 * PING/PONG, +OK/-ERR, SUB to a reply inbox, HPUB with a Nats-Msg-Id
 * header, and the JetStream publish acknowledgements (MSG/HMSG on the
 * inbox), pipelined up to a window. TLS (OpenSSL) after INFO, with the
 * server's name checked against its certificate. One connection, one
 * thread, blocking with poll() timeouts.
 */
#ifndef CELLOS_NATS_CLIENT_H
#define CELLOS_NATS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "nkey.h"
#include "runtime/lib/error.h"

struct nats_opts {
    const char *host;
    unsigned port;
    bool tls;
    const char *ca;          /* CA file, NULL/"" = system default */
    const char *user, *pass; /* NULL/"" = none */
    const char *token;       /* NULL/"" = none */
    const struct nkey *nkey; /* NULL = none; with jwt set: creds */
    int timeout_ms;          /* connect, handshake, each ack wait */
};

struct nats_conn;

/* Connect, authenticate (CONNECT + PING answered by PONG) and subscribe to
 * the reply inbox. An error names the server and says why (refused,
 * timeout, TLS verification, the server's -ERR). */
int nats_connect(struct nats_conn **out, const struct nats_opts *o, struct cell_error *e);

/* The same over an already connected plain socket (tests). Takes fd. */
int nats_connect_fd(struct nats_conn **out, int fd, const struct nats_opts *o, struct cell_error *e);

struct nats_msg {
    const char *subject;
    const char *msg_id; /* Nats-Msg-Id header value */
    size_t msg_id_len;
    const char *data;
    size_t len;
};

/* Publish m[0..n) to JetStream with at most window unacknowledged, and wait
 * for every acknowledgement. *acked = how many leading messages the stream
 * stored (or found duplicate). Returns 0 when all were, -1 with the first
 * failure in e otherwise (an ack error, no stream for the subject, a
 * timeout, a broken connection: then the connection is dead). */
int nats_js_publish(struct nats_conn *c, const struct nats_msg *m, size_t n, size_t window, size_t *acked,
                    struct cell_error *e);

bool nats_dead(const struct nats_conn *c);
void nats_close(struct nats_conn *c);

#endif
