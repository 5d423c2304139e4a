/*
 * sink_nats.c - unit tests of cellsend's protocol parts: NATS nkeys (a
 * seed/public key pair made by the Go nkeys library), remote sink specs and
 * subject templates, and the NATS client against a scripted fake server on
 * a socketpair (a forked child): CONNECT fields, pipelined HPUBs with
 * Nats-Msg-Id, acks out of order and duplicates, -ERR on CONNECT, a
 * JetStream error ack, 503 no responders, a server PING mid-publish, a
 * connection closed mid-publish, a server without headers, an oversized
 * message size. The real server is in tests/e2e/sinks_nats.t.
 */
#include "runtime/sink/nats_client.h"
#include "runtime/sink/nkey.h"
#include "runtime/spool/sink_spec.h"
#include "tap.h"

#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* made by `sinks_jsread nkey` (github.com/nats-io/nkeys CreateUser) */
#define VEC_SEED "SUAOH7NBVL3I5AMPJ7NGNWW43SRVQ23XG425V4EQS3LPXKFURAIF22P7RY"
#define VEC_PUB  "UDKSOSJOFBDOJSAJ7LT7MX7FVKXYWWOEF4KL5C3R7QPQT7YHXXLG3NQP"

static void test_nkey(void)
{
    struct nkey k;
    struct cell_error e = { 0 };
    ok(nkey_from_seed(VEC_SEED, strlen(VEC_SEED), &k, "vec", &e) == 0, "a Go-made seed decodes");
    is_str(k.public_key, VEC_PUB, "its public key is the one the Go library printed");
    char sig[100];
    ok(nkey_sign_nonce(&k, "nonce-123", 9, sig, sizeof sig, &e) == 0 && strlen(sig) == 86,
       "the nonce signature is 86 base64url characters");
    uint8_t raw[64];
    size_t rl = 0;
    ok(sodium_base642bin(raw, sizeof raw, sig, strlen(sig), NULL, &rl, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
           rl == 64 && crypto_sign_verify_detached(raw, (const uint8_t *)"nonce-123", 9, k.sk + 32) == 0,
       "and verifies with the key's public half");
    nkey_wipe(&k);
    char bad[] = VEC_SEED;
    bad[20] = bad[20] == 'A' ? 'B' : 'A';
    ok(nkey_from_seed(bad, strlen(bad), &k, "vec", &e) < 0 && strstr(e.msg, "checksum"),
       "a changed character fails the CRC-16: %s", e.msg);
    ok(nkey_from_seed(VEC_PUB, strlen(VEC_PUB), &k, "vec", &e) < 0, "a public key is not a seed");
    ok(nkey_from_seed("SU1!", 4, &k, "vec", &e) < 0, "non-base32 characters are refused");
    ok(nkey_crc16((const uint8_t *)"123456789", 9) == 0x31C3, "CRC-16/XMODEM check value");

    /* files: a seed file and a creds file in nsc's layout; both refused
     * when group or others may read them */
    char dir[] = "/tmp/sink_nats.XXXXXX", seedf[64], credf[64];
    ok(mkdtemp(dir) != NULL, "a temporary directory");
    snprintf(seedf, sizeof seedf, "%s/u.nk", dir);
    snprintf(credf, sizeof credf, "%s/u.creds", dir);
    FILE *f = fopen(seedf, "w");
    fprintf(f, "%s\n", VEC_SEED);
    fclose(f);
    chmod(seedf, 0600);
    ok(nkey_load_seed_file(seedf, &k, &e) == 0 && strcmp(k.public_key, VEC_PUB) == 0 && !k.jwt,
       "a seed file loads (%s)", e.msg);
    nkey_wipe(&k);
    f = fopen(credf, "w");
    fprintf(
        f,
        "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2ln\n"
        "------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n\n"
        "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n\n"
        "*************************************************************\n",
        VEC_SEED);
    fclose(f);
    chmod(credf, 0600);
    ok(nkey_load_creds_file(credf, &k, &e) == 0 && k.jwt &&
           strcmp(k.jwt, "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2ln") == 0 &&
           strcmp(k.public_key, VEC_PUB) == 0,
       "a creds file gives its JWT and seed (%s)", e.msg);
    nkey_wipe(&k);
    chmod(credf, 0644);
    ok(nkey_load_creds_file(credf, &k, &e) < 0 && strstr(e.msg, "chmod 600"),
       "a readable creds file is refused: %s", e.msg);
    chmod(seedf, 0640);
    ok(nkey_load_seed_file(seedf, &k, &e) < 0, "a group-readable seed file is refused");
    f = fopen(credf, "w");
    fputs("-----BEGIN NATS USER JWT-----\nabc\n", f);
    fclose(f);
    chmod(credf, 0600);
    ok(nkey_load_creds_file(credf, &k, &e) < 0 && strstr(e.msg, "not a NATS creds file"),
       "a creds file without a seed");
    unlink(seedf);
    unlink(credf);
    rmdir(dir);
}

static void test_spec(void)
{
    struct sink_spec s;
    struct cell_error e = { 0 };
    ok(sink_spec_parse("nats://ci:p%40ss@bus.example:4333/cellos.events.{run}#ca=/ca.pem&tls", &s, &e) == 0,
       "a full nats spec parses: %s", e.msg);
    ok(strcmp(s.user, "ci") == 0 && strcmp(s.pass, "p@ss") == 0 && s.port == 4333 && s.tls &&
           strcmp(s.ca, "/ca.pem") == 0 && strcmp(s.host, "bus.example") == 0,
       "user, %%-decoded password, port, TLS, CA");
    ok(strstr(s.display, "p%40ss") == NULL && strstr(s.display, ":***@"),
       "the display hides the password: %s", s.display);
    ok(sink_spec_parse("nats://tok@h", &s, &e) == 0 && strcmp(s.token, "tok") == 0 && s.port == 4222 &&
           strcmp(s.subject, SINK_DEFAULT_SUBJ) == 0 && !strstr(s.display, "tok"),
       "a token, the default port and subject, hidden in the display");
    ok(sink_spec_parse("tls://h/x", &s, &e) == 0 && s.tls, "tls:// means TLS");
    ok(sink_spec_parse("nats://h/a..b", &s, &e) < 0, "an empty subject token is refused");
    ok(sink_spec_parse("nats://h/a.*", &s, &e) < 0, "a wildcard subject is refused");
    ok(sink_spec_parse("nats://h/a.{nope}", &s, &e) < 0, "an unknown placeholder is refused");
    ok(sink_spec_parse("nats://h/x#ca=/c", &s, &e) < 0 && strstr(e.msg, "without TLS"), "ca= without TLS");
    ok(sink_spec_parse("nats://h/x#what", &s, &e) < 0 && strstr(e.msg, "unknown"), "an unknown option");
    ok(sink_spec_parse("nats://u:p@h/x#nkey=/k", &s, &e) < 0, "two ways to authenticate");
    ok(sink_spec_parse("nats://h:0/x", &s, &e) < 0 && sink_spec_parse("nats://h:99999/x", &s, &e) < 0,
       "ports out of range");
    ok(sink_spec_parse("https://r.example/ce?x=1#batch&batchmax=50", &s, &e) == 0 && s.batch &&
           s.batch_max == 50 && s.tls && strcmp(s.url, "https://r.example/ce?x=1") == 0,
       "an https batched spec; the #options are not part of the URL");
    ok(sink_spec_parse("https://ci:s3cret@r.example:8443/ce?token=t0ken&x=1#batch", &s, &e) == 0 &&
           strcmp(s.url, "https://ci:s3cret@r.example:8443/ce?token=t0ken&x=1") == 0 &&
           strcmp(s.display, "https://ci:***@r.example:8443/ce?***") == 0,
       "an http spec's display hides the password and the query: %s", s.display);
    ok(sink_spec_parse("http://t0ken@h/x", &s, &e) == 0 && strcmp(s.display, "http://***@h/x") == 0,
       "... and a userinfo token: %s", s.display);
    ok(sink_spec_parse("http://h/x", &s, &e) == 0 && strcmp(s.display, "http://h/x") == 0,
       "a plain URL is shown as it is");
    ok(sink_spec_parse("http://h/a@b:c?k=v", &s, &e) == 0 && strcmp(s.display, "http://h/a@b:c?***") == 0,
       "an '@' in the path is not userinfo: %s", s.display);
    ok(sink_spec_parse("http:///ce", &s, &e) < 0, "an http spec without a host");
    ok(sink_spec_parse("http://h/a b", &s, &e) < 0, "a space in the URL");
    ok(!sink_spec_is_remote("events.jsonl") && sink_spec_is_remote("https://x"), "local vs remote");
    char out[200];
    ok(sink_subject_expand("ev.{run}.{type}", "r1", "step.v1.exec", 12, out, sizeof out) > 0 &&
           strcmp(out, "ev.r1.step.v1.exec") == 0,
       "template expansion: %s", out);
    ok(sink_subject_expand("ev.{type}", "r1", "a b", 3, out, sizeof out) < 0,
       "a space from {type} is refused");
    ok(sink_subject_expand("ev.{run}", "r1", "", 0, out, 4) < 0, "a subject that does not fit");
}

/* ---- a scripted fake server ---------------------------------------------- */

struct fake {
    int fd;
    char buf[1 << 16];
    size_t len;
};

static void fsend(struct fake *f, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(f->fd, s, n);
        if (w <= 0)
            _exit(90);
        s += w;
        n -= (size_t)w;
    }
}

