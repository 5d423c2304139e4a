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
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_types.h"
#include "jcs.h"
#include "keys.h"
#include "sign_codec.h"
#include "sign_verify.h"
#include "sha256.h"
#include "verify.h"

#define EV_MAX_SOURCE  2048
#define EV_MAX_SUBJECT 1024
#define EV_MAX_NAME    48 /* supervisor step names and kv keys */
#define EV_SECTION_MAX 64 /* mount ops in one section event at most */

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

    uint64_t written;                         /* events written to the sink (<= seq) */
    bool regular;                             /* the sink is a regular file (batches up to EV_BATCH_MAX) */
    bool pollable;                            /* the sink is a pipe or socket (ev_sink_watch_fd) */
    bool sha_ni;                              /* ev_sha256 may use the SHA extensions */
    struct jcs_buf source_json, subject_json; /* canonical JSON strings, set by ev_started */
    char pae_prefix[64];                      /* "DSSEv1 36 <payload type> " */
    size_t pae_prefix_len;

    struct jcs_doc *doc;
    struct jcs_buf body; /* EV_PAE_ROOM bytes, then the event without sig */
    struct jcs_buf out;  /* lines composed, not yet written */
    struct jcs_buf data; /* the canonical data object of the event being composed */
    /* mount ops reported ok, skipped or degraded, waiting to go out as one
     * `mounts` section event (docs/events.md); a failed op is its own event */
    struct cell_step_record sect[EV_SECTION_MAX];
    const struct plan *sect_plan;
    size_t n_sect;
    struct jcs_buf sect_data;

    struct ev_signer *signer; /* NULL until the first ev_step_queue */
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
bool ev_uri_reference(const char *s)
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

static void signer_stop(struct ev_stream *s);
static int section_compose(struct ev_stream *s, struct cell_error *e);
static int flush_out(struct ev_stream *s, struct cell_error *e);


