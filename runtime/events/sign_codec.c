/*
 * sign_codec.c - strict hex / base64 / base64url codecs (see sign_codec.h).
 *
 * Written out rather than taken from libsodium so that strictness is ours to
 * state: a decoder accepts only the canonical spelling, which it checks by
 * re-encoding what it decoded and comparing. Inputs are bounded by their
 * length arguments; nothing here reads past `len` or writes past `n`.
 */
#include "sign_codec.h"

#include <string.h>

static const char HEX[] = "0123456789abcdef";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t sc_hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 15];
    }
    out[2 * n] = 0;
    return 2 * n;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is not canonical */
}

int sc_hex_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_val(text[2 * i]), lo = hex_val(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static size_t b64_encode_with(const char *alpha, int pad, const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

size_t sc_b64_encode(const uint8_t *in, size_t n, char *out)
{
    return b64_encode_with(B64, 1, in, n, out);
}

size_t sc_b64url_encode(const uint8_t *in, size_t n, char *out)
{
    return b64_encode_with(B64URL, 0, in, n, out);
}

static int b64_val(const char *alpha, char c)
{
    const char *p = c ? memchr(alpha, c, 64) : NULL;
    return p ? (int)(p - alpha) : -1;
}

/* Decode then compare a re-encoding with the input: only the canonical
 * spelling (right length, right padding, zero trailing bits) passes. */
static int b64_decode_with(const char *alpha, int pad, const char *text, size_t len, uint8_t *out, size_t n)
{
    size_t want = pad ? SC_B64_LEN(n) : SC_B64URL_LEN(n);
    if (len != want || n > 1024)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '=')
            break;
        int v = b64_val(alpha, text[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < n)
                out[o] = (uint8_t)(acc >> bits);
            o++;
            acc &= (1u << bits) - 1;
        }
    }
    if (o != n)
        return -1;
    char check[SC_B64_LEN(1024) + 1];
    b64_encode_with(alpha, pad, out, n, check);
    return memcmp(check, text, len) == 0 ? 0 : -1;
}

int sc_b64_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
    return b64_decode_with(B64, 1, text, len, out, n);
}

int sc_b64url_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
    return b64_decode_with(B64URL, 0, text, len, out, n);
}
