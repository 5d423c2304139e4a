/* plan_reject.c - one targeted rejection per reader rule: each case corrupts
 * one field of a valid plan (recomputing the body hash unless the hash is
 * the point), and asserts the section named, the exact file offset and the
 * message. Offsets are computed from the pristine plan's own layout. */
#include "plan_fixture.h"
#include "plan_reject_lib.h"
#include <linux/filter.h>
#include <unistd.h>

static struct pbuf orig, w;

static void reset_from(const struct pbuf *src)
{
    free(w.d);
    w.n = src->n;
    w.d = malloc(src->n + 1);
    memcpy(w.d, src->d, src->n);
}

#define SEC(t) pb_sec(&orig, t)
#define FIX(t, st, f) (SEC(t) + offsetof(st, f))
#define REC(t, st, arr, rt, i) pb_rec(&orig, t, offsetof(st, arr), i, sizeof(rt))
#define RF(t, st, arr, rt, i, f) (REC(t, st, arr, rt, i) + offsetof(rt, f))
#define STR(s) ((uint32_t)pb_str(&orig, s))

/* REJECT(name, section, offset, substring, mutations...) on the rich plan */
#define REJECT(name, sec, off, sub, ...) do { \
        reset_from(&orig); size_t at_ = (off); __VA_ARGS__; pb_rehash(&w); \
        pb_expect(&w, name, sec, at_, sub); } while (0)
/* Same without recomputing the hash */
#define REJECT_RAW(name, sec, off, sub, ...) do { \
        reset_from(&orig); size_t at_ = (off); __VA_ARGS__; \
        pb_expect(&w, name, sec, at_, sub); } while (0)

/* shorthands for the rich plan's records */
#define OP(i, f) RF(CP_SEC_FILESYSTEM, struct cp_filesystem, ops, struct cp_mount_op, i, f)
#define ENV(i, f) RF(CP_SEC_PROCESS, struct cp_process, env, struct cp_env, i, f)
#define RLIM(i, f) RF(CP_SEC_PROCESS, struct cp_process, rlimits, struct cp_rlimit, i, f)
#define EGR(i, f) RF(CP_SEC_NETWORK, struct cp_network, egress, struct cp_egress, i, f)
#define COND(i, f) RF(CP_SEC_SECCOMP, struct cp_seccomp, conds, struct cp_sc_cond, i, f)
#define RULE(i, f) RF(CP_SEC_SECCOMP, struct cp_seccomp, rules, struct cp_sc_rule, i, f)
#define PROG(i, f) RF(CP_SEC_SECCOMP, struct cp_seccomp, programs, struct cp_sc_program, i, f)
#define VAL(i) REC(CP_SEC_SECCOMP, struct cp_seccomp, values, uint64_t, i)
#define SECRET(i, f) RF(CP_SEC_SECRETS, struct cp_secrets, items, struct cp_secret, i, f)
#define UNSAFE(i, f) RF(CP_SEC_META, struct cp_meta, unsafe, struct cp_unsafe_grant, i, f)
/* instruction i of program 0 (x86_64) */
#define INSN(i) (SEC(CP_SEC_SECCOMP) + pb_r32(&orig, PROG(0, insn_offset)) + 8 * (i))
#define SET_INSN(i, c, t, f, kk) do { size_t o_ = INSN(i); pb_w16(&w, o_, c); pb_w8(&w, o_ + 2, t); \
        pb_w8(&w, o_ + 3, f); pb_w32(&w, o_ + 4, kk); } while (0)

static void header_cases(void)
{
    const uint32_t H = 0;
    REJECT_RAW("bad magic", H, 0, "bad magic", w.d[3] = 'X');
    REJECT("major version 2", H, 8, "reads only 1.x", pb_w16(&w, 8, 2));
    REJECT("minor version newer", H, 10, "newer than this reader", pb_w16(&w, 10, CP_VERSION_MINOR + 1));
    REJECT("minor version 1.1 without a 1.1 feature", H, 10, "uses no 1.1 feature", pb_w16(&w, 10, 1));
    REJECT("header flags", H, 12, "header flags 0x4", pb_w32(&w, 12, 4));
    REJECT("header size", H, 16, "header_size 72", pb_w32(&w, 16, 72));
    REJECT("zero sections", H, 20, "section_count 0", pb_w32(&w, 20, 0));
    REJECT("fourteen sections", H, 20, "section_count 14", pb_w32(&w, 20, 14));
    REJECT("body_length too small", H, 24, "does not match the file size", pb_w64(&w, 24, pb_r64(&w, 24) - 1));
    REJECT("body_length huge", H, 24, "does not match the file size", pb_w64(&w, 24, UINT64_MAX));
    REJECT_RAW("body hash", H, 32, "SHA-256 does not match", w.d[w.n - 1] ^= 1);

    /* trailing bytes that make neither an unsigned nor a signed plan */
    reset_from(&orig);
    w.d = realloc(w.d, w.n + 104);
    memset(w.d + w.n, 0, 104);
    w.n += 5;
    pb_expect(&w, "5 stray bytes after the body", H, 24, "does not match the file size");
    w.n += 99;
    pb_expect(&w, "trailer with a bad magic", H, orig.n, "signature trailer has a bad magic");

    /* size bounds */
    for (size_t n = 0; n < 64; n += 21) {
        struct pbuf t = { orig.d, n };
        char name[64];
        snprintf(name, sizeof name, "%zu-byte file", n);
        pb_expect(&t, name, H, n, "shorter than the 64-byte header");
    }
    struct pbuf big = { calloc(1, CP_MAX_PLAN_SIZE + 1), CP_MAX_PLAN_SIZE + 1 };
    memcpy(big.d, orig.d, orig.n);
    pb_expect(&big, "file over 64 MiB", H, CP_MAX_PLAN_SIZE, "larger than the 64 MiB limit");
    free(big.d);

    /* a directory larger than the body */
    reset_from(&orig);
    w.n = 64 + 16;
    pb_w64(&w, 24, 16);
    pb_rehash(&w);
    pb_expect(&w, "directory does not fit the body", H, 20, "does not fit in a 16-byte body");
}

