/*
 * events.c - the supervisor's signed, hash-chained CloudEvents stream
 * (events.h is the API, docs/events.md the byte-level specification).
 *
 * Each call builds one event as a JSON tree, serialises it canonically
 * (RFC 8785), signs PAE(CELL_EV_PAYLOAD_TYPE, event-without-sig) with
 * Ed25519, splices `sig` into its canonical place and writes the line plus
 * LF with one write(2). Only after the write succeeded do the sequence number and the
 * chain hash advance. Invariants:
 *  - the first event is `started`, nothing follows `sealed`;
 *  - after any sink failure the stream is dead: every later call fails, so
 *    the caller cannot go on running unrecorded;
 *  - the secret key lives only in one page mapped with MADV_WIPEONFORK and
 *    MADV_DONTDUMP, wiped and unmapped by ev_close.
 */
#include "events.h"
#include "runtime/lib/out_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_types.h"
#include "jcs.h"
#include "keys.h"
#include "sign_codec.h"
#include "sign_verify.h"

#define EV_MAX_SOURCE  2048
#define EV_MAX_SUBJECT 1024
#define EV_MAX_NAME    48 /* supervisor step names and kv keys */

enum ev_state {
    EV_NEW,
    EV_STARTED,
    EV_SEALED,
    EV_DEAD
};

struct ev_secret {
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
};

struct ev_stream {
    int fd;
    bool close_fd;   /* we opened it (EV_SINK_FILE) */
    bool file_sink;  /* short writes are errors; fsync at seal */
    char *sink_name; /* for messages */
    int tee_fd;      /* -1, or the spool file every line also goes to */
    char *tee_name;
    enum ev_state state;
    bool completed, destroyed;

    struct ev_secret *secret; /* NULL: unsigned stream */
    size_t secret_len;        /* bytes mapped */
    char kid_hex[EV_KID_HEX_LEN + 1];

    uint8_t run_uuid[16];
    char run_uuid_str[37];
    char *source_opt, *subject_opt; /* from the options, may be NULL */
    char *source, *subject;         /* resolved at ev_started */
    struct utsname host;
    ev_clock_fn clock;
    void *clock_ctx;

    uint64_t seq;       /* events written */
    char chainprev[65]; /* hex SHA-256 of the last line, or 64 zeros */

    struct jcs_doc *doc;
    struct jcs_buf body, pae, line;
};

/* ---- small helpers ------------------------------------------------------- */

static void uuid_string(const uint8_t u[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = 0;
}

int ev_run_uuid_generate(uint8_t uuid[16], struct cell_error *e)
{
    if (ev_crypto_init(e) < 0)
        return -1;
    randombytes_buf(uuid, 16);
    uuid[6] = (uint8_t)((uuid[6] & 0x0F) | 0x40); /* version 4 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    return 0;
}

/* An RFC 3986 URI-reference by its characters: unreserved, reserved, and
 * '%' with two hex digits (what CloudEvents requires of `source`). */
static bool uri_reference(const char *s)
{
    static const char ok[] = "-._~:/?#[]@!$&'()*+,;=";
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (c && strchr(ok, c)))
            continue;
        if (c == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
            s += 2;
            continue;
        }
        return false;
    }
    return true;
}

static bool valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return n >= 1 && n <= EV_MAX_NAME;
}

static void default_clock(void *ctx, struct timespec *now)
{
    (void)ctx;
    clock_gettime(CLOCK_REALTIME, now);
}

