/*
 * sender.c - the spool drain loop (sender.h). One process, one run, its
 * sinks served in turn; each sink's progress is a byte offset at a line
 * boundary that only moves forward after the sink acknowledged the lines
 * before it. A crash between acknowledgement and the offset write means
 * those lines are sent again: JetStream drops them by Nats-Msg-Id (within
 * the stream's duplicate window), HTTP receivers see the same source+id.
 */
#include "sender.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http_sink.h"
#include "nats_client.h"
#include "nkey.h"
#include "runtime/spool/sink_spec.h"
#include "runtime/spool/spool.h"

#define ROUND_LINES 4096 /* lines handed to a sink at once */
#define NATS_WINDOW 512  /* unacknowledged JetStream publishes */
#define BACKOFF_MIN 100
#define BACKOFF_MAX 5000
#define IDLE_MIN    5   /* ms between looks at a growing stream */
#define IDLE_MAX    200 /* ... and at an idle one */

struct sink_state {
    struct sink_spec spec;
    struct nkey key;
    bool have_key;
    struct nats_conn *nats;
    struct http_sink *http;
    uint64_t acked;
    int acked_fd;
    bool failed;
    int64_t next_try;
    int backoff;
    bool reported; /* the last failure was printed */
};

struct drain {
    const char *dir, *run;
    const struct sender_opts *o;
    int fd; /* the stream */
    struct sink_state s[SPOOL_MAX_SINKS];
    size_t n;
    char *buf; /* stream bytes from base */
    uint64_t base;
    size_t len, cap;
    uint64_t complete; /* offset after the last LF read */
    struct sink_line *lines;
    struct nats_msg *msgs;
    char *subjects, *ids; /* ROUND_LINES slots each */
};

#define SUBJ_SLOT 300
#define ID_SLOT   2100

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_acked(struct sink_state *s)
{
    char num[22];
    snprintf(num, sizeof num, "%020" PRIu64 "\n", s->acked);
    return pwrite(s->acked_fd, num, 21, 0) == 21 ? 0 : -1;
}

static int open_sink_files(struct drain *d, size_t i, struct cell_error *e)
{
    char path[SPOOL_PATH_MAX], suffix[32];
    struct sink_state *s = &d->s[i];
    snprintf(suffix, sizeof suffix, ".%zu.acked", i);
    if (spool_path(path, sizeof path, d->dir, d->run, suffix) < 0)
        return cell_err(e, ENAMETOOLONG, "spool path too long");
    s->acked_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->acked_fd < 0)
        return cell_err_sys(e, errno, "spool file %s", path);
    char num[22] = "";
    ssize_t r = pread(s->acked_fd, num, 21, 0);
    if (r == 21 && num[20] == '\n') {
        char *end;
        num[20] = 0;
        s->acked = strtoull(num, &end, 10);
        if (*end)
            return cell_err(e, 0, "spool file %s is damaged", path);
    } else if (r != 0) {
        return cell_err(e, 0, "spool file %s is damaged", path);
    }
    snprintf(suffix, sizeof suffix, ".%zu.failed", i);
    if (spool_path(path, sizeof path, d->dir, d->run, suffix) == 0 && access(path, F_OK) == 0)
        s->failed = true;
    return 0;
}

static void record_failure(struct drain *d, size_t i, const char *why)
{
    char path[SPOOL_PATH_MAX], suffix[32];
    snprintf(suffix, sizeof suffix, ".%zu.failed", i);
    if (spool_path(path, sizeof path, d->dir, d->run, suffix) < 0)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        dprintf(fd, "%s (at byte %" PRIu64 ")\n", why, d->s[i].acked);
        fsync(fd);
        close(fd);
    }
}

/* Read what was appended since the last call. */
static int read_more(struct drain *d, struct cell_error *e)
{
    struct stat st;
    if (fstat(d->fd, &st) < 0)
        return cell_err_sys(e, errno, "spool stream %s", d->run);
    uint64_t end = d->base + d->len;
    if ((uint64_t)st.st_size < end)
        return cell_err(e, 0, "spool stream %s shrank", d->run);
    size_t more = (size_t)((uint64_t)st.st_size - end);
    if (!more)
        return 0;
    if (d->len + more > d->cap) {
        size_t cap = d->cap ? d->cap : 65536;
        while (cap < d->len + more)
            cap *= 2;
        char *b = realloc(d->buf, cap);
        if (!b)
            return cell_err(e, ENOMEM, "out of memory");
        d->buf = b;
        d->cap = cap;
    }
    ssize_t r = pread(d->fd, d->buf + d->len, more, (off_t)end);
    if (r < 0)
        return cell_err_sys(e, errno, "spool stream %s", d->run);
    d->len += (size_t)r;
    for (size_t i = d->len; i > 0; i--)
        if (d->buf[i - 1] == '\n') {
            d->complete = d->base + i;
            break;
        }
    return 0;
}

