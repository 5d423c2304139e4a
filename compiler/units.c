/*
 * units.c - typed scalar values of the policy language (see units.h).
 *
 * All arithmetic is checked for overflow; a value that does not fit is an
 * error, never a wrap.
 */
#include "units.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan_format.h"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits in base `base` from s[0..n), into *out; -1 on a bad digit or overflow. */
static int digits(const char *s, size_t n, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        if (d >= base)
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -2;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    size_t n = strlen(s);
    uint64_t v;
    int rc;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        rc = digits(s + 2, n - 2, 16, &v);
        if (rc == -1)
            return fail(err, errlen, "invalid hexadecimal number '%s'", s);
    } else if (n > 1 && s[0] == '0') {
        rc = digits(s + 1, n - 1, 8, &v);
        if (rc == -1) {
            for (size_t i = 0; i < n; i++)
                if (!is_digit(s[i]))
                    return fail(err, errlen, "invalid number '%s' (no unit is allowed here)", s);
            return fail(err, errlen, "invalid octal number '%s' (a leading 0 means octal)", s);
        }
    } else {
        rc = digits(s, n, 10, &v);
        if (rc == -1) {
            if (n && is_digit(s[0]))
                return fail(err, errlen, "invalid number '%s' (no unit is allowed here)", s);
            return fail(err, errlen, "invalid number '%s'", s);
        }
    }
    if (rc == -2 || v > max)
        return fail(err, errlen, "number '%s' is out of range (at most %llu)", s, (unsigned long long)max);
    *out = v;
    return 0;
}

/* Split "12.5MiB" into integer part, fraction digits and unit. */
struct split {
    uint64_t ipart;
    uint64_t frac;        /* fraction digits as an integer */
    unsigned frac_digits; /* how many */
    const char *unit;
};

static int split_number(const char *s, struct split *sp, char *err, size_t errlen)
{
    size_t i = 0;
    while (is_digit(s[i]))
        i++;
    if (i == 0)
        return fail(err, errlen, "invalid number '%s'", s);
    int rc = digits(s, i, 10, &sp->ipart);
    if (rc == -2)
        return fail(err, errlen, "number '%s' is out of range", s);
    sp->frac = 0;
    sp->frac_digits = 0;
    if (s[i] == '.') {
        size_t j = i + 1;
        while (is_digit(s[j]))
            j++;
        if (j == i + 1)
            return fail(err, errlen, "invalid number '%s'", s);
        if (j - i - 1 > 9)
            return fail(err, errlen, "number '%s' has more than 9 fraction digits", s);
        digits(s + i + 1, j - i - 1, 10, &sp->frac);
        sp->frac_digits = (unsigned)(j - i - 1);
        i = j;
    }
    sp->unit = s + i;
    for (const char *u = sp->unit; *u; u++)
        if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z')))
            return fail(err, errlen, "invalid number '%s'", s);
    return 0;
}