/* n decimal digits of v, zero-padded, at out. */
static void put_digits(char *out, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* v in decimal without leading zeros and a NUL; returns the length. */
static size_t fmt_u64(char out[21], uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

/* RFC 3339, UTC, microseconds, 'Z': 2024-01-02T03:04:05.123456Z. The date
 * comes from the days since the epoch by the proleptic Gregorian
 * civil-from-days algorithm (no time zone machinery, no locks). */
static int format_time(const struct timespec *ts, char out[40])
{
    if (ts->tv_nsec < 0 || ts->tv_nsec > 999999999 || ts->tv_sec < 0 ||
        ts->tv_sec >= 253402300800LL) /* 1970-01-01 .. 9999-12-31 */
        return -1;
    int64_t days = ts->tv_sec / 86400, sod = ts->tv_sec % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    memcpy(out, "0000-00-00T00:00:00.000000Z", 28);
    put_digits(out, (uint64_t)y, 4);
    put_digits(out + 5, (uint64_t)m, 2);
    put_digits(out + 8, (uint64_t)d, 2);
    put_digits(out + 11, (uint64_t)(sod / 3600), 2);
    put_digits(out + 14, (uint64_t)(sod / 60 % 60), 2);
    put_digits(out + 17, (uint64_t)(sod % 60), 2);
    put_digits(out + 20, (uint64_t)(ts->tv_nsec / 1000), 6);
    return 0;
}

/* ---- the secret page -------------------------------------------------------- */

/* The key's page: locked against swap where the memory lock limit allows
 * (MAP_LOCKED, best effort: a plain mapping otherwise; mlock(2) would cost
 * an lru drain on every CPU, the cell's included, on the run's critical
 * path), wiped in forked children, left out of core dumps. The key pair is
 * derived from the seed once, here: with key_seed_only that is the key;
 * otherwise it must equal the caller's pk and kid. */
static int secret_alloc(struct ev_stream *s, const struct ev_key *key, bool seed_only,
                        const uint8_t *required_kid, struct cell_error *e)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t len = page > 0 ? (size_t)page : 4096;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (p == MAP_FAILED)
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return cell_err_sys(e, errno, "events: cannot map memory for the signing key");
    if (madvise(p, len, MADV_WIPEONFORK) < 0 && madvise(p, len, MADV_DONTFORK) < 0) {
        int err = errno;
        munmap(p, len);
        return cell_err_sys(e, err,
                            "events: cannot keep the signing key out of forked cells "
                            "(madvise WIPEONFORK/DONTFORK)");
    }
    (void)madvise(p, len, MADV_DONTDUMP); /* best effort: core dumps */
    s->secret = p;
    s->secret_len = len;
    uint8_t pk[32];
    crypto_sign_seed_keypair(pk, s->secret->sk, key->seed);
    if (!seed_only && memcmp(pk, key->pk, 32) != 0)
        return cell_err(e, 0, "events: the signing key's public half does not match its seed");
    uint8_t kid[32];
    ev_kid_of(pk, kid);
    if (!seed_only && memcmp(kid, key->kid, 32) != 0)
        return cell_err(e, 0, "events: the signing key's kid does not match its public key");
    ev_kid_hex(kid, s->kid_hex);
    if (required_kid && memcmp(kid, required_kid, 32) != 0) {
        char want[EV_KID_HEX_LEN + 1];
        ev_kid_hex(required_kid, want);
        return cell_err(e, 0,
                        "events: the plan requires events signed by key %s, but the "
                        "signing key is %s",
                        want, s->kid_hex);
    }
    return 0;
}

static void secret_free(struct ev_stream *s)
{
    if (!s->secret)
        return;
    sodium_memzero(s->secret, s->secret_len);
    munmap(s->secret, s->secret_len); /* unlocks it too */
    s->secret = NULL;
}

/* ---- open / close ------------------------------------------------------------- */

void ev_close(struct ev_stream *s)
{
    if (!s)
        return;
    secret_free(s);
    if (s->close_fd && s->fd >= 0)
        close(s->fd);
    jcs_doc_free(s->doc);
    jcs_buf_free(&s->body);
    jcs_buf_free(&s->pae);
    jcs_buf_free(&s->line);
    free(s->sink_name);
    free(s->tee_name);
    free(s->source_opt);
    free(s->subject_opt);
    free(s->source);
    free(s->subject);
    free(s);
}

int ev_open(struct ev_stream **out, const struct ev_options *o, struct cell_error *e)
{
    *out = NULL;
    if (ev_crypto_init(e) < 0)
        return -1;
    static const uint8_t zero[16];
    if (memcmp(o->run_uuid, zero, 16) == 0)
        return cell_err(e, 0, "events: run_uuid is not set");
    if (o->source && *o->source && (strlen(o->source) > EV_MAX_SOURCE || !uri_reference(o->source)))
        return cell_err(e, 0,
                        "events: source \"%.100s\" is not a URI-reference (RFC 3986) of at "
                        "most %d characters",
                        o->source, EV_MAX_SOURCE);
    if (o->subject && strlen(o->subject) > EV_MAX_SUBJECT)
        return cell_err(e, 0, "events: subject is longer than %d bytes", EV_MAX_SUBJECT);

    struct ev_stream *s = calloc(1, sizeof *s);
    if (!s)
        return cell_err(e, ENOMEM, "events: out of memory");
    s->fd = -1;
    s->tee_fd = -1;
    memcpy(s->run_uuid, o->run_uuid, 16);
    uuid_string(s->run_uuid, s->run_uuid_str);
    memset(s->chainprev, '0', 64);
    s->clock = o->clock ? o->clock : default_clock;
    s->clock_ctx = o->clock_ctx;
    s->doc = jcs_doc_new();
    if (!s->doc || (o->source && *o->source && !(s->source_opt = strdup(o->source))) ||
        (o->subject && *o->subject && !(s->subject_opt = strdup(o->subject)))) {
        ev_close(s);
        return cell_err(e, ENOMEM, "events: out of memory");
    }
    if (o->host)
        s->host = *o->host;
    else if (uname(&s->host) < 0) {
        int err = errno;
        ev_close(s);
        return cell_err_sys(e, err, "events: uname");
    }

    if (o->key && secret_alloc(s, o->key, o->key_seed_only, o->required_kid, e) < 0) {
        ev_close(s);
        return -1;
    }

    switch (o->sink) {
    case EV_SINK_FILE:
        if (!o->path || !*o->path) {
            ev_close(s);
            return cell_err(e, 0, "events: file sink without a path");
        }
        /* appended to a regular file (created 0600), written in place to a
         * device, fifo or socket, never through a symlink: out_file.h */
        struct out_file of;
        const struct out_spec spec = { .how = OUT_APPEND, .mode = 0600 };
        if (out_open(&of, o->path, &spec, e) < 0) {
            ev_close(s);
            return cell_err_wrap(e, "events file");
        }
        s->fd = of.fd;
        s->close_fd = true;
        s->file_sink = true;
        s->sink_name = strdup(o->path);
        break;
    case EV_SINK_STDOUT:
        if (fcntl(STDOUT_FILENO, F_GETFL) < 0 || (fcntl(STDOUT_FILENO, F_GETFL) & O_ACCMODE) == O_RDONLY) {
            ev_close(s);
            return cell_err(e, EBADF, "events: standard output is not open for writing");
        }
        s->fd = STDOUT_FILENO;
        s->sink_name = strdup("standard output");
        break;
    case EV_SINK_FD:
        if (o->fd < 0 || fcntl(o->fd, F_GETFL) < 0 || (fcntl(o->fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
            ev_close(s);
            return cell_err(e, EBADF, "events: fd %d is not open for writing", o->fd);
        }
        s->fd = o->fd;
        if (o->fd_name ? !(s->sink_name = strdup(o->fd_name))
                       : asprintf(&s->sink_name, "events fd %d", o->fd) < 0)
            s->sink_name = NULL;
        break;
    default: ev_close(s); return cell_err(e, 0, "events: unknown sink kind %d", (int)o->sink);
    }
    if (!s->sink_name) {
        ev_close(s);
        return cell_err(e, ENOMEM, "events: out of memory");
    }
    if (o->sink != EV_SINK_FILE) {
        struct stat st;
        s->file_sink = fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
    }
    if (o->tee_fd) {
        struct stat st;
        if (fstat(*o->tee_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            ev_close(s);
            return cell_err(e, EBADF, "events: the spool fd %d is not a regular file", *o->tee_fd);
        }
        s->tee_fd = *o->tee_fd;
        if (!(s->tee_name = strdup(o->tee_name ? o->tee_name : "the spool"))) {
            ev_close(s);
            return cell_err(e, ENOMEM, "events: out of memory");
        }
    }
    *out = s;
    return 0;
}

uint64_t ev_count(const struct ev_stream *s)
{
    return s ? s->seq : 0;
}

int ev_check_plan_key(const struct plan *p, const struct ev_key *key, struct cell_error *e)
{
    if (!(p->events.flags & CP_EV_HAS_KID) || !key)
        return 0;
    if (memcmp(p->events.signing_kid, key->kid, 32) != 0) {
        char want[EV_KID_HEX_LEN + 1], have[EV_KID_HEX_LEN + 1];
        ev_kid_hex(p->events.signing_kid, want);
        ev_kid_hex(key->kid, have);
        return cell_err(e, 0,
                        "events: the plan requires events signed by key %s, but the "
                        "signing key is %s",
                        want, have);
    }
    return 0;
}

/* ---- emitting one event ------------------------------------------------------- */

static int stream_usable(struct ev_stream *s, const char *what, struct cell_error *e)
{
    if (!s)
        return cell_err(e, 0, "events: %s on a NULL stream", what);
    switch (s->state) {
    case EV_DEAD: return cell_err(e, 0, "events: %s: the event stream failed earlier", what);
    case EV_SEALED: return cell_err(e, 0, "events: %s after the stream was sealed", what);
    case EV_NEW: return cell_err(e, 0, "events: %s before the started event", what);
    default: return 0;
    }
}

/* A fresh document with an empty data object. */
static struct jcs_value *begin(struct ev_stream *s, struct jcs_value **root)
{
    jcs_doc_reset(s->doc);
    *root = jcs_new_object(s->doc);
    return jcs_put_object(s->doc, *root, "data");
}

static int write_line_to(struct ev_stream *s, int fd, const char *name, bool file_sink, struct cell_error *e)
{
    const char *p = s->line.p;
    size_t n = s->line.len;
    for (;;) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int err = errno;
            s->state = EV_DEAD;
            return cell_err_sys(e, err, "events: writing event %llu to %s", (unsigned long long)s->seq + 1,
                                name);
        }
        if ((size_t)w == n)
            return 0;
        if (w == 0 || file_sink) {
            /* A short append to a file cannot be completed without risking
             * interleaving with another writer: the line is damaged. */
            s->state = EV_DEAD;
            return cell_err(e, EIO, "events: short write of event %llu to %s (%zd of %zu bytes)",
                            (unsigned long long)s->seq + 1, name, w, n);
        }
        p += w;
        n -= (size_t)w;
    }
}

/* The line to the sink, then to the spool when there is one (both or the
 * call fails). */
static int write_line(struct ev_stream *s, struct cell_error *e)
{
    if (write_line_to(s, s->fd, s->sink_name, s->file_sink, e) < 0)
        return -1;
    return s->tee_fd < 0 ? 0 : write_line_to(s, s->tee_fd, s->tee_name, true, e);
}

/* Add the attributes, sign, write. The data object is already filled in. */
static int finish(struct ev_stream *s, struct jcs_value *root, const char *type, struct cell_error *e)
{
    struct jcs_doc *d = s->doc;
    uint64_t seq = s->seq + 1;
    char id[24], sequence[24], when[40];
    struct timespec now;
    s->clock(s->clock_ctx, &now);
    if (format_time(&now, when) < 0)
        return cell_err(e, 0, "events: the clock gave a time outside 1970..9999");
    fmt_u64(id, seq);
    put_digits(sequence, seq, 20);
    sequence[20] = 0;

    jcs_put_str(d, root, "specversion", "1.0");
    jcs_put_str(d, root, "id", id);
    jcs_put_str(d, root, "source", s->source);
    jcs_put_str(d, root, "subject", s->subject);
    jcs_put_str(d, root, "type", type);
    jcs_put_str(d, root, "time", when);
    jcs_put_str(d, root, "datacontenttype", "application/json");
    jcs_put_str(d, root, "sequence", sequence);
    jcs_put_str(d, root, "chainprev", s->chainprev);
    if (s->secret)
        jcs_put_str(d, root, "sigkid", s->kid_hex);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building %s: %s", type, jcs_doc_error(d));

    s->line.len = 0;
    s->body.len = 0;
    if (jcs_serialize(root, NULL, &s->body) < 0)
        return cell_err(e, ENOMEM, "events: out of memory");
    if (s->secret) {
        s->pae.len = 0;
        uint8_t sig[crypto_sign_BYTES];
        char sig64[SC_B64_LEN(crypto_sign_BYTES) + 1];
        if (dsse_pae(CELL_EV_PAYLOAD_TYPE, s->body.p, s->body.len, &s->pae) < 0)
            return cell_err(e, ENOMEM, "events: out of memory");
        crypto_sign_detached(sig, NULL, (const unsigned char *)s->pae.p, s->pae.len, s->secret->sk);
        sc_b64_encode(sig, sizeof sig, sig64);
        /* The line is the body with ,"sig":"..." inserted where canonical
         * order puts it: just before the top-level ,"sigkid": member. That
         * is the last occurrence of the text ,"sigkid":" in the body: the
         * members after it hold only strings, in which a quote is always
         * escaped. (Equal to serialising the tree with sig added.) */
        static const char mark[] = ",\"sigkid\":\"";
        const char *at = NULL;
        for (const char *p = s->body.p + s->body.len - (sizeof mark - 1); p >= s->body.p; p--)
            if (memcmp(p, mark, sizeof mark - 1) == 0) {
                at = p;
                break;
            }
        if (!at)
            return cell_err(e, 0, "events: building %s: no sigkid member", type);
        size_t head = (size_t)(at - s->body.p);
        if (jcs_buf_append(&s->line, s->body.p, head) < 0 || jcs_buf_append(&s->line, ",\"sig\":\"", 8) < 0 ||
            jcs_buf_append(&s->line, sig64, SC_B64_LEN(crypto_sign_BYTES)) < 0 ||
            jcs_buf_append(&s->line, "\"", 1) < 0 ||
            jcs_buf_append(&s->line, s->body.p + head, s->body.len - head) < 0)
            return cell_err(e, ENOMEM, "events: out of memory");
    } else if (jcs_buf_append(&s->line, s->body.p, s->body.len) < 0) {
        return cell_err(e, ENOMEM, "events: out of memory");
    }
    if (jcs_buf_append(&s->line, "\n", 1) < 0)
        return cell_err(e, ENOMEM, "events: out of memory");
    if (write_line(s, e) < 0)
        return -1;
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)s->line.p, s->line.len - 1);
    sc_hex_encode(h, 32, s->chainprev);
    s->seq = seq;
    return 0;
}

