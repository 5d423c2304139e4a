/*
 * nkey.c - NATS nkeys (nkey.h): base32 + CRC-16 codec, seed decode,
 * public key encode, nonce signing with libsodium, seed and creds files.
 */
#include "nkey.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX_SEED (18 << 3) /* 'S' */
#define PREFIX_USER (20 << 3) /* 'U' */

uint16_t nkey_crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* RFC 4648 base32 without padding; -1 on a bad character or a size over
 * cap. Returns the decoded byte count. */
static int b32_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(b32, s[i]) : NULL;
        if (!p)
            return -1;
        acc = (acc << 5) | (uint32_t)(p - b32);
        bits += 5;
        if (bits >= 8) {
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
        acc &= (1u << bits) - 1;
    }
    return (int)o;
}

static size_t b32_encode(const uint8_t *p, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
        acc &= (1u << bits) - 1;
    }
    if (bits)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    out[o] = 0;
    return o;
}

int nkey_from_seed(const char *text, size_t len, struct nkey *k, const char *what, struct cell_error *e)
{
    uint8_t raw[40];
    memset(k, 0, sizeof *k);
    int n = b32_decode(text, len, raw, sizeof raw);
    if (n != 36) {
        explicit_bzero(raw, sizeof raw);
        return cell_err(e, 0, "%s: not an nkey seed (want 58 base32 characters starting with SU)", what);
    }
    uint16_t crc = (uint16_t)(raw[34] | raw[35] << 8);
    uint8_t b1 = raw[0] & 0xf8, type = (uint8_t)(((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3));
    bool good = nkey_crc16(raw, 34) == crc && b1 == PREFIX_SEED;
    if (!good || type != PREFIX_USER) {
        explicit_bzero(raw, sizeof raw);
        return cell_err(e, 0,
                        good ? "%s: the nkey seed is not a user key (SU...)"
                             : "%s: bad nkey seed (checksum or prefix)",
                        what);
    }
    memcpy(k->seed, raw + 2, 32);
    explicit_bzero(raw, sizeof raw);
    uint8_t pk[32];
    if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, k->sk, k->seed) != 0)
        return cell_err(e, 0, "%s: libsodium failed", what);
    uint8_t pub[35];
    pub[0] = PREFIX_USER;
    memcpy(pub + 1, pk, 32);
    uint16_t c = nkey_crc16(pub, 33);
    pub[33] = (uint8_t)c;
    pub[34] = (uint8_t)(c >> 8);
    b32_encode(pub, 35, k->public_key);
    return 0;
}

/* The whole file (at most 64 KiB), refused when group or others may read it. */
static char *read_private(const char *path, size_t *len, struct cell_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        cell_err_sys(e, errno, "%s", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 65536) {
        close(fd);
        cell_err(e, 0, "%s: not a regular file of at most 64 KiB", path);
        return NULL;
    }
    if (st.st_mode & 077) {
        close(fd);
        cell_err(e, 0, "%s: mode %04o lets group or others access it (chmod 600 it)", path,
                 (unsigned)(st.st_mode & 07777));
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t r = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (r < 0) {
        free(buf);
        cell_err(e, errno, "%s: cannot read", path);
        return NULL;
    }
    buf[r] = 0;
    *len = (size_t)r;
    return buf;
}

static void free_private(char *buf, size_t len)
{
    if (buf) {
        explicit_bzero(buf, len);
        free(buf);
    }
}

/* The first line at or after p starting with c; its length in *n. */
static const char *line_starting(const char *p, char c, size_t *n)
{
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t l = strcspn(p, "\r\n");
        if (*p == c) {
            *n = l;
            while (*n && (p[*n - 1] == ' ' || p[*n - 1] == '\t'))
                (*n)--;
            return p;
        }
        p += l;
        p += strspn(p, "\r\n");
    }
    return NULL;
}

int nkey_load_seed_file(const char *path, struct nkey *k, struct cell_error *e)
{
    size_t len = 0, n = 0;
    char *buf = read_private(path, &len, e);
    if (!buf)
        return -1;
    const char *s = line_starting(buf, 'S', &n);
    int r = s ? nkey_from_seed(s, n, k, path, e) : cell_err(e, 0, "%s: no nkey seed (a line SU...)", path);
    free_private(buf, len);
    return r;
}

/* The first line after the marker line containing "BEGIN <what>". */
static const char *after_marker(const char *buf, const char *what, size_t *n)
{
    const char *m = strstr(buf, what);
    if (!m)
        return NULL;
    m += strcspn(m, "\r\n");
    m += strspn(m, "\r\n \t");
    *n = strcspn(m, "\r\n \t");
    return *n ? m : NULL;
}

int nkey_load_creds_file(const char *path, struct nkey *k, struct cell_error *e)
{
    size_t len = 0, jn = 0, sn = 0;
    char *buf = read_private(path, &len, e);
    if (!buf)
        return -1;
    const char *jwt = after_marker(buf, "BEGIN NATS USER JWT", &jn);
    const char *seed = after_marker(buf, "BEGIN USER NKEY SEED", &sn);
    int r;
    if (!jwt || !seed)
        r = cell_err(e, 0, "%s: not a NATS creds file (want the USER JWT and USER NKEY SEED blocks)", path);
    else if ((r = nkey_from_seed(seed, sn, k, path, e)) == 0 && !(k->jwt = strndup(jwt, jn)))
        r = cell_err(e, ENOMEM, "%s", path);
    if (r == 0)
        for (const char *p = k->jwt; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
                r = cell_err(e, 0, "%s: the JWT holds characters a JWT cannot", path);
                break;
            }
    free_private(buf, len);
    if (r < 0)
        nkey_wipe(k);
    return r;
}

int nkey_sign_nonce(const struct nkey *k, const char *nonce, size_t nonce_len, char *out, size_t cap,
                    struct cell_error *e)
{
    uint8_t sig[64];
    if (cap < sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return cell_err(e, 0, "nkey: signature buffer too small");
    crypto_sign_detached(sig, NULL, (const uint8_t *)nonce, nonce_len, k->sk);
    sodium_bin2base64(out, cap, sig, 64, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

void nkey_wipe(struct nkey *k)
{
    free(k->jwt);
    explicit_bzero(k, sizeof *k);
}