/* One CRLF line from the client into out (without CRLF); 0 at EOF. */
static int fline(struct fake *f, char *out, size_t cap)
{
    for (;;) {
        char *crlf = memmem(f->buf, f->len, "\r\n", 2);
        if (crlf) {
            size_t n = (size_t)(crlf - f->buf);
            snprintf(out, cap, "%.*s", (int)n, f->buf);
            memmove(f->buf, crlf + 2, f->len - n - 2);
            f->len -= n + 2;
            return 1;
        }
        ssize_t r = read(f->fd, f->buf + f->len, sizeof f->buf - f->len);
        if (r <= 0)
            return 0;
        f->len += (size_t)r;
    }
}

/* Skip n payload bytes + CRLF, copying the payload into out. */
static void fskip(struct fake *f, size_t n, char *out, size_t cap)
{
    while (f->len < n + 2) {
        ssize_t r = read(f->fd, f->buf + f->len, sizeof f->buf - f->len);
        if (r <= 0)
            _exit(91);
        f->len += (size_t)r;
    }
    snprintf(out, cap, "%.*s", (int)n, f->buf);
    memmove(f->buf, f->buf + n + 2, f->len - n - 2);
    f->len -= n + 2;
}

enum scenario {
    SC_OK,        /* acks in reverse order, one duplicate; checks CONNECT and headers */
    SC_AUTH,      /* -ERR on CONNECT */
    SC_JSERR,     /* the 2nd publish gets a JetStream error */
    SC_NORESP,    /* 503 no responders */
    SC_PING,      /* a PING before the acks */
    SC_CLOSE,     /* closes after the first HPUB */
    SC_NOHEADERS, /* INFO without headers */
    SC_OVERSIZE,  /* a MSG claiming 2 GB */
};

