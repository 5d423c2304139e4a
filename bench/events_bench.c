/*
 * events_bench.c - throughput of the event stream on one core.
 *
 *   events_bench [SECONDS]     (default 2 CPU-seconds per measurement)
 *
 * Pins the process (and so the signer thread it starts) to one CPU and
 * measures, interleaved in five rounds of SECONDS/5 each, in CPU time of
 * the whole process (both threads):
 *   - libsodium alone: Ed25519 signatures (crypto_sign_detached) over the
 *     very bytes the stream signs: the DSSE PAE of each event of a stream of
 *     the same step records, taken from a file that stream wrote;
 *   - signed step events (the cell's set-up steps other than mount ops,
 *     each one event) to a file through ev_step_queue (the signer thread
 *     cellrun uses: batched writes), and through ev_step (one write each);
 *   - the same unsigned (everything but the signature), to a file;
 *   - ev_verify_buffer over a signed stream (what `cellrun verify` does).
 * Prints events per CPU-second (the rate of one core: the median round, and
 * the lowest and highest), and signed events/s over libsodium's rate on the
 * same bytes (goal >= 0.90). The wall-clock rate beside each shows how busy
 * the machine was.
 */
#include <fcntl.h>
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_types.h"
#include "runtime/events/events.h"
#include "runtime/events/jcs.h"
#include "runtime/events/keys.h"
#include "runtime/events/sign_verify.h"
#include "runtime/events/verify.h"

#define ROUNDS 5
#define CORPUS 1024 /* events whose PAEs libsodium signs */

/* CPU time of the process: both threads when the signer runs. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plan with the ops of a typical cell (the bench's records name none). */
static struct plan_mount_op ops[] = {
    { .opcode = CP_OP_ROOTFS, .src = "", .dst = "" },
    { .opcode = CP_OP_BIND, .flags = CP_MNT_RECURSIVE, .src = "/usr", .dst = "/usr", .line = 4 },
    { .opcode = CP_OP_SYMLINK, .src = "usr/bin", .dst = "/bin", .line = 0 },
    { .opcode = CP_OP_TMPFS, .src = "", .dst = "/tmp", .line = 7 },
    { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
};

static struct plan bench_plan(void)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "bench-cell";
    p.meta.source = "bench.cell";
    p.meta.compiler = "cellc bench";
    p.fs.ops = ops;
    p.fs.n_ops = sizeof ops / sizeof ops[0];
    p.events.source = "";
    p.events.subject = "";
    return p;
}

enum mode {
    M_QUEUED,
    M_SYNC,
    M_UNSIGNED
};

struct run {
    struct ev_stream *s;
    struct plan p;
    struct cell_step_record r;
    unsigned i;
};

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "events_bench: %s: %s\n", what, msg);
    exit(1);
}

static void run_open(struct run *x, const char *path, const struct ev_key *key)
{
    memset(x, 0, sizeof *x);
    x->p = bench_plan();
    struct ev_options o;
    memset(&o, 0, sizeof o);
    o.sink = EV_SINK_FILE;
    o.path = path;
    o.key = key;
    memset(o.run_uuid, 0x42, 16);
    struct cell_error e;
    struct ev_started_info info = { .backend = "native" };
    if (ev_open(&x->s, &o, &e) < 0 || ev_started(x->s, &x->p, &info, &e) < 0)
        die("open", e.msg);
    x->r = (struct cell_step_record){ CELL_STEP_MAGIC, CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0, 0, 0,
                                      1000000000 };
}

/* The set-up steps that each become one event (mount ops would go out 64
 * to a section event; exec and exit wake the signer at once). */
static const uint16_t steps[] = { CELL_STEP_NAMESPACES,    CELL_STEP_UID_MAP,  CELL_STEP_CGROUP,
                                  CELL_STEP_MOUNT_PRIVATE, CELL_STEP_HOSTNAME, CELL_STEP_LOOPBACK,
                                  CELL_STEP_INIT,          CELL_STEP_RLIMITS,  CELL_STEP_FDS,
                                  CELL_STEP_ENV,           CELL_STEP_SECRETS,  CELL_STEP_CAPS,
                                  CELL_STEP_NO_NEW_PRIVS,  CELL_STEP_LANDLOCK, CELL_STEP_GUEST_MOUNTS };

