/*
 * plan_sign.h - signing cell plans (`cellc --sign KEY`, `cellc sign`).
 *
 * A signed plan is the plan's bytes followed by the 104-byte signature
 * trailer of docs/plan-format.md: "CELLSIG1", the signer's kid, and an
 * Ed25519 signature over PAE(CP_SIG_PAYLOAD_TYPE, "sha256:<hex digest>").
 * The digest covers header and body only, so signing (or re-signing, which
 * replaces the trailer) never changes it. The signer first validates the
 * plan with plan_read(): it refuses to vouch for a plan cellrun would reject.
 * The runtime's check is plan_verify_trusted() in runtime/events/sign_verify.h.
 */
#ifndef CELLOS_PLAN_SIGN_H
#define CELLOS_PLAN_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"
#include "runtime/events/events.h"

/* Sign the plan in *buf (*len bytes, with or without a trailer): on success
 * *buf is reallocated to hold the plan plus the new trailer and *len is
 * updated. On failure *buf and *len are unchanged. */
int plan_sign_bytes(uint8_t **buf, size_t *len, const struct ev_key *key, struct cell_error *e);

/* The same with the key read from key_path by ev_key_load (fails closed on
 * a missing, unreadable, group/world-accessible or malformed key); the key is
 * wiped before returning. What cellc's --sign KEY calls on plan_write()'s
 * output before writing the file. */
int plan_sign_with_key_file(uint8_t **buf, size_t *len, const char *key_path, struct cell_error *e);

/* Sign the plan file at path in place (written to a temporary file in the
 * same directory, fsync'd, then renamed over it). */
int plan_sign_file(const char *path, const char *key_path, struct cell_error *e);

/* `cellc sign PLAN --key KEY` (argv[0] is "sign"): sign an existing plan
 * in place and print its digest and the kid. Exit 0; 1 the plan is invalid;
 * 2 usage, key or I/O error (cellc's statuses). */
int cellc_cmd_sign(int argc, char **argv);

/* `cellc sign PLAN --key KEY` (compiler/plan/plan_sign.c, events team): append or
 * replace PLAN's Ed25519 signature trailer in place. */
int cellc_cmd_sign(int argc, char **argv);

#endif
