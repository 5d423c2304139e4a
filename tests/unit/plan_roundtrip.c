/* plan_roundtrip.c - write a rich plan, read it back, compare field by field;
 * rewriting gives identical bytes; two writes are identical; the layout rules
 * of the writer (alignment, section order, string interning) hold. */
#include "tap.h"
#include "plan_fixture.h"
#include "compiler/plan/plan_writer.h"
#include <sodium.h>

static uint32_t rd32(const uint8_t *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }

static void roundtrip(const char *name, const struct plan *in)
{
    uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL;
    size_t n1 = 0, n2 = 0, n3 = 0;
    char err[256];
    struct plan *out = NULL;
    struct plan_error perr;
    char why[256] = "";

    is_int(plan_write(in, &b1, &n1, err, sizeof err), 0, "%s: writes (%s)", name, err);
    if (!b1)
        return;
    is_int(plan_write(in, &b2, &n2, err, sizeof err), 0, "%s: writes twice", name);
    ok(n1 == n2 && memcmp(b1, b2, n1) == 0, "%s: two writes give identical bytes (%zu)", name, n1);
    int rc = plan_read(b1, n1, &out, &perr);
    if (!ok(rc == 0, "%s: reads back", name))
        diag("section %s at %llu: %s", plan_section_name(perr.section), (unsigned long long)perr.offset, perr.e.msg);
    if (!out) {
        free(b1); free(b2);
        return;
    }
    ok(plan_equal(in, out, why, sizeof why), "%s: read plan equals the written one %s", name, why);
    is_int(out->version_major, 1, "%s: version major", name);
    is_int(out->version_minor, 0, "%s: version minor", name);
    ok(!out->signed_plan, "%s: unsigned", name);
    uint8_t d[32];
    crypto_hash_sha256(d, b1, n1);
    ok(memcmp(d, out->digest, 32) == 0, "%s: digest is SHA-256 of header + body", name);

    is_int(plan_write(out, &b3, &n3, err, sizeof err), 0, "%s: read plan rewrites", name);
    ok(b3 && n3 == n1 && memcmp(b1, b3, n1) == 0, "%s: read then write gives identical bytes", name);

    /* layout: sections ascending, 8-aligned, zero padding; strtab first */
    uint32_t nsec = rd32(b1, 20), prev = 0;
    bool asc = true, aligned = true;
    for (uint32_t i = 0; i < nsec; i++) {
        uint32_t t = rd32(b1, 64 + 16 * i), off = rd32(b1, 64 + 16 * i + 8);
        asc &= t > prev;
        aligned &= off % 8 == 0;
        prev = t;
    }
    ok(asc && aligned, "%s: %u sections ascending and 8-aligned", name, nsec);

    /* signed: a trailer does not change the digest and is exposed */
    uint8_t *s = malloc(n1 + sizeof(struct cp_signature));
    memcpy(s, b1, n1);
    struct cp_signature sig;
    memcpy(sig.magic, CP_SIG_MAGIC, 8);
    memset(sig.kid, 0x11, 32);
    memset(sig.sig, 0x22, 64);
    memcpy(s + n1, &sig, sizeof sig);
    struct plan *sp = NULL;
    is_int(plan_read(s, n1 + sizeof sig, &sp, &perr), 0, "%s: signed plan reads", name);
    if (sp) {
        ok(sp->signed_plan && memcmp(&sp->signature, &sig, sizeof sig) == 0, "%s: trailer exposed", name);
        ok(memcmp(sp->digest, out->digest, 32) == 0, "%s: trailer leaves the digest alone", name);
        plan_free(sp);
    } else {
        skip(2, "signed plan did not read");
    }
    free(s);
    plan_free(out);
    free(b1); free(b2); free(b3);
}