static uint64_t pow10u(unsigned n)
{
    uint64_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

/* ipart.frac * mul, exactly when `exact`; returns -1 on overflow, -2 when
 * the result is not whole and exact is requested. */
static int scale(const struct split *sp, uint64_t mul, bool exact, uint64_t *out)
{
    if (mul && sp->ipart > UINT64_MAX / mul)
        return -1;
    uint64_t v = sp->ipart * mul;
    if (sp->frac_digits) {
        uint64_t den = pow10u(sp->frac_digits);
        /* frac < den <= 1e9 and mul <= 2^40*..; use 128-bit to be safe */
        unsigned __int128 f = (unsigned __int128)sp->frac * mul;
        if (exact && f % den)
            return -2;
        uint64_t add = (uint64_t)(f / den);
        if (v > UINT64_MAX - add)
            return -1;
        v += add;
    }
    *out = v;
    return 0;
}

int parse_bytes(const char *s, uint64_t *out, char *err, size_t errlen)
{
    struct split sp;
    if (split_number(s, &sp, err, errlen))
        return -1;
    static const struct {
        const char *u;
        uint64_t mul;
    } units[] = {
        { "", 1 },
        { "B", 1 },
        { "KiB", 1ull << 10 },
        { "MiB", 1ull << 20 },
        { "GiB", 1ull << 30 },
        { "TiB", 1ull << 40 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(sp.unit, units[i].u) != 0)
            continue;
        if (units[i].mul == 1) {
            if (sp.frac_digits)
                return fail(err, errlen, "a byte count must be whole: '%s'", s);
            if (sp.unit[0] == 0 && s[0] == '0' && s[1])
                return parse_uint(s, UINT64_MAX, out, err, errlen);
        }
        int rc = scale(&sp, units[i].mul, false, out);
        if (rc == -1)
            return fail(err, errlen, "size '%s' is out of range", s);
        return 0;
    }
    const char *u = sp.unit;
    if (!strcmp(u, "K") || !strcmp(u, "KB") || !strcmp(u, "k") || !strcmp(u, "kB"))
        return fail(err, errlen, "ambiguous unit '%s' in '%s': write KiB (1024 bytes)", u, s);
    if (!strcmp(u, "M") || !strcmp(u, "MB"))
        return fail(err, errlen, "ambiguous unit '%s' in '%s': write MiB (2^20 bytes)", u, s);
    if (!strcmp(u, "G") || !strcmp(u, "GB"))
        return fail(err, errlen, "ambiguous unit '%s' in '%s': write GiB (2^30 bytes)", u, s);
    if (!strcmp(u, "T") || !strcmp(u, "TB"))
        return fail(err, errlen, "ambiguous unit '%s' in '%s': write TiB (2^40 bytes)", u, s);
    return fail(err, errlen, "unknown size unit '%s' in '%s' (use B, KiB, MiB, GiB or TiB)", u, s);
}

int parse_duration_ms(const char *s, uint64_t *out, char *err, size_t errlen)
{
    struct split sp;
    if (split_number(s, &sp, err, errlen))
        return -1;
    static const struct {
        const char *u;
        uint64_t mul;
    } units[] = {
        { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    if (sp.unit[0] == 0)
        return fail(err, errlen, "duration '%s' needs a unit (ms, s, m, h or d)", s);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(sp.unit, units[i].u) != 0)
            continue;
        int rc = scale(&sp, units[i].mul, true, out);
        if (rc == -1)
            return fail(err, errlen, "duration '%s' is out of range", s);
        if (rc == -2)
            return fail(err, errlen, "duration '%s' is not a whole number of milliseconds", s);
        return 0;
    }
    return fail(err, errlen, "unknown duration unit '%s' in '%s' (use ms, s, m, h or d)", sp.unit, s);
}

int parse_cpu_millis(const char *s, uint32_t *out, char *err, size_t errlen)
{
    struct split sp;
    if (split_number(s, &sp, err, errlen))
        return -1;
    uint64_t v;
    int rc;
    if (sp.unit[0] == 0)
        rc = scale(&sp, 1000, true, &v);
    else if (!strcmp(sp.unit, "m"))
        rc = sp.frac_digits ? -2 : scale(&sp, 1, true, &v);
    else
        return fail(err, errlen,
                    "unknown CPU unit '%s' in '%s' (write cores, e.g. 1.5, or millicores, e.g. 1500m)",
                    sp.unit, s);
    if (rc == -2)
        return fail(err, errlen, "CPU '%s' is finer than a millicore", s);
    if (rc == -1 || v > UINT32_MAX)
        return fail(err, errlen, "CPU '%s' is out of range", s);
    if (v == 0)
        return fail(err, errlen, "CPU must be more than 0 (omit the limit for none)");
    *out = (uint32_t)v;
    return 0;
}

int parse_mode(const char *s, uint32_t max, uint32_t *out, char *err, size_t errlen)
{
    uint64_t v;
    size_t n = strlen(s);
    int rc = digits(s, n, 8, &v);
    if (rc == -1)
        return fail(err, errlen, "invalid mode '%s': a mode is octal digits, e.g. 0755", s);
    if (rc == -2 || v > max)
        return fail(err, errlen, "mode '%s' is out of range (at most 0%o)", s, max);
    *out = (uint32_t)v;
    return 0;
}

int check_path(const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0)
        return fail(err, errlen, "empty path");
    if (memchr(s, 0, len))
        return fail(err, errlen, "path contains a NUL byte");
    if (len > CP_MAX_PATH)
        return fail(err, errlen, "path is longer than %d bytes", CP_MAX_PATH);
    if (s[0] != '/')
        return fail(err, errlen, "path must be absolute (start with '/')");
    if (len == 1)
        return 0;
    if (s[len - 1] == '/')
        return fail(err, errlen, "path must not end with '/'");
    size_t i = 1;
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != '/')
            j++;
        size_t clen = j - i;
        if (clen == 0)
            return fail(err, errlen, "path must not contain '//'");
        if (clen == 1 && s[i] == '.')
            return fail(err, errlen, "path must not contain a '.' component");
        if (clen == 2 && s[i] == '.' && s[i + 1] == '.')
            return fail(err, errlen, "path must not contain a '..' component");
        if (clen > 255)
            return fail(err, errlen, "path component is longer than 255 bytes");
        i = j + 1;
    }
    return 0;
}

