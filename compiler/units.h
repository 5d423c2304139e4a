/*
 * units.h - the typed scalar values of the policy language: integers,
 * bytes, durations, CPU shares, octal modes, paths, host names, addresses.
 *
 * Each parser takes the raw spelling the scanner kept and either fills *out
 * and returns 0, or writes a one-line reason into err (without the value's
 * location: the caller reports it at the token) and returns -1. Nothing here
 * allocates. Rules (docs/language.md, "Values"):
 *
 *  - integers: decimal, 0x hex, or octal with a leading 0 (C's rule);
 *  - a number with a unit is decimal and may have a fraction (1.5GiB);
 *  - bytes: B KiB MiB GiB TiB (binary); K, M, G, KB, MB, GB are refused as
 *    ambiguous;
 *  - durations: ms s m h d, a unit is required;
 *  - CPU: cores (2, 0.5) or millicores (1500m);
 *  - modes: octal digits, with or without the leading 0 (1777 = 01777).
 */
#ifndef CELLOS_UNITS_H
#define CELLOS_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_uint(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);
int parse_bytes(const char *s, uint64_t *out, char *err, size_t errlen);
int parse_duration_ms(const char *s, uint64_t *out, char *err, size_t errlen);
int parse_cpu_millis(const char *s, uint32_t *out, char *err, size_t errlen);
int parse_mode(const char *s, uint32_t max, uint32_t *out, char *err, size_t errlen);

/* An absolute, normalised path: starts with '/', no empty, "." or ".."
 * component, no trailing '/' (except "/" itself), no NUL, at most 4095
 * bytes. len counts bytes (the string may hold NUL, which is refused). */
int check_path(const char *s, size_t len, char *err, size_t errlen);
/* A DNS host name per RFC 1123: labels of [A-Za-z0-9-], 1..63 bytes, not
 * starting or ending with '-', at most 253 bytes in all; a trailing dot is
 * refused (write the name without it). */
int check_host(const char *s, size_t len, char *err, size_t errlen);
/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes. */
int check_env_name(const char *s, size_t len, char *err, size_t errlen);
/* A cell name: [A-Za-z0-9_.-]{1,64}. */
int check_cell_name(const char *s, size_t len, char *err, size_t errlen);

struct cidr {
    uint8_t family; /* 4 or 6 */
    uint8_t prefix;
    uint8_t addr[16];
};
/* addr is "a.b.c.d" or "[v6]"; prefix_text NULL means a single host (/32,
 * /128). Host bits must be zero. */
int parse_cidr(const char *addr, const char *prefix_text, struct cidr *out, char *err, size_t errlen);

/* Exactly 64 hex digits into 32 bytes (either case). */
int parse_sha256_hex(const char *s, size_t len, uint8_t out[32], char *err, size_t errlen);

/* Component-wise order: "/a" < "/a/b" < "/a-b"; parents before children. */
int path_cmp(const char *a, const char *b);

#endif
