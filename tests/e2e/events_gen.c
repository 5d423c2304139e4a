/*
 * events_gen.c - test helper for the events suite (built as a TEST_PROGRAM).
 *
 * Produces deterministic inputs with the events API alone, so the tamper,
 * golden and independent-check tests need no runtime:
 *   events_gen plan OUT [--plan-kid N] [--sign N]   the test plan (real, via plan_write)
 *   events_gen keys PREFIX [SEED]         key files from fixed test seed SEED (0..255)
 *   events_gen stream OUT [options]       a stream for the test plan, fixed clock
 *       --unsigned  --seed N  --steps N (extra supervisor steps)  --no-seal
 *       --minimal (started, one step, sealed: the worked example of docs/events.md)
 *       --source URI  --uuid-byte N  --sink file|stdout|fd
 *       --plan FILE (default: the test plan, built in memory)  --plan-kid N
 *       --key FILE (ev_key_load instead of the test seed)
 *   events_gen check-plan PLAN --trust KEYS.json   plan_read + plan_verify_trusted,
 *                                         as `cellrun --trust` does before running
 *   events_gen keygen|verify|sign ARGS... cellrun_cmd_keygen / cellrun_cmd_verify /
 *                                         cellc_cmd_sign, standing in for `cellrun` and
 *                                         `cellc` until they dispatch to them
 * The test seed N is SHA-256("cellos events test seed N"): a public, fixed
 * key that only ever signs test data.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/supervisor/cellrun_cmds.h"
#include "runtime/events/events.h"
#include "runtime/events/keys.h"
#include "compiler/plan/plan_sign.h"
#include "compiler/plan/plan_writer.h"
#include "runtime/events/sign_verify.h"

struct fixed_clock {
    long long sec, nsec;
};

static void tick(void *ctx, struct timespec *now)
{
    struct fixed_clock *c = ctx;
    now->tv_sec = (time_t)c->sec;
    now->tv_nsec = (long)c->nsec;
    c->nsec += 1234567;
    if (c->nsec >= 1000000000) {
        c->nsec -= 1000000000;
        c->sec++;
    }
}

static void test_seed(int n, uint8_t seed[32])
{
    char text[64];
    snprintf(text, sizeof text, "cellos events test seed %d", n);
    crypto_hash_sha256(seed, (const unsigned char *)text, strlen(text));
}

/* The test plan: small but valid (plan_write accepts it, plan_read decodes
 * it), with unsafe grants, packs and a mount program to report on. */