/* Drop the bytes every live sink has acknowledged from the buffer (in
 * steps of at least 1 MiB), so that a long run does not hold its whole
 * stream in memory. */
static void trim(struct drain *d)
{
    uint64_t lo = d->complete;
    for (size_t i = 0; i < d->n; i++)
        if (!d->s[i].failed && d->s[i].acked < lo)
            lo = d->s[i].acked;
    if (lo <= d->base || lo - d->base < (1u << 20))
        return;
    size_t k = (size_t)(lo - d->base);
    memmove(d->buf, d->buf + k, d->len - k);
    d->len -= k;
    d->base = lo;
}

/* The string value of the last top-level "key":"..." in a canonical line
 * (every member after `data` is a string, and a string cannot hold an
 * unescaped quote, so the last match is the top-level member). */
static bool field(const char *p, size_t n, const char *key, const char **v, size_t *vn)
{
    char pat[24];
    int pl = snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *found = NULL;
    for (const char *q = p; (q = memmem(q, n - (size_t)(q - p), pat, (size_t)pl)); q++)
        found = q;
    if (!found)
        return false;
    *v = found + pl;
    const char *end = memchr(*v, '"', n - (size_t)(*v - p));
    if (!end)
        return false;
    *vn = (size_t)(end - *v);
    return true;
}

/* Deliver lines [s->acked, d->complete) (at most ROUND_LINES) to sink i. */
static int deliver(struct drain *d, size_t i, bool *permanent, struct cell_error *e)
{
    struct sink_state *s = &d->s[i];
    *permanent = false;
    if (s->acked < d->base || s->acked > d->complete)
        return cell_err(e, 0, "spool: the acknowledged offset of sink %zu is out of range", i);
    size_t n = 0;
    const char *p = d->buf + (s->acked - d->base), *end = d->buf + (d->complete - d->base);
    while (p < end && n < ROUND_LINES) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        d->lines[n].p = p;
        d->lines[n].n = (size_t)(lf - p);
        n++;
        p = lf + 1;
    }
    size_t done = 0;
    int rc;
    if (s->spec.kind == SINK_HTTP) {
        if (!s->http && http_sink_open(&s->http, &s->spec, d->o->timeout_ms, e) < 0)
            return -1;
        rc = http_sink_send(s->http, d->lines, n, &done, permanent, e);
    } else {
        if (!s->nats) {
            struct nats_opts no = {
                .host = s->spec.host,
                .port = s->spec.port,
                .tls = s->spec.tls,
                .ca = s->spec.ca,
                .user = s->spec.user,
                .pass = s->spec.pass,
                .token = s->spec.token,
                .nkey = s->have_key ? &s->key : NULL,
                .timeout_ms = d->o->timeout_ms,
            };
            if (nats_connect(&s->nats, &no, e) < 0)
                return -1;
        }
        for (size_t k = 0; k < n; k++) {
            const char *type, *src, *id;
            size_t tn, sn, in;
            char *subj = d->subjects + k * SUBJ_SLOT, *mid = d->ids + k * ID_SLOT;
            if (!field(d->lines[k].p, d->lines[k].n, "type", &type, &tn) ||
                !field(d->lines[k].p, d->lines[k].n, "source", &src, &sn) ||
                !field(d->lines[k].p, d->lines[k].n, "id", &id, &in) || in + strlen(d->run) + 11 > ID_SLOT) {
                *permanent = true;
                return cell_err(e, 0, "spool %s: byte %zu: not an event line", d->run,
                                (size_t)(d->lines[k].p - d->buf + (ptrdiff_t)d->base));
            }
            static const char pre[] = "dev.cellos.events.cell.";
            if (tn > sizeof pre - 1 && memcmp(type, pre, sizeof pre - 1) == 0) {
                type += sizeof pre - 1;
                tn -= sizeof pre - 1;
            }
            if (sink_subject_expand(s->spec.subject, d->run, type, tn, subj, SUBJ_SLOT) < 0) {
                *permanent = true;
                return cell_err(e, 0, "nats %s: the subject template gives no valid subject for %.*s",
                                s->spec.display, (int)tn, type);
            }
            /* The message id is urn:uuid:RUN/ID: the event's source/id
             * when the run has the default source, and unique per event
             * also when the plan sets its own events.source (the same for
             * every run of the plan: source/id would make JetStream drop a
             * later run's events as duplicates). */
            int ml = snprintf(mid, ID_SLOT, "urn:uuid:%s/%.*s", d->run, (int)in, id);
            d->msgs[k] = (struct nats_msg){ .subject = subj,
                                            .msg_id = mid,
                                            .msg_id_len = (size_t)ml,
                                            .data = d->lines[k].p,
                                            .len = d->lines[k].n };
        }
        rc = nats_js_publish(s->nats, d->msgs, n, NATS_WINDOW, &done, e);
        if (nats_dead(s->nats)) {
            nats_close(s->nats);
            s->nats = NULL;
        }
    }
    for (size_t k = 0; k < done; k++)
        s->acked += d->lines[k].n + 1;
    if (done && write_acked(s) < 0)
        return cell_err_sys(e, errno, "spool %s: recording progress", d->run);
    return rc;
}

