/*
 * sign_codec.h - the text encodings of keys, digests and signatures:
 * lowercase hex, base64 (RFC 4648 section 4, padded) and base64url (RFC 4648
 * section 5, unpadded). Decoders are strict: they accept exactly the one
 * canonical spelling of a value (no whitespace, no padding where none is
 * due, no non-zero trailing bits), so a decoded value re-encodes to the
 * input byte for byte.
 */
#ifndef CELLOS_SIGN_CODEC_H
#define CELLOS_SIGN_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes, without the terminating NUL. */
#define SC_HEX_LEN(n)    ((n)*2)
#define SC_B64_LEN(n)    ((((n) + 2) / 3) * 4)
#define SC_B64URL_LEN(n) (((n)*4 + 2) / 3)

/* Encoders write the text and a terminating NUL; `out` must hold the
 * matching *_LEN(n) + 1 bytes. They return the text length. */
size_t sc_hex_encode(const uint8_t *in, size_t n, char *out);
size_t sc_b64_encode(const uint8_t *in, size_t n, char *out);
size_t sc_b64url_encode(const uint8_t *in, size_t n, char *out);

/* Decoders take `len` characters (not NUL-terminated) and decode exactly
 * `n` bytes into out; any other length or a non-canonical spelling returns
 * -1. They return 0 on success. */
int sc_hex_decode(const char *text, size_t len, uint8_t *out, size_t n);
int sc_b64_decode(const char *text, size_t len, uint8_t *out, size_t n);
int sc_b64url_decode(const char *text, size_t len, uint8_t *out, size_t n);

#endif