static void server(int fd, enum scenario sc, int n)
{
    struct fake f = { .fd = fd };
    char line[4096], pay[4096];
    fsend(&f,
          sc == SC_NOHEADERS ? "INFO {\"server_id\":\"x\",\"headers\":false}\r\n"
                             : "INFO {\"server_id\":\"x\",\"headers\":true,\"max_payload\":1048576}\r\n");
    if (sc == SC_NOHEADERS)
        _exit(0);
    if (!fline(&f, line, sizeof line) || strncmp(line, "CONNECT {", 9) != 0)
        _exit(10);
    if (!strstr(line, "\"user\":\"u\\\"q\"") || !strstr(line, "\"headers\":true") ||
        !strstr(line, "\"no_responders\":true"))
        _exit(11);
    if (!fline(&f, line, sizeof line) || strcmp(line, "PING") != 0)
        _exit(12);
    if (sc == SC_AUTH) {
        fsend(&f, "-ERR 'Authorization Violation'\r\n");
        _exit(0);
    }
    fsend(&f, "PONG\r\n");
    char inbox[64];
    if (!fline(&f, line, sizeof line) || sscanf(line, "SUB %63s 1", inbox) != 1)
        _exit(13);
    char replies[64][80];
    for (int i = 0; i < n; i++) {
        char subj[128], reply[80];
        unsigned h, t;
        if (!fline(&f, line, sizeof line) || sscanf(line, "HPUB %127s %79s %u %u", subj, reply, &h, &t) != 4)
            _exit(14);
        fskip(&f, t, pay, sizeof pay);
        char want[64];
        snprintf(want, sizeof want, "Nats-Msg-Id: src/%d\r\n", i + 1);
        if (strncmp(pay, "NATS/1.0\r\n", 10) != 0 || !strstr(pay, want) || strcmp(subj, "s.x") != 0)
            _exit(15);
        snprintf(replies[i], sizeof replies[i], "%s", reply);
        if (sc == SC_CLOSE)
            _exit(0);
    }
    if (sc == SC_PING) {
        fsend(&f, "PING\r\n");
        if (!fline(&f, line, sizeof line) || strcmp(line, "PONG") != 0)
            _exit(16);
    }
    char msg[512];
    for (int i = n - 1; i >= 0; i--) {
        const char *ack = "{\"stream\":\"S\",\"seq\":1}";
        if (i == 0 && sc == SC_OK)
            ack = "{\"stream\":\"S\",\"seq\":1,\"duplicate\":true}";
        if (i == 1 && sc == SC_JSERR)
            ack =
                "{\"error\":{\"code\":503,\"err_code\":10077,\"description\":\"maximum messages exceeded\"}}";
        if (sc == SC_NORESP) {
            /* the header block "NATS/1.0 503\r\n\r\n" is 16 bytes, no payload */
            snprintf(msg, sizeof msg, "HMSG %s 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", replies[i]);
        } else if (sc == SC_OVERSIZE) {
            snprintf(msg, sizeof msg, "MSG %s 1 2000000000\r\n", replies[i]);
        } else {
            snprintf(msg, sizeof msg, "MSG %s 1 %zu\r\n%s\r\n", replies[i], strlen(ack), ack);
        }
        fsend(&f, msg);
    }
    while (fline(&f, line, sizeof line)) {
    }
    _exit(0);
}