/* Whether the stop signal arrived (checked between rounds, without waiting). */
static bool stop_requested(int stop_fd)
{
    struct pollfd pf = { .fd = stop_fd, .events = POLLIN };
    return stop_fd >= 0 && poll(&pf, 1, 0) == 1;
}

static void ready_say(struct drain *d, int *ready_fd, const char *msg)
{
    if (*ready_fd < 0)
        return;
    if (write(*ready_fd, msg, strlen(msg)) < 0) {
        /* cellrun stopped listening: nothing to tell */
    }
    close(*ready_fd);
    *ready_fd = -1;
    (void)d;
}

static void remove_run(struct drain *d)
{
    char path[SPOOL_PATH_MAX], suffix[32];
    for (size_t i = 0; i < d->n; i++) {
        snprintf(suffix, sizeof suffix, ".%zu.acked", i);
        if (spool_path(path, sizeof path, d->dir, d->run, suffix) == 0)
            unlink(path);
    }
    if (spool_path(path, sizeof path, d->dir, d->run, ".sinks") == 0)
        unlink(path);
    if (spool_path(path, sizeof path, d->dir, d->run, ".jsonl") == 0)
        unlink(path);
}

static int setup(struct drain *d, struct cell_error *e)
{
    char *specs[SPOOL_MAX_SINKS] = { 0 };
    int n = spool_read_sinks(d->dir, d->run, specs, e);
    if (n < 0)
        return -1;
    d->n = (size_t)n;
    int rc = 0;
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        d->s[i].acked_fd = -1;
        rc = sink_spec_parse(specs[i], &d->s[i].spec, e);
        if (rc == 0 && d->s[i].spec.nkey[0]) {
            rc = nkey_load_seed_file(d->s[i].spec.nkey, &d->s[i].key, e);
            d->s[i].have_key = rc == 0;
        } else if (rc == 0 && d->s[i].spec.creds[0]) {
            rc = nkey_load_creds_file(d->s[i].spec.creds, &d->s[i].key, e);
            d->s[i].have_key = rc == 0;
        }
        if (rc == 0)
            rc = open_sink_files(d, i, e);
    }
    spool_free_specs(specs, d->n);
    if (rc < 0)
        return -1;
    char path[SPOOL_PATH_MAX];
    if (spool_path(path, sizeof path, d->dir, d->run, ".jsonl") < 0)
        return cell_err(e, ENAMETOOLONG, "spool path too long");
    d->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (d->fd < 0)
        return cell_err_sys(e, errno, "spool stream %s", path);
    d->base = UINT64_MAX;
    for (size_t i = 0; i < d->n; i++)
        if (!d->s[i].failed && d->s[i].acked < d->base)
            d->base = d->s[i].acked;
    if (d->base == UINT64_MAX)
        d->base = 0;
    d->complete = d->base;
    d->lines = calloc(ROUND_LINES, sizeof *d->lines);
    d->msgs = calloc(ROUND_LINES, sizeof *d->msgs);
    d->subjects = malloc((size_t)ROUND_LINES * SUBJ_SLOT);
    d->ids = malloc((size_t)ROUND_LINES * ID_SLOT);
    if (!d->lines || !d->msgs || !d->subjects || !d->ids)
        return cell_err(e, ENOMEM, "out of memory");
    return 0;
}

static void teardown(struct drain *d)
{
    for (size_t i = 0; i < d->n; i++) {
        nats_close(d->s[i].nats);
        http_sink_close(d->s[i].http);
        if (d->s[i].acked_fd >= 0)
            close(d->s[i].acked_fd);
        if (d->s[i].have_key)
            nkey_wipe(&d->s[i].key);
        explicit_bzero(&d->s[i].spec, sizeof d->s[i].spec);
    }
    if (d->fd >= 0)
        close(d->fd);
    free(d->buf);
    free(d->lines);
    free(d->msgs);
    free(d->subjects);
    free(d->ids);
}

