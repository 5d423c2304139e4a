/* events_stream.c - the events.h API: a full signed stream verifies; calls
 * out of order, bad step records, bad names and values are refused; a failed
 * sink kills the stream; the plan's required kid is enforced; unsigned
 * streams carry no signature; and the signing key is absent from a child
 * forked after ev_open (MADV_WIPEONFORK). */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event_types.h"
#include "events_fixture.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "runtime/events/verify.h"

static char dir[] = "/tmp/cellos-events-unit.XXXXXX";
static char path[256];
static struct plan_mount_op ops[] = {
    { .opcode = CP_OP_ROOTFS, .src = "", .dst = "" },
    { .opcode = CP_OP_BIND, .src = "/usr", .dst = "/usr", .line = 3 },
    { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
};

static struct plan test_plan(void)
{
    struct plan p = events_test_plan("unit-cell", "unit.cell", ops, sizeof ops / sizeof ops[0]);
    for (int i = 0; i < 32; i++)
        p.digest[i] = (uint8_t)i;
    return p;
}

static struct ev_key test_key(int n)
{
    uint8_t seed[32];
    struct ev_key k;
    struct cell_error e;
    char label[40];
    /* A random-looking seed: the fork test searches memory for it. */
    snprintf(label, sizeof label, "events unit key %d", n);
    crypto_hash_sha256(seed, (const unsigned char *)label, strlen(label));
    ev_key_from_seed(seed, &k, &e);
    sodium_memzero(seed, sizeof seed);
    return k;
}

static struct cell_step_record rec(uint16_t step, uint16_t result, uint32_t op, int32_t err)
{
    struct cell_step_record r = { CELL_STEP_MAGIC, step, result, op, err, 0, 0, 123456789 };
    return r;
}

/* Verify the file at `file` against the public key of k (NULL: unsigned). */
static int verify_file(const char *file, const struct ev_key *k, struct ev_verify_result *r)
{
    int fd = open(file, O_RDONLY);
    static char buf[1 << 22];
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        close(fd);
    struct ev_verify_opts o = { .allow_unsigned = k == NULL };
    struct ev_trust *t = NULL;
    struct cell_error e;
    if (k) {
        char *text = ev_trust_text_for(k->pk);
        ev_trust_parse(text, strlen(text), "unit", &t, &e);
        free(text);
        o.trust = t;
    }
    int rc = ev_verify_buffer(buf, n > 0 ? (size_t)n : 0, &o, r);
    ev_trust_free(t);
    return rc;
}

static void fixed_clock(void *ctx, struct timespec *now)
{
    *now = *(const struct timespec *)ctx;
}

static char *slurp(const char *file)
{
    static char buf[1 << 20];
    int fd = open(file, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

/* Search every readable mapping of this process for `needle`. */
static int memory_holds(const uint8_t *needle, size_t len)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    int mem = open("/proc/self/mem", O_RDONLY);
    int found = 0;
    char line[512];
    static uint8_t chunk[1 << 20];
    while (maps && mem >= 0 && fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r')
            continue;
        if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]") || hi - lo > (256ul << 20))
            continue;
        for (unsigned long a = lo; a < hi; a += sizeof chunk - len) {
            size_t want = hi - a < sizeof chunk ? hi - a : sizeof chunk;
            ssize_t got = pread(mem, chunk, want, (off_t)a);
            if (got <= 0)
                break;
            for (uint8_t *h = chunk; (h = memmem(h, (size_t)got - (size_t)(h - chunk), needle, len)); h++) {
                unsigned long at = a + (unsigned long)(h - chunk);
                /* Not the needle itself, nor this scanner's own buffer. */
                if (at != (unsigned long)needle &&
                    !(at >= (unsigned long)chunk && at < (unsigned long)chunk + sizeof chunk))
                {
                    found++;
                    if (getenv("EVENTS_UNIT_DEBUG"))
                        diag("seed copy at %#lx in %s", at, line);
                }
                if ((size_t)(h - chunk) + len >= (size_t)got)
                    break;
            }
            if ((size_t)got < want || a + (size_t)got >= hi)
                break;
        }
    }
    if (maps)
        fclose(maps);
    if (mem >= 0)
        close(mem);
    return found;
}

int main(void)
{
    if (!mkdtemp(dir))
        skip_all("cannot create a temporary directory");
    signal(SIGPIPE, SIG_IGN);
    struct plan p = test_plan();
    struct ev_key key = test_key(7);
    struct cell_error e = { 0 };
    struct ev_stream *s;
    struct ev_verify_result vr;

    /* ---- a complete signed stream */
    snprintf(path, sizeof path, "%s/full.jsonl", dir);
    struct ev_options o = events_file_opts(&key, path);
    ok(ev_open(&s, &o, &e) == 0, "open a file sink");
    struct stat st;
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "events file created 0600");
    struct cell_step_record r = rec(CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0);
    ok(ev_step(s, &p, &r, &e) < 0 && strstr(e.msg, "before the started event"), "a step before started is refused: %s", e.msg);
    struct ev_started_info info = { .backend = "native" };
    ok(ev_started(s, &p, &info, &e) == 0, "started");
    ok(ev_started(s, &p, &info, &e) < 0 && strstr(e.msg, "started twice"), "started twice is refused");
    ok(ev_step(s, &p, &r, &e) == 0, "a cell step");
    r = rec(CELL_STEP_MOUNT_OP, CELL_STEP_FAILED, 1, ENOENT);
    ok(ev_step(s, &p, &r, &e) == 0, "a failed mount op step");
    struct ev_kv kv[] = { { .key = "why", .type = EV_KV_STR, .s = "because" },
                          { .key = "n", .type = EV_KV_INT, .i = -3 },
                          { .key = "flag", .type = EV_KV_BOOL, .b = true } };
    ok(ev_supervisor_step(s, "teardown", kv, 3, &e) == 0, "a supervisor step");
    struct ev_completed_info ci = { .exited = false, .signal = SIGKILL, .wall_us = 5 };
    ok(ev_completed(s, &ci, &e) == 0, "completed by a signal");
    ok(ev_completed(s, &ci, &e) < 0 && strstr(e.msg, "completed twice"), "completed twice is refused");
    ok(ev_destroyed(s, false, true, &e) == 0, "destroyed");
    ok(ev_destroyed(s, false, true, &e) < 0, "destroyed twice is refused");
    is_int(ev_count(s), 6, "six events so far");
    ok(ev_seal(s, &e) == 0, "sealed");
    ok(ev_supervisor_step(s, "late", NULL, 0, &e) < 0 && strstr(e.msg, "after the stream was sealed"),
       "nothing after the seal");
    ok(ev_seal(s, &e) < 0, "no second seal");
    ev_close(s);
    is_int(verify_file(path, &key, &vr), EV_VERIFY_OK, "the stream verifies: %s", vr.why);
    ok(vr.n_runs == 1 && vr.runs[0].events == 7 && vr.runs[0].sealed, "one sealed run of 7 events");
    ev_verify_result_free(&vr);
    const char *text = slurp(path);
    ok(strstr(text, "\"errno\":\"ENOENT\",\"errnum\":2") != NULL, "errno name and number");
    ok(strstr(text, "\"dst\":\"/usr\",\"errno\":\"ENOENT\",\"errnum\":2,\"line\":3,\"monotonicns\":\"123456789\","
                    "\"opcode\":\"bind\",\"opindex\":1,\"origin\":\"cell\",\"result\":\"failed\",\"src\":\"/usr\"") != NULL,
       "mount op: dst, line, opcode, index and src from the plan");
    ok(strstr(text, "\"signal\":9,\"signame\":\"SIGKILL\"") != NULL, "signal number and name");
    ok(strstr(text, "\"peakmemorybytes\":null") != NULL, "unknown peak memory is null");
    ok(strstr(text, "\"outcome\":\"failed\",\"terminalState\":\"Forced\"") != NULL, "destroyed: failed, Forced");
    ok(strstr(text, "\"source\":\"urn:uuid:42424242-4242-4242-4242-424242424242\"") != NULL, "default source is the run uuid");
    ok(strstr(text, "\"subject\":\"unit-cell\"") != NULL, "default subject is the cell name");
    ok(strstr(text, "\"plandigest\":\"sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"") != NULL,
       "started names the plan digest");
    ok(strstr(text, "\"events\":7}") != NULL, "the seal counts itself");

    /* A second run appended to the same file: two runs, both verify. */
    memset(o.run_uuid, 0x43, 16);
    ok(ev_open(&s, &o, &e) == 0 && ev_started(s, &p, &info, &e) == 0 && ev_seal(s, &e) == 0, "a second run appended");
    ev_close(s);
    is_int(verify_file(path, &key, &vr), EV_VERIFY_OK, "both runs verify");
    is_int(vr.n_runs, 2, "two runs");
    ev_verify_result_free(&vr);

    /* ---- records from the cell are checked */
    snprintf(path, sizeof path, "%s/records.jsonl", dir);
    o = events_file_opts(&key, path);
    ev_open(&s, &o, &e);
    ev_started(s, &p, &info, &e);
    struct { struct cell_step_record r; const char *why, *name; } bad[] = {
        { { 0x1234, 1, 0, 0, 0, 0, 0, 0 }, "bad magic", "bad magic" },
        { rec(0, CELL_STEP_OK, 0, 0), "unknown step 0", "step 0" },
        { rec(CELL_STEP_MAX + 1, CELL_STEP_OK, 0, 0), "unknown step 21", "a step past the last" },
        { rec(CELL_STEP_ENV, 4, 0, 0), "unknown result 4", "an unknown result" },
        { rec(CELL_STEP_ENV, CELL_STEP_FAILED, 0, 0), "errno 0 does not fit result failed", "failed without errno" },
        { rec(CELL_STEP_ENV, CELL_STEP_OK, 0, 5), "errno 5 does not fit result ok", "ok with an errno" },
        { rec(CELL_STEP_ENV, CELL_STEP_FAILED, 0, 5000), "errno 5000", "an errno out of range" },
        { rec(CELL_STEP_MOUNT_OP, CELL_STEP_OK, 3, 0), "op index 3 is not below the plan's 3 ops", "an op index past the plan" },
        { rec(CELL_STEP_ENV, CELL_STEP_OK, 1, 0), "op index 1 set on a step that has none", "an op index on another step" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(ev_step(s, &p, &bad[i].r, &e) < 0 && strstr(e.msg, bad[i].why), "record refused: %s (%s)", bad[i].name, e.msg);
    r = rec(CELL_STEP_ENV, CELL_STEP_OK, 0, 0);
    r.pad = 1;
    ok(ev_step(s, &p, &r, &e) < 0 && strstr(e.msg, "padding"), "record refused: non-zero padding");
    r = rec(CELL_STEP_EXEC, CELL_STEP_OK, 0, 0);
    ok(ev_step(s, &p, &r, &e) == 0, "a bad record does not kill the stream");
    ok(ev_step(s, &p, NULL, &e) < 0, "a NULL record is refused");

    /* ---- names and values */
    ok(ev_supervisor_step(s, "Bad-Name", NULL, 0, &e) < 0 && strstr(e.msg, "[a-z0-9_]"), "step name with capitals and '-'");
    ok(ev_supervisor_step(s, "", NULL, 0, &e) < 0, "empty step name");
    ok(ev_supervisor_step(s, "a_very_long_step_name_that_goes_well_past_the_limit_of_48_chars", NULL, 0, &e) < 0, "49-character step name");
    struct ev_kv res[] = { { .key = "step", .type = EV_KV_STR, .s = "x" } };
    ok(ev_supervisor_step(s, "x", res, 1, &e) < 0 && strstr(e.msg, "reserved"), "kv key \"step\" is reserved");
    struct ev_kv dup[] = { { .key = "a", .type = EV_KV_INT, .i = 1 }, { .key = "a", .type = EV_KV_INT, .i = 2 } };
    ok(ev_supervisor_step(s, "x", dup, 2, &e) < 0 && strstr(e.msg, "duplicate"), "duplicate kv keys: %s", e.msg);
    struct ev_kv utf[] = { { .key = "t", .type = EV_KV_STR, .s = "bad \xff byte" } };
    ok(ev_supervisor_step(s, "x", utf, 1, &e) < 0 && strstr(e.msg, "UTF-8"), "invalid UTF-8 value: %s", e.msg);
    struct ev_kv big[] = { { .key = "t", .type = EV_KV_INT, .i = 9007199254740992LL } };
    ok(ev_supervisor_step(s, "x", big, 1, &e) < 0 && strstr(e.msg, "I-JSON"), "integer above 2^53-1");
    struct ev_kv nul[] = { { .key = "t", .type = EV_KV_STR, .s = NULL } };
    ok(ev_supervisor_step(s, "x", nul, 1, &e) < 0, "NULL string value");
    struct ev_completed_info badc = { .exited = true, .exit_code = 256 };
    ok(ev_completed(s, &badc, &e) < 0 && strstr(e.msg, "0..255"), "exit code 256");
    badc = (struct ev_completed_info){ .exited = false, .signal = 0 };
    ok(ev_completed(s, &badc, &e) < 0 && strstr(e.msg, "1..64"), "signal 0");
    badc = (struct ev_completed_info){ .exited = true, .wall_us = 1ull << 60 };
    ok(ev_completed(s, &badc, &e) < 0 && strstr(e.msg, "I-JSON"), "wall time above 2^53-1");
    /* A large event still goes out as one line with one write. */
    char *huge = malloc(200001);
    memset(huge, 'x', 200000);
    huge[200000] = 0;
    struct ev_kv hv[] = { { .key = "t", .type = EV_KV_STR, .s = huge } };
    ok(ev_supervisor_step(s, "big", hv, 1, &e) == 0, "a 200 kB event");
    free(huge);
    ev_seal(s, &e);
    ev_close(s);
    is_int(verify_file(path, &key, &vr), EV_VERIFY_OK, "refused calls left no trace: the stream verifies (%s)", vr.why);
    ev_verify_result_free(&vr);

    /* ---- options */
    struct ev_options bado = events_file_opts(&key, path);
    memset(bado.run_uuid, 0, 16);
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "run_uuid"), "an unset run uuid is refused");
    bado = events_file_opts(&key, NULL);
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "without a path"), "a file sink without a path");
    bado = events_file_opts(&key, path);
    bado.sink = EV_SINK_FD;
    bado.fd = -1;
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "not open for writing"), "fd -1");
    bado.fd = open("/dev/null", O_RDONLY);
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "not open for writing"), "a read-only fd");
    close(bado.fd);
    bado = events_file_opts(&key, path);
    bado.source = "has space";
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "source"), "a source with a space");
    snprintf(path, sizeof path, "%s/nodir/x.jsonl", dir);
    bado = events_file_opts(&key, path);
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "cannot open for appending") && strstr(e.msg, path),
       "an unopenable file names it: %s", e.msg);
    struct ev_key wrong = key;
    wrong.pk[0] ^= 1;
    snprintf(path, sizeof path, "%s/w.jsonl", dir);
    bado = events_file_opts(&wrong, path);
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "does not match its seed"), "an inconsistent key is refused");
    ev_key_wipe(&wrong);

    /* ---- a seed-only key (the supervisor's): derived once by ev_open */
    struct ev_key seedonly;
    memset(&seedonly, 0, sizeof seedonly);
    memcpy(seedonly.seed, key.seed, 32);
    snprintf(path, sizeof path, "%s/seed.jsonl", dir);
    bado = events_file_opts(&seedonly, path);
    bado.key_seed_only = true;
    bado.required_kid = key.kid;
    ok(ev_open(&s, &bado, &e) == 0 && ev_started(s, &p, &info, &e) == 0 && ev_seal(s, &e) == 0,
       "a seed-only key signs a stream");
    ev_close(s);
    is_int(verify_file(path, &key, &vr), EV_VERIFY_OK, "and it verifies under the key's public half (%s)", vr.why);
    ev_verify_result_free(&vr);
    bado = events_file_opts(&seedonly, path);
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "does not match its seed"),
       "without key_seed_only the same key is inconsistent and refused");
    struct ev_key other8 = test_key(8);
    snprintf(path, sizeof path, "%s/kid.jsonl", dir);
    bado = events_file_opts(&seedonly, path);
    bado.key_seed_only = true;
    bado.required_kid = other8.kid;
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "requires events signed by key"),
       "a key other than the required kid is refused: %s", e.msg);
    ok(access(path, F_OK) < 0 && errno == ENOENT, "and the sink was never opened (no file)");
    bado = events_file_opts(&key, path);
    bado.required_kid = other8.kid;
    ok(ev_open(&s, &bado, &e) < 0 && strstr(e.msg, "requires events signed by key"),
       "required_kid applies to a full key too");
    ev_key_wipe(&other8);
    ev_key_wipe(&seedonly);

    /* ---- source and subject */
    snprintf(path, sizeof path, "%s/src.jsonl", dir);
    struct plan p2 = test_plan();
    p2.events.source = "https://ci.example.org/cells";
    p2.events.subject = "job 42";
    o = events_file_opts(&key, path);
    ev_open(&s, &o, &e);
    ok(ev_started(s, &p2, &info, &e) == 0, "started with the plan's source and subject");
    ev_close(s);
    text = slurp(path);
    ok(strstr(text, "\"source\":\"https://ci.example.org/cells\"") && strstr(text, "\"subject\":\"job 42\""),
       "the plan's source and subject are used");
    unlink(path);
    o.source = "urn:example:override";
    o.subject = "override";
    ev_open(&s, &o, &e);
    ev_started(s, &p2, &info, &e);
    ev_close(s);
    text = slurp(path);
    ok(strstr(text, "\"source\":\"urn:example:override\"") && strstr(text, "\"subject\":\"override\""),
       "options override the plan");

    /* ---- the time attribute against gmtime_r, over awkward dates */
    static const struct timespec when[] = {
        { 0, 0 }, { 951782400, 1000 }, { 951868799, 999999999 }, { 1709164800, 123456789 },
        { 4107542400, 500 }, { 4107628800, 0 }, { 253402300799, 999999000 }, { 1714564800, 999 },
    };
    int times_ok = 0;
    snprintf(path, sizeof path, "%s/time.jsonl", dir);
    for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
        unlink(path);
        o = events_file_opts(NULL, path);
        o.clock = fixed_clock;
        o.clock_ctx = (void *)&when[i];
        ev_open(&s, &o, &e);
        ev_started(s, &p, &info, &e);
        ev_close(s);
        struct tm tm;
        time_t t = when[i].tv_sec;
        gmtime_r(&t, &tm);
        char want[128], stamp[40];
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want, sizeof want, "\"time\":\"%s.%06dZ\"", stamp, (int)(when[i].tv_nsec / 1000));
        if (strstr(slurp(path), want))
            times_ok++;
        else
            diag("time for %lld.%09ld: want %s", (long long)when[i].tv_sec, when[i].tv_nsec, want);
    }
    is_int(times_ok, sizeof when / sizeof when[0], "time matches gmtime_r: epoch, leap days, 2100, 9999-12-31");
    static const struct timespec bad_when[] = { { -1, 0 }, { 253402300800, 0 }, { 5, 1000000000 } };
    for (size_t i = 0; i < sizeof bad_when / sizeof bad_when[0]; i++) {
        unlink(path);
        o = events_file_opts(NULL, path);
        o.clock = fixed_clock;
        o.clock_ctx = (void *)&bad_when[i];
        ev_open(&s, &o, &e);
        ok(ev_started(s, &p, &info, &e) < 0 && strstr(e.msg, "1970..9999"), "a clock outside 1970..9999 is an error (%lld)",
           (long long)bad_when[i].tv_sec);
        ev_close(s);
    }

    /* ---- the plan's required signing key */
    struct plan pk = test_plan();
    pk.events.flags = CP_EV_HAS_KID;
    struct ev_key other = test_key(8);
    memcpy(pk.events.signing_kid, other.kid, 32);
    ok(ev_check_plan_key(&pk, &key, &e) < 0 && strstr(e.msg, "requires events signed by key"), "ev_check_plan_key refuses another key");
    ok(ev_check_plan_key(&pk, &other, &e) == 0, "and accepts the named one");
    ok(ev_check_plan_key(&pk, NULL, &e) == 0, "an unsigned run is the caller's explicit downgrade");
    o = events_file_opts(&key, path);
    ev_open(&s, &o, &e);
    ok(ev_started(s, &pk, &info, &e) < 0 && strstr(e.msg, "requires events signed by key"), "ev_started refuses another key too");
    ev_close(s);

    /* ---- sink failures kill the stream */
    o = events_file_opts(&key, "/dev/full");
    ok(ev_open(&s, &o, &e) == 0, "open /dev/full");
    ok(ev_started(s, &p, &info, &e) < 0 && strstr(e.msg, "/dev/full") && e.err == ENOSPC,
       "a full sink fails the call: %s", e.msg);
    ok(ev_seal(s, &e) < 0 && strstr(e.msg, "failed earlier"), "and every later call");
    ev_close(s);
    int pfd[2];
    ok(pipe(pfd) == 0, "a pipe");
    close(pfd[0]);
    o = events_file_opts(&key, NULL);
    o.sink = EV_SINK_FD;
    o.fd = pfd[1];
    ev_open(&s, &o, &e);
    ok(ev_started(s, &p, &info, &e) < 0 && e.err == EPIPE, "a pipe without a reader fails with EPIPE: %s", e.msg);
    ok(ev_destroyed(s, true, false, &e) < 0 && strstr(e.msg, "failed earlier"), "the stream stays dead");
    ev_close(s);
    ok(fcntl(pfd[1], F_GETFD) >= 0, "an inherited fd is not closed by ev_close");
    close(pfd[1]);

    /* ---- unsigned */
    snprintf(path, sizeof path, "%s/unsigned.jsonl", dir);
    o = events_file_opts(NULL, path);
    ok(ev_open(&s, &o, &e) == 0 && ev_started(s, &p, &info, &e) == 0 && ev_seal(s, &e) == 0, "an unsigned stream");
    ev_close(s);
    text = slurp(path);
    ok(!strstr(text, "\"sig\"") && !strstr(text, "\"sigkid\""), "has neither sig nor sigkid");
    ok(strstr(text, "\"signing\":false") != NULL, "and says so in started");
    ok(strstr(text, "\"chainprev\":\"") != NULL, "but is still chained");
    is_int(verify_file(path, NULL, &vr), EV_VERIFY_OK, "verifies as unsigned");
    ev_verify_result_free(&vr);
    is_int(verify_file(path, &key, &vr), EV_VERIFY_BAD, "fails against a trust file");
    ev_verify_result_free(&vr);

    /* ---- the key does not survive into a forked child */
    uint8_t seed[32];
    memcpy(seed, key.seed, 32);
    snprintf(path, sizeof path, "%s/fork.jsonl", dir);
    o = events_file_opts(&key, path);
    ev_open(&s, &o, &e);
    ev_key_wipe(&key);
    ev_started(s, &p, &info, &e);
    ok(memory_holds(seed, 32) >= 1, "the supervisor holds the seed (in the stream's key page)");
    pid_t pid = fork();
    if (pid == 0)
        _exit(memory_holds(seed, 32) == 0 ? 0 : 1);
    int ws = 0;
    waitpid(pid, &ws, 0);
    ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "a child forked after ev_open holds no copy of the seed");
    ev_close(s);
    ok(memory_holds(seed, 32) == 0, "after ev_close no copy is left");
    sodium_memzero(seed, sizeof seed);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