static void directory_cases(void)
{
    const uint32_t H = 0;
    size_t last = 64 + 16 * 10;       /* rich plan: 11 entries, secrets last */
    REJECT("unknown section type", H, last, "unknown section type 14", pb_w32(&w, last, 14));
    REJECT("section type 0", H, last, "unknown section type 0", pb_w32(&w, last, 0));
    REJECT("types not ascending", H, 64 + 32, "is not after type 2", pb_w32(&w, 64 + 32, 2));
    REJECT("entry flags", H, 64 + 36, "flags 0x1", pb_w32(&w, 64 + 36, 1));
    REJECT("section offset unaligned", H, 64 + 40, "not a multiple of 8",
           pb_w32(&w, 64 + 40, pb_r32(&w, 64 + 40) + 4));
    REJECT("section inside the directory", H, 64 + 8, "inside the directory", pb_w32(&w, 64 + 8, 8));
    REJECT("sections overlap", H, 64 + 40, "overlaps the previous section",
           pb_w32(&w, 64 + 40, pb_r32(&w, 64 + 24)));
    REJECT("section past the body", H, last + 12, "run past the end", pb_w32(&w, last + 12, 1u << 20));
    REJECT("section length overflow", H, last + 12, "run past the end", pb_w32(&w, last + 12, UINT32_MAX));
    REJECT("meta shorter than its fixed part", CP_SEC_META, pb_dir(&orig, CP_SEC_META) + 12,
           "shorter than its 40-byte fixed part", pb_w32(&w, pb_dir(&orig, CP_SEC_META) + 12, 39));

    /* the minimal plan's 38-byte string table is followed by 2 padding bytes */
    {
        struct plan min = fixture_min_plan();
        struct pbuf m = pb_from_plan(&min);
        size_t end = pb_sec(&m, CP_SEC_STRTAB) + pb_seclen(&m, CP_SEC_STRTAB);
        ok(end == 230 && pb_sec(&m, CP_SEC_META) == 232, "padding between strtab and meta");
        m.d[231] = 7;
        pb_rehash(&m);
        pb_expect(&m, "nonzero padding between sections", H, 231, "padding byte before section meta is 0x07");
        free(m.d);
    }

    /* trailing zero bytes after the last section are accepted; nonzero not */
    reset_from(&orig);
    w.d = realloc(w.d, w.n + 8);
    memset(w.d + w.n, 0, 8);
    w.n += 8;
    pb_w64(&w, 24, pb_r64(&w, 24) + 8);
    pb_rehash(&w);
    struct plan *p = NULL;
    struct plan_error e;
    ok(plan_read(w.d, w.n, &p, &e) == 0, "zero bytes after the last section are padding");
    plan_free(p);
    w.d[w.n - 3] = 1;
    pb_rehash(&w);
    pb_expect(&w, "nonzero byte after the last section", H, w.n - 3, "after the last section");

    /* a missing required section: the minimal plan's events entry retyped secrets */
    struct plan min = fixture_min_plan();
    struct pbuf m = pb_from_plan(&min);
    pb_w32(&m, 64 + 16 * 7, CP_SEC_SECRETS);
    pb_rehash(&m);
    pb_expect(&m, "missing required section", CP_SEC_EVENTS, 64, "required section events is missing");
    free(m.d);
}

static void strtab_cases(void)
{
    size_t s = SEC(CP_SEC_STRTAB), n = pb_seclen(&orig, CP_SEC_STRTAB);
    REJECT("strtab byte 0 not NUL", CP_SEC_STRTAB, s, "does not start with a NUL", w.d[s] = 'x');
    REJECT("strtab not NUL-terminated", CP_SEC_STRTAB, s + n - 1, "does not end with a NUL", w.d[s + n - 1] = 'x');
    REJECT("string ref past the table", CP_SEC_META, FIX(CP_SEC_META, struct cp_meta, name),
           "outside the", pb_w32(&w, at_, (uint32_t)n));
    REJECT("string ref into a string", CP_SEC_META, FIX(CP_SEC_META, struct cp_meta, name),
           "points into the middle of a string", pb_w32(&w, at_, STR("ci-job") + 1));
    REJECT("string ref 0xffffffff", CP_SEC_META, FIX(CP_SEC_META, struct cp_meta, compiler),
           "string offset 4294967295 is outside", pb_w32(&w, at_, UINT32_MAX));
}

static void array_cases(void)
{
    const uint32_t M = CP_SEC_META;
    size_t uf = FIX(M, struct cp_meta, unsafe), pf = FIX(M, struct cp_meta, packs);
    REJECT("array offset unaligned", M, uf, "unsafe: offset", pb_w32(&w, uf, pb_r32(&w, uf) + 4));
    REJECT("array inside the fixed part", M, pf, "inside the section's 40-byte fixed part", pb_w32(&w, pf, 8));
    REJECT("array past the section", M, uf, "run past the end", pb_w32(&w, uf + 4, 1000));
    REJECT("array count overflow", M, uf, "4294967295 records of 16 bytes", pb_w32(&w, uf + 4, UINT32_MAX));
    REJECT("array offset past the section", M, uf, "run past the end", pb_w32(&w, uf, 0xfffffff8u));
    size_t rf = FIX(CP_SEC_PROCESS, struct cp_process, rlimits);
    REJECT("empty array with an offset", CP_SEC_PROCESS, rf, "empty array with nonzero offset",
           pb_w32(&w, rf + 4, 0));
    size_t rules = FIX(CP_SEC_SECCOMP, struct cp_seccomp, rules), conds = FIX(CP_SEC_SECCOMP, struct cp_seccomp, conds);
    REJECT("arrays overlap", CP_SEC_SECCOMP, conds, "conds overlaps rules", pb_w32(&w, conds, pb_r32(&w, rules)));
    size_t argv_end = SEC(CP_SEC_PROCESS) + pb_r32(&orig, FIX(CP_SEC_PROCESS, struct cp_process, argv)) + 4 * FX_N(fx_argv);
    ok(argv_end % 8 != 0, "the rich plan has padding after argv");
    REJECT("nonzero padding inside a section", CP_SEC_PROCESS, argv_end, "padding byte is 0x01", w.d[argv_end] = 1);
    /* slack at the end of the last section (secrets): zero is fine, nonzero not */
    reset_from(&orig);
    w.d = realloc(w.d, w.n + 8);
    memset(w.d + w.n, 0, 8);
    w.n += 8;
    pb_w64(&w, 24, pb_r64(&w, 24) + 8);
    pb_w32(&w, pb_dir(&w, CP_SEC_SECRETS) + 12, pb_seclen(&w, CP_SEC_SECRETS) + 8);
    pb_rehash(&w);
    struct plan *p = NULL;
    struct plan_error e;
    ok(plan_read(w.d, w.n, &p, &e) == 0, "zero slack at the end of a section is accepted");
    plan_free(p);
    w.d[w.n - 2] = 5;
    pb_rehash(&w);
    pb_expect(&w, "nonzero slack at a section's end", CP_SEC_SECRETS, w.n - 2, "padding byte is 0x05");
}

