/*
 * plan_reject_lib.h - helpers to corrupt plan bytes at named places and
 * check the reader's verdict (section, exact offset, message). Test-only.
 */
#ifndef CELLOS_PLAN_REJECT_LIB_H
#define CELLOS_PLAN_REJECT_LIB_H

#include <sodium.h>
#include "tap.h"
#include "plan.h"
#include "compiler/plan/plan_writer.h"

struct pbuf {
    uint8_t *d;
    size_t n;
};

static inline uint32_t pb_r32(const struct pbuf *b, size_t off) { uint32_t v; memcpy(&v, b->d + off, 4); return v; }
static inline uint64_t pb_r64(const struct pbuf *b, size_t off) { uint64_t v; memcpy(&v, b->d + off, 8); return v; }
static inline void pb_w8(struct pbuf *b, size_t off, uint8_t v) { b->d[off] = v; }
static inline void pb_w16(struct pbuf *b, size_t off, uint16_t v) { memcpy(b->d + off, &v, 2); }
static inline void pb_w32(struct pbuf *b, size_t off, uint32_t v) { memcpy(b->d + off, &v, 4); }
static inline void pb_w64(struct pbuf *b, size_t off, uint64_t v) { memcpy(b->d + off, &v, 8); }

/* Recompute body_sha256 so the structural checks are what is tested. */
static inline void pb_rehash(struct pbuf *b)
{
    uint64_t bl = pb_r64(b, 24);
    if (b->n >= 64 && bl <= b->n - 64)
        crypto_hash_sha256(b->d + 32, b->d + 64, bl);
}

/* File offset of section `type` (0 when absent). */
static inline size_t pb_sec(const struct pbuf *b, uint32_t type)
{
    uint32_t n = pb_r32(b, 20);
    for (uint32_t i = 0; i < n; i++)
        if (pb_r32(b, 64 + 16 * i) == type)
            return 64 + pb_r32(b, 64 + 16 * i + 8);
    return 0;
}

/* File offset of directory entry of section `type`. */
static inline size_t pb_dir(const struct pbuf *b, uint32_t type)
{
    uint32_t n = pb_r32(b, 20);
    for (uint32_t i = 0; i < n; i++)
        if (pb_r32(b, 64 + 16 * i) == type)
            return 64 + 16 * i;
    return 0;
}

static inline uint32_t pb_seclen(const struct pbuf *b, uint32_t type) { return pb_r32(b, pb_dir(b, type) + 12); }

/* File offset of record idx of the array whose descriptor is at `field`
 * bytes into section `type`. */
static inline size_t pb_rec(const struct pbuf *b, uint32_t type, size_t field, size_t idx, size_t size)
{
    size_t s = pb_sec(b, type);
    return s + pb_r32(b, s + field) + idx * size;
}

/* Offset of string s inside the string table (not the file), or -1. */
static inline long pb_str(const struct pbuf *b, const char *s)
{
    size_t t = pb_sec(b, CP_SEC_STRTAB);
    uint32_t len = pb_seclen(b, CP_SEC_STRTAB);
    for (uint32_t o = 1; o < len; o++)
        if (b->d[t + o - 1] == 0 && strcmp((const char *)b->d + t + o, s) == 0)
            return o;
    return -1;
}

/* Overwrite string `old` in the table by `repl` of the same length. */
static inline void pb_restr(struct pbuf *b, const char *old, const char *repl)
{
    long o = pb_str(b, old);
    if (o < 0 || strlen(old) != strlen(repl)) {
        diag("pb_restr: cannot replace \"%s\"", old);
        return;
    }
    memcpy(b->d + pb_sec(b, CP_SEC_STRTAB) + o, repl, strlen(repl));
}

/* Expect a rejection in `section` at `offset` whose message contains `sub`. */
static inline void pb_expect(const struct pbuf *b, const char *name, uint32_t section, size_t offset, const char *sub)
{
    struct plan *p = NULL;
    struct plan_error e;
    memset(&e, 0, sizeof e);
    int rc = plan_read(b->d, b->n, &p, &e);
    bool good = rc == -1 && p == NULL && e.section == section && e.offset == offset &&
                strstr(e.e.msg, sub) != NULL && strlen(e.e.msg) < sizeof e.e.msg;
    if (!ok(good, "%s", name)) {
        if (rc == 0)
            diag("accepted");
        else
            diag("got: section %s at offset %llu: %s", plan_section_name(e.section),
                 (unsigned long long)e.offset, e.e.msg);
        diag("want: section %s at offset %zu: ...%s...", plan_section_name(section), offset, sub);
    }
    if (p)
        plan_free(p);
}

static inline struct pbuf pb_from_plan(const struct plan *p)
{
    struct pbuf b = { NULL, 0 };
    char err[256];
    if (plan_write(p, &b.d, &b.n, err, sizeof err) != 0) {
        diag("fixture does not write: %s", err);
        exit(1);
    }
    return b;
}

#endif