static int put_kv(struct jcs_doc *d, struct jcs_value *obj, const struct ev_kv *kv, size_t n,
                  const char *const *reserved, struct cell_error *e)
{
    for (size_t i = 0; i < n; i++) {
        if (!kv[i].key || !valid_name(kv[i].key))
            return cell_err(e, 0, "events: key \"%s\" must match [a-z0-9_]{1,%d}",
                            kv[i].key ? kv[i].key : "(null)", EV_MAX_NAME);
        for (const char *const *r = reserved; r && *r; r++)
            if (strcmp(*r, kv[i].key) == 0)
                return cell_err(e, 0, "events: key \"%s\" is reserved", kv[i].key);
        int rc;
        switch (kv[i].type) {
        case EV_KV_STR: rc = jcs_put_str(d, obj, kv[i].key, kv[i].s); break;
        case EV_KV_INT: rc = jcs_put_int(d, obj, kv[i].key, kv[i].i); break;
        case EV_KV_BOOL: rc = jcs_put_bool(d, obj, kv[i].key, kv[i].b); break;
        default: return cell_err(e, 0, "events: key \"%s\": unknown value type", kv[i].key);
        }
        if (rc < 0)
            return cell_err(e, 0, "events: key \"%s\": %s", kv[i].key, jcs_doc_error(d));
    }
    return 0;
}