static const char *packs[] = { "std/base", "std/build" };
static struct plan_unsafe_grant unsafe[] = {
    { "rw-bind", "/work/out", "the build writes its artefacts here", 12 },
    { "syscall", "ptrace", "tests run a debugger: \"gdb\" \\ tab\there", 15 },
};
static struct plan_mount_op ops[] = {
    { .opcode = CP_OP_ROOTFS, .src = "", .dst = "", .mode = 0755, .size = 64 << 20 },
    { .opcode = CP_OP_BIND, .flags = CP_MNT_RECURSIVE, .src = "/usr", .dst = "/usr", .line = 4 },
    { .opcode = CP_OP_REMOUNT, .flags = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, .src = "", .dst = "/usr", .line = 4 },
    { .opcode = CP_OP_BIND, .flags = CP_MNT_OPTIONAL, .src = "/opt/tools", .dst = "/opt/tools", .line = 5 },
    { .opcode = CP_OP_WORKSPACE, .src = "", .dst = "/work", .mode = 0700, .size = 1 << 30, .line = 6 },
    { .opcode = CP_OP_PROC, .src = "", .dst = "/proc", .line = 7 },
    { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
    { .opcode = CP_OP_CHDIR, .src = "", .dst = "/work", .line = 8 },
};
static const char *argv0[] = { "/usr/bin/make", "test" };

/* Write the test plan's bytes (malloc'd) ; plan_kid >= 0 names test key
 * plan_kid as the plan's required signing key. */
static int test_plan_bytes(int plan_kid, uint8_t **out, size_t *len)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "hello-build";
    p.meta.source = "hello.cell";
    p.meta.compiler = "cellc 1.0";
    p.meta.hostname = "";
    p.meta.packs = packs;
    p.meta.n_packs = 2;
    p.meta.unsafe = unsafe;
    p.meta.n_unsafe = 2;
    p.process.argv = argv0;
    p.process.argc = 2;
    p.process.cwd = "/work";
    p.process.umask = 022;
    p.fs.ops = ops;
    p.fs.n_ops = sizeof ops / sizeof ops[0];
    p.seccomp.default_action = 0x7fff0000u;    /* ALLOW: the stream test needs no filter */
    p.events.source = "";
    p.events.subject = "";
    if (plan_kid >= 0) {
        uint8_t seed[32];
        struct ev_key k;
        struct cell_error e;
        test_seed(plan_kid, seed);
        ev_key_from_seed(seed, &k, &e);
        p.events.flags = CP_EV_HAS_KID;
        memcpy(p.events.signing_kid, k.kid, 32);
    }
    char err[256];
    if (plan_write(&p, out, len, err, sizeof err) < 0) {
        fprintf(stderr, "events_gen: plan_write: %s\n", err);
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "events_gen: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static int cmd_stream(int argc, char **argv)
{
    const char *out = NULL, *source = NULL, *sink = "file", *plan_file = NULL, *key_file = NULL;
    int seedn = 1, steps = 0, uuid_byte = 0x5a, plan_kid = -1;
    bool unsigned_run = false, seal = true, minimal = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--unsigned") == 0) unsigned_run = true;
        else if (strcmp(argv[i], "--no-seal") == 0) seal = false;
        else if (strcmp(argv[i], "--minimal") == 0) minimal = true;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seedn = atoi(argv[++i]);
        else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) steps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) source = argv[++i];
        else if (strcmp(argv[i], "--uuid-byte") == 0 && i + 1 < argc) uuid_byte = atoi(argv[++i]);
        else if (strcmp(argv[i], "--sink") == 0 && i + 1 < argc) sink = argv[++i];
        else if (strcmp(argv[i], "--plan-kid") == 0 && i + 1 < argc) plan_kid = atoi(argv[++i]);
        else if (strcmp(argv[i], "--plan") == 0 && i + 1 < argc) plan_file = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) key_file = argv[++i];
        else if (!out) out = argv[i];
        else {
            fprintf(stderr, "events_gen stream: bad argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "events_gen stream: no output\n");
        return 2;
    }
    struct cell_error e = { 0 };
    uint8_t seed[32];
    struct ev_key key;
    test_seed(seedn, seed);
    if (key_file ? ev_key_load(key_file, &key, &e) < 0 : ev_key_from_seed(seed, &key, &e) < 0) {
        fprintf(stderr, "events_gen: %s\n", e.msg);
        return 1;
    }

    struct plan *pp;
    struct plan_error pe;
    if (plan_file) {
        if (plan_read_file(plan_file, &pp, &pe) < 0) {
            char msg[400];
            plan_error_format(&pe, plan_file, msg, sizeof msg);
            fprintf(stderr, "events_gen: %s\n", msg);
            return 1;
        }
    } else {
        uint8_t *planbytes;
        size_t planlen;
        if (test_plan_bytes(plan_kid, &planbytes, &planlen) < 0)
            return 1;
        int prc = plan_read(planbytes, planlen, &pp, &pe);
        free(planbytes);
        if (prc < 0) {
            char msg[400];
            plan_error_format(&pe, "test plan", msg, sizeof msg);
            fprintf(stderr, "events_gen: %s\n", msg);
            return 1;
        }
    }
    struct plan p = *pp;

    struct fixed_clock clk = { 1714564800, 0 };     /* 2024-05-01T12:00:00Z */
    struct utsname host = { 0 };
    strcpy(host.sysname, "Linux");
    strcpy(host.release, "6.1.0-test-amd64");
    strcpy(host.version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0-test");
    strcpy(host.machine, "x86_64");
    struct ev_options o = { .key = unsigned_run ? NULL : &key, .source = source,
                            .clock = tick, .clock_ctx = &clk, .host = &host };
    memset(o.run_uuid, uuid_byte, 16);
    o.run_uuid[6] = 0x40 | (o.run_uuid[6] & 0x0F);
    o.run_uuid[8] = 0x80 | (o.run_uuid[8] & 0x3F);
    if (strcmp(sink, "stdout") == 0 || strcmp(out, "-") == 0) {
        o.sink = EV_SINK_STDOUT;
    } else if (strcmp(sink, "fd") == 0) {
        o.sink = EV_SINK_FD;
        o.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o.fd < 0) {
            fprintf(stderr, "events_gen: %s: %s\n", out, strerror(errno));
            return 1;
        }
    } else {
        o.sink = EV_SINK_FILE;
        o.path = out;
    }

    struct ev_stream *s;
    if (ev_open(&s, &o, &e) < 0) {
        fprintf(stderr, "events_gen: %s\n", e.msg);
        return 1;
    }
    ev_key_wipe(&key);
    struct ev_kv extra[] = {
        { .key = "cgroup", .type = EV_KV_STR, .s = "v1" },
        { .key = "rootless", .type = EV_KV_BOOL, .b = false },
        { .key = "seccomp_insns", .type = EV_KV_INT, .i = 187 },
    };
    struct ev_started_info info = { .backend = "native", .extra = extra, .n_extra = 3 };
    struct ev_kv verified[] = {
        { .key = "signed", .type = EV_KV_BOOL, .b = true },
        { .key = "kid", .type = EV_KV_STR, .s = "0000000000000000000000000000000000000000000000000000000000000000" },
    };
    struct ev_kv note[] = {
        { .key = "text", .type = EV_KV_STR,
          .s = "escapes: \" \\ / \b \f \n \r \t \x01 \x1f \x7f; UTF-8: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf" },
        { .key = "negative", .type = EV_KV_INT, .i = -9007199254740991LL },
        { .key = "max", .type = EV_KV_INT, .i = 9007199254740991LL },
    };
    struct cell_step_record recs[] = {
        { CELL_STEP_MAGIC, CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0, 0x7e020000, 0, 100000001 },
        { CELL_STEP_MAGIC, CELL_STEP_CGROUP, CELL_STEP_DEGRADED, 0, 0, 3, 0, 100000002 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_PRIVATE, CELL_STEP_OK, 0, 0, 0, 0, 100000003 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 0, 0, 0, 0, 100000004 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 1, 0, 0, 0, 100000005 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 2, 0, 0, 0, 100000006 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_SKIPPED, 3, 0, 0, 0, 100000007 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 4, 0, 0, 0, 100000008 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 5, 0, 0, 0, 100000009 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 6, 0, 0, 0, 100000010 },
        { CELL_STEP_MAGIC, CELL_STEP_MOUNT_OP, CELL_STEP_OK, 7, 0, 0, 0, 100000011 },
        { CELL_STEP_MAGIC, CELL_STEP_HOSTNAME, CELL_STEP_OK, 0, 0, 0, 0, 100000012 },
        { CELL_STEP_MAGIC, CELL_STEP_LOOPBACK, CELL_STEP_SKIPPED, 0, 0, 0, 0, 100000013 },
        { CELL_STEP_MAGIC, CELL_STEP_RLIMITS, CELL_STEP_OK, 0, 0, 2, 0, 100000014 },
        { CELL_STEP_MAGIC, CELL_STEP_FDS, CELL_STEP_OK, 0, 0, 0, 0, 100000015 },
        { CELL_STEP_MAGIC, CELL_STEP_ENV, CELL_STEP_OK, 0, 0, 4, 0, 100000016 },
        { CELL_STEP_MAGIC, CELL_STEP_CAPS, CELL_STEP_OK, 0, 0, 0, 0, 100000017 },
        { CELL_STEP_MAGIC, CELL_STEP_NO_NEW_PRIVS, CELL_STEP_OK, 0, 0, 0, 0, 100000018 },
        { CELL_STEP_MAGIC, CELL_STEP_SECCOMP, CELL_STEP_OK, 0, 0, 187, 0, 100000019 },
        { CELL_STEP_MAGIC, CELL_STEP_EXEC, CELL_STEP_FAILED, 0, ENOENT, 0, 0, 18446744073709551615ULL },
    };
    int rc = 0;
    if (minimal) {
        struct plan_unsafe_grant none[1];
        p.meta.n_unsafe = 0;
        p.meta.unsafe = none;
        p.meta.n_packs = 0;
        info.n_extra = 0;
        struct cell_step_record r = { CELL_STEP_MAGIC, CELL_STEP_EXEC, CELL_STEP_OK, 0, 0, 0, 0, 5000000 };
        if (ev_started(s, &p, &info, &e) < 0 || ev_step(s, &p, &r, &e) < 0 || ev_seal(s, &e) < 0) {
            fprintf(stderr, "events_gen: %s\n", e.msg);
            rc = 1;
        }
        ev_close(s);
        plan_free(pp);
        return rc;
    }
    if (ev_started(s, &p, &info, &e) < 0 ||
        ev_supervisor_step(s, "plan_verified", verified, 2, &e) < 0 ||
        ev_supervisor_step(s, "note", note, 3, &e) < 0)
        rc = 1;
    for (size_t i = 0; !rc && i < sizeof recs / sizeof recs[0]; i++)
        if (ev_step(s, &p, &recs[i], &e) < 0)
            rc = 1;
    for (int i = 0; !rc && i < steps; i++) {
        struct ev_kv kv[] = { { .key = "index", .type = EV_KV_INT, .i = i },
                              { .key = "what", .type = EV_KV_STR, .s = "benchmark filler step" } };
        if (ev_supervisor_step(s, "filler", kv, 2, &e) < 0)
            rc = 1;
    }
    struct ev_completed_info done = { .exited = true, .exit_code = 127, .wall_us = 41234,
                                      .cpu_user_us = 1200, .cpu_sys_us = 3400,
                                      .peak_memory_bytes = 3 << 20 };
    struct ev_kv teardown[] = { { .key = "cgroup_removed", .type = EV_KV_BOOL, .b = true } };
    if (!rc && (ev_completed(s, &done, &e) < 0 ||
                ev_supervisor_step(s, "teardown", teardown, 1, &e) < 0 ||
                ev_destroyed(s, false, false, &e) < 0))
        rc = 1;
    if (!rc && seal && ev_seal(s, &e) < 0)
        rc = 1;
    if (rc)
        fprintf(stderr, "events_gen: %s\n", e.msg);
    ev_close(s);
    plan_free(pp);
    if (o.sink == EV_SINK_FD)
        close(o.fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: events_gen plan|keys|stream|keygen|verify ...\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    if (strcmp(argv[1], "keygen") == 0)
        return cellrun_cmd_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return cellrun_cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "sign") == 0)
        return cellc_cmd_sign(argc - 1, argv + 1);
    if (strcmp(argv[1], "plan") == 0 && argc >= 3) {
        int kid = -1, sign = -1;
        for (int i = 3; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--plan-kid") == 0) kid = atoi(argv[i + 1]);
            else if (strcmp(argv[i], "--sign") == 0) sign = atoi(argv[i + 1]);
        }
        uint8_t *b;
        size_t n;
        if (test_plan_bytes(kid, &b, &n) < 0)
            return 1;
        if (sign >= 0) {
            uint8_t seed[32];
            struct ev_key k;
            struct cell_error e = { 0 };
            test_seed(sign, seed);
            if (ev_key_from_seed(seed, &k, &e) < 0 || plan_sign_bytes(&b, &n, &k, &e) < 0) {
                fprintf(stderr, "events_gen: %s\n", e.msg);
                return 1;
            }
        }
        int rc = write_file(argv[2], b, n);
        free(b);
        return rc;
    }
    if (strcmp(argv[1], "keys") == 0 && (argc == 3 || argc == 4)) {
        uint8_t seed[32];
        struct ev_key key;
        struct cell_error e = { 0 };
        test_seed(argc == 4 ? atoi(argv[3]) : 1, seed);
        if (ev_key_from_seed(seed, &key, &e) < 0 || ev_key_write_files(argv[2], &key, &e) < 0) {
            fprintf(stderr, "events_gen: %s\n", e.msg);
            return 1;
        }
        char kid[65];
        ev_kid_hex(key.kid, kid);
        printf("%s\n", kid);
        return 0;
    }
    if (strcmp(argv[1], "check-plan") == 0 && argc == 5 && strcmp(argv[3], "--trust") == 0) {
        struct plan *p;
        struct plan_error pe;
        struct ev_trust *t = NULL;
        struct cell_error e = { 0 };
        if (plan_read_file(argv[2], &p, &pe) < 0) {
            char msg[400];
            plan_error_format(&pe, argv[2], msg, sizeof msg);
            fprintf(stderr, "events_gen: %s\n", msg);
            return 1;
        }
        int rc = ev_trust_load(argv[4], &t, &e) < 0 || plan_verify_trusted(p, t, &e) < 0;
        if (rc)
            fprintf(stderr, "events_gen: %s: %s\n", argv[2], e.msg);
        else
            printf("%s: signature trusted\n", argv[2]);
        ev_trust_free(t);
        plan_free(p);
        return rc;
    }
    if (strcmp(argv[1], "stream") == 0)
        return cmd_stream(argc, argv);
    fprintf(stderr, "events_gen: unknown command %s\n", argv[1]);
    return 2;
}
