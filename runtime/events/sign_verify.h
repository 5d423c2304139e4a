/*
 * sign_verify.h - DSSE signing primitives shared by events and plans, and
 * the runtime's check of a signed plan against a trust file.
 *
 * Both CellOS signatures are Ed25519 over the DSSE v1 pre-authentication
 * encoding  "DSSEv1" SP len(PT) SP PT SP len(BODY) SP BODY  (lengths in
 * decimal ASCII, SP one space byte): events with PT CELL_EV_PAYLOAD_TYPE and
 * BODY the canonical event without its `sig`; plans with PT
 * CP_SIG_PAYLOAD_TYPE and BODY "sha256:<hex plan digest>".
 *
 * `cellrun --trust KEYS.json PLAN` calls plan_verify_trusted() after
 * plan_read() and before anything of the plan is used: an unsigned plan, a
 * kid not in the trust file, or a bad signature is refused.
 */
#ifndef CELLOS_SIGN_VERIFY_H
#define CELLOS_SIGN_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"
#include "events.h"
#include "jcs.h"
#include "keys.h"
#include "plan.h"

/* Append PAE(type, body) to out; -1 when out of memory. */
int dsse_pae(const char *type, const void *body, size_t len, struct jcs_buf *out);

/* Ed25519-sign PAE(type, body) with key; sig gets 64 bytes. */
int dsse_sign(const struct ev_key *key, const char *type, const void *body, size_t len, uint8_t sig[64],
              struct cell_error *e);
/* 0 when sig is a valid signature by pk over PAE(type, body), else -1 (and
 * e says why when not NULL). */
int dsse_verify(const uint8_t pk[32], const char *type, const void *body, size_t len, const uint8_t sig[64],
                struct cell_error *e);

/* "sha256:<64 lowercase hex>" and a NUL: 72 bytes. */
#define PLAN_DIGEST_STR_LEN 71
void plan_digest_string(const uint8_t digest[32], char out[PLAN_DIGEST_STR_LEN + 1]);

/* Check only the framing of plan bytes (magic, header size, major version,
 * body length against the file length, body SHA-256, trailer magic) and
 * compute the plan digest. *trailer points into buf when the plan is signed,
 * else is NULL. Used by the signer and by `verify --plan`, which need the
 * digest, not the decoded plan. */
int plan_bytes_digest(const uint8_t *buf, size_t len, uint8_t digest[32], const struct cp_signature **trailer,
                      struct cell_error *e);

/* Check a plan's signature trailer against the trust file: present, kid
 * trusted, Ed25519 signature valid over PAE(CP_SIG_PAYLOAD_TYPE, "sha256:<hex>"). */
int plan_signature_check(const uint8_t digest[32], const struct cp_signature *sig, const struct ev_trust *t,
                         struct cell_error *e);

/* The same for a plan decoded by plan_read() (uses p->digest, p->signed_plan,
 * p->signature). Error messages start with "plan signature: ". */
int plan_verify_trusted(const struct plan *p, const struct ev_trust *t, struct cell_error *e);

#endif