/* ---- the event types ------------------------------------------------------------- */

int ev_started(struct ev_stream *s, const struct plan *p, const struct ev_started_info *info,
               struct cell_error *e)
{
    if (!s)
        return cell_err(e, 0, "events: started on a NULL stream");
    if (s->state != EV_NEW)
        return s->state == EV_STARTED ? cell_err(e, 0, "events: started twice")
                                      : stream_usable(s, "started", e);
    if (!p || !info || !info->backend || !*info->backend)
        return cell_err(e, 0, "events: started needs a plan and a backend name");
    if (s->secret && (p->events.flags & CP_EV_HAS_KID)) {
        uint8_t kid[32];
        ev_kid_of(s->secret->sk + 32, kid);
        if (memcmp(kid, p->events.signing_kid, 32) != 0) {
            char want[EV_KID_HEX_LEN + 1];
            ev_kid_hex(p->events.signing_kid, want);
            return cell_err(e, 0,
                            "events: the plan requires events signed by key %s, but the "
                            "signing key is %s",
                            want, s->kid_hex);
        }
    }

    /* Resolve source and subject: options, then the plan, then defaults. */
    const char *src = s->source_opt               ? s->source_opt
        : (p->events.source && *p->events.source) ? p->events.source
                                                  : NULL;
    const char *sub = s->subject_opt                ? s->subject_opt
        : (p->events.subject && *p->events.subject) ? p->events.subject
                                                    : p->meta.name;
    if (src && (strlen(src) > EV_MAX_SOURCE || !uri_reference(src)))
        return cell_err(e, 0,
                        "events: the plan's events source \"%.100s\" is not a URI-reference "
                        "(RFC 3986)",
                        src);
    if (!sub || !*sub || strlen(sub) > EV_MAX_SUBJECT)
        return cell_err(e, 0, "events: no subject (the plan has no cell name)");
    free(s->source);
    free(s->subject);
    s->subject = strdup(sub);
    if (src)
        s->source = strdup(src);
    else if (asprintf(&s->source, "urn:uuid:%s", s->run_uuid_str) < 0)
        s->source = NULL;
    if (!s->source || !s->subject)
        return cell_err(e, ENOMEM, "events: out of memory");

    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    char digest[PLAN_DIGEST_STR_LEN + 1];
    plan_digest_string(p->digest, digest);
    jcs_put_str(d, data, "plandigest", digest);
    jcs_put_str(d, data, "policy", p->meta.name ? p->meta.name : "");
    jcs_put_str(d, data, "policysource", p->meta.source ? p->meta.source : "");
    jcs_put_str(d, data, "compiler", p->meta.compiler ? p->meta.compiler : "");
    jcs_put_str(d, data, "backend", info->backend);
    jcs_put_str(d, data, "runid", s->run_uuid_str);
    jcs_put_bool(d, data, "signing", s->secret != NULL);
    jcs_put_bool(d, data, "plansigned", p->signed_plan);
    struct jcs_value *kernel = jcs_put_object(d, data, "kernel");
    jcs_put_str(d, kernel, "sysname", s->host.sysname);
    jcs_put_str(d, kernel, "release", s->host.release);
    jcs_put_str(d, kernel, "version", s->host.version);
    jcs_put_str(d, kernel, "machine", s->host.machine);
    struct jcs_value *packs = jcs_put_array(d, data, "packs");
    for (size_t i = 0; i < p->meta.n_packs; i++) {
        const char *pack = p->meta.packs[i] ? p->meta.packs[i] : "";
        jcs_array_push(d, packs, jcs_new_string(d, pack, strlen(pack)));
    }
    struct jcs_value *unsafe = jcs_put_array(d, data, "unsafe");
    for (size_t i = 0; i < p->meta.n_unsafe; i++) {
        const struct plan_unsafe_grant *g = &p->meta.unsafe[i];
        struct jcs_value *o = jcs_new_object(d);
        jcs_put_str(d, o, "kind", g->kind ? g->kind : "");
        jcs_put_str(d, o, "subject", g->subject ? g->subject : "");
        jcs_put_str(d, o, "reason", g->reason ? g->reason : "");
        jcs_put_uint(d, o, "line", g->line);
        jcs_array_push(d, unsafe, o);
    }
    /* the upstream CellOS document's ids, as its consumers name them
     * (data.specId, data.correlationId), when the plan carries them */
    if (p->has_provenance) {
        const struct {
            const char *key, *val;
        } prov[] = {
            { "specId", p->provenance.spec_id },
            { "correlationId", p->provenance.correlation_id },
            { "packId", p->provenance.pack_id },
            { "packVersion", p->provenance.pack_version },
        };
        for (size_t i = 0; i < sizeof prov / sizeof prov[0]; i++)
            if (prov[i].val && *prov[i].val)
                jcs_put_str(d, data, prov[i].key, prov[i].val);
    }
    struct jcs_value *extra = jcs_put_object(d, data, "backendinfo");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building started: %s", jcs_doc_error(d));
    if (info->n_extra && !info->extra)
        return cell_err(e, 0, "events: started: extra facts missing");
    if (put_kv(d, extra, info->extra, info->n_extra, NULL, e) < 0)
        return cell_err_wrap(e, "started backendinfo");
    if (finish(s, root, CELL_EV_STARTED, e) < 0)
        return -1;
    s->state = EV_STARTED;
    return 0;
}

