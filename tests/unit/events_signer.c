/* events_signer.c - signing off the critical path and the fast paths of the
 * stream: ev_sha256 equals libsodium's SHA-256 on every length; records
 * queued for the signer thread (ev_step_queue) give byte for byte the stream
 * ev_step gives, across the queue's wrap-around and interleaved with other
 * events, with paths that need escapes; a bad record is refused at once; a
 * sink failure in the thread is reported through ev_signer_fd and kills the
 * stream; ev_close writes what is still queued (an unsealed, cut-off run). */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_types.h"
#include "events_fixture.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "runtime/events/sha256.h"
#include "runtime/events/verify.h"

static char dir[] = "/tmp/cellos-events-signer.XXXXXX";

/* paths that need every kind of escape, and non-ASCII UTF-8 */
static struct plan_mount_op ops[] = {
    { .opcode = CP_OP_ROOTFS, .src = "", .dst = "" },
    { .opcode = CP_OP_BIND, .src = "/usr", .dst = "/usr", .line = 3 },
    { .opcode = CP_OP_BIND, .src = "/q\"b\\s\x01\x1f\t\n", .dst = "/caf\xc3\xa9/\xf0\x9f\x98\x80 \x7f", .line = 9 },
    { .opcode = CP_OP_TMPFS, .src = "", .dst = "/tmp", .line = 4 },
    { .opcode = 99, .src = "x", .dst = "/odd", .line = 5 },
    { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
};

static struct plan test_plan(void)
{
    return events_test_plan("signer-cell", "signer.cell", ops, sizeof ops / sizeof ops[0]);
}

static void fixed_clock(void *ctx, struct timespec *now)
{
    (void)ctx;
    now->tv_sec = 1714564800;
    now->tv_nsec = 123456000;
}

static struct ev_options opts(const struct ev_key *key, const char *file)
{
    struct ev_options o = events_file_opts(key, file);
    o.clock = fixed_clock;
    return o;
}

/* Open a stream with o and write its started event (backend native). */
static int open_started(struct ev_stream **s, const struct ev_options *o, const struct plan *p, struct cell_error *e)
{
    struct ev_started_info info = { .backend = "native" };
    return ev_open(s, o, e) < 0 || ev_started(*s, p, &info, e) < 0 ? -1 : 0;
}

/* The i-th record of the test sequence: every step, results, errnos, ops. */
static struct cell_step_record rec_at(unsigned i)
{
    struct cell_step_record r = { CELL_STEP_MAGIC, CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0, 0, 0, 0 };
    r.mono_ns = 1000000000ull + i * 977ull;
    r.detail = i % 7;
    switch (i % 6) {
    case 0: r.step = CELL_STEP_MOUNT_OP; r.op_index = (i / 6) % (sizeof ops / sizeof ops[0]); break;
    case 1: r.step = CELL_STEP_MOUNT_OP; r.op_index = 2; r.result = CELL_STEP_FAILED; r.err = ENOENT; break;
    case 2: r.step = CELL_STEP_SECCOMP; r.op_index = i % 3; break;
    case 3: r.step = CELL_STEP_LANDLOCK; r.result = CELL_STEP_DEGRADED; break;
    case 4: r.step = CELL_STEP_CAPS; r.result = CELL_STEP_SKIPPED; break;
    default: r.step = CELL_STEP_EXEC; r.result = CELL_STEP_FAILED; r.err = 4095; break;
    }
    return r;
}

static char *slurp(const char *file, size_t *len)
{
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        *len = 0;
        return calloc(1, 1);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    close(fd);
    *len = n > 0 ? (size_t)n : 0;
    buf[*len] = 0;
    return buf;
}

/* Write the test sequence to file, through the queue or ev_step. */
static int write_run(const char *file, const struct ev_key *key, bool queued, unsigned n)
{
    struct plan p = test_plan();
    struct ev_options o = opts(key, file);
    struct ev_stream *s;
    struct cell_error e;
    if (open_started(&s, &o, &p, &e) < 0) {
        diag("%s", e.msg);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        struct cell_step_record r = rec_at(i);
        int rc = queued ? ev_step_queue(s, &p, &r, &e) : ev_step(s, &p, &r, &e);
        if (rc < 0) {
            diag("record %u: %s", i, e.msg);
            ev_close(s);
            return -1;
        }
        if (i % 1000 == 999) { /* another event between records: written after them */
            struct ev_kv kv[] = { { .key = "what", .type = EV_KV_STR, .s = "between" } };
            if (ev_supervisor_step(s, "note", kv, 1, &e) < 0) {
                diag("%s", e.msg);
                ev_close(s);
                return -1;
            }
        }
    }
    struct ev_completed_info ci = { .exited = true };
    int rc = ev_completed(s, &ci, &e) < 0 || ev_destroyed(s, true, false, &e) < 0 || ev_seal(s, &e) < 0 ? -1 : 0;
    if (rc < 0)
        diag("%s", e.msg);
    ev_close(s);
    return rc;
}

static int verify_text(const char *text, size_t len, const struct ev_key *k, struct ev_verify_result *r)
{
    char *trust = ev_trust_text_for(k->pk);
    struct ev_trust *t = NULL;
    struct cell_error e;
    ev_trust_parse(trust, strlen(trust), "unit", &t, &e);
    free(trust);
    struct ev_verify_opts o = { .trust = t };
    int rc = ev_verify_buffer(text, len, &o, r);
    ev_trust_free(t);
    return rc;
}

int main(void)
{
    if (sodium_init() < 0 || !mkdtemp(dir))
        return 1;
    signal(SIGPIPE, SIG_IGN);

    /* ---- SHA-256 */
    {
        static unsigned char m[1100];
        for (size_t i = 0; i < sizeof m; i++)
            m[i] = (unsigned char)(i * 131 + 7);
        bool accel = ev_sha256_accelerated();
        int same = 1;
        for (size_t l = 0; l <= sizeof m && same; l++) {
            uint8_t a[32], b[32];
            ev_sha256(a, m, l, accel);
            ev_sha256_portable(b, m, l);
            same = memcmp(a, b, 32) == 0;
            if (!same)
                diag("length %zu differs", l);
        }
        ok(same, "ev_sha256 (%s) equals libsodium's SHA-256 on every length 0..1100",
           accel ? "SHA extensions" : "portable");
    }

    struct ev_key key;
    struct cell_error e;
    uint8_t seed[32] = { 7 };
    ev_key_from_seed(seed, &key, &e);
    char a[300], b[300];
    snprintf(a, sizeof a, "%s/sync.jsonl", dir);
    snprintf(b, sizeof b, "%s/queued.jsonl", dir);

    /* ---- queued = synchronous, byte for byte (5000 records: the queue of
     * 4096 wraps and fills) */
    const unsigned n = 5000;
    ok(write_run(a, &key, false, n) == 0, "%u records through ev_step", n);
    ok(write_run(b, &key, true, n) == 0, "the same through ev_step_queue");
    size_t la, lb;
    char *ta = slurp(a, &la), *tb = slurp(b, &lb);
    ok(la > 0 && la == lb && memcmp(ta, tb, la) == 0, "the two streams are the same bytes (%zu)", la);
    struct ev_verify_result vr;
    is_int(verify_text(tb, lb, &key, &vr), EV_VERIFY_OK, "and the queued one verifies (canonical, chained, signed, sealed)");
    if (vr.why[0])
        diag("%s", vr.why);
    is_int(vr.lines, n + n / 1000 + 4, "every record is one event");
    ev_verify_result_free(&vr);
    ok(strstr(tb, "\"src\":\"/q\\\"b\\\\s\\u0001\\u001f\\t\\n\"") != NULL &&
           strstr(tb, "\"dst\":\"/caf\xc3\xa9/\xf0\x9f\x98\x80 \x7f\"") != NULL,
       "paths are escaped as JSON.stringify does (controls, quote, backslash; UTF-8 and DEL verbatim)");
    ok(strstr(tb, "\"opcode\":\"opcode-99\"") != NULL && strstr(tb, "\"errno\":\"ENOENT\",\"errnum\":2") != NULL &&
           strstr(tb, "\"listener\":true") != NULL,
       "an unknown opcode, an errno and the seccomp listener are written as before");
    free(ta);
    free(tb);

    /* ---- mount sections: 100 ops that did not fail are two events (64 +
     * 36), a failed op its own event after the section before it, and a
     * section waiting at ev_close is written */
    {
        struct plan p = test_plan();
        snprintf(a, sizeof a, "%s/sect.jsonl", dir);
        struct ev_options o = opts(&key, a);
        struct ev_stream *s;
        open_started(&s, &o, &p, &e);
        int rc = 0;
        for (unsigned i = 0; i < 100 && rc == 0; i++) {
            struct cell_step_record r = { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, i % 6, 0, i, 0, 5000 + i };
            if (i == 70)
                r.result = CELL_STEP_SKIPPED;
            if (i == 80)
                r.result = CELL_STEP_DEGRADED;
            rc = ev_step_queue(s, &p, &r, &e);
        }
        struct cell_step_record f = { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_FAILED, 2, ENOENT, 0, 0, 6000 };
        struct cell_step_record ok1 = { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 3, 0, 0, 0, 6001 };
        ok(rc == 0 && ev_step_queue(s, &p, &f, &e) == 0 && ev_step(s, &p, &ok1, &e) == 0 && ev_sync(s, &e) == 0,
           "100 mount ops, a failed one and one more are taken: %s", rc ? e.msg : "");
        ev_close(s); /* the last op waits in a section: ev_close writes it */
        size_t l;
        char *t = slurp(a, &l);
        is_int(verify_text(t, l, &key, &vr), EV_VERIFY_UNSEALED, "the stream verifies (cut off: not sealed)");
        is_int(vr.lines, 5, "started, two sections of 64 and 36 ops, the failed op, a section of one");
        ev_verify_result_free(&vr);
        ok(strstr(t, "\"data\":{\"detail\":64,\"monotonicns\":\"5063\",\"ops\":[{\"detail\":0,\"dst\":\"\",\"line\":0,"
                     "\"monotonicns\":\"5000\",\"opcode\":\"rootfs\",\"opindex\":0,\"result\":\"ok\"},") != NULL,
           "a section lists each op with its result and time, in canonical order");
        ok(strstr(t, "],\"origin\":\"cell\",\"result\":\"ok\",\"step\":\"mounts\"}") != NULL &&
               strstr(t, "\"detail\":36,") != NULL &&
               strstr(t, "],\"origin\":\"cell\",\"result\":\"degraded\",\"step\":\"mounts\"}") != NULL,
           "the second section (36 ops) says degraded: one of its ops was");
        ok(strstr(t, "\"errno\":\"ENOENT\",\"errnum\":2,") != NULL && strstr(t, "\"step\":\"mount_op\"") != NULL,
           "the failed op is a mount_op event of its own");
        ok(strstr(t, "\"data\":{\"detail\":1,\"monotonicns\":\"6001\"") != NULL, "and the op after it a section of one");
        free(t);
    }

    /* ---- a bad record is refused at once; the stream goes on */
    {
        struct plan p = test_plan();
        snprintf(a, sizeof a, "%s/bad.jsonl", dir);
        struct ev_options o = opts(&key, a);
        struct ev_stream *s;
        open_started(&s, &o, &p, &e);
        struct cell_step_record r = rec_at(0);
        r.magic = 0;
        ok(ev_step_queue(s, &p, &r, &e) < 0 && strstr(e.msg, "bad magic"), "a record with bad magic is refused: %s",
           e.msg);
        r = rec_at(0);
        r.op_index = 99;
        ok(ev_step_queue(s, &p, &r, &e) < 0 && strstr(e.msg, "op index 99"), "an op index beyond the plan: %s", e.msg);
        static struct plan_mount_op badops[] = { { .opcode = CP_OP_BIND, .src = "/a", .dst = "/\xff" } };
        struct plan q = p;
        q.fs.ops = badops;
        q.fs.n_ops = 1;
        r.op_index = 0;
        ok(ev_step_queue(s, &q, &r, &e) < 0 && strstr(e.msg, "not valid UTF-8"), "a path that is not UTF-8: %s",
           e.msg);
        r = rec_at(3);
        ok(ev_step_queue(s, &p, &r, &e) == 0 && ev_sync(s, &e) == 0, "a good record after them is written");
        ok(ev_seal(s, &e) == 0, "and the stream seals");
        ev_close(s);
        size_t l;
        char *t = slurp(a, &l);
        is_int(verify_text(t, l, &key, &vr), EV_VERIFY_OK, "it verifies with 3 events");
        is_int(vr.lines, 3, "(started, the step, the seal)");
        ev_verify_result_free(&vr);
        free(t);
    }

    /* ---- a sink failure in the thread */
    {
        struct plan p = test_plan();
        int pf[2];
        if (pipe(pf) < 0)
            return 1;
        struct ev_options o = opts(&key, NULL);
        o.sink = EV_SINK_FD;
        o.fd = pf[1];
        struct ev_stream *s;
        ok(open_started(&s, &o, &p, &e) == 0, "a stream to a pipe");
        is_int(ev_signer_fd(s), -1, "no signer fd before a record is queued");
        close(pf[0]); /* the reader is gone: the next write is EPIPE */
        /* an exec record: the thread takes it at once (the first call
         * cannot see the failure: the thread starts with it) */
        struct cell_step_record r = rec_at(5);
        ok(ev_step_queue(s, &p, &r, &e) == 0, "an exec record is queued");
        struct pollfd pd = { .fd = ev_signer_fd(s), .events = POLLIN };
        ok(pd.fd >= 0 && poll(&pd, 1, 10000) == 1, "the signer fd becomes readable");
        ok(ev_sync(s, &e) < 0 && strstr(e.msg, "writing event 2") && strstr(e.msg, "Broken pipe"),
           "ev_sync returns the thread's error: %s", e.msg);
        ok(ev_step_queue(s, &p, &r, &e) < 0, "no record is taken after it: %s", e.msg);
        ok(ev_seal(s, &e) < 0, "nor a seal: %s", e.msg);
        ev_close(s);
        close(pf[1]);
    }

    /* ---- ev_close writes what is queued, and the run is cut off */
    {
        struct plan p = test_plan();
        snprintf(a, sizeof a, "%s/close.jsonl", dir);
        struct ev_options o = opts(&key, a);
        struct ev_stream *s;
        open_started(&s, &o, &p, &e);
        int rc = 0;
        for (unsigned i = 0; i < 200 && rc == 0; i++) {
            struct cell_step_record r = rec_at(i);
            rc = ev_step_queue(s, &p, &r, &e);
        }
        ev_close(s);
        size_t l;
        char *t = slurp(a, &l);
        is_int(verify_text(t, l, &key, &vr), EV_VERIFY_UNSEALED, "a stream closed with records queued verifies as cut off");
        is_int(vr.lines, 201, "and holds every queued record");
        ev_verify_result_free(&vr);
        free(t);
    }

    ev_key_wipe(&key);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (getenv("KEEP")) return done_testing();
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