void ev_close(struct ev_stream *s)
{
    if (!s)
        return;
    signer_stop(s);                            /* first: it writes what is queued */
    if (s->state == EV_STARTED && s->n_sect) { /* and the mount ops waiting for a section */
        struct cell_error e;
        if (section_compose(s, &e) == 0)
            (void)flush_out(s, &e);
    }
    secret_free(s);
    if (s->close_fd && s->fd >= 0)
        close(s->fd);
    jcs_doc_free(s->doc);
    jcs_buf_free(&s->body);
    jcs_buf_free(&s->out);
    jcs_buf_free(&s->data);
    jcs_buf_free(&s->sect_data);
    jcs_buf_free(&s->source_json);
    jcs_buf_free(&s->subject_json);
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
    if (o->source && *o->source && (strlen(o->source) > EV_MAX_SOURCE || !ev_uri_reference(o->source)))
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
    s->sha_ni = ev_sha256_accelerated();
    s->pae_prefix_len = (size_t)snprintf(s->pae_prefix, sizeof s->pae_prefix, "DSSEv1 %zu %s ",
                                         strlen(CELL_EV_PAYLOAD_TYPE), CELL_EV_PAYLOAD_TYPE);
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
    struct stat st;
    bool have_st = fstat(s->fd, &st) == 0;
    s->regular = have_st && S_ISREG(st.st_mode);
    s->pollable = have_st && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    if (o->sink != EV_SINK_FILE)
        s->file_sink = s->regular;
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

static int signer_drain(struct ev_stream *s, struct cell_error *e);

/* The stream can take an event now: the signer thread (if any) has written
 * everything queued before (so events stay in call order) and did not fail. */
static int stream_usable(struct ev_stream *s, const char *what, struct cell_error *e)
{
    if (!s)
        return cell_err(e, 0, "events: %s on a NULL stream", what);
    if (signer_drain(s, e) < 0)
        return -1;
    switch (s->state) {
    case EV_DEAD: return cell_err(e, 0, "events: %s: the event stream failed earlier", what);
    case EV_SEALED: return cell_err(e, 0, "events: %s after the stream was sealed", what);
    case EV_NEW: return cell_err(e, 0, "events: %s before the started event", what);
    default: return 0;
    }
}

/* A fresh document with an empty data object. */
static struct jcs_value *begin(struct ev_stream *s)
{
    jcs_doc_reset(s->doc);
    return jcs_new_object(s->doc);
}

static int write_line_to(struct ev_stream *s, int fd, const char *name, bool file_sink, struct cell_error *e)
{
    const char *p = s->out.p;
    size_t n = s->out.len;
    for (;;) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int err = errno;
            return cell_err_sys(e, err, "events: writing event %llu to %s",
                                (unsigned long long)s->written + 1, name);
        }
        if ((size_t)w == n)
            return 0;
        if (w == 0 || file_sink) {
            /* A short append to a file cannot be completed without risking
             * interleaving with another writer: the line is damaged. */
            return cell_err(e, EIO, "events: short write of event %llu to %s (%zd of %zu bytes)",
                            (unsigned long long)s->written + 1, name, w, n);
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

/* The canonical JSON string of s (quotes and escapes) into out; -1 when
 * out of memory or not valid UTF-8. */
static int json_string(const char *str, struct jcs_buf *out)
{
    struct jcs_doc *d = jcs_doc_new();
    if (!d)
        return -1;
    struct jcs_value *v = jcs_new_string(d, str, strlen(str));
    int rc = !v || jcs_doc_error(d) || jcs_serialize(v, NULL, out) < 0 ? -1 : 0;
    jcs_doc_free(d);
    return rc;
}

/* Event types are our constants plus checked names: [a-z0-9_.] only, so
 * their JSON string needs no escape. */
static bool plain_type(const char *t, size_t *len)
{
    size_t n = 0;
    for (; t[n]; n++) {
        char c = t[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return false;
    }
    *len = n;
    return n > 0;
}

#define APPEND(b, lit) jcs_buf_append((b), (lit), sizeof(lit) - 1)

/* Compose the event around its data object, sign it, append the line to
 * the pending output, advance the chain. The attributes are written in
 * their canonical (RFC 8785) order, which is fixed: chainprev, data,
 * datacontenttype, id, sequence, sig, sigkid, source, specversion, subject,
 * time, type; data is serialised canonically by jcs. The body (the line
 * without sig) is built after EV_PAE_ROOM bytes left free for the DSSE
 * header, so the signed PAE is one contiguous buffer without a copy. The
 * line is not written here: flush_out does (at once for a caller's event,
 * in batches by the signer thread). */
#define EV_PAE_ROOM 96
static int compose(struct ev_stream *s, const char *data, size_t dlen, const char *type, struct cell_error *e)
{
    uint64_t seq = s->seq + 1;
    char id[24], sequence[24], when[40];
    struct timespec now;
    s->clock(s->clock_ctx, &now);
    if (format_time(&now, when) < 0)
        return cell_err(e, 0, "events: the clock gave a time outside 1970..9999");
    size_t idlen = fmt_u64(id, seq), tlen;
    put_digits(sequence, seq, 20);
    if (!plain_type(type, &tlen))
        return cell_err(e, 0, "events: event type \"%.100s\" is not [a-z0-9_.]", type);

    /* one reservation per buffer, then plain copies */
    struct jcs_buf *b = &s->body, *o = &s->out;
    /* the body's fixed text is under 300 bytes plus chainprev and sigkid
     * (64 each); the line adds ,"sig":"<88>" and the LF */
    size_t most = EV_PAE_ROOM + 512 + dlen + 2 * 64 + s->source_json.len + s->subject_json.len + tlen;
    size_t line0 = o->len;
    b->len = 0;
    if (jcs_buf_reserve(b, most) < 0 || jcs_buf_reserve(o, most + 128) < 0)
        return cell_err(e, ENOMEM, "events: out of memory");
#define PUT(w, src, n) (memcpy((w), (src), (n)), (w) + (n))
#define PUTS(w, lit)   PUT((w), (lit), sizeof(lit) - 1)
    char *w = b->p + EV_PAE_ROOM;
    w = PUTS(w, "{\"chainprev\":\"");
    w = PUT(w, s->chainprev, 64);
    w = PUTS(w, "\",\"data\":");
    w = PUT(w, data, dlen);
    w = PUTS(w, ",\"datacontenttype\":\"application/json\",\"id\":\"");
    w = PUT(w, id, idlen);
    w = PUTS(w, "\",\"sequence\":\"");
    w = PUT(w, sequence, 20);
    w = PUTS(w, "\"");
    size_t head_len = (size_t)(w - (b->p + EV_PAE_ROOM)); /* where sig goes */
    if (s->secret) {
        w = PUTS(w, ",\"sigkid\":\"");
        w = PUT(w, s->kid_hex, EV_KID_HEX_LEN);
        w = PUTS(w, "\"");
    }
    w = PUTS(w, ",\"source\":");
    w = PUT(w, s->source_json.p, s->source_json.len);
    w = PUTS(w, ",\"specversion\":\"1.0\",\"subject\":");
    w = PUT(w, s->subject_json.p, s->subject_json.len);
    w = PUTS(w, ",\"time\":\"");
    w = PUT(w, when, 27);
    w = PUTS(w, "\",\"type\":\"");
    w = PUT(w, type, tlen);
    w = PUTS(w, "\"}");
    const char *body = b->p + EV_PAE_ROOM;
    size_t blen = (size_t)(w - body);
    b->len = EV_PAE_ROOM + blen;

    char *l = o->p + line0;
    if (s->secret) {
        /* PAE = "DSSEv1 36 <payload type> <len> " body, in place */
        char head[EV_PAE_ROOM];
        size_t hl = s->pae_prefix_len;
        memcpy(head, s->pae_prefix, hl);
        hl += fmt_u64(head + hl, blen);
        head[hl++] = ' ';
        memcpy(b->p + EV_PAE_ROOM - hl, head, hl);
        uint8_t sig[crypto_sign_BYTES];
        char sig64[SC_B64_LEN(crypto_sign_BYTES) + 1];
        crypto_sign_detached(sig, NULL, (const unsigned char *)b->p + EV_PAE_ROOM - hl, hl + blen,
                             s->secret->sk);
        sc_b64_encode(sig, sizeof sig, sig64);
        l = PUT(l, body, head_len);
        l = PUTS(l, ",\"sig\":\"");
        l = PUT(l, sig64, SC_B64_LEN(crypto_sign_BYTES));
        l = PUTS(l, "\"");
        l = PUT(l, body + head_len, blen - head_len);
    } else {
        l = PUT(l, body, blen);
    }
#undef PUT
#undef PUTS
    size_t llen = (size_t)(l - (o->p + line0));
    /* A line longer than a verifier reads would make the run's record
     * unverifiable: refuse it, leaving the stream as it was (o->len,
     * chainprev and seq are not yet advanced). */
    if (llen > EV_VERIFY_MAX_LINE)
        return cell_err(e, 0,
                        "events: the %.100s event would be a %zu-byte line, longer than the %u bytes "
                        "a verifier accepts (docs/events.md)",
                        type, llen, EV_VERIFY_MAX_LINE);
    *l = '\n';
    o->len = line0 + llen + 1;
    uint8_t h[32];
    ev_sha256(h, o->p + line0, llen, s->sha_ni);
    sc_hex_encode(h, 32, s->chainprev);
    s->seq = seq;
    return 0;
}

/* Write the pending lines (whole lines, one write(2) per sink). A failure
 * leaves the stream dead: the caller marks it so (the signer thread under
 * its lock). */
static int flush_out(struct ev_stream *s, struct cell_error *e)
{
    if (!s->out.len)
        return 0;
    if (write_line(s, e) < 0)
        return -1;
    s->out.len = 0;
    s->written = s->seq;
    return 0;
}

/* Compose and write one event from the caller's thread (the signer thread
 * is idle: stream_usable waited for it). */
static int emit(struct ev_stream *s, const char *data, size_t dlen, const char *type, struct cell_error *e)
{
    if (section_compose(s, e) < 0 || compose(s, data, dlen, type, e) < 0)
        return -1; /* nothing changed: the stream is as it was */
    if (flush_out(s, e) < 0) {
        s->state = EV_DEAD;
        return -1;
    }
    return 0;
}

/* The same for a data object built as a jcs tree in s->doc. */
static int finish(struct ev_stream *s, struct jcs_value *data, const char *type, struct cell_error *e)
{
    if (jcs_doc_error(s->doc))
        return cell_err(e, 0, "events: building %s: %s", type, jcs_doc_error(s->doc));
    s->data.len = 0;
    if (jcs_serialize(data, NULL, &s->data) < 0)
        return cell_err(e, ENOMEM, "events: out of memory");
    return emit(s, s->data.p, s->data.len, type, e);
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
    if (src && (strlen(src) > EV_MAX_SOURCE || !ev_uri_reference(src)))
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
    s->source_json.len = s->subject_json.len = 0;
    if (json_string(s->source, &s->source_json) < 0 || json_string(s->subject, &s->subject_json) < 0)
        return cell_err(e, 0, "events: the source or subject is not valid UTF-8 (or out of memory)");

    struct jcs_doc *d = s->doc;
    struct jcs_value *data = begin(s);
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
    if (finish(s, data, CELL_EV_STARTED, e) < 0)
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

/* Check a record from the cell (trust nothing beyond its bounds); name
 * and result are its names, *op its mount op (MOUNT_OP) or NULL. */
static int step_check(const struct plan *p, const struct cell_step_record *r, const char **name,
                      const char **result, const struct plan_mount_op **op, struct cell_error *e)
{
    if (!r || !p)
        return cell_err(e, 0, "events: step needs a plan and a record");
    if (r->magic != CELL_STEP_MAGIC)
        return cell_err(e, 0, "events: step record has bad magic 0x%08x", r->magic);
    *name = cell_step_name(r->step);
    if (!*name)
        return cell_err(e, 0, "events: step record has unknown step %u", r->step);
    *result = result_name(r->result);
    if (!*result)
        return cell_err(e, 0, "events: step %s: unknown result %u", *name, r->result);
    if (r->pad != 0)
        return cell_err(e, 0, "events: step %s: record padding is not zero", *name);
    if (r->result == CELL_STEP_FAILED ? (r->err <= 0 || r->err > 4095) : r->err != 0)
        return cell_err(e, 0, "events: step %s: errno %d does not fit result %s", *name, r->err, *result);
    *op = NULL;
    if (r->step == CELL_STEP_MOUNT_OP) {
        if (r->op_index >= p->fs.n_ops)
            return cell_err(e, 0,
                            "events: step mount_op: op index %u is not below the plan's "
                            "%zu ops",
                            r->op_index, p->fs.n_ops);
        *op = &p->fs.ops[r->op_index];
        const char *paths[2] = { (*op)->dst, (*op)->src };
        for (int i = 0; i < 2; i++)
            if (paths[i] && jcs_utf8_valid_prefix(paths[i], strlen(paths[i])) != strlen(paths[i]))
                return cell_err(e, 0,
                                "events: building step mount_op: a path of mount op %u is not valid UTF-8",
                                r->op_index);
    } else if (r->op_index != 0 && r->step != CELL_STEP_SECCOMP) {
        return cell_err(e, 0, "events: step %s: op index %u set on a step that has none", *name, r->op_index);
    }
    return 0;
}

/* "key": for the members of a step's data (keys are ASCII, no escapes). */
#define KEY(b, k) APPEND((b), "\"" k "\":")

static int put_plain_str(struct jcs_buf *b, const char *v)
{
    return APPEND(b, "\"") < 0 || jcs_buf_append(b, v, strlen(v)) < 0 || APPEND(b, "\"") < 0 ? -1 : 0;
}

static int put_u64(struct jcs_buf *b, uint64_t v)
{
    char n[24];
    return jcs_buf_append(b, n, fmt_u64(n, v));
}

/* The data object of a step the cell reported, written directly in
 * canonical order (the members are fixed: detail, dst, errno, errnum, line,
 * listener, monotonicns, opcode, opindex, origin, result, src, step), equal
 * to what the jcs serialiser makes of the same members. Names, results,
 * errno names and opcodes are ASCII without characters to escape; the
 * plan's paths go through jcs_append_string. A record passed step_check. */
static int step_data(struct jcs_buf *b, const struct cell_step_record *r, const char *name,
                     const char *result, const struct plan_mount_op *op, struct cell_error *e)
{
    b->len = 0;
    int rc = APPEND(b, "{") < 0 || KEY(b, "detail") < 0 || put_u64(b, r->detail) < 0 ? -1 : 0;
    if (!rc && op) {
        const char *dst = op->dst ? op->dst : "";
        rc = APPEND(b, ",") < 0 || KEY(b, "dst") < 0 ? -1 : jcs_append_string(b, dst, strlen(dst));
    }
    if (!rc && r->err) {
        const char *en = strerrorname_np(r->err);
        rc = APPEND(b, ",") < 0 || KEY(b, "errno") < 0 || put_plain_str(b, en ? en : "unknown") < 0 ||
                APPEND(b, ",") < 0 || KEY(b, "errnum") < 0 || put_u64(b, (uint64_t)r->err) < 0
            ? -1
            : 0;
    }
    if (!rc && op)
        rc = APPEND(b, ",") < 0 || KEY(b, "line") < 0 || put_u64(b, op->line) < 0 ? -1 : 0;
    if (!rc && r->step == CELL_STEP_SECCOMP && r->op_index) /* kill returns are answered by the supervisor */
        rc = APPEND(b, ",\"listener\":true");
    if (!rc)
        rc = APPEND(b, ",") < 0 || KEY(b, "monotonicns") < 0 || APPEND(b, "\"") < 0 ||
                put_u64(b, r->mono_ns) < 0 || APPEND(b, "\"") < 0
            ? -1
            : 0;
    if (!rc && op) {
        const char *opname = opcode_name(op->opcode);
        char opbuf[24];
        if (!opname) {
            snprintf(opbuf, sizeof opbuf, "opcode-%u", op->opcode);
            opname = opbuf;
        }
        rc = APPEND(b, ",") < 0 || KEY(b, "opcode") < 0 || put_plain_str(b, opname) < 0 ||
                APPEND(b, ",") < 0 || KEY(b, "opindex") < 0 || put_u64(b, r->op_index) < 0
            ? -1
            : 0;
    }
    if (!rc)
        rc = APPEND(b, ",\"origin\":\"cell\",") < 0 || KEY(b, "result") < 0 || put_plain_str(b, result) < 0
            ? -1
            : 0;
    if (!rc && op && op->src && *op->src)
        rc = APPEND(b, ",") < 0 || KEY(b, "src") < 0 ? -1 : jcs_append_string(b, op->src, strlen(op->src));
    if (!rc)
        rc = APPEND(b, ",") < 0 || KEY(b, "step") < 0 || put_plain_str(b, name) < 0 || APPEND(b, "}") < 0 ? -1
                                                                                                          : 0;
    if (rc == -2)
        return cell_err(e, 0, "events: building step %s: a path of mount op %u is not valid UTF-8", name,
                        r->op_index);
    if (rc < 0)
        return cell_err(e, ENOMEM, "events: out of memory");
    return 0;
}

/* The pending mount ops as one `mounts` step event: data {"detail": the
 * number of ops, "monotonicns": when the last one ended, "ops": [each op's
 * detail, dst, line, monotonicns, opcode, opindex, result, src], "origin":
 * "cell", "result": "ok" when every op is ok, else "degraded" when one is,
 * else "skipped", "step": "mounts"}, members in canonical order. Nothing
 * when no op waits. The ops were checked by step_check. */
static int section_compose(struct ev_stream *s, struct cell_error *e)
{
    if (!s->n_sect)
        return 0;
    struct jcs_buf *b = &s->sect_data;
    b->len = 0;
    bool degraded = false, skipped = false;
    int rc = APPEND(b, "{") < 0 || KEY(b, "detail") < 0 || put_u64(b, s->n_sect) < 0 || APPEND(b, ",") < 0 ||
            KEY(b, "monotonicns") < 0 || APPEND(b, "\"") < 0 ||
            put_u64(b, s->sect[s->n_sect - 1].mono_ns) < 0 || APPEND(b, "\",\"ops\":[") < 0
        ? -1
        : 0;
    for (size_t i = 0; i < s->n_sect && !rc; i++) {
        const struct cell_step_record *r = &s->sect[i];
        const struct plan_mount_op *op = &s->sect_plan->fs.ops[r->op_index];
        const char *dst = op->dst ? op->dst : "", *opname = opcode_name(op->opcode);
        char opbuf[24];
        if (!opname) {
            snprintf(opbuf, sizeof opbuf, "opcode-%u", op->opcode);
            opname = opbuf;
        }
        degraded |= r->result == CELL_STEP_DEGRADED;
        skipped |= r->result == CELL_STEP_SKIPPED;
        rc = (i && APPEND(b, ",") < 0) || APPEND(b, "{") < 0 || KEY(b, "detail") < 0 ||
                put_u64(b, r->detail) < 0 || APPEND(b, ",") < 0 || KEY(b, "dst") < 0
            ? -1
            : jcs_append_string(b, dst, strlen(dst));
        if (!rc)
            rc = APPEND(b, ",") < 0 || KEY(b, "line") < 0 || put_u64(b, op->line) < 0 || APPEND(b, ",") < 0 ||
                    KEY(b, "monotonicns") < 0 || APPEND(b, "\"") < 0 || put_u64(b, r->mono_ns) < 0 ||
                    APPEND(b, "\",") < 0 || KEY(b, "opcode") < 0 || put_plain_str(b, opname) < 0 ||
                    APPEND(b, ",") < 0 || KEY(b, "opindex") < 0 || put_u64(b, r->op_index) < 0 ||
                    APPEND(b, ",") < 0 || KEY(b, "result") < 0 || put_plain_str(b, result_name(r->result)) < 0
                ? -1
                : 0;
        if (!rc && op->src && *op->src)
            rc =
                APPEND(b, ",") < 0 || KEY(b, "src") < 0 ? -1 : jcs_append_string(b, op->src, strlen(op->src));
        if (!rc)
            rc = APPEND(b, "}");
    }
    if (!rc)
        rc = APPEND(b, "],\"origin\":\"cell\",") < 0 || KEY(b, "result") < 0 ||
                put_plain_str(b,
                              degraded      ? "degraded"
                                  : skipped ? "skipped"
                                            : "ok") < 0 ||
                APPEND(b, ",\"step\":\"mounts\"}") < 0
            ? -1
            : 0;
    if (rc == -2)
        return cell_err(e, 0, "events: building step mounts: a path is not valid UTF-8");
    if (rc < 0)
        return cell_err(e, ENOMEM, "events: out of memory");
    if (compose(s, b->p, b->len, CELL_EV_STEP_PREFIX "mounts", e) < 0)
        return -1;
    s->n_sect = 0;
    return 0;
}

/* Compose the event of a checked record into the pending output. */
static int step_compose(struct ev_stream *s, const struct plan *p, const struct cell_step_record *r,
                        struct cell_error *e)
{
    const char *name, *result;
    const struct plan_mount_op *op;
    if (step_check(p, r, &name, &result, &op, e) < 0)
        return -1;
    if (r->step == CELL_STEP_MOUNT_OP && r->result != CELL_STEP_FAILED) {
        /* into the section; it goes out before the next other event */
        if (s->n_sect && (s->n_sect == EV_SECTION_MAX || s->sect_plan != p) && section_compose(s, e) < 0)
            return -1;
        s->sect[s->n_sect++] = *r;
        s->sect_plan = p;
        return 0;
    }
    if (section_compose(s, e) < 0 || step_data(&s->data, r, name, result, op, e) < 0)
        return -1;
    char type[96];
    memcpy(type, CELL_EV_STEP_PREFIX, sizeof CELL_EV_STEP_PREFIX - 1);
    snprintf(type + sizeof CELL_EV_STEP_PREFIX - 1, sizeof type - (sizeof CELL_EV_STEP_PREFIX - 1), "%s",
             name);
    return compose(s, s->data.p, s->data.len, type, e);
}

int ev_step(struct ev_stream *s, const struct plan *p, const struct cell_step_record *r, struct cell_error *e)
{
    if (stream_usable(s, "step", e) < 0)
        return -1;
    if (step_compose(s, p, r, e) < 0)
        return -1;
    if (flush_out(s, e) < 0) {
        s->state = EV_DEAD;
        return -1;
    }
    return 0;
}

/* ---- the signer thread ------------------------------------------------------ */

/* Records wait here for the signer thread, which composes, signs and
 * writes them in order. The stream's composing state (doc, buffers, seq,
 * chain, state) belongs to the thread while it is busy or the queue is not
 * empty; every other call first waits (under mu) until it is idle, which
 * hands the state back with the mutex's ordering. Fields below are under
 * mu. */
#define EV_QUEUE_MAX    4096  /* records waiting at most (the cell waits beyond) */
#define EV_BATCH_MAX    16384 /* bytes of lines written at once to a regular file */
#define EV_BATCH_PIPE   4096  /* ... to anything else (PIPE_BUF: a write stays atomic) */
#define EV_SIGNER_STACK (256 << 10)

struct ev_item {
    const struct plan *plan;
    struct cell_step_record rec;
};

struct ev_signer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* items queued, or stop */
    pthread_cond_t space; /* the queue fell to half: a waiting caller may go on */
    pthread_cond_t idle;  /* queue empty and written */
    struct ev_item *q;    /* ring of EV_QUEUE_MAX */
    size_t head, n;
    bool busy, stop, failed, full_wait;
    struct cell_error err; /* the thread's failure */
    int fail_fd;           /* eventfd: readable once the thread failed */
};

#define EV_TAKE 64 /* records taken from the queue at once */
#define EV_KICK 16 /* records that wake the thread (besides the end of a set-up) */

static void *signer_main(void *arg)
{
    struct ev_stream *s = arg;
    struct ev_signer *g = s->signer;
    size_t batch_max = s->regular ? EV_BATCH_MAX : EV_BATCH_PIPE;
    struct ev_item take[EV_TAKE];
    /* SCHED_BATCH: woken by a record, the thread does not preempt the
     * caller (who may have to hand the cell something at once, such as
     * the seccomp listener) nor the cell on its CPU; it runs when a CPU is
     * free or at the next tick, with its normal share. Best effort. */
    struct sched_param sp = { 0 };
    (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->n && !g->stop)
            pthread_cond_wait(&g->work, &g->mu);
        if (!g->n)
            break;
        size_t k = 0;
        for (; k < EV_TAKE && g->n; k++, g->n--) {
            take[k] = g->q[g->head];
            g->head = (g->head + 1) % EV_QUEUE_MAX;
        }
        g->busy = true;
        if (g->full_wait && g->n <= EV_QUEUE_MAX / 2) {
            g->full_wait = false;
            pthread_cond_broadcast(&g->space);
        }
        bool failed = g->failed;
        pthread_mutex_unlock(&g->mu);

        struct cell_error e = { 0 };
        int rc = 0;
        for (size_t i = 0; i < k && !failed && rc == 0; i++)
            rc = step_compose(s, take[i].plan, &take[i].rec, &e);
        pthread_mutex_lock(&g->mu);
        /* write when nothing more is waiting, or the batch is full */
        if (!failed && rc == 0 && (!g->n || s->out.len + 1024 > batch_max)) {
            pthread_mutex_unlock(&g->mu);
            rc = flush_out(s, &e);
            pthread_mutex_lock(&g->mu);
        }
        if (rc < 0 && !g->failed) {
            g->failed = true;
            g->err = e;
            s->state = EV_DEAD;
            uint64_t one = 1;
            ssize_t w = write(g->fail_fd, &one, sizeof one);
            (void)w;
            pthread_cond_broadcast(&g->space);
        }
        g->busy = false;
        if (!g->n)
            pthread_cond_broadcast(&g->idle);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* Free a signer whose thread is not running (never started, or joined). */
static void signer_free(struct ev_signer *g)
{
    close(g->fail_fd);
    pthread_cond_destroy(&g->idle);
    pthread_cond_destroy(&g->space);
    pthread_cond_destroy(&g->work);
    pthread_mutex_destroy(&g->mu);
    free(g->q);
    free(g);
}

static int signer_start(struct ev_stream *s, struct cell_error *e)
{
    struct ev_signer *g = calloc(1, sizeof *g);
    if (!g || !(g->q = calloc(EV_QUEUE_MAX, sizeof *g->q))) {
        free(g);
        return cell_err(e, ENOMEM, "events: out of memory");
    }
    g->fail_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g->fail_fd < 0) {
        int err = errno;
        free(g->q);
        free(g);
        return cell_err_sys(e, err, "events: eventfd for the signer thread");
    }
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->work, NULL);
    pthread_cond_init(&g->space, NULL);
    pthread_cond_init(&g->idle, NULL);
    s->signer = g;
    /* the thread takes no signal (the supervisor reads them from its
     * signalfd): block all while it is created, it inherits the mask */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, EV_SIGNER_STACK);
    int rc = pthread_create(&g->thread, &attr, signer_main, s);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        s->signer = NULL;
        signer_free(g);
        return cell_err_sys(e, rc, "events: starting the signer thread");
    }
    return 0;
}