static void run_step(struct run *x, bool queued)
{
    struct cell_error e;
    x->r.mono_ns += 1000 + x->i % 1000;
    x->r.step = steps[x->i % (sizeof steps / sizeof steps[0])];
    x->r.detail = x->i % 7;
    x->i++;
    if ((queued ? ev_step_queue(x->s, &x->p, &x->r, &e) : ev_step(x->s, &x->p, &x->r, &e)) < 0)
        die("step", e.msg);
}

static void run_close(struct run *x)
{
    struct cell_error e;
    if (ev_seal(x->s, &e) < 0) /* waits for the queue */
        die("seal", e.msg);
    ev_close(x->s);
}

/* One round of a stream mode: events per CPU-second (and the wall rate). */
static double stream_round(enum mode m, const char *path, const struct ev_key *key, double secs,
                           double *wrate)
{
    unlink(path);
    struct run x;
    run_open(&x, path, m == M_UNSIGNED ? NULL : key);
    double n = 0, t0 = cpu(), w0 = wall(), t;
    do {
        for (int i = 0; i < 256; i++)
            run_step(&x, m == M_QUEUED);
        n += 256;
        t = cpu();
    } while (t - t0 < secs);
    struct cell_error e;
    if (ev_sync(x.s, &e) < 0)
        die("sync", e.msg);
    t = cpu();
    *wrate = n / (wall() - w0);
    run_close(&x);
    return n / (t - t0);
}

/* The PAEs of the events of a signed stream of the same records. */
static struct jcs_buf *corpus_of(const char *path, const struct ev_key *key)
{
    unlink(path);
    struct run x;
    run_open(&x, path, key);
    for (int i = 0; i < CORPUS; i++)
        run_step(&x, false);
    run_close(&x);
    int fd = open(path, O_RDONLY);
    off_t len = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    char *buf = len > 0 ? malloc((size_t)len + 1) : NULL;
    if (!buf || pread(fd, buf, (size_t)len, 0) != len)
        die("corpus", "cannot read the stream back");
    close(fd);
    buf[len] = 0;
    struct jcs_buf *paes = calloc(CORPUS, sizeof *paes);
    char *line = buf;
    for (int i = 0; i < CORPUS + 2; i++) { /* started, the steps, the seal */
        char *nl = strchr(line, '\n');
        char *sig = strstr(line, ",\"sig\":\"");
        if (!nl || !sig || sig > nl)
            die("corpus", "a line without sig");
        if (i >= 1 && i <= CORPUS) {
            struct jcs_buf body = { 0 };
            jcs_buf_append(&body, line, (size_t)(sig - line));
            jcs_buf_append(&body, sig + 8 + 88 + 1, (size_t)(nl - (sig + 8 + 88 + 1)));
            if (dsse_pae(CELL_EV_PAYLOAD_TYPE, body.p, body.len, &paes[i - 1]) < 0)
                die("corpus", "out of memory");
            jcs_buf_free(&body);
        }
        line = nl + 1;
    }
    free(buf);
    unlink(path);
    return paes;
}