int check_host(const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0)
        return fail(err, errlen, "empty host name");
    if (len > 253)
        return fail(err, errlen, "host name is longer than 253 bytes");
    if (s[len - 1] == '.')
        return fail(err, errlen, "host name must not end with '.'");
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '.')
            j++;
        size_t l = j - i;
        if (l == 0)
            return fail(err, errlen, "host name has an empty label");
        if (l > 63)
            return fail(err, errlen, "host name label is longer than 63 bytes");
        for (size_t k = i; k < j; k++) {
            char c = s[k];
            bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-';
            if (!okc)
                return fail(err, errlen, "host name may hold only letters, digits, '-' and '.'");
        }
        if (s[i] == '-' || s[j - 1] == '-')
            return fail(err, errlen, "host name label must not start or end with '-'");
        i = j + 1;
    }
    return 0;
}

int check_env_name(const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > 255)
        return fail(err, errlen, "environment variable name must be 1 to 255 bytes");
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i && is_digit(c));
        if (!okc)
            return fail(err, errlen, "invalid environment variable name (use [A-Za-z_][A-Za-z0-9_]*)");
    }
    return 0;
}

int check_cell_name(const char *s, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > 64)
        return fail(err, errlen, "cell name must be 1 to 64 bytes");
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.' ||
            c == '-';
        if (!okc)
            return fail(err, errlen, "cell name may hold only letters, digits, '_', '.' and '-'");
    }
    return 0;
}

int parse_cidr(const char *addr, const char *prefix_text, struct cidr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(addr);
    unsigned maxp;
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
        char tmp[64];
        if (n - 2 >= sizeof tmp)
            return fail(err, errlen, "invalid IPv6 address '%s'", addr);
        memcpy(tmp, addr + 1, n - 2);
        tmp[n - 2] = 0;
        if (inet_pton(AF_INET6, tmp, out->addr) != 1)
            return fail(err, errlen, "invalid IPv6 address '%s'", addr);
        out->family = 6;
        maxp = 128;
    } else {
        /* strict dotted quad: four decimal parts 0..255 without leading zeros */
        const char *p = addr;
        for (int part = 0; part < 4; part++) {
            size_t k = 0;
            unsigned v = 0;
            while (is_digit(p[k]) && k < 4) {
                v = v * 10 + (unsigned)(p[k] - '0');
                k++;
            }
            if (k == 0 || k > 3 || v > 255 || (k > 1 && p[0] == '0'))
                return fail(err, errlen, "invalid IPv4 address '%s'", addr);
            out->addr[part] = (uint8_t)v;
            p += k;
            if (part < 3) {
                if (*p != '.')
                    return fail(err, errlen, "invalid IPv4 address '%s'", addr);
                p++;
            } else if (*p) {
                return fail(err, errlen, "invalid IPv4 address '%s'", addr);
            }
        }
        out->family = 4;
        maxp = 32;
    }
    uint64_t pre = maxp;
    if (prefix_text) {
        char e2[128];
        if (parse_uint(prefix_text, maxp, &pre, e2, sizeof e2) || (prefix_text[0] == '0' && prefix_text[1]))
            return fail(err, errlen, "invalid prefix length '/%s' (0 to %u)", prefix_text, maxp);
    }
    out->prefix = (uint8_t)pre;
    unsigned bytes = maxp / 8;
    for (unsigned bit = (unsigned)pre; bit < bytes * 8; bit++) {
        if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
            return fail(err, errlen, "address '%s/%s' has host bits set after the /%u prefix", addr,
                        prefix_text ? prefix_text : "", (unsigned)pre);
    }
    return 0;
}

int parse_sha256_hex(const char *s, size_t len, uint8_t out[32], char *err, size_t errlen)
{
    if (len != 64)
        return fail(err, errlen, "a SHA-256 must be 64 hex digits (got %zu bytes)", len);
    for (size_t i = 0; i < 32; i++) {
        uint64_t v;
        if (digits(s + 2 * i, 2, 16, &v))
            return fail(err, errlen, "a SHA-256 must be 64 hex digits");
        out[i] = (uint8_t)v;
    }
    return 0;
}


int path_cmp(const char *a, const char *b)
{
    /* compare with '/' sorting before every other byte */
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x == y) {
            if (!x)
                return 0;
            continue;
        }
        if (!x)
            return -1;
        if (!y)
            return 1;
        if (x == '/')
            return -1;
        if (y == '/')
            return 1;
        return x < y ? -1 : 1;
    }
}