/* Wait until the queue is empty and written; the thread's failure, if any. */
static int signer_drain(struct ev_stream *s, struct cell_error *e)
{
    struct ev_signer *g = s->signer;
    if (!g)
        return 0;
    pthread_mutex_lock(&g->mu);
    if (g->n)
        pthread_cond_signal(&g->work); /* records waiting for a batch */
    while (g->n || g->busy)
        pthread_cond_wait(&g->idle, &g->mu);
    bool failed = g->failed;
    if (failed)
        *e = g->err;
    pthread_mutex_unlock(&g->mu);
    return failed ? -1 : 0;
}

/* Let the thread write what is queued, then end it. */
static void signer_stop(struct ev_stream *s)
{
    struct ev_signer *g = s->signer;
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    signer_free(g);
    s->signer = NULL;
}

int ev_step_queue(struct ev_stream *s, const struct plan *p, const struct cell_step_record *r,
                  struct cell_error *e)
{
    if (!s)
        return cell_err(e, 0, "events: step on a NULL stream");
    const char *name, *result;
    const struct plan_mount_op *op;
    if (step_check(p, r, &name, &result, &op, e) < 0) /* a bad record is refused now */
        return -1;
    if (!s->signer) {
        /* the first record: the caller's thread still owns the stream */
        if (stream_usable(s, "step", e) < 0 || signer_start(s, e) < 0)
            return -1;
    }
    struct ev_signer *g = s->signer;
    pthread_mutex_lock(&g->mu);
    while (g->n == EV_QUEUE_MAX && !g->failed) {
        g->full_wait = true;
        pthread_cond_signal(&g->work);
        pthread_cond_wait(&g->space, &g->mu);
    }
    int rc = 0;
    if (g->failed) {
        *e = g->err;
        rc = -1;
    } else if (s->state != EV_STARTED) {
        rc = cell_err(e, 0, "events: step on a stream that is sealed or failed");
    } else {
        g->q[(g->head + g->n) % EV_QUEUE_MAX] = (struct ev_item){ .plan = p, .rec = *r };
        g->n++;
        /* wake the thread for a batch, not for every record (a wake-up is
         * a cross-CPU interrupt, dear on a virtual machine): at EV_KICK
         * records, and at once at the end of a set-up (the exec, a
         * failure, the workload's exit); anything that waits for the
         * queue wakes it too */
        if (g->n >= EV_KICK || r->step == CELL_STEP_EXEC || r->step == CELL_STEP_EXIT ||
            r->result == CELL_STEP_FAILED)
            pthread_cond_signal(&g->work);
    }
    pthread_mutex_unlock(&g->mu);
    return rc;
}