/* Names as docs/plan-format.md spells them (kept here so that events do not
 * depend on the plan reader's object). */
static const char *opcode_name(uint16_t op)
{
    static const char *const names[CP_OP_MAX + 1] = {
        [CP_OP_ROOTFS] = "rootfs", [CP_OP_MKDIR] = "mkdir",         [CP_OP_BIND] = "bind",
        [CP_OP_TMPFS] = "tmpfs",   [CP_OP_WORKSPACE] = "workspace", [CP_OP_REMOUNT] = "remount",
        [CP_OP_PROC] = "proc",     [CP_OP_DEVNODE] = "devnode",     [CP_OP_DEVPTS] = "devpts",
        [CP_OP_MASK] = "mask",     [CP_OP_SYMLINK] = "symlink",     [CP_OP_PIVOT_ROOT] = "pivot_root",
        [CP_OP_CHDIR] = "chdir",
    };
    return op >= 1 && op <= CP_OP_MAX ? names[op] : NULL;
}

static const char *result_name(uint16_t r)
{
    switch (r) {
    case CELL_STEP_OK: return "ok";
    case CELL_STEP_FAILED: return "failed";
    case CELL_STEP_SKIPPED: return "skipped";
    case CELL_STEP_DEGRADED: return "degraded";
    default: return NULL;
    }
}