static void meta_cases(void)
{
    const uint32_t M = CP_SEC_META;
    REJECT("bad cell name", M, FIX(M, struct cp_meta, name), "name \"ci job\" is not", pb_restr(&w, "ci-job", "ci job"));
    REJECT("source with a directory", M, FIX(M, struct cp_meta, source), "not a file base name",
           pb_restr(&w, "ci-job.cell", "ci/job.cell"));
    REJECT("empty source", M, FIX(M, struct cp_meta, source), "not a file base name", pb_w32(&w, at_, 0));
    REJECT("compiler not cellc", M, FIX(M, struct cp_meta, compiler), "is not \"cellc <version>\"",
           pb_restr(&w, "cellc 0.1.0", "gcc   0.1.0"));
    REJECT("bad hostname", M, FIX(M, struct cp_meta, hostname), "not an RFC 1123 name",
           pb_restr(&w, "builder", "-uilder"));
    REJECT("unknown backend", M, FIX(M, struct cp_meta, backend), "backend 3", pb_w32(&w, at_, 3));
    REJECT("meta flags", M, FIX(M, struct cp_meta, flags), "flags 0x1", pb_w32(&w, at_, 1));
    REJECT("empty pack name", M, REC(M, struct cp_meta, packs, cp_str, 1), "pack 1: name \"\"", pb_w32(&w, at_, 0));
    REJECT("bad unsafe kind", M, UNSAFE(0, kind), "kind \"C.UTF-8\"", pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("empty unsafe subject", M, UNSAFE(1, subject), "unsafe grant 1: subject is empty", pb_w32(&w, at_, 0));
    REJECT("empty unsafe reason", M, UNSAFE(1, reason), "unsafe grant 1: reason is empty", pb_w32(&w, at_, 0));
}

static void process_cases(void)
{
    const uint32_t P = CP_SEC_PROCESS;
    size_t argv = FIX(P, struct cp_process, argv);
    REJECT("empty argv", P, argv, "argv is empty", pb_w32(&w, argv, 0); pb_w32(&w, argv + 4, 0));
    REJECT("relative argv[0]", P, REC(P, struct cp_process, argv, cp_str, 0), "argv[0]: path \"-C\" is not absolute",
           pb_w32(&w, at_, STR("-C")));
    REJECT("env names unsorted", P, ENV(2, name), "env 2: name \"PATH\" is not after PATH",
           pb_w32(&w, ENV(1, name), STR("PATH")));
    REJECT("bad env name", P, ENV(0, name), "env 0: name \"ci-job\"", pb_w32(&w, at_, STR("ci-job")));
    REJECT("passed env with a value", P, ENV(3, value), "env 3: a passed variable", pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("unknown env flags", P, ENV(0, flags), "env 0: unknown flags 0x2", pb_w32(&w, at_, 2));
    REJECT("env pad", P, ENV(0, pad), "env 0: reserved field", pb_w32(&w, at_, 1));
    REJECT("unknown rlimit", P, RLIM(1, resource), "rlimit 1: resource 5 is not", pb_w32(&w, at_, 5));
    REJECT("rlimits unsorted", P, RLIM(2, resource), "rlimit 2: resource 4 is not after 4", pb_w32(&w, at_, 4));
    REJECT("rlimit soft above hard", P, RLIM(0, soft), "soft limit 700 is above the hard limit 660",
           pb_w64(&w, at_, 700));
    REJECT("rlimit pad", P, RLIM(0, pad), "rlimit 0: reserved field", pb_w32(&w, at_, 9));
    size_t fd0 = REC(P, struct cp_process, pass_fds, uint32_t, 0);
    REJECT("pass fd 2", P, fd0, "fd 2 is not in 3..2147483647", pb_w32(&w, at_, 2));
    REJECT("pass fd above INT_MAX", P, fd0 + 4, "fd 2147483648", pb_w32(&w, at_, 0x80000000u));
    REJECT("pass fds unsorted", P, fd0 + 4, "fd 3 is not after 3", pb_w32(&w, at_, 3));
    REJECT("relative cwd", P, FIX(P, struct cp_process, cwd), "cwd: path \"C.UTF-8\" is not absolute",
           pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("uid -1", P, FIX(P, struct cp_process, uid), "uid 4294967295", pb_w32(&w, at_, UINT32_MAX));
    REJECT("gid -1", P, FIX(P, struct cp_process, gid), "gid 4294967295", pb_w32(&w, at_, UINT32_MAX));
    REJECT("umask too big", P, FIX(P, struct cp_process, umask), "umask 01000", pb_w32(&w, at_, 01000));
    REJECT("unknown process flags", P, FIX(P, struct cp_process, flags), "unknown flags 0x4", pb_w32(&w, at_, 4));
    REJECT("process pad", P, FIX(P, struct cp_process, pad), "reserved field", pb_w32(&w, at_, 1));
    REJECT("capability 41", P, FIX(P, struct cp_process, capabilities), "above 40",
           pb_w64(&w, at_, 1ull << 41));

    /* a path longer than 4095 bytes: argv[1] may hold any text */
    struct plan lp = fixture_plan();
    static char longpath[4097];
    static const char *lp_argv[2];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    lp_argv[0] = "/bin/x";
    lp_argv[1] = longpath;
    lp.process.argv = lp_argv;
    lp.process.argc = 2;
    struct pbuf l = pb_from_plan(&lp);
    size_t cwd = pb_sec(&l, P) + offsetof(struct cp_process, cwd);
    pb_w32(&l, cwd, (uint32_t)pb_str(&l, longpath));
    pb_rehash(&l);
    pb_expect(&l, "path of 4096 bytes", P, cwd, "is longer than 4095 bytes");
    free(l.d);
}

static void filesystem_cases(void)
{
    const uint32_t F = CP_SEC_FILESYSTEM;
    size_t ops = FIX(F, struct cp_filesystem, ops);
    REJECT("unknown opcode", F, OP(3, opcode), "mount op 3: opcode 99 is not a known opcode", pb_w16(&w, at_, 99));
    REJECT("opcode 0", F, OP(5, opcode), "mount op 5: opcode 0", pb_w16(&w, at_, 0));
    REJECT("program not starting with rootfs", F, OP(0, opcode), "must start with rootfs",
           pb_w16(&w, at_, CP_OP_MKDIR));
    REJECT("second rootfs", F, OP(1, opcode), "rootfs may only be op 0", pb_w16(&w, at_, CP_OP_ROOTFS));
    REJECT("no pivot_root", F, ops, "has no pivot_root", pb_w32(&w, ops + 4, 12));
    REJECT("second pivot_root", F, OP(13, opcode), "a second pivot_root", pb_w16(&w, at_, CP_OP_PIVOT_ROOT));
    REJECT("tmpfs after pivot_root", F, OP(15, opcode), "only remount, mask and chdir may follow",
           pb_w16(&w, at_, CP_OP_TMPFS));
    REJECT("chdir before pivot_root", F, OP(11, opcode), "chdir before pivot_root", pb_w16(&w, at_, CP_OP_CHDIR));
    REJECT("op after chdir", F, OP(16, opcode), "nothing may follow chdir", pb_w16(&w, OP(15, opcode), CP_OP_CHDIR));
    REJECT("empty program", F, ops, "the mount op program is empty", pb_w32(&w, ops, 0); pb_w32(&w, ops + 4, 0));
    REJECT("bind with rdonly", F, OP(2, flags), "flags 0x11 not allowed", pb_w16(&w, at_, CP_MNT_RECURSIVE | CP_MNT_RDONLY));
    REJECT("unknown mount flag", F, OP(4, flags), "flags 0x40 not allowed", pb_w16(&w, at_, 0x40));
    REJECT("remount without flags", F, OP(13, flags), "remount without any flag", pb_w16(&w, at_, 0));
    REJECT("tmpfs with a src", F, OP(4, src), "mount op 4 (tmpfs): must be \"\"", pb_w32(&w, at_, STR("/usr")));
    REJECT("pivot_root with a dst", F, OP(12, dst), "mount op 12 (pivot_root): must be \"\"", pb_w32(&w, at_, STR("/usr")));
    REJECT("bind with a relative src", F, OP(2, src), "path \"C.UTF-8\" is not absolute", pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("symlink without target", F, OP(11, src), "empty symlink target", pb_w32(&w, at_, 0));
    REJECT("mkdir without dst", F, OP(1, dst), "path \"\" is empty", pb_w32(&w, at_, 0));
    REJECT("dst with '.'", F, OP(1, dst), "has a '.' component",
           pb_restr(&w, "quiet loglevel=3", "/a/./b/c/d/e/fgh"); pb_w32(&w, at_, STR("quiet loglevel=3")));
    REJECT("dst with '..'", F, OP(1, dst), "has a '..' component",
           pb_restr(&w, "quiet loglevel=3", "/a/../bcdefghijk"); pb_w32(&w, at_, STR("quiet loglevel=3")));
    REJECT("dst with '//'", F, OP(1, dst), "has an empty component",
           pb_restr(&w, "quiet loglevel=3", "/a//bcdefghijklm"); pb_w32(&w, at_, STR("quiet loglevel=3")));
    REJECT("dst with a trailing '/'", F, OP(1, dst), "has a trailing '/'",
           pb_restr(&w, "quiet loglevel=3", "/abcdefghijklmn/"); pb_w32(&w, at_, STR("quiet loglevel=3")));
    REJECT("mode on proc", F, OP(6, mode), "mount op 6 (proc): mode 0755 must be 0", pb_w32(&w, at_, 0755));
    REJECT("mode above 07777", F, OP(1, mode), "mode 010000 is above 07777", pb_w32(&w, at_, 010000));
    REJECT("size on bind", F, OP(2, size), "size 4096 must be 0", pb_w64(&w, at_, 4096));
    REJECT("mount op pad", F, OP(7, pad), "mount op 7 (tmpfs): reserved field", pb_w32(&w, at_, 1));
}

static void network_cases(void)
{
    const uint32_t N = CP_SEC_NETWORK;
    size_t mode = FIX(N, struct cp_network, mode), eg = FIX(N, struct cp_network, egress);
    REJECT("unknown net mode", N, mode, "mode 3", pb_w32(&w, at_, 3));
    REJECT("network pad", N, FIX(N, struct cp_network, pad), "reserved field", pb_w32(&w, at_, 1));
    REJECT("egress rules in loopback mode", N, eg, "egress rules outside egress mode", pb_w32(&w, mode, CP_NET_LOOPBACK));
    REJECT("egress mode without rules", N, eg, "egress mode without any egress rule",
           pb_w32(&w, eg, 0); pb_w32(&w, eg + 4, 0));
    REJECT("unknown egress kind", N, EGR(0, kind), "egress 0: kind 4", pb_w8(&w, at_, 4));
    REJECT("any-name kind in a 1.0 plan", N, EGR(0, kind), "kind 3 (host, any-name) needs format 1.1",
           pb_w8(&w, at_, 3));
    REJECT("any-name on a UDP rule", N, EGR(0, proto), "an any-name rule is TCP only",
           pb_w8(&w, EGR(0, kind), 3); pb_w16(&w, 10, 1); pb_w8(&w, at_, 17));
    {   /* kind 3 in a 1.1 plan: a host rule with any_name, written back byte for byte */
        reset_from(&orig);
        pb_w8(&w, EGR(0, kind), 3);
        pb_w16(&w, 10, 1);
        pb_rehash(&w);
        struct plan *p = NULL;
        struct plan_error e;
        uint8_t *b = NULL;
        size_t n = 0;
        char err[200];
        ok(plan_read(w.d, w.n, &p, &e) == 0 && p && p->version_minor == 1 && p->net.egress[0].any_name &&
           p->net.egress[0].kind == CP_EGRESS_HOST && !p->net.egress[1].any_name,
           "kind 3 in a 1.1 plan reads as a host rule with any-name");
        ok(p && plan_write(p, &b, &n, err, sizeof err) == 0 && n == w.n && memcmp(b, w.d, n) == 0,
           "... and is written back as kind 3 with minor 1, byte for byte");
        free(b);
        plan_free(p);
    }
    REJECT("host rule with a family", N, EGR(0, family), "family 4 must be 0", pb_w8(&w, at_, 4));
    REJECT("host rule with a prefix", N, EGR(0, prefix), "prefix 8 must be 0", pb_w8(&w, at_, 8));
    REJECT("bad host name", N, EGR(0, host), "not an RFC 1123 name", pb_restr(&w, "deb.example.org", "deb..xample.org"));
    REJECT("host rule with an address", N, EGR(0, addr), "addr must be zero", pb_w8(&w, at_, 1));
    REJECT("cidr family 5", N, EGR(1, family), "family 5 is not 4 or 6", pb_w8(&w, at_, 5));
    REJECT("v4 prefix 33", N, EGR(1, prefix), "prefix /33 is longer than 32 bits", pb_w8(&w, at_, 33));
    REJECT("v6 prefix 129", N, EGR(2, prefix), "prefix /129 is longer than 128 bits", pb_w8(&w, at_, 129));
    REJECT("host bits set", N, EGR(1, addr) + 3, "host bits set beyond /24", pb_w8(&w, at_, 1));
    REJECT("v4 address with v6 bytes", N, EGR(1, addr) + 4, "nonzero bytes after the first 4", pb_w8(&w, at_, 1));
    REJECT("cidr with a host", N, EGR(1, host), "must be \"\"", pb_w32(&w, at_, STR("builder")));
    REJECT("unknown proto", N, EGR(1, proto), "proto 1", pb_w8(&w, at_, 1));
    REJECT("port 0", N, EGR(0, port_lo), "port 0", pb_w16(&w, at_, 0));
    REJECT("reversed port range", N, EGR(2, port_hi), "port range 8000-7000 is reversed", pb_w16(&w, at_, 7000));
}

static void limits_cases(void)
{
    const uint32_t L = CP_SEC_LIMITS;
    size_t f = FIX(L, struct cp_limits, flags);
    REJECT("unknown limit flags", L, f, "unknown flags 0x8", pb_w32(&w, at_, 0xf));
    REJECT("best-effort memory without a limit", L, f, "memory is best-effort", pb_w64(&w, FIX(L, struct cp_limits, memory), 0));
    REJECT("best-effort pids without a limit", L, f, "pids is best-effort", pb_w64(&w, FIX(L, struct cp_limits, pids), 0));
    REJECT("best-effort cpu without a limit", L, f, "cpu is best-effort", pb_w32(&w, FIX(L, struct cp_limits, cpu_millis), 0));
}

static void seccomp_cases(void)
{
    const uint32_t S = CP_SEC_SECCOMP;
    REJECT("default action TRACE", S, FIX(S, struct cp_seccomp, default_action), "0x7ff00000 is not a valid seccomp action",
           pb_w32(&w, at_, 0x7ff00000));
    REJECT("default action ERRNO 0", S, FIX(S, struct cp_seccomp, default_action), "0x00050000 is not",
           pb_w32(&w, at_, 0x00050000));
    REJECT("default action ERRNO 4096", S, FIX(S, struct cp_seccomp, default_action), "0x00051000 is not",
           pb_w32(&w, at_, 0x00051000));
    REJECT("ALLOW with data", S, FIX(S, struct cp_seccomp, default_action), "0x7fff0001 is not",
           pb_w32(&w, at_, 0x7fff0001));
    REJECT("unknown seccomp flags", S, FIX(S, struct cp_seccomp, flags), "unknown flags 0x4", pb_w32(&w, at_, 4));
    REJECT("cond arg 6", S, COND(0, arg), "cond 0: arg 6", pb_w8(&w, at_, 6));
    REJECT("cond op 10", S, COND(0, op), "cond 0: op 10", pb_w8(&w, at_, 10));
    REJECT("cond op 0", S, COND(0, op), "cond 0: op 0", pb_w8(&w, at_, 0));
    REJECT("cond width 16", S, COND(0, width), "width 16", pb_w8(&w, at_, 16));
    REJECT("cond pad", S, COND(0, pad), "cond 0: reserved field", pb_w8(&w, at_, 1));
    REJECT("cond pad2", S, COND(0, pad2), "cond 0: reserved field", pb_w32(&w, at_, 1));
    REJECT("empty set", S, COND(7, set_count), "cond 7: empty set", pb_w32(&w, at_, 0));
    REJECT("set outside values", S, COND(7, set_first), "set 4+3 is outside the 5 values", pb_w32(&w, at_, 4));
    REJECT("set count overflow", S, COND(8, set_first), "set 3+4294967295", pb_w32(&w, COND(8, set_count), UINT32_MAX));
    REJECT("set unsorted", S, VAL(2), "set member 2 is not above", pb_w64(&w, at_, 2));
    REJECT("set member too wide", S, VAL(2), "does not fit in 32 bits", pb_w64(&w, at_, 1ull << 32));
    REJECT("set with a value", S, COND(7, value), "value must be 0 for a set", pb_w64(&w, at_, 1));
    REJECT("set_first on ==", S, COND(0, set_first), "set_first must be 0", pb_w32(&w, at_, 1));
    REJECT("set_count on ==", S, COND(0, set_count), "set_count must be 0", pb_w32(&w, at_, 1));
    REJECT("32-bit value too wide", S, COND(0, value), "does not fit in 32 bits", pb_w64(&w, at_, 1ull << 32));
    REJECT("mask on ==", S, COND(0, mask), "mask 0xff must be 0xffffffff", pb_w64(&w, at_, 0xff));
    REJECT("64-bit mask on !=", S, COND(1, mask), "must be 0xffffffffffffffff", pb_w64(&w, at_, 0xffffffff));
    REJECT("32-bit masked == too wide", S, COND(6, mask), "mask 0x100000003 does not fit",
           pb_w8(&w, COND(6, width), 32); pb_w64(&w, at_, 0x100000003ull));
    REJECT("bad syscall name", S, RULE(0, syscall), "rule 0: syscall \"C.UTF-8\"", pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("empty syscall name", S, RULE(0, syscall), "rule 0: syscall \"\"", pb_w32(&w, at_, 0));
    REJECT("rule action TRACE", S, RULE(2, action), "rule 2: action 0x7ff00000", pb_w32(&w, at_, 0x7ff00000));
    REJECT("conds outside", S, RULE(1, cond_first), "conditions 9+1 are outside the 9 conds", pb_w32(&w, at_, 9));
    REJECT("cond_first without conds", S, RULE(0, cond_first), "cond_first must be 0", pb_w32(&w, at_, 1));
    REJECT("rule pad", S, RULE(0, pad), "rule 0: reserved field", pb_w32(&w, at_, 1));
    REJECT("unknown arch", S, PROG(0, audit_arch), "audit_arch 0x40000003", pb_w32(&w, at_, 0x40000003));
    REJECT("programs unsorted", S, PROG(1, audit_arch), "is not after 0xc000003e",
           pb_w32(&w, at_, AUDIT_ARCH_X86_64));
    REJECT("zero instructions", S, PROG(0, insn_count), "insn_count 0", pb_w32(&w, at_, 0));
    REJECT("4097 instructions", S, PROG(0, insn_count), "insn_count 4097", pb_w32(&w, at_, 4097));
    REJECT("insn_offset unaligned", S, PROG(0, insn_offset), "not a multiple of 8", pb_w32(&w, at_, pb_r32(&w, at_) + 4));
    REJECT("insn_offset in the fixed part", S, PROG(0, insn_offset), "inside the section's fixed part", pb_w32(&w, at_, 8));
    REJECT("instructions past the section", S, PROG(1, insn_offset), "run past the end", pb_w32(&w, at_, 0xfffffff8u));
    REJECT("instructions overlap", S, PROG(1, insn_offset), "program 1 instructions overlaps program 0 instructions",
           pb_w32(&w, at_, pb_r32(&w, PROG(0, insn_offset))));
    /* a one-instruction program 0 over values[4] (ret ALLOW, still sorted) */
    REJECT("instructions over the values", S, PROG(0, insn_offset), "program 0 instructions overlaps values",
           pb_w32(&w, PROG(0, insn_count), 1); pb_w32(&w, at_, (uint32_t)(VAL(4) - SEC(S)));
           pb_w64(&w, VAL(4), ((uint64_t)SECCOMP_RET_ALLOW << 32) | (BPF_RET | BPF_K)));
    REJECT("program pad", S, PROG(0, pad), "program 0: reserved field", pb_w32(&w, at_, 1));

    /* BPF, program 0 */
    REJECT("BPF mod", S, INSN(9), "program 0 insn 9: opcode 0x0094 is not allowed",
           SET_INSN(9, BPF_ALU | BPF_MOD | BPF_K, 0, 0, 3));
    REJECT("BPF byte load", S, INSN(9), "opcode 0x0030 is not allowed", SET_INSN(9, BPF_LD | BPF_B | BPF_ABS, 0, 0, 16));
    REJECT("BPF jump past the end", S, INSN(7), "program 0 insn 7: jump-if-true +20 lands past the end",
           pb_w8(&w, at_ + 2, 20));
    REJECT("BPF jump-if-false past the end", S, INSN(8), "jump-if-false +6 lands past the end", pb_w8(&w, at_ + 3, 6));
    REJECT("BPF ja past the end", S, INSN(9), "ja +5 lands past the end", SET_INSN(9, BPF_JMP | BPF_JA, 0, 0, 5));
    REJECT("BPF no final return", S, INSN(14), "insn 14: last instruction (opcode 0x0007) is not a return",
           SET_INSN(14, BPF_MISC | BPF_TAX, 0, 0, 0));
    REJECT("BPF unaligned load", S, INSN(9), "offset 18 is not 4-byte aligned", pb_w32(&w, at_ + 4, 18));
    REJECT("BPF load beyond seccomp_data", S, INSN(9), "offset 64 is beyond its 64 bytes", pb_w32(&w, at_ + 4, 64));
    REJECT("BPF ret TRACE", S, INSN(13), "ret #0x7ff00000 is not a valid seccomp action", pb_w32(&w, at_ + 4, 0x7ff00000));
    REJECT("BPF scratch read before write", S, INSN(11), "scratch slot 0 may be read before it is written",
           pb_w32(&w, INSN(4) + 4, 1));
    REJECT("BPF scratch slot 16", S, INSN(4), "scratch slot 16 is out of range", pb_w32(&w, at_ + 4, 16));
    REJECT("BPF shift by 32", S, INSN(9), "shift by 32", SET_INSN(9, BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32));
    REJECT("BPF division by 0", S, INSN(9), "division by constant 0", SET_INSN(9, BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0));
    REJECT("BPF jt on a load", S, INSN(9), "nonzero jump offsets 1/0", pb_w8(&w, at_ + 2, 1));
    REJECT("BPF in program 1", S, SEC(S) + pb_r32(&orig, PROG(1, insn_offset)) + 8 * 13,
           "program 1 insn 13: ret #0x7ff00000", pb_w32(&w, at_ + 4, 0x7ff00000));
}

static void vm_cases(void)
{
    const uint32_t V = CP_SEC_VM;
    REJECT("0 vcpus", V, FIX(V, struct cp_vm, vcpus), "vcpus 0", pb_w32(&w, at_, 0));
    REJECT("65 vcpus", V, FIX(V, struct cp_vm, vcpus), "vcpus 65", pb_w32(&w, at_, 65));
    REJECT("unknown vm flags", V, FIX(V, struct cp_vm, flags), "unknown flags 0x2", pb_w32(&w, at_, 2));
    REJECT("vm memory below 64 MiB", V, FIX(V, struct cp_vm, memory), "below 64 MiB", pb_w64(&w, at_, 64 * FX_MiB - 1));
    REJECT("relative kernel", V, FIX(V, struct cp_vm, kernel), "kernel: path \"C.UTF-8\"", pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("bootargs with a tab", V, FIX(V, struct cp_vm, bootargs), "bootargs \"quiet\\x09loglevel=3\" are not printable",
           pb_restr(&w, "quiet loglevel=3", "quiet\tloglevel=3"));
    REJECT("rootfs without HAS_ROOTFS", V, FIX(V, struct cp_vm, rootfs), "rootfs without HAS_ROOTFS: must be \"\"",
           pb_w32(&w, FIX(V, struct cp_vm, flags), 0));
    REJECT("rootfs hash without HAS_ROOTFS", V, FIX(V, struct cp_vm, rootfs_sha256), "rootfs_sha256 must be zero",
           pb_w32(&w, FIX(V, struct cp_vm, flags), 0); pb_w32(&w, FIX(V, struct cp_vm, rootfs), 0));
    REJECT("empty rootfs with HAS_ROOTFS", V, FIX(V, struct cp_vm, rootfs), "rootfs: path \"\" is empty", pb_w32(&w, at_, 0));
    REJECT("vm pad", V, FIX(V, struct cp_vm, pad), "vm: reserved field", pb_w32(&w, at_, 1));
}

static void gvisor_events_secrets_cases(void)
{
    const uint32_t G = CP_SEC_GVISOR, E = CP_SEC_EVENTS, X = CP_SEC_SECRETS;
    REJECT("gvisor platform 4", G, FIX(G, struct cp_gvisor, platform), "platform 4", pb_w32(&w, at_, 4));
    REJECT("gvisor flags", G, FIX(G, struct cp_gvisor, flags), "flags 0x1", pb_w32(&w, at_, 1));
    REJECT("unknown event flags", E, FIX(E, struct cp_events, flags), "unknown flags 0x4", pb_w32(&w, at_, 4));
    REJECT("kid without HAS_KID", E, FIX(E, struct cp_events, signing_kid), "signing_kid must be zero",
           pb_w32(&w, FIX(E, struct cp_events, flags), 0));
    REJECT("event source with a space", E, FIX(E, struct cp_events, source), "without spaces",
           pb_restr(&w, "https://ci.example.org/cells", "https://ci.example.org/ce ls"));
    REJECT("event subject with a newline", E, FIX(E, struct cp_events, subject), "has control characters",
           pb_restr(&w, "job 42", "job\n42"));
    REJECT("events pad", E, FIX(E, struct cp_events, pad), "events: reserved field", pb_w32(&w, at_, 1));
    REJECT("secrets unsorted", X, SECRET(1, name), "secret 1: name \"deploy_key\" is not after deploy_key",
           pb_w32(&w, at_, STR("deploy_key")));
    REJECT("bad secret name", X, SECRET(0, name), "secret 0: name \"job 42\"", pb_w32(&w, at_, STR("job 42")));
    REJECT("bad secret ref", X, SECRET(0, ref), "ref \"C.UTF-8\" is not env:NAME or file:/path", pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("secret ref env with a bad name", X, SECRET(1, ref), "ref \"env:NPM-TOKEN\"", pb_restr(&w, "env:NPM_TOKEN", "env:NPM-TOKEN"));
    REJECT("secret ref file not normalised", X, SECRET(0, ref), "is not env:NAME or file:/path",
           pb_restr(&w, "file:/run/secrets/deploy", "file:/run/secrets/../plo"));
    REJECT("secret delivery 3", X, SECRET(0, delivery), "delivery 3", pb_w32(&w, at_, 3));
    REJECT("secret env target not a name", X, SECRET(1, target), "target \"ci-job\" is not an env var name",
           pb_w32(&w, at_, STR("ci-job")));
    REJECT("secret file target relative", X, SECRET(0, target), "path \"C.UTF-8\" is not absolute",
           pb_w32(&w, at_, STR("C.UTF-8")));
    REJECT("secret pad", X, SECRET(0, pad), "secret 0: reserved field", pb_w32(&w, at_, 1));
}

/* The optional provenance section, on the rich plan with it added. */
static void provenance_cases(void)
{
    const uint32_t P = CP_SEC_PROVENANCE;
    struct pbuf saved = orig;
    struct plan pp = fixture_plan();
    pp.has_provenance = true;
    pp.provenance.spec_id = "prov-spec-7";
    pp.provenance.correlation_id = "prov-corr-9";
    pp.provenance.pack_id = "prov-pack";
    pp.provenance.pack_version = "prov-v2";
    orig = pb_from_plan(&pp);
    struct plan *rp = NULL;
    struct plan_error e;
    if (ok(plan_read(orig.d, orig.n, &rp, &e) == 0, "a plan with a provenance section is accepted")) {
        is_str(rp->provenance.correlation_id, "prov-corr-9", "provenance read back");
        plan_free(rp);
    }
    REJECT("provenance spec_id with a slash", P, FIX(P, struct cp_provenance, spec_id),
           "has a byte other than letters", pb_restr(&w, "prov-spec-7", "prov/spec-7"));
    REJECT("provenance correlation with a newline", P, FIX(P, struct cp_provenance, correlation_id),
           "is not 0..255 printable ASCII", pb_restr(&w, "prov-corr-9", "prov\ncorr-9"));
    REJECT("provenance pack_version without pack_id", P, FIX(P, struct cp_provenance, pack_version),
           "pack_version without pack_id", pb_w32(&w, FIX(P, struct cp_provenance, pack_id), 0));
    REJECT("provenance all empty", P, SEC(P), "every field is empty",
           memset(w.d + SEC(P), 0, sizeof(struct cp_provenance)));
    free(orig.d);
    orig = saved;
}

/* The optional export section, on the rich plan with two artifacts added. */
#define ART(i, f) RF(CP_SEC_EXPORT, struct cp_export, items, struct cp_export_item, i, f)
static void export_cases(void)
{
    const uint32_t X = CP_SEC_EXPORT;
    struct pbuf saved = orig;
    struct plan pp = fixture_plan();
    struct plan_export_item items[] = {
        { .name = "a.log", .path = "/work/a.log", .max_bytes = 4096, .flags = CP_EXPORT_REQUIRED, .line = 3 },
        { .name = "b.tar", .path = "/work/out/b.tar", .max_bytes = 1 << 20, .flags = 0, .line = 4 },
    };
    pp.export_.items = items;
    pp.export_.n_items = 2;
    orig = pb_from_plan(&pp);
    struct plan *rp = NULL;
    struct plan_error e;
    if (ok(plan_read(orig.d, orig.n, &rp, &e) == 0, "a plan with an export section is accepted")) {
        ok(rp->export_.n_items == 2 && !strcmp(rp->export_.items[1].path, "/work/out/b.tar") &&
               rp->export_.items[0].max_bytes == 4096 && rp->export_.items[0].flags == CP_EXPORT_REQUIRED,
           "export read back");
        plan_free(rp);
    }
    REJECT("artifact name with a slash", X, ART(0, name), "name \"a/log\" is not", pb_restr(&w, "a.log", "a/log"));
    REJECT("artifact name ..", X, ART(0, name), "is not [A-Za-z0-9_.-]{1,64} other than . and ..",
           memcpy(w.d + SEC(CP_SEC_STRTAB) + STR("a.log"), "..", 3));
    REJECT("artifact path relative", X, ART(1, path), "is not absolute",
           pb_restr(&w, "/work/out/b.tar", "work/out/b.tarx"));
    REJECT("artifact path with ..", X, ART(1, path), "has a '..' component",
           pb_restr(&w, "/work/out/b.tar", "/work/../bb.tar"));
    REJECT("artifact max 0", X, ART(0, max_bytes), "max_bytes 0 is not 1 to 2^40", pb_w64(&w, at_, 0));
    REJECT("artifact unknown flag", X, ART(1, flags), "unknown flags 0x2", pb_w32(&w, at_, 2));
    REJECT("artifacts not sorted", X, ART(1, name), "is not after a.log",
           pb_w32(&w, at_, pb_r32(&w, ART(0, name))));
    REJECT("export without artifacts", X, FIX(X, struct cp_export, items), "items: 0 artifacts",
           pb_w32(&w, at_ + 4, 0); pb_w32(&w, at_, 0));
    free(orig.d);
    orig = saved;
}

int main(void)
{
    struct plan rich = fixture_plan();
    orig = pb_from_plan(&rich);
    {
        struct plan *p = NULL;
        struct plan_error e;
        if (!ok(plan_read(orig.d, orig.n, &p, &e) == 0, "the pristine rich plan is accepted"))
            return done_testing();
        plan_free(p);
    }
    header_cases();
    directory_cases();
    strtab_cases();
    array_cases();
    meta_cases();
    process_cases();
    filesystem_cases();
    network_cases();
    limits_cases();
    seccomp_cases();
    vm_cases();
    gvisor_events_secrets_cases();
    provenance_cases();
    export_cases();

    /* the message format */
    struct plan_error e = { .e = { .msg = "mount op 3: opcode 99 is not a known opcode" },
                            .section = CP_SEC_FILESYSTEM,
                            .offset = 412 };
    char line[400];
    plan_error_format(&e, "hello.plan", line, sizeof line);
    is_str(line, "hello.plan: section filesystem at offset 412: mount op 3: opcode 99 is not a known opcode",
           "plan_error_format");
    is_str(plan_section_name(0), "header", "section 0 is the header");
    is_str(plan_section_name(11), "secrets", "section 11 is secrets");
    is_str(plan_section_name(12), "provenance", "section 12 is provenance");
    is_str(plan_section_name(13), "export", "section 13 is export");
    is_str(plan_section_name(14), "unknown", "section 14 is unknown");
    is_str(plan_mount_opcode_name(12), "pivot_root", "opcode 12");
    ok(plan_mount_opcode_name(0) == NULL && plan_mount_opcode_name(14) == NULL, "unknown opcodes have no name");

    /* plan_read_file: I/O errors */
    struct plan *p = NULL;
    ok(plan_read_file("/nonexistent/x.plan", &p, &e) == -1 && e.section == 0 && e.offset == 0 &&
       strstr(e.e.msg, "No such file") && !p, "missing file");
    ok(plan_read_file("/", &p, &e) == -1 && strstr(e.e.msg, "directory"), "directory");
    char tmpl[] = "/tmp/cellos-plan-reject.XXXXXX";
    int fd = mkstemp(tmpl);
    ok(fd >= 0 && write(fd, orig.d, orig.n) == (ssize_t)orig.n, "wrote a plan file");
    close(fd);
    ok(plan_read_file(tmpl, &p, &e) == 0 && p, "plan_read_file reads it");
    plan_free(p);
    unlink(tmpl);

    free(w.d);
    free(orig.d);
    return done_testing();
}
