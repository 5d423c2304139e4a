/*
 * nkey.h - NATS nkeys, the part a publisher needs: decode a seed ("S" +
 * type letter, RFC 4648 base32 without padding of prefix bytes, the 32-byte
 * Ed25519 seed and a CRC-16/XMODEM, little endian), derive the public key
 * string, sign the server's nonce (base64url, unpadded), and read a creds
 * file (JWT + seed). Secrets are wiped by the caller (nkey_wipe).
 */
#ifndef CELLOS_NKEY_H
#define CELLOS_NKEY_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"

#define NKEY_PUBLIC_LEN 56 /* characters of an encoded public key */

struct nkey {
    uint8_t seed[32];
    uint8_t sk[64];                       /* libsodium secret key (seed || pk) */
    char public_key[NKEY_PUBLIC_LEN + 1]; /* "U..." */
    char *jwt;                            /* from a creds file, else NULL */
};

uint16_t nkey_crc16(const uint8_t *p, size_t n);

/* Decode an encoded seed (e.g. "SUA..."); the key type must be user ('U').
 * what names the source in messages. */
int nkey_from_seed(const char *text, size_t len, struct nkey *k, const char *what, struct cell_error *e);

/* Read a seed file (the first line that starts with 'S') or a creds file
 * (JWT and seed between the BEGIN/END markers). Refuses files group or
 * others can read. */
int nkey_load_seed_file(const char *path, struct nkey *k, struct cell_error *e);
int nkey_load_creds_file(const char *path, struct nkey *k, struct cell_error *e);

/* Ed25519 signature of nonce as base64url without padding into out
 * (at least 87 bytes). */
int nkey_sign_nonce(const struct nkey *k, const char *nonce, size_t nonce_len, char *out, size_t cap,
                    struct cell_error *e);

void nkey_wipe(struct nkey *k);

#endif