int ev_step(struct ev_stream *s, const struct plan *p, const struct cell_step_record *r, struct cell_error *e)
{
    if (stream_usable(s, "step", e) < 0)
        return -1;
    if (!r || !p)
        return cell_err(e, 0, "events: step needs a plan and a record");
    /* The record comes from the cell: trust nothing beyond its bounds. */
    if (r->magic != CELL_STEP_MAGIC)
        return cell_err(e, 0, "events: step record has bad magic 0x%08x", r->magic);
    const char *name = cell_step_name(r->step);
    if (!name)
        return cell_err(e, 0, "events: step record has unknown step %u", r->step);
    const char *result = result_name(r->result);
    if (!result)
        return cell_err(e, 0, "events: step %s: unknown result %u", name, r->result);
    if (r->pad != 0)
        return cell_err(e, 0, "events: step %s: record padding is not zero", name);
    if (r->result == CELL_STEP_FAILED ? (r->err <= 0 || r->err > 4095) : r->err != 0)
        return cell_err(e, 0, "events: step %s: errno %d does not fit result %s", name, r->err, result);
    const struct plan_mount_op *op = NULL;
    if (r->step == CELL_STEP_MOUNT_OP) {
        if (r->op_index >= p->fs.n_ops)
            return cell_err(e, 0,
                            "events: step mount_op: op index %u is not below the plan's "
                            "%zu ops",
                            r->op_index, p->fs.n_ops);
        op = &p->fs.ops[r->op_index];
    } else if (r->op_index != 0 && r->step != CELL_STEP_SECCOMP) {
        return cell_err(e, 0, "events: step %s: op index %u set on a step that has none", name, r->op_index);
    }

    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    char mono[24];
    fmt_u64(mono, r->mono_ns);
    jcs_put_str(d, data, "step", name);
    jcs_put_str(d, data, "origin", "cell");
    jcs_put_str(d, data, "result", result);
    jcs_put_str(d, data, "monotonicns", mono);
    jcs_put_uint(d, data, "detail", r->detail);
    if (r->step == CELL_STEP_SECCOMP && r->op_index)
        jcs_put_bool(d, data, "listener", true); /* kill returns are answered by the supervisor */
    if (r->err) {
        const char *en = strerrorname_np(r->err);
        jcs_put_str(d, data, "errno", en ? en : "unknown");
        jcs_put_int(d, data, "errnum", r->err);
    }
    if (op) {
        const char *opname = opcode_name(op->opcode);
        char opbuf[24];
        if (!opname) {
            snprintf(opbuf, sizeof opbuf, "opcode-%u", op->opcode);
            opname = opbuf;
        }
        jcs_put_uint(d, data, "opindex", r->op_index);
        jcs_put_str(d, data, "opcode", opname);
        jcs_put_str(d, data, "dst", op->dst ? op->dst : "");
        if (op->src && *op->src)
            jcs_put_str(d, data, "src", op->src);
        jcs_put_uint(d, data, "line", op->line);
    }
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building step %s: %s", name, jcs_doc_error(d));
    char type[96];
    snprintf(type, sizeof type, "%s%s", CELL_EV_STEP_PREFIX, name);
    return finish(s, root, type, e);
}