int main(void)
{
    struct plan rich = fixture_plan();
    roundtrip("rich", &rich);
    struct plan min = fixture_min_plan();
    roundtrip("minimal", &min);

    /* optional sections absent */
    struct plan p = fixture_plan();
    p.has_vm = false;
    p.has_gvisor = false;
    p.secrets.n_items = 0;
    p.secrets.items = NULL;
    roundtrip("no optional sections", &p);

    /* exact layout of the minimal plan: 8 required sections, strtab first */
    uint8_t *b = NULL;
    size_t n = 0;
    char err[256];
    plan_write(&min, &b, &n, err, sizeof err);
    is_int(rd32(b, 20), 8, "minimal plan has the 8 required sections");
    is_int(rd32(b, 64), CP_SEC_STRTAB, "strtab is the first section");
    is_int(rd32(b, 64 + 8), 128, "first section right after the 128-byte directory");
    /* string interning: first use order, shared, "" at 0 */
    uint32_t so = 64 + rd32(b, 64 + 8);
    const char *tab = (const char *)b + so;
    is_str(tab + 1, "min", "first string is meta.name");
    is_str(tab + 5, "min.cell", "then meta.source");
    is_str(tab + 14, "cellc 0.1.0", "then meta.compiler");
    is_str(tab + 26, "/bin/true", "then argv[0]");
    is_str(tab + 36, "/", "then cwd");
    is_int(rd32(b, 64 + 12), 38, "strtab holds exactly those strings");
    free(b);

    /* a NULL string pointer is written as "" */
    p = fixture_min_plan();
    p.meta.hostname = NULL;
    p.events.source = NULL;
    struct plan *out = NULL;
    struct plan_error perr;
    is_int(plan_write(&p, &b, &n, err, sizeof err), 0, "NULL strings are written");
    is_int(plan_read(b, n, &out, &perr), 0, "and read back");
    if (out) {
        is_str(out->meta.hostname, "", "as \"\"");
        is_str(out->vm.kernel, "", "absent vm strings decode as \"\"");
        plan_free(out);
    } else {
        skip(2, "no plan");
    }
    free(b);

    /* the writer refuses what the reader would reject, with a one-line reason */
    struct plan_mount_op ops[2] = { { CP_OP_ROOTFS, 0, "", "", 0755, 0, 0 }, { 99, 0, "", "/x", 0, 0, 3 } };
    p = fixture_min_plan();
    p.fs.ops = ops;
    p.fs.n_ops = 2;
    b = (uint8_t *)1;
    is_int(plan_write(&p, &b, &n, err, sizeof err), -1, "writer refuses an unknown opcode");
    is_str(err, "invalid plan: section filesystem: mount op 1: opcode 99 is not a known opcode", "with the reader's reason");
    ok(b == NULL && n == 0, "and returns no bytes");
    p = fixture_min_plan();
    p.process.cwd = "work";
    is_int(plan_write(&p, &b, &n, err, sizeof err), -1, "writer refuses a relative cwd");
    is_str(err, "invalid plan: section process: cwd: path \"work\" is not absolute", "reason names the field");
    p = fixture_min_plan();
    p.process.n_env = 2;
    is_int(plan_write(&p, &b, &n, err, sizeof err), -1, "writer refuses a count without an array");
    is_str(err, "cannot write plan: process.env has 2 elements but no array", "reason names the array");
    struct plan_sc_program big = { AUDIT_ARCH_X86_64, 5000, fx_prog_x86 };
    p = fixture_min_plan();
    p.seccomp.programs = &big;
    p.seccomp.n_programs = 1;
    is_int(plan_write(&p, &b, &n, err, sizeof err), -1, "writer refuses a 5000-instruction program");
    ok(strstr(err, "more than 4096") != NULL, "reason: %s", err);
    is_int(plan_write(NULL, &b, &n, err, sizeof err), -1, "writer refuses NULL");

    /* CELLOS_WRITE_SEEDS=DIR writes the fuzz seed plans (tests/fuzz/corpus/plan_reader) */
    const char *seeds = getenv("CELLOS_WRITE_SEEDS");
    if (seeds) {
        struct plan sp[3] = { fixture_plan(), fixture_min_plan(), fixture_plan() };
        const char *names[3] = { "rich.plan", "min.plan", "no-optional.plan" };
        sp[2].has_vm = sp[2].has_gvisor = false;
        sp[2].secrets.n_items = 0;
        for (int i = 0; i < 3; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", seeds, names[i]);
            FILE *f = fopen(path, "wb");
            ok(f && plan_write(&sp[i], &b, &n, err, sizeof err) == 0 && fwrite(b, 1, n, f) == n &&
               fclose(f) == 0, "seed %s written", path);
            free(b);
        }
    }

    /* the checked-in fuzz seeds are valid plans (regenerate them with
     * CELLOS_WRITE_SEEDS when the format changes) */
    const char *top = getenv("CELLOS_TOP");
    static const char *const seed_files[] = { "rich.plan", "min.plan", "no-optional.plan", "signed.plan", "hello.plan" };
    for (size_t i = 0; top && i < FX_N(seed_files); i++) {
        char path[4096];
        struct plan *sp = NULL;
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/plan_reader/%s", top, seed_files[i]);
        ok(plan_read_file(path, &sp, &perr) == 0, "fuzz seed %s is a valid plan (%s)", seed_files[i], perr.e.msg);
        plan_free(sp);
    }

    /* plan_equal is not vacuous */
    struct plan x = fixture_plan(), y = fixture_plan();
    struct plan_mount_op ops2[FX_N(fx_ops)];
    memcpy(ops2, fx_ops, sizeof ops2);
    ops2[5].mode = 0750;
    y.fs.ops = ops2;
    char why[256];
    ok(!plan_equal(&x, &y, why, sizeof why), "plan_equal sees a changed mode: %s", why);
    y = fixture_plan();
    y.events.signing_kid[31] ^= 1;
    ok(!plan_equal(&x, &y, why, sizeof why), "plan_equal sees a changed kid: %s", why);
    return done_testing();
}