static double sodium_round(const struct jcs_buf *paes, const uint8_t sk[64], double secs, double *wrate)
{
    uint8_t sig[64];
    double n = 0, t0 = cpu(), w0 = wall(), t;
    size_t k = 0;
    do {
        for (int i = 0; i < 64; i++, k = (k + 1) % CORPUS)
            crypto_sign_detached(sig, NULL, (const unsigned char *)paes[k].p, paes[k].len, sk);
        n += 64;
        t = cpu();
    } while (t - t0 < secs);
    *wrate = n / (wall() - w0);
    return n / (t - t0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stat3 {
    double med, lo, hi, wall;
};

static struct stat3 summarise(double r[ROUNDS], double w[ROUNDS])
{
    double s[ROUNDS], ws[ROUNDS];
    memcpy(s, r, sizeof s);
    memcpy(ws, w, sizeof ws);
    qsort(s, ROUNDS, sizeof *s, cmp);
    qsort(ws, ROUNDS, sizeof *ws, cmp);
    return (struct stat3){ s[ROUNDS / 2], s[0], s[ROUNDS - 1], ws[ROUNDS / 2] };
}

static void report(const char *what, struct stat3 st, double base)
{
    printf("  %-46s %8.0f /s per core (%.0f-%.0f) %6.2f us CPU each  wall %7.0f /s", what, st.med, st.lo,
           st.hi, 1e6 / st.med, st.wall);
    if (base > 0)
        printf("  %.3fx", st.med / base);
    printf("\n");
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    if (secs <= 0)
        secs = 2.0;
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpu_no = sched_getcpu() >= 0 ? sched_getcpu() : 0;
    CPU_SET(cpu_no, &set);
    int pinned = sched_setaffinity(0, sizeof set, &set) == 0;
    if (sodium_init() < 0)
        return 1;
    struct ev_key key;
    struct cell_error e;
    uint8_t seed[32] = { 1 };
    ev_key_from_seed(seed, &key, &e);
    uint8_t pk[32], sk[64];
    crypto_sign_seed_keypair(pk, sk, seed);
    char dir[] = "/tmp/cellos-events-bench.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[256];
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    struct jcs_buf *paes = corpus_of(path, &key);
    size_t bytes = 0;
    for (int i = 0; i < CORPUS; i++)
        bytes += paes[i].len;
    printf("events_bench: %s CPU %d, %d interleaved rounds of %.2f CPU-seconds each; a set-up step event's "
           "PAE is %zu bytes "
           "on average\n",
           pinned ? "the process (both threads) pinned to" : "NOT pinned; on", cpu_no, ROUNDS, secs / ROUNDS,
           bytes / CORPUS);

    double r[4][ROUNDS], w[4][ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
        r[0][k] = sodium_round(paes, sk, secs / ROUNDS, &w[0][k]);
        r[1][k] = stream_round(M_QUEUED, path, &key, secs / ROUNDS, &w[1][k]);
        r[2][k] = stream_round(M_SYNC, path, &key, secs / ROUNDS, &w[2][k]);
        r[3][k] = stream_round(M_UNSIGNED, path, &key, secs / ROUNDS, &w[3][k]);
    }
    struct stat3 so = summarise(r[0], w[0]), q = summarise(r[1], w[1]), sy = summarise(r[2], w[2]),
                 un = summarise(r[3], w[3]);
    report("libsodium alone: Ed25519 over the same PAEs", so, 0);
    report("signed events -> file, signer thread (cellrun)", q, so.med);
    report("signed events -> file, ev_step (1 write each)", sy, so.med);
    report("unsigned events -> file, ev_step", un, 0);
    printf("  signed events/s over libsodium's signatures/s on the same bytes: %.3f (goal >= 0.90; rounds "
           "%.3f-%.3f)\n",
           q.med / so.med, q.lo / so.hi, q.hi / so.lo);

    /* Verification of a signed stream. */
    unlink(path);
    struct run x;
    run_open(&x, path, &key);
    for (int i = 0; i < 20000; i++)
        run_step(&x, true);
    run_close(&x);
    int fd = open(path, O_RDONLY);
    off_t len = lseek(fd, 0, SEEK_END);
    char *buf = malloc((size_t)len);
    if (pread(fd, buf, (size_t)len, 0) != len)
        return 1;
    close(fd);
    char *text = ev_trust_text_for(key.pk);
    struct ev_trust *tr;
    ev_trust_parse(text, strlen(text), "bench", &tr, &e);
    free(text);
    struct ev_verify_opts vo = { .trust = tr };
    struct ev_verify_result vr;
    double t0 = cpu(), w0 = wall();
    int rc = ev_verify_buffer(buf, (size_t)len, &vo, &vr);
    double t = cpu(), w1 = wall();
    if (rc != EV_VERIFY_OK)
        die("verify", vr.why);
    struct stat3 v = { (double)vr.lines / (t - t0), 0, 0, (double)vr.lines / (w1 - w0) };
    printf("  %-46s %8.0f /s per core %17s %6.2f us CPU each  wall %7.0f /s\n",
           "verify (parse, canonical check, Ed25519, chain)", v.med, "", 1e6 / v.med, v.wall);
    printf("  event line size: %.0f bytes on average\n", (double)len / (double)vr.lines);
    ev_verify_result_free(&vr);
    ev_trust_free(tr);
    free(buf);
    for (int i = 0; i < CORPUS; i++)
        jcs_buf_free(&paes[i]);
    free(paes);
    unlink(path);
    rmdir(dir);
    sodium_memzero(sk, sizeof sk);
    ev_key_wipe(&key);
    return 0;
}