int ev_supervisor_step(struct ev_stream *s, const char *name, const struct ev_kv *kv, size_t n,
                       struct cell_error *e)
{
    if (stream_usable(s, "supervisor step", e) < 0)
        return -1;
    if (!name || !valid_name(name))
        return cell_err(e, 0, "events: supervisor step name \"%s\" must match [a-z0-9_]{1,%d}",
                        name ? name : "(null)", EV_MAX_NAME);
    if (n && !kv)
        return cell_err(e, 0, "events: supervisor step %s: values missing", name);
    static const char *const reserved[] = { "step", "origin", NULL };
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    jcs_put_str(d, data, "step", name);
    jcs_put_str(d, data, "origin", "supervisor");
    if (put_kv(d, data, kv, n, reserved, e) < 0)
        return cell_err_wrap(e, "supervisor step %s", name);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building step %s: %s", name, jcs_doc_error(d));
    char type[96];
    snprintf(type, sizeof type, "%s%s", CELL_EV_STEP_PREFIX, name);
    return finish(s, root, type, e);
}

int ev_network(struct ev_stream *s, const char *name, const struct ev_kv *kv, size_t n, struct cell_error *e)
{
    if (stream_usable(s, "network", e) < 0)
        return -1;
    if (!name || !valid_name(name))
        return cell_err(e, 0, "events: network event name \"%s\" must match [a-z0-9_]{1,%d}",
                        name ? name : "(null)", EV_MAX_NAME);
    if (n && !kv)
        return cell_err(e, 0, "events: network event %s: values missing", name);
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    if (put_kv(d, data, kv, n, NULL, e) < 0)
        return cell_err_wrap(e, "network event %s", name);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building network event %s: %s", name, jcs_doc_error(d));
    char type[96];
    snprintf(type, sizeof type, "%s%s", CELL_EV_NETWORK_PREFIX, name);
    return finish(s, root, type, e);
}

int ev_export(struct ev_stream *s, bool completed, const struct ev_kv *kv, size_t n, struct cell_error *e)
{
    if (stream_usable(s, "export", e) < 0)
        return -1;
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    if (put_kv(d, data, kv, n, NULL, e) < 0)
        return cell_err_wrap(e, "export event");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building an export event: %s", jcs_doc_error(d));
    return finish(s, root, completed ? CELL_EV_EXPORT_COMPLETED : CELL_EV_EXPORT_FAILED, e);
}

