/*
 * keys.h - Ed25519 signing keys and trust files (docs/events.md, "Keys").
 *
 * A key file (PREFIX.key, written by `cellrun keygen`) is one line:
 *     cellos-ed25519-secret-v1:<base64url of the 32-byte seed>\n
 * mode 0600, owned by its user. ev_key_load (events.h) refuses anything else.
 * A public key file (PREFIX.pub) is the base64url raw 32-byte public key and
 * a newline. The key id (kid) is SHA-256 of the raw public key, written as 64
 * lowercase hex digits.
 *
 * A trust file (the CellOS trust-keys format) is a JSON object mapping kid to
 * base64url raw public key, at least one member, every kid matching its key:
 *     {"<kid>":"<base64url public key>", ...}
 */
#ifndef CELLOS_KEYS_H
#define CELLOS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"
#include "events.h"

#define EV_KEY_FILE_PREFIX "cellos-ed25519-secret-v1:"
#define EV_KID_HEX_LEN     64
#define EV_TRUST_MAX_SIZE  (1024 * 1024) /* bytes; larger trust files are refused */
#define EV_TRUST_MAX_KEYS  4096

/* Make libsodium usable; every entry point here calls it. */
int ev_crypto_init(struct cell_error *e);

/* Derive the whole key from a 32-byte seed (tests use fixed seeds). */
int ev_key_from_seed(const uint8_t seed[32], struct ev_key *key, struct cell_error *e);
/* A fresh random key. */
int ev_key_generate(struct ev_key *key, struct cell_error *e);
/* ev_key_load (events.h) without deriving the public key: the same checks
 * of the file and its text, but only key->seed is filled (pk and kid are
 * zero). For the supervisor, whose ev_open derives the key once anyway
 * (ev_options.key_seed_only). */
int ev_key_load_seed(const char *path, struct ev_key *key, struct cell_error *e);
/* Parse the bytes of a key file (no permission checks: ev_key_load does those). */
int ev_key_parse(const char *text, size_t len, const char *name, struct ev_key *key, struct cell_error *e);
/* Write PREFIX.key (0600), PREFIX.pub and PREFIX.trust.json, each created with
 * O_EXCL: nothing is overwritten, and on failure nothing is left behind. */
int ev_key_write_files(const char *prefix, const struct ev_key *key, struct cell_error *e);

/* kid as 64 lowercase hex digits and a NUL. */
void ev_kid_hex(const uint8_t kid[32], char out[EV_KID_HEX_LEN + 1]);
/* kid = SHA-256(pk). */
void ev_kid_of(const uint8_t pk[32], uint8_t kid[32]);

struct ev_trust;

/* Load a trust file. Refused: missing, unreadable, not a regular file,
 * world-writable, larger than EV_TRUST_MAX_SIZE, not strict JSON, not an
 * object, empty, a kid that is not 64 lowercase hex digits, a key that is not
 * canonical base64url of 32 bytes, a kid that is not SHA-256 of its key. */
int ev_trust_load(const char *path, struct ev_trust **out, struct cell_error *e);
int ev_trust_parse(const char *text, size_t len, const char *name, struct ev_trust **out,
                   struct cell_error *e);
/* The raw public key trusted under kid, or NULL. */
const uint8_t *ev_trust_lookup(const struct ev_trust *t, const uint8_t kid[32]);
size_t ev_trust_count(const struct ev_trust *t);
void ev_trust_free(struct ev_trust *t);

/* The canonical trust file text holding just this public key, with a final
 * newline, into a malloc'd NUL-terminated string. */
char *ev_trust_text_for(const uint8_t pk[32]);

/* `cellrun keygen PREFIX` (runtime/events/keys_cmd.c): writes PREFIX.key (0600),
 * PREFIX.pub and PREFIX.trust.json, refusing to overwrite any, and prints
 * the kid. Exit 0, or 1 with a one-line message. */
int cellrun_cmd_keygen(int argc, char **argv);

#endif