int ev_sync(struct ev_stream *s, struct cell_error *e)
{
    if (!s)
        return 0;
    return signer_drain(s, e);
}

int ev_sink_watch_fd(const struct ev_stream *s, const char **name)
{
    if (!s || s->fd < 0 || !s->pollable)
        return -1;
    if (name)
        *name = s->sink_name;
    return s->fd;
}

int ev_signer_fd(const struct ev_stream *s)
{
    return s && s->signer ? s->signer->fail_fd : -1;
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
    struct jcs_value *data = begin(s);
    jcs_put_str(d, data, "step", name);
    jcs_put_str(d, data, "origin", "supervisor");
    if (put_kv(d, data, kv, n, reserved, e) < 0)
        return cell_err_wrap(e, "supervisor step %s", name);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building step %s: %s", name, jcs_doc_error(d));
    char type[96];
    snprintf(type, sizeof type, "%s%s", CELL_EV_STEP_PREFIX, name);
    return finish(s, data, type, e);
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
    struct jcs_value *data = begin(s);
    if (put_kv(d, data, kv, n, NULL, e) < 0)
        return cell_err_wrap(e, "network event %s", name);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building network event %s: %s", name, jcs_doc_error(d));
    char type[96];
    snprintf(type, sizeof type, "%s%s", CELL_EV_NETWORK_PREFIX, name);
    return finish(s, data, type, e);
}

