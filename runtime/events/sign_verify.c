/*
 * sign_verify.c - DSSE PAE, Ed25519 sign/verify over it, plan framing and
 * the trusted-plan check (see sign_verify.h).
 *
 * The plan framing check here is deliberately minimal: it establishes which
 * bytes the digest covers and nothing else. Running a plan still requires the
 * full validation of plan_read().
 */
#include "sign_verify.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sign_codec.h"

int dsse_pae(const char *type, const void *body, size_t len, struct jcs_buf *out)
{
    char head[160];
    size_t tl = strlen(type);
    int n = snprintf(head, sizeof head, "DSSEv1 %zu ", tl);
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    char mid[32];
    int m = snprintf(mid, sizeof mid, " %zu ", len);
    if (jcs_buf_append(out, head, (size_t)n) < 0 || jcs_buf_append(out, type, tl) < 0 ||
        jcs_buf_append(out, mid, (size_t)m) < 0 || jcs_buf_append(out, body, len) < 0)
        return -1;
    return 0;
}

int dsse_sign(const struct ev_key *key, const char *type, const void *body, size_t len, uint8_t sig[64],
              struct cell_error *e)
{
    if (ev_crypto_init(e) < 0)
        return -1;
    struct jcs_buf pae = { 0 };
    uint8_t pk[32], sk[crypto_sign_SECRETKEYBYTES];
    if (dsse_pae(type, body, len, &pae) < 0) {
        jcs_buf_free(&pae);
        return cell_err(e, ENOMEM, "signing: out of memory");
    }
    crypto_sign_seed_keypair(pk, sk, key->seed);
    int rc = 0;
    if (memcmp(pk, key->pk, 32) != 0)
        rc = cell_err(e, 0, "signing: the key's public half does not match its seed");
    else
        crypto_sign_detached(sig, NULL, (const unsigned char *)pae.p, pae.len, sk);
    sodium_memzero(sk, sizeof sk);
    jcs_buf_free(&pae);
    return rc;
}

int dsse_verify(const uint8_t pk[32], const char *type, const void *body, size_t len, const uint8_t sig[64],
                struct cell_error *e)
{
    if (ev_crypto_init(e) < 0)
        return -1;
    struct jcs_buf pae = { 0 };
    if (dsse_pae(type, body, len, &pae) < 0) {
        jcs_buf_free(&pae);
        return cell_err(e, ENOMEM, "verifying: out of memory");
    }
    int ok = crypto_sign_verify_detached(sig, (const unsigned char *)pae.p, pae.len, pk);
    jcs_buf_free(&pae);
    return ok == 0 ? 0 : cell_err(e, 0, "bad signature");
}

void plan_digest_string(const uint8_t digest[32], char out[PLAN_DIGEST_STR_LEN + 1])
{
    memcpy(out, "sha256:", 7);
    sc_hex_encode(digest, 32, out + 7);
}

int plan_bytes_digest(const uint8_t *buf, size_t len, uint8_t digest[32], const struct cp_signature **trailer,
                      struct cell_error *e)
{
    *trailer = NULL;
    if (ev_crypto_init(e) < 0)
        return -1;
    struct cp_header h;
    if (len < sizeof h)
        return cell_err(e, 0, "header: %zu bytes is shorter than a plan header", len);
    if (len > CP_MAX_PLAN_SIZE + sizeof(struct cp_signature))
        return cell_err(e, 0, "header: larger than the %u-byte plan limit", CP_MAX_PLAN_SIZE);
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.magic, CP_MAGIC, 8) != 0)
        return cell_err(e, 0, "header at offset 0: not a cell plan (bad magic)");
    if (h.version_major != CP_VERSION_MAJOR)
        return cell_err(e, 0, "header at offset 8: plan format major version %u is not %u", h.version_major,
                        CP_VERSION_MAJOR);
    if (h.header_size != CP_HEADER_SIZE)
        return cell_err(e, 0, "header at offset 16: header_size %u is not %u", h.header_size, CP_HEADER_SIZE);
    uint64_t body = h.body_length, covered = CP_HEADER_SIZE + body;
    if (body > CP_MAX_PLAN_SIZE || (len != covered && len != covered + sizeof(struct cp_signature)))
        return cell_err(e, 0,
                        "header at offset 24: body_length %llu does not fit the file "
                        "length %zu",
                        (unsigned long long)body, len);
    uint8_t bsha[32];
    crypto_hash_sha256(bsha, buf + CP_HEADER_SIZE, body);
    if (memcmp(bsha, h.body_sha256, 32) != 0)
        return cell_err(e, 0, "header at offset 32: body SHA-256 does not match the body");
    if (len != covered) {
        const struct cp_signature *s = (const struct cp_signature *)(buf + covered);
        if (memcmp(s->magic, CP_SIG_MAGIC, 8) != 0)
            return cell_err(e, 0, "trailer at offset %llu: bad signature trailer magic",
                            (unsigned long long)covered);
        *trailer = s;
    }
    crypto_hash_sha256(digest, buf, covered);
    return 0;
}

int plan_signature_check(const uint8_t digest[32], const struct cp_signature *sig, const struct ev_trust *t,
                         struct cell_error *e)
{
    if (!sig)
        return cell_err(e, 0, "plan signature: the plan is not signed and a trust file was given");
    char kidhex[EV_KID_HEX_LEN + 1], m[PLAN_DIGEST_STR_LEN + 1];
    ev_kid_hex(sig->kid, kidhex);
    const uint8_t *pk = ev_trust_lookup(t, sig->kid);
    if (!pk)
        return cell_err(e, 0, "plan signature: signed by key %s, which is not in the trust file", kidhex);
    plan_digest_string(digest, m);
    if (dsse_verify(pk, CP_SIG_PAYLOAD_TYPE, m, PLAN_DIGEST_STR_LEN, sig->sig, NULL) < 0)
        return cell_err(e, 0, "plan signature: bad signature by key %s over %s", kidhex, m);
    return 0;
}

int plan_verify_trusted(const struct plan *p, const struct ev_trust *t, struct cell_error *e)
{
    return plan_signature_check(p->digest, p->signed_plan ? &p->signature : NULL, t, e);
}
