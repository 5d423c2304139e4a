/* events_keys.c - key files (permission and format checks), trust files,
 * DSSE PAE bytes, and plan signatures as cellrun --trust checks them. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_types.h"
#include "runtime/events/keys.h"
#include "compiler/plan/plan_sign.h"
#include "compiler/plan/plan_writer.h"
#include "runtime/events/sign_codec.h"
#include "runtime/events/sign_verify.h"

static char dir[] = "/tmp/cellos-events-keys.XXXXXX";

static void write_file(const char *name, const char *text, mode_t mode)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        diag("cannot write %s", p);
    fchmod(fd, mode);
    close(fd);
}

static int load(const char *name, struct ev_key *k, struct cell_error *e)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return ev_key_load(p, k, e);
}

static int trust(const char *text, struct ev_trust **t, struct cell_error *e)
{
    return ev_trust_parse(text, strlen(text), "t.json", t, e);
}

int main(void)
{
    if (!mkdtemp(dir))
        skip_all("cannot create a temporary directory");
    struct cell_error e = { 0 };
    struct ev_key k, k2;
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    ok(ev_key_from_seed(seed, &k, &e) == 0, "key from a seed");

    /* RFC 8032 test 1 uses seed 9d61b19d...; its public key is known. */
    uint8_t s1[32], pk1[32];
    sc_hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 64, s1, 32);
    sc_hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", 64, pk1, 32);
    ok(ev_key_from_seed(s1, &k2, &e) == 0 && memcmp(k2.pk, pk1, 32) == 0, "RFC 8032 test 1: public key from seed");
    uint8_t kid[32];
    crypto_hash_sha256(kid, pk1, 32);
    ok(memcmp(k2.kid, kid, 32) == 0, "kid is SHA-256 of the raw public key");

    /* ---- key files */
    char text[128], b64[64];
    sc_b64url_encode(k.seed, 32, b64);
    snprintf(text, sizeof text, "%s%s\n", EV_KEY_FILE_PREFIX, b64);
    write_file("good.key", text, 0600);
    struct ev_key got;
    ok(load("good.key", &got, &e) == 0 && memcmp(got.pk, k.pk, 32) == 0, "a good key file loads");
    snprintf(text, sizeof text, "%s%s", EV_KEY_FILE_PREFIX, b64);
    write_file("nonl.key", text, 0600);
    ok(load("nonl.key", &got, &e) == 0, "the final newline is optional");
    /* the supervisor's loader: the same file, only the seed, no derivation */
    char sp[256];
    snprintf(sp, sizeof sp, "%s/good.key", dir);
    static const uint8_t zero32[32] = { 0 };
    ok(ev_key_load_seed(sp, &got, &e) == 0 && memcmp(got.seed, k.seed, 32) == 0 &&
       memcmp(got.pk, zero32, 32) == 0 && memcmp(got.kid, zero32, 32) == 0,
       "ev_key_load_seed loads the seed alone");
    write_file("gs.key", text, 0640);
    snprintf(sp, sizeof sp, "%s/gs.key", dir);
    ok(ev_key_load_seed(sp, &got, &e) < 0 && strstr(e.msg, "mode 0640") &&
       memcmp(got.seed, zero32, 32) == 0, "ev_key_load_seed refuses a group-readable key: %s", e.msg);
    write_file("bs.key", "cellos-ed25519-secret-v1:AAAA\n", 0600);
    snprintf(sp, sizeof sp, "%s/bs.key", dir);
    ok(ev_key_load_seed(sp, &got, &e) < 0 && strstr(e.msg, "malformed"),
       "ev_key_load_seed refuses a malformed key: %s", e.msg);
    write_file("g.key", text, 0640);
    ok(load("g.key", &got, &e) < 0 && strstr(e.msg, "mode 0640 lets group or others access it"), "group-readable: %s", e.msg);
    write_file("gw.key", text, 0620);
    ok(load("gw.key", &got, &e) < 0 && strstr(e.msg, "mode 0620"), "group-writable");
    write_file("o.key", text, 0601);
    ok(load("o.key", &got, &e) < 0 && strstr(e.msg, "mode 0601"), "other-executable bit");
    ok(load("none.key", &got, &e) < 0 && strstr(e.msg, "does not exist") && e.err == ENOENT, "missing");
    ok(ev_key_load("", &got, &e) < 0 && strstr(e.msg, "no signing key given"), "empty path");
    if (geteuid() == 0) {
        char p[256];
        snprintf(p, sizeof p, "%s/good.key", dir);
        write_file("nobody.key", text, 0600);
        snprintf(p, sizeof p, "%s/nobody.key", dir);
        ok(chown(p, 65534, 65534) == 0 && load("nobody.key", &got, &e) < 0 &&
           strstr(e.msg, "owned by uid 65534, not by the caller (uid 0)"), "owned by someone else: %s", e.msg);
    } else {
        skip(1, "needs root to give a file away");
    }
    ok(ev_key_load(dir, &got, &e) < 0 && strstr(e.msg, "not a regular file"), "a directory");
    ok(ev_key_load("/dev/null", &got, &e) < 0, "a device");
    const char *bad[][2] = {
        { "no prefix", "AAAA" },
        { "wrong prefix", "cellos-ed25519-secret-v2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n" },
        { "short seed", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n" },
        { "padded seed", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
        { "standard base64 alphabet", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A\n" },
        { "two newlines", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n" },
        { "CRLF", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n" },
        { "non-zero trailing bits", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\n" },
        { "empty", "" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file("bad.key", bad[i][1], 0600);
        ok(load("bad.key", &got, &e) < 0 && strstr(e.msg, "malformed") && strstr(e.msg, "bad.key"),
           "malformed key refused: %s", bad[i][0]);
        static const uint8_t zero[sizeof got] = { 0 };
        ok(memcmp(&got, zero, sizeof got) == 0, "and nothing of it is kept");
    }
    write_file("ok.key", "cellos-ed25519-secret-v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0600);
    ok(load("ok.key", &got, &e) == 0, "an all-zero seed is a valid key");
    ev_key_wipe(&got);
    static const uint8_t zero[sizeof got] = { 0 };
    ok(memcmp(&got, zero, sizeof got) == 0, "ev_key_wipe zeroes the key");

    /* ---- key generation and files */
    struct ev_key g1, g2;
    ok(ev_key_generate(&g1, &e) == 0 && ev_key_generate(&g2, &e) == 0 && memcmp(g1.seed, g2.seed, 32) != 0,
       "two generated keys differ");
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/gen", dir);
    ok(ev_key_write_files(prefix, &g1, &e) == 0, "key files written");
    char p[300];
    snprintf(p, sizeof p, "%s.key", prefix);
    ok(ev_key_load(p, &got, &e) == 0 && memcmp(got.seed, g1.seed, 32) == 0, "the written key loads back");
    ok(ev_key_write_files(prefix, &g2, &e) < 0 && strstr(e.msg, "already exists"), "no overwrite");
    ok(ev_key_load(p, &got, &e) == 0 && memcmp(got.seed, g1.seed, 32) == 0, "the first key is intact");
    snprintf(p, sizeof p, "%s.trust.json", prefix);
    struct ev_trust *t = NULL;
    ok(ev_trust_load(p, &t, &e) == 0 && ev_trust_count(t) == 1 && ev_trust_lookup(t, g1.kid) &&
       memcmp(ev_trust_lookup(t, g1.kid), g1.pk, 32) == 0, "the written trust file trusts the key");
    ev_trust_free(t);
    chmod(p, 0666);
    ok(ev_trust_load(p, &t, &e) < 0 && strstr(e.msg, "world-writable"), "a world-writable trust file is refused");
    ev_key_wipe(&g1);
    ev_key_wipe(&g2);

    /* ---- trust files */
    char kidhex[65], pk64[44], kid2hex[65], pk264[44], buf[600];
    ev_kid_hex(k.kid, kidhex);
    sc_b64url_encode(k.pk, 32, pk64);
    ev_kid_hex(k2.kid, kid2hex);
    sc_b64url_encode(k2.pk, 32, pk264);
    snprintf(buf, sizeof buf, " {\n \"%s\" : \"%s\" ,\n \"%s\":\"%s\"\n}\n", kidhex, pk64, kid2hex, pk264);
    ok(trust(buf, &t, &e) == 0 && ev_trust_count(t) == 2, "two keys, whitespace allowed");
    ok(ev_trust_lookup(t, k.kid) && ev_trust_lookup(t, k2.kid), "both found");
    uint8_t nokid[32] = { 1 };
    ok(ev_trust_lookup(t, nokid) == NULL, "an unknown kid is not");
    ev_trust_free(t);
    struct { const char *name, *why; char text[300]; } bt[12];
    int nb = 0;
    bt[nb].name = "not JSON"; bt[nb].why = "byte"; snprintf(bt[nb++].text, 300, "{");
    bt[nb].name = "not an object"; bt[nb].why = "not a JSON object"; snprintf(bt[nb++].text, 300, "[]");
    bt[nb].name = "empty"; bt[nb].why = "holds no keys"; snprintf(bt[nb++].text, 300, "{}");
    bt[nb].name = "duplicate kid"; bt[nb].why = "duplicate"; snprintf(bt[nb++].text, 300, "{\"%s\":\"%s\",\"%s\":\"%s\"}", kidhex, pk64, kidhex, pk64);
    bt[nb].name = "kid not SHA-256 of the key"; bt[nb].why = "does not match its public key"; snprintf(bt[nb++].text, 300, "{\"%s\":\"%s\"}", kidhex, pk264);
    bt[nb].name = "upper-case kid"; bt[nb].why = "is not a kid"; snprintf(bt[nb++].text, 300, "{\"%s\":\"%s\"}", "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", pk64);
    bt[nb].name = "short kid"; bt[nb].why = "is not a kid"; snprintf(bt[nb++].text, 300, "{\"abc\":\"%s\"}", pk64);
    bt[nb].name = "padded key"; bt[nb].why = "base64url"; snprintf(bt[nb++].text, 300, "{\"%s\":\"%s=\"}", kidhex, pk64);
    bt[nb].name = "key not a string"; bt[nb].why = "base64url"; snprintf(bt[nb++].text, 300, "{\"%s\":1}", kidhex);
    bt[nb].name = "trailing garbage"; bt[nb].why = "after the JSON value"; snprintf(bt[nb++].text, 300, "{\"%s\":\"%s\"} x", kidhex, pk64);
    for (int i = 0; i < nb; i++)
        ok(trust(bt[i].text, &t, &e) < 0 && strstr(e.msg, bt[i].why) && strstr(e.msg, "t.json") && !t,
           "trust file refused: %s (%s)", bt[i].name, e.msg);
    char *tt = ev_trust_text_for(k.pk);
    snprintf(buf, sizeof buf, "{\"%s\":\"%s\"}\n", kidhex, pk64);
    is_str(tt, buf, "ev_trust_text_for: canonical one-key trust file");
    free(tt);
    ok(ev_trust_load("/nonexistent/t.json", &t, &e) < 0 && strstr(e.msg, "does not exist"), "missing trust file");

    /* ---- DSSE PAE: the exact bytes */
    struct jcs_buf pae = { 0 };
    dsse_pae(CELL_EV_PAYLOAD_TYPE, "{\"a\":1}", 7, &pae);
    is_str(pae.p, "DSSEv1 36 application/vnd.cellos.event.v1+json 7 {\"a\":1}", "PAE of an event body");
    jcs_buf_free(&pae);
    dsse_pae(CP_SIG_PAYLOAD_TYPE, "", 0, &pae);
    is_str(pae.p, "DSSEv1 37 application/vnd.cellos.plan.v1+digest 0 ", "PAE of an empty body");
    jcs_buf_free(&pae);
    uint8_t sig[64];
    ok(dsse_sign(&k, CELL_EV_PAYLOAD_TYPE, "x", 1, sig, &e) == 0, "dsse_sign");
    ok(dsse_verify(k.pk, CELL_EV_PAYLOAD_TYPE, "x", 1, sig, &e) == 0, "dsse_verify accepts");
    ok(dsse_verify(k.pk, CELL_EV_PAYLOAD_TYPE, "y", 1, sig, &e) < 0, "another body is refused");
    ok(dsse_verify(k.pk, CP_SIG_PAYLOAD_TYPE, "x", 1, sig, &e) < 0, "another payload type is refused");
    ok(dsse_verify(k2.pk, CELL_EV_PAYLOAD_TYPE, "x", 1, sig, &e) < 0, "another key is refused");

    /* ---- plans: sign, read, check against a trust file */
    static const char *argv0[] = { "/bin/true" };
    static struct plan_mount_op ops[] = { { .opcode = CP_OP_ROOTFS, .src = "", .dst = "", .mode = 0755 },
                                          { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" } };
    struct plan pl;
    memset(&pl, 0, sizeof pl);
    pl.meta.name = "signme"; pl.meta.source = "signme.cell"; pl.meta.compiler = "cellc test"; pl.meta.hostname = "";
    pl.process.argv = argv0; pl.process.argc = 1; pl.process.cwd = "/";
    pl.fs.ops = ops; pl.fs.n_ops = 2;
    pl.seccomp.default_action = 0x7fff0000u;
    pl.events.source = ""; pl.events.subject = "";
    uint8_t *pb;
    size_t plen;
    char err[256];
    ok(plan_write(&pl, &pb, &plen, err, sizeof err) == 0, "a plan written");
    size_t unsigned_len = plen;
    uint8_t d0[32];
    const struct cp_signature *tr;
    ok(plan_bytes_digest(pb, plen, d0, &tr, &e) == 0 && tr == NULL, "unsigned plan: digest, no trailer");
    ok(plan_sign_bytes(&pb, &plen, &k, &e) == 0 && plen == unsigned_len + 104, "signed: 104-byte trailer");
    uint8_t d1[32];
    ok(plan_bytes_digest(pb, plen, d1, &tr, &e) == 0 && tr && memcmp(d0, d1, 32) == 0, "same digest with the trailer");
    struct ev_trust *tk = NULL, *tk2 = NULL;
    tt = ev_trust_text_for(k.pk);
    trust(tt, &tk, &e);
    free(tt);
    tt = ev_trust_text_for(k2.pk);
    trust(tt, &tk2, &e);
    free(tt);
    struct plan *rp;
    struct plan_error pe;
    ok(plan_read(pb, plen, &rp, &pe) == 0 && rp->signed_plan, "plan_read sees the signature");
    ok(plan_verify_trusted(rp, tk, &e) == 0, "trusted signer accepted");
    ok(plan_verify_trusted(rp, tk2, &e) < 0 && strstr(e.msg, "not in the trust file"), "untrusted signer: %s", e.msg);
    plan_free(rp);
    ok(plan_sign_bytes(&pb, &plen, &k2, &e) == 0 && plen == unsigned_len + 104, "re-signing replaces the trailer");
    ok(plan_read(pb, plen, &rp, &pe) == 0 && plan_verify_trusted(rp, tk2, &e) == 0 && plan_verify_trusted(rp, tk, &e) < 0,
       "now only the second signer is trusted");
    plan_free(rp);
    pb[plen - 1] ^= 1;
    ok(plan_read(pb, plen, &rp, &pe) == 0 && plan_verify_trusted(rp, tk2, &e) < 0 && strstr(e.msg, "bad signature"),
       "a flipped signature bit: %s", e.msg);
    plan_free(rp);
    pb[plen - 1] ^= 1;
    pb[plen - 104 + 8] ^= 1;
    ok(plan_read(pb, plen, &rp, &pe) == 0 && plan_verify_trusted(rp, tk2, &e) < 0 && strstr(e.msg, "not in the trust file"),
       "a changed kid in the trailer");
    plan_free(rp);
    pb[plen - 104 + 8] ^= 1;
    ok(plan_read(pb, unsigned_len, &rp, &pe) == 0 && plan_verify_trusted(rp, tk, &e) < 0 && strstr(e.msg, "not signed"),
       "an unsigned plan is refused when a trust file is given");
    plan_free(rp);
    pb[100] ^= 1;
    ok(plan_sign_bytes(&pb, &plen, &k, &e) < 0 && strstr(e.msg, "refusing to sign an invalid plan"), "an invalid plan is not signed");
    ok(plan_bytes_digest(pb, plen, d1, &tr, &e) < 0 && strstr(e.msg, "body SHA-256"), "framing check sees the damage");
    ok(plan_bytes_digest(pb, 10, d1, &tr, &e) < 0, "framing check: too short");
    free(pb);
    ev_trust_free(tk);
    ev_trust_free(tk2);
    ev_key_wipe(&k);
    ev_key_wipe(&k2);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