static int run_scenario(enum scenario sc, int n, size_t window, size_t *acked, struct cell_error *e,
                        int *child)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -2;
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        server(sv[1], sc, n);
    }
    close(sv[1]);
    struct nats_opts o = { .host = "fake", .port = 1, .user = "u\"q", .pass = "p", .timeout_ms = 2000 };
    struct nats_conn *c = NULL;
    int rc = nats_connect_fd(&c, sv[0], &o, e);
    *acked = 0;
    if (rc == 0) {
        struct nats_msg m[64];
        char ids[64][16];
        for (int i = 0; i < n; i++) {
            snprintf(ids[i], sizeof ids[i], "src/%d", i + 1);
            m[i] = (struct nats_msg){ .subject = "s.x",
                                      .msg_id = ids[i],
                                      .msg_id_len = strlen(ids[i]),
                                      .data = "{\"a\":1}",
                                      .len = 7 };
        }
        rc = nats_js_publish(c, m, (size_t)n, window, acked, e);
        nats_close(c);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    *child = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return rc;
}

static void test_client(void)
{
    size_t acked;
    int child;
    struct cell_error e = { 0 };
    int rc = run_scenario(SC_OK, 40, 64, &acked, &e, &child);
    ok(rc == 0 && acked == 40 && child == 0,
       "40 pipelined publishes, acks in reverse order and a duplicate: all acked (%s, server %d)", e.msg,
       child);
    rc = run_scenario(SC_AUTH, 1, 8, &acked, &e, &child);
    ok(rc < 0 && strstr(e.msg, "Authorization Violation") && strstr(e.msg, "refused the connection"),
       "-ERR on CONNECT: %s", e.msg);
    rc = run_scenario(SC_JSERR, 3, 8, &acked, &e, &child);
    ok(rc < 0 && acked == 1 && strstr(e.msg, "maximum messages exceeded"),
       "a JetStream error ack: only the leading acked count (%zu): %s", acked, e.msg);
    rc = run_scenario(SC_NORESP, 2, 8, &acked, &e, &child);
    ok(rc < 0 && acked == 0 && strstr(e.msg, "503"), "503 no responders: %s", e.msg);
    rc = run_scenario(SC_PING, 5, 8, &acked, &e, &child);
    ok(rc == 0 && acked == 5 && child == 0, "a server PING mid-publish is answered (server %d)", child);
    rc = run_scenario(SC_CLOSE, 4, 8, &acked, &e, &child);
    ok(rc < 0 && acked == 0 && strstr(e.msg, "closed"), "the server closing mid-publish: %s", e.msg);
    rc = run_scenario(SC_NOHEADERS, 1, 8, &acked, &e, &child);
    ok(rc < 0 && strstr(e.msg, "headers"), "a server without headers: %s", e.msg);
    rc = run_scenario(SC_OVERSIZE, 1, 8, &acked, &e, &child);
    ok(rc < 0 && strstr(e.msg, "out of range"), "a message size over the bound: %s", e.msg);
    rc = run_scenario(SC_OK, 40, 40, &acked, &e, &child);
    ok(rc == 0 && acked == 40, "a window exactly the batch size");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_nkey();
    test_spec();
    test_client();
    return done_testing();
}
