/*
 * events_bench.c - throughput of the event stream on one core.
 *
 *   events_bench [SECONDS]     (default 2 seconds per measurement)
 *
 * Pins itself to one CPU and measures, each for SECONDS of its own CPU time:
 *   - raw Ed25519 signatures (libsodium) over a PAE the size of a step event;
 *   - ev_step events, signed, to /dev/null and to a file (O_APPEND, one write each);
 *   - the same unsigned (everything but the signature);
 *   - ev_verify_buffer over a signed stream (what `cellrun verify` does per event).
 * Prints events per CPU-second (the rate of one core) and CPU microseconds
 * per event; the wall-clock rate beside it shows how busy the machine was.
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
#include "runtime/events/keys.h"
#include "runtime/events/verify.h"

/* Time is this thread's CPU time: events per CPU-second is the per-core
 * rate even on a machine busy with other work (wall time is shown too). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_t0;

static struct plan_mount_op ops[] = {
    { .opcode = CP_OP_ROOTFS, .src = "", .dst = "" },
    { .opcode = CP_OP_BIND, .flags = CP_MNT_RECURSIVE, .src = "/usr", .dst = "/usr", .line = 4 },
    { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
};

static void report(const char *what, double n, double secs)
{
    double w = wall() - wall_t0;
    printf("  %-48s %9.0f /s per core  %7.2f us CPU each  (wall: %.0f /s)\n", what, n / secs,
           secs * 1e6 / n, n / w);
    wall_t0 = wall();
}

/* Write step events for `secs` seconds; returns the count. */
static double run_stream(const char *path, const struct ev_key *key, double secs, double *elapsed)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "bench-cell";
    p.meta.source = "bench.cell";
    p.meta.compiler = "cellc bench";
    p.fs.ops = ops;
    p.fs.n_ops = 3;
    p.events.source = "";
    p.events.subject = "";
    struct ev_options o;
    memset(&o, 0, sizeof o);
    o.sink = EV_SINK_FILE;
    o.path = path;
    o.key = key;
    memset(o.run_uuid, 0x42, 16);
    struct cell_error e;
    struct ev_stream *s;
    struct ev_started_info info = { .backend = "native" };
    if (ev_open(&s, &o, &e) < 0 || ev_started(s, &p, &info, &e) < 0) {
        fprintf(stderr, "events_bench: %s\n", e.msg);
        exit(1);
    }
    struct cell_step_record r = { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 1, 0, 0, 0, 0 };
    double n = 0, t0 = now(), t;
    do {
        for (int i = 0; i < 256; i++) {
            r.mono_ns += 1000;
            if (ev_step(s, &p, &r, &e) < 0) {
                fprintf(stderr, "events_bench: %s\n", e.msg);
                exit(1);
            }
        }
        n += 256;
        t = now();
    } while (t - t0 < secs);
    *elapsed = t - t0;
    ev_seal(s, &e);
    ev_close(s);
    return n;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    if (secs <= 0)
        secs = 2.0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
    int pinned = sched_setaffinity(0, sizeof set, &set) == 0;
    if (sodium_init() < 0)
        return 1;
    struct ev_key key;
    struct cell_error e;
    uint8_t seed[32] = { 1 };
    ev_key_from_seed(seed, &key, &e);
    printf("events_bench: one thread%s, %.1f CPU-seconds per measurement\n", pinned ? " pinned to one core" : "", secs);
    wall_t0 = wall();

    /* Raw signatures over a PAE the size of a typical step event. */
    uint8_t sk[64], pk[32], sig[64], msg[640];
    crypto_sign_seed_keypair(pk, sk, seed);
    memset(msg, 'x', sizeof msg);
    double n = 0, t0 = now(), t;
    do {
        for (int i = 0; i < 64; i++) {
            msg[i] ^= 1;
            crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
        }
        n += 64;
        t = now();
    } while (t - t0 < secs);
    report("Ed25519 sign, 640-byte message (libsodium)", n, t - t0);

    char dir[] = "/tmp/cellos-events-bench.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[256];
    double el;
    n = run_stream("/dev/null", &key, secs, &el);
    report("signed events -> /dev/null", n, el);
    snprintf(path, sizeof path, "%s/signed.jsonl", dir);
    n = run_stream(path, &key, secs, &el);
    report("signed events -> file (O_APPEND, 1 write each)", n, el);
    n = run_stream("/dev/null", NULL, secs, &el);
    report("unsigned events -> /dev/null", n, el);

    /* Verification of the signed file just written. */
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
    struct ev_verify_result r;
    wall_t0 = wall();
    t0 = now();
    int rc = ev_verify_buffer(buf, (size_t)len, &vo, &r);
    t = now();
    if (rc != EV_VERIFY_OK) {
        fprintf(stderr, "events_bench: verify: %s\n", r.why);
        return 1;
    }
    report("verify (parse, canonical check, Ed25519, chain)", (double)r.lines, t - t0);
    printf("  event line size: %.0f bytes on average\n", (double)len / (double)r.lines);
    ev_verify_result_free(&r);
    ev_trust_free(tr);
    free(buf);
    unlink(path);
    rmdir(dir);
    ev_key_wipe(&key);
    return 0;
}