int sender_run(const char *dir, const char *run, const struct sender_opts *o, struct cell_error *e)
{
    struct drain d = { .dir = dir, .run = run, .o = o, .fd = -1 };
    int ready_fd = o->ready_fd;
    if (setup(&d, e) < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "error: %s\n", e->msg);
        ready_say(&d, &ready_fd, msg);
        teardown(&d);
        return -1;
    }
    int wake_fd = o->wake_fd;
    int idle_ms = IDLE_MIN;
    int64_t start = now_ms();
    int result = 1;
    for (;;) {
        bool writer = o->follow && spool_writer_active(d.fd);
        uint64_t had = d.base + d.len;
        if (read_more(&d, e) < 0) {
            result = -1;
            break;
        }
        /* poll the file often while lines come, less when they do not */
        idle_ms = d.base + d.len != had ? IDLE_MIN : (idle_ms * 2 > IDLE_MAX ? IDLE_MAX : idle_ms * 2);
        int64_t now = now_ms(), wake = now + (writer ? 200 : BACKOFF_MAX);
        bool all = true, any_error = false;
        char first_error[600] = "";
        for (size_t i = 0; i < d.n; i++) {
            struct sink_state *s = &d.s[i];
            if (s->failed)
                continue;
            while (s->acked < d.complete && now >= s->next_try && !stop_requested(o->stop_fd)) {
                bool permanent;
                struct cell_error se = { 0 };
                if (deliver(&d, i, &permanent, &se) == 0) {
                    s->backoff = 0;
                    if (s->reported && !o->quiet)
                        fprintf(stderr, "cellsend: %s: delivering again\n", s->spec.display);
                    s->reported = false;
                    continue;
                }
                any_error = true;
                if (!first_error[0])
                    snprintf(first_error, sizeof first_error, "%s", se.msg);
                if (permanent) {
                    s->failed = true;
                    record_failure(&d, i, se.msg);
                    fprintf(stderr, "cellsend: %s: permanent failure, the rest stays in the spool: %s\n",
                            s->spec.display, se.msg);
                    break;
                }
                s->backoff =
                    s->backoff ? (s->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : s->backoff * 2) : BACKOFF_MIN;
                s->next_try = now_ms() + s->backoff;
                if (!s->reported && !o->quiet)
                    fprintf(stderr, "cellsend: %s: %s (retrying)\n", s->spec.display, se.msg);
                s->reported = true;
                break;
            }
            if (s->failed)
                continue;
            if (s->acked < d.complete) {
                all = false;
                if (s->next_try < wake)
                    wake = s->next_try;
            }
        }
        if (ready_fd >= 0 && any_error) {
            char msg[700];
            snprintf(msg, sizeof msg, "error: %s\n", first_error);
            ready_say(&d, &ready_fd, msg);
        } else if (ready_fd >= 0 && all && d.complete > 0) {
            ready_say(&d, &ready_fd, "ok\n");
        }
        trim(&d);
        bool any_failed = false;
        for (size_t i = 0; i < d.n; i++)
            any_failed |= d.s[i].failed;
        if (!writer && all && d.complete == d.base + d.len) {
            /* the writer is gone and every live sink has every line */
            if (!any_failed && (!o->follow || !spool_writer_active(d.fd))) {
                struct stat st;
                if (fstat(d.fd, &st) == 0 && (uint64_t)st.st_size == d.complete) {
                    remove_run(&d);
                    result = 0;
                    break;
                }
                if (!o->quiet)
                    fprintf(stderr, "cellsend: spool %s ends in a partial line (its writer died): kept\n",
                            run);
            }
            result = 1;
            break;
        }
        if (o->give_up_ms > 0 && now_ms() - start >= o->give_up_ms) {
            result = 1;
            break;
        }
        /* wait for more lines, a retry time, the writer's end (its wake
         * pipe closes) or the stop signal */
        int64_t left = wake - now_ms();
        if (left < 0)
            left = 0;
        if (writer && left > idle_ms)
            left = idle_ms;
        struct pollfd pf[2] = { { .fd = wake_fd, .events = POLLIN }, { .fd = o->stop_fd, .events = POLLIN } };
        int pr = poll(pf, 2, (int)left);
        if (pr > 0 && pf[1].revents) {
            result = 1;
            break;
        }
        if (pr > 0 && pf[0].revents) {
            char b[64];
            if (read(wake_fd, b, sizeof b) <= 0) {
                /* the writer closed its end: the stream is complete */
                close(wake_fd);
                wake_fd = -1;
            }
        }
    }
    if (wake_fd >= 0)
        close(wake_fd);
    if (ready_fd >= 0)
        ready_say(&d, &ready_fd, result == 0 ? "ok\n" : "error: stopped before delivery\n");
    teardown(&d);
    return result;
}
