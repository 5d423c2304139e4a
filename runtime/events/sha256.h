/*
 * sha256.h - SHA-256 for the event chain (every line is hashed once when it
 * is written and once when it is verified).
 *
 * The same digest as libsodium's crypto_hash_sha256 (FIPS 180-4), computed
 * with the x86 SHA extensions where the CPU has them (about eight times
 * faster than the portable code on a line of an event), else by libsodium.
 * Stateless and thread-safe. The CPU check is the caller's, once: a stream
 * or a verifier keeps its answer.
 */
#ifndef CELLOS_EV_SHA256_H
#define CELLOS_EV_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* out = SHA-256(data[0..len)); accel: what ev_sha256_accelerated() said. */
void ev_sha256(uint8_t out[32], const void *data, size_t len, bool accel);

/* The same computed by libsodium alone (tests compare the two). */
void ev_sha256_portable(uint8_t out[32], const void *data, size_t len);

/* Whether this CPU has the SHA extensions (ev_sha256's accel). */
bool ev_sha256_accelerated(void);

#endif