int ev_seccomp_denied(struct ev_stream *s, const struct ev_kv *kv, size_t n, struct cell_error *e)
{
    if (stream_usable(s, "seccomp denied", e) < 0)
        return -1;
    if (s->completed)
        return cell_err(e, 0, "events: seccomp denied after completed");
    if (n && !kv)
        return cell_err(e, 0, "events: seccomp denied: values missing");
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    if (put_kv(d, data, kv, n, NULL, e) < 0)
        return cell_err_wrap(e, "seccomp denied");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building seccomp denied: %s", jcs_doc_error(d));
    return finish(s, root, CELL_EV_SECCOMP_DENIED, e);
}

int ev_completed(struct ev_stream *s, const struct ev_completed_info *c, struct cell_error *e)
{
    if (stream_usable(s, "completed", e) < 0)
        return -1;
    if (s->completed)
        return cell_err(e, 0, "events: completed twice");
    if (!c)
        return cell_err(e, 0, "events: completed without information");
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    if (c->exited) {
        if (c->exit_code < 0 || c->exit_code > 255)
            return cell_err(e, 0, "events: exit code %d is outside 0..255", c->exit_code);
        jcs_put_int(d, data, "exitcode", c->exit_code);
    } else {
        if (c->signal <= 0 || c->signal > 64)
            return cell_err(e, 0, "events: signal %d is outside 1..64", c->signal);
        const char *abbrev = sigabbrev_np(c->signal);
        char name[32];
        if (abbrev)
            snprintf(name, sizeof name, "SIG%s", abbrev);
        else
            snprintf(name, sizeof name, "SIG%d", c->signal);
        jcs_put_int(d, data, "signal", c->signal);
        jcs_put_str(d, data, "signame", name);
    }
    if (c->killed_by)
        jcs_put_str(d, data, "killedby", c->killed_by);
    jcs_put_uint(d, data, "wallus", c->wall_us);
    if (c->workload_started)
        jcs_put_uint(d, data, "workloadwallus", c->workload_wall_us);
    jcs_put_uint(d, data, "cpuuserus", c->cpu_user_us);
    jcs_put_uint(d, data, "cpusysus", c->cpu_sys_us);
    if (c->peak_memory_bytes)
        jcs_put_uint(d, data, "peakmemorybytes", c->peak_memory_bytes);
    else
        jcs_put_null(d, data, "peakmemorybytes");
    static const char *const fixed[] = { "exitcode", "signal",          "signame",
                                         "wallus",   "workloadwallus",  "cpuuserus",
                                         "cpusysus", "peakmemorybytes", NULL };
    if (c->n_extra && put_kv(d, data, c->extra, c->n_extra, fixed, e) < 0)
        return cell_err_wrap(e, "completed");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building completed: %s", jcs_doc_error(d));
    if (finish(s, root, CELL_EV_COMPLETED, e) < 0)
        return -1;
    s->completed = true;
    return 0;
}

int ev_destroyed(struct ev_stream *s, bool succeeded, bool forced, struct cell_error *e)
{
    if (stream_usable(s, "destroyed", e) < 0)
        return -1;
    if (s->destroyed)
        return cell_err(e, 0, "events: destroyed twice");
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    jcs_put_str(d, data, "outcome", succeeded ? "succeeded" : "failed");
    jcs_put_str(d, data, "terminalState", forced ? "Forced" : "Clean");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building destroyed: %s", jcs_doc_error(d));
    if (finish(s, root, CELL_EV_DESTROYED, e) < 0)
        return -1;
    s->destroyed = true;
    return 0;
}

int ev_seal(struct ev_stream *s, struct cell_error *e)
{
    if (stream_usable(s, "seal", e) < 0)
        return -1;
    struct jcs_doc *d = s->doc;
    struct jcs_value *root, *data = begin(s, &root);
    jcs_put_uint(d, data, "events", s->seq + 1);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building sealed: %s", jcs_doc_error(d));
    if (finish(s, root, CELL_EV_SEALED, e) < 0)
        return -1;
    s->state = EV_SEALED;
    if (s->file_sink && fsync(s->fd) < 0 && errno != EINVAL && errno != EROFS) {
        int err = errno;
        s->state = EV_DEAD;
        return cell_err_sys(e, err, "events: fsync of %s at seal", s->sink_name);
    }
    if (s->tee_fd >= 0 && fsync(s->tee_fd) < 0) {
        int err = errno;
        s->state = EV_DEAD;
        return cell_err_sys(e, err, "events: fsync of %s at seal", s->tee_name);
    }
    return 0;
}