int ev_export(struct ev_stream *s, bool completed, const struct ev_kv *kv, size_t n, struct cell_error *e)
{
    if (stream_usable(s, "export", e) < 0)
        return -1;
    struct jcs_doc *d = s->doc;
    struct jcs_value *data = begin(s);
    if (put_kv(d, data, kv, n, NULL, e) < 0)
        return cell_err_wrap(e, "export event");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building an export event: %s", jcs_doc_error(d));
    return finish(s, data, completed ? CELL_EV_EXPORT_COMPLETED : CELL_EV_EXPORT_FAILED, e);
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
    struct jcs_value *data = begin(s);
    if (put_kv(d, data, kv, n, NULL, e) < 0)
        return cell_err_wrap(e, "seccomp denied");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building seccomp denied: %s", jcs_doc_error(d));
    return finish(s, data, CELL_EV_SECCOMP_DENIED, e);
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
    struct jcs_value *data = begin(s);
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
    if (finish(s, data, CELL_EV_COMPLETED, e) < 0)
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
    struct jcs_value *data = begin(s);
    jcs_put_str(d, data, "outcome", succeeded ? "succeeded" : "failed");
    jcs_put_str(d, data, "terminalState", forced ? "Forced" : "Clean");
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building destroyed: %s", jcs_doc_error(d));
    if (finish(s, data, CELL_EV_DESTROYED, e) < 0)
        return -1;
    s->destroyed = true;
    return 0;
}

int ev_seal(struct ev_stream *s, struct cell_error *e)
{
    if (stream_usable(s, "seal", e) < 0)
        return -1;
    struct jcs_doc *d = s->doc;
    struct jcs_value *data = begin(s);
    jcs_put_uint(d, data, "events", s->seq + 1);
    if (jcs_doc_error(d))
        return cell_err(e, 0, "events: building sealed: %s", jcs_doc_error(d));
    if (finish(s, data, CELL_EV_SEALED, e) < 0)
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
