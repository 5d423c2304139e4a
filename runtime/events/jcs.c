/*
 * jcs.c - JSON values in an arena, RFC 8785 canonical serialisation, and a
 * strict bounded parser (see jcs.h for the rules).
 *
 * Invariants: every string and key held in a doc is valid UTF-8 with an
 * explicit length; object members are kept sorted by jcs_key_cmp and unique,
 * so serialisation is a plain walk; integers are within the I-JSON safe
 * range. The parser never reads outside [text, text+len) and recurses at
 * most max_depth levels.
 */
#include "jcs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jcs_member {
    const char *key;
    size_t klen;
    struct jcs_value *v;
};

struct jcs_value {
    enum jcs_type type;
    union {
        bool b;
        int64_t i;
        struct {
            const char *s;
            size_t len;
        } str;
        struct {
            struct jcs_value **items;
            size_t n, cap;
        } arr;
        struct {
            struct jcs_member *m;
            size_t n, cap;
        } obj;
    } u;
};

struct jcs_block {
    struct jcs_block *next;
    size_t size, used;
    max_align_t data[];
};

struct jcs_doc {
    struct jcs_block *head, *cur;
    char error[160];
    bool failed;
};

#define BLOCK_MIN 8192

static void doc_fail(struct jcs_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void doc_fail(struct jcs_doc *d, const char *fmt, ...)
{
    if (d->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    d->failed = true;
}

struct jcs_doc *jcs_doc_new(void)
{
    return calloc(1, sizeof(struct jcs_doc));
}

void jcs_doc_free(struct jcs_doc *d)
{
    if (!d)
        return;
    for (struct jcs_block *b = d->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(d);
}

/* Keep one block sized for the whole previous document, so a steady state
 * needs no allocation at all. */
void jcs_doc_reset(struct jcs_doc *d)
{
    size_t total = 0, nblocks = 0;
    for (struct jcs_block *b = d->head; b; b = b->next) {
        total += b->size;
        nblocks++;
    }
    if (nblocks > 1) {
        for (struct jcs_block *b = d->head, *n; b; b = n) {
            n = b->next;
            free(b);
        }
        d->head = malloc(sizeof(struct jcs_block) + total);
        if (d->head) {
            d->head->next = NULL;
            d->head->size = total;
        }
    }
    if (d->head)
        d->head->used = 0;
    d->cur = d->head;
    d->failed = false;
    d->error[0] = 0;
}

const char *jcs_doc_error(const struct jcs_doc *d)
{
    return d->failed ? d->error : NULL;
}

static void *doc_alloc(struct jcs_doc *d, size_t n)
{
    if (d->failed)
        return NULL;
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct jcs_block *b = d->cur;
    while (b && b->size - b->used < n)
        b = b->next;
    if (!b) {
        size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
        if (d->cur && d->cur->size * 2 > size && d->cur->size < (1u << 24))
            size = d->cur->size * 2;
        b = malloc(sizeof(struct jcs_block) + size);
        if (!b) {
            doc_fail(d, "out of memory");
            return NULL;
        }
        b->size = size;
        b->used = 0;
        b->next = NULL;
        if (!d->head)
            d->head = b;
        else {
            struct jcs_block *t = d->cur ? d->cur : d->head;
            while (t->next)
                t = t->next;
            t->next = b;
        }
    }
    d->cur = b;
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

/* ---- UTF-8 and UTF-16 order --------------------------------------------- */

/* Decode one scalar value at s (valid UTF-8 assumed); returns its length. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xE0) {
        *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if (s[0] < 0xF0) {
        *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
        (s[3] & 0x3F);
    return 4;
}

char *jcs_utf8_cut(char *s)
{
    s[jcs_utf8_valid_prefix(s, strlen(s))] = 0;
    return s;
}

size_t jcs_utf8_valid_prefix(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path, 8 bytes at a time. */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t min, cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            min = 0x80;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            min = 0x800;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            min = 0x10000;
            cp = c & 0x07;
        } else
            return i;
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

/* The first UTF-16 code unit of cp, and the second (0 for the BMP). */
static void utf16_units(uint32_t cp, uint32_t *u1, uint32_t *u2)
{
    if (cp < 0x10000) {
        *u1 = cp;
        *u2 = 0;
    } else {
        *u1 = 0xD800 + ((cp - 0x10000) >> 10);
        *u2 = 0xDC00 + ((cp - 0x10000) & 0x3FF);
    }
}

int jcs_key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i = 0, j = 0;
    while (i < alen && j < blen) {
        if (x[i] < 0x80 && y[j] < 0x80) {
            if (x[i] != y[j])
                return x[i] < y[j] ? -1 : 1;
            i++, j++;
            continue;
        }
        uint32_t ca, cb, a1, a2, b1, b2;
        i += utf8_decode(x + i, &ca);
        j += utf8_decode(y + j, &cb);
        if (ca == cb)
            continue;
        utf16_units(ca, &a1, &a2);
        utf16_units(cb, &b1, &b2);
        if (a1 != b1)
            return a1 < b1 ? -1 : 1;
        if (a2 != b2)
            return a2 < b2 ? -1 : 1;
    }
    if (i < alen)
        return 1;
    if (j < blen)
        return -1;
    return 0;
}

/* ---- building ------------------------------------------------------------- */

static struct jcs_value *new_value(struct jcs_doc *d, enum jcs_type t)
{
    struct jcs_value *v = doc_alloc(d, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = t;
    }
    return v;
}

struct jcs_value *jcs_new_null(struct jcs_doc *d)
{
    return new_value(d, JCS_NULL);
}
struct jcs_value *jcs_new_array(struct jcs_doc *d)
{
    return new_value(d, JCS_ARRAY);
}
struct jcs_value *jcs_new_object(struct jcs_doc *d)
{
    return new_value(d, JCS_OBJECT);
}

struct jcs_value *jcs_new_bool(struct jcs_doc *d, bool b)
{
    struct jcs_value *v = new_value(d, JCS_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

struct jcs_value *jcs_new_int(struct jcs_doc *d, int64_t i)
{
    if (i < JCS_INT_MIN || i > JCS_INT_MAX) {
        doc_fail(d, "integer %lld is outside the I-JSON range +-(2^53-1)", (long long)i);
        return NULL;
    }
    struct jcs_value *v = new_value(d, JCS_INT);
    if (v)
        v->u.i = i;
    return v;
}

static char *copy_bytes(struct jcs_doc *d, const char *s, size_t len)
{
    char *p = doc_alloc(d, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

struct jcs_value *jcs_new_string(struct jcs_doc *d, const char *s, size_t len)
{
    size_t ok = jcs_utf8_valid_prefix(s, len);
    if (ok != len) {
        doc_fail(d, "string is not valid UTF-8 at byte %zu", ok);
        return NULL;
    }
    struct jcs_value *v = new_value(d, JCS_STRING);
    char *p = copy_bytes(d, s, len);
    if (!v || !p)
        return NULL;
    v->u.str.s = p;
    v->u.str.len = len;
    return v;
}

static int grow(struct jcs_doc *d, void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = doc_alloc(d, ncap * size);
    if (!p)
        return -1;
    if (n)
        memcpy(p, *items, n * size);
    *items = p;
    *cap = ncap;
    return 0;
}

int jcs_object_put(struct jcs_doc *d, struct jcs_value *obj, const char *key, size_t klen,
                   struct jcs_value *v)
{
    if (d->failed || !obj || !v)
        return -1;
    if (obj->type != JCS_OBJECT) {
        doc_fail(d, "member added to a non-object");
        return -1;
    }
    size_t ok = jcs_utf8_valid_prefix(key, klen);
    if (ok != klen) {
        doc_fail(d, "object key is not valid UTF-8 at byte %zu", ok);
        return -1;
    }
    /* Binary search for the insertion point; equal keys are an error. */
    size_t lo = 0, hi = obj->u.obj.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = jcs_key_cmp(obj->u.obj.m[mid].key, obj->u.obj.m[mid].klen, key, klen);
        if (c == 0) {
            doc_fail(d, "duplicate object key \"%.*s\"", (int)(klen > 64 ? 64 : klen), key);
            return -1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    void *items = obj->u.obj.m;
    if (grow(d, &items, &obj->u.obj.cap, obj->u.obj.n, sizeof(struct jcs_member)) < 0)
        return -1;
    obj->u.obj.m = items;
    char *k = copy_bytes(d, key, klen);
    if (!k)
        return -1;
    struct jcs_member *m = obj->u.obj.m;
    memmove(m + lo + 1, m + lo, (obj->u.obj.n - lo) * sizeof *m);
    m[lo] = (struct jcs_member){ k, klen, v };
    obj->u.obj.n++;
    return 0;
}

int jcs_array_push(struct jcs_doc *d, struct jcs_value *arr, struct jcs_value *v)
{
    if (d->failed || !arr || !v)
        return -1;
    if (arr->type != JCS_ARRAY) {
        doc_fail(d, "element added to a non-array");
        return -1;
    }
    void *items = arr->u.arr.items;
    if (grow(d, &items, &arr->u.arr.cap, arr->u.arr.n, sizeof(struct jcs_value *)) < 0)
        return -1;
    arr->u.arr.items = items;
    arr->u.arr.items[arr->u.arr.n++] = v;
    return 0;
}

int jcs_put_str(struct jcs_doc *d, struct jcs_value *obj, const char *key, const char *s)
{
    if (!s) {
        doc_fail(d, "member \"%s\": NULL string", key);
        return -1;
    }
    return jcs_object_put(d, obj, key, strlen(key), jcs_new_string(d, s, strlen(s)));
}

int jcs_put_int(struct jcs_doc *d, struct jcs_value *obj, const char *key, int64_t i)
{
    return jcs_object_put(d, obj, key, strlen(key), jcs_new_int(d, i));
}

int jcs_put_uint(struct jcs_doc *d, struct jcs_value *obj, const char *key, uint64_t u)
{
    if (u > (uint64_t)JCS_INT_MAX) {
        doc_fail(d, "member \"%s\": %llu is above the I-JSON limit 2^53-1", key, (unsigned long long)u);
        return -1;
    }
    return jcs_put_int(d, obj, key, (int64_t)u);
}

int jcs_put_bool(struct jcs_doc *d, struct jcs_value *obj, const char *key, bool b)
{
    return jcs_object_put(d, obj, key, strlen(key), jcs_new_bool(d, b));
}

int jcs_put_null(struct jcs_doc *d, struct jcs_value *obj, const char *key)
{
    return jcs_object_put(d, obj, key, strlen(key), jcs_new_null(d));
}

struct jcs_value *jcs_put_object(struct jcs_doc *d, struct jcs_value *obj, const char *key)
{
    struct jcs_value *v = jcs_new_object(d);
    return jcs_object_put(d, obj, key, strlen(key), v) == 0 ? v : NULL;
}

struct jcs_value *jcs_put_array(struct jcs_doc *d, struct jcs_value *obj, const char *key)
{
    struct jcs_value *v = jcs_new_array(d);
    return jcs_object_put(d, obj, key, strlen(key), v) == 0 ? v : NULL;
}

/* ---- reading ---------------------------------------------------------------- */

enum jcs_type jcs_type_of(const struct jcs_value *v)
{
    return v->type;
}
bool jcs_get_bool(const struct jcs_value *v)
{
    return v->type == JCS_BOOL && v->u.b;
}
int64_t jcs_get_int(const struct jcs_value *v)
{
    return v->type == JCS_INT ? v->u.i : 0;
}

const char *jcs_get_string(const struct jcs_value *v, size_t *len)
{
    if (v->type != JCS_STRING) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = v->u.str.len;
    return v->u.str.s;
}

size_t jcs_array_len(const struct jcs_value *v)
{
    return v->type == JCS_ARRAY ? v->u.arr.n : 0;
}

const struct jcs_value *jcs_array_at(const struct jcs_value *v, size_t i)
{
    return v->type == JCS_ARRAY && i < v->u.arr.n ? v->u.arr.items[i] : NULL;
}

size_t jcs_object_len(const struct jcs_value *v)
{
    return v->type == JCS_OBJECT ? v->u.obj.n : 0;
}

const struct jcs_value *jcs_object_at(const struct jcs_value *v, size_t i, const char **key, size_t *klen)
{
    if (v->type != JCS_OBJECT || i >= v->u.obj.n)
        return NULL;
    if (key)
        *key = v->u.obj.m[i].key;
    if (klen)
        *klen = v->u.obj.m[i].klen;
    return v->u.obj.m[i].v;
}

const struct jcs_value *jcs_object_get(const struct jcs_value *v, const char *key)
{
    if (v->type != JCS_OBJECT)
        return NULL;
    size_t klen = strlen(key), lo = 0, hi = v->u.obj.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = jcs_key_cmp(v->u.obj.m[mid].key, v->u.obj.m[mid].klen, key, klen);
        if (c == 0)
            return v->u.obj.m[mid].v;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool jcs_string_is(const struct jcs_value *v, const char *s)
{
    size_t n = strlen(s);
    return v && v->type == JCS_STRING && v->u.str.len == n && memcmp(v->u.str.s, s, n) == 0;
}

/* ---- serialisation ------------------------------------------------------------ */

/* Grow b so that n more bytes and a NUL fit. */
static int buf_reserve(struct jcs_buf *b, size_t n)
{
    if (b->cap - b->len >= n + 1)
        return 0;
    size_t ncap = b->cap ? b->cap : 1024;
    while (ncap - b->len < n + 1) {
        if (ncap > SIZE_MAX / 2)
            return -1;
        ncap *= 2;
    }
    char *p = realloc(b->p, ncap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = ncap;
    return 0;
}

/* The serialiser's appends: capacity is reserved up front per value, so
 * these only copy. */
static inline int put(struct jcs_buf *b, const void *data, size_t n)
{
    if (b->cap - b->len < n + 1 && buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

static inline int putc1(struct jcs_buf *b, char c)
{
    if (b->cap - b->len < 2 && buf_reserve(b, 1) < 0)
        return -1;
    b->p[b->len++] = c;
    return 0;
}

int jcs_buf_reserve(struct jcs_buf *b, size_t n)
{
    return buf_reserve(b, n);
}

int jcs_buf_append(struct jcs_buf *b, const void *data, size_t n)
{
    if (b->cap - b->len < n + 1) {
        size_t ncap = b->cap ? b->cap : 1024;
        while (ncap - b->len < n + 1) {
            if (ncap > SIZE_MAX / 2)
                return -1;
            ncap *= 2;
        }
        char *p = realloc(b->p, ncap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

void jcs_buf_free(struct jcs_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Bytes that need an escape: controls, '"' and '\\'. */
static const uint8_t NEEDS_ESCAPE[256] = {
    [0 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
};

/* JSON.stringify's escaping: the two-character escapes where ECMAScript has
 * one, \u00xx (lowercase hex) for the other controls, all else verbatim. */
static int put_string(struct jcs_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (putc1(b, '"') < 0)
        return -1;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!NEEDS_ESCAPE[c])
            continue;
        if (put(b, s + run, i - run) < 0)
            return -1;
        char esc[6] = { '\\', 0 };
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (put(b, esc, n) < 0)
            return -1;
        run = i + 1;
    }
    if (put(b, s + run, len - run) < 0)
        return -1;
    return putc1(b, '"');
}

static int put_int(struct jcs_buf *b, int64_t i)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    return put(b, tmp + sizeof tmp - n, n);
}

static int serialize(const struct jcs_value *v, const char *omit, size_t omit_len, struct jcs_buf *b)
{
    switch (v->type) {
    case JCS_NULL: return put(b, "null", 4);
    case JCS_BOOL: return v->u.b ? put(b, "true", 4) : put(b, "false", 5);
    case JCS_INT: return put_int(b, v->u.i);
    case JCS_STRING: return put_string(b, v->u.str.s, v->u.str.len);
    case JCS_ARRAY:
        if (putc1(b, '[') < 0)
            return -1;
        for (size_t i = 0; i < v->u.arr.n; i++)
            if ((i && putc1(b, ',') < 0) || serialize(v->u.arr.items[i], NULL, 0, b) < 0)
                return -1;
        return putc1(b, ']');
    case JCS_OBJECT: {
        if (putc1(b, '{') < 0)
            return -1;
        bool first = true;
        for (size_t i = 0; i < v->u.obj.n; i++) {
            const struct jcs_member *m = &v->u.obj.m[i];
            if (omit && m->klen == omit_len && memcmp(m->key, omit, omit_len) == 0)
                continue;
            if ((!first && putc1(b, ',') < 0) || put_string(b, m->key, m->klen) < 0 || putc1(b, ':') < 0 ||
                serialize(m->v, NULL, 0, b) < 0)
                return -1;
            first = false;
        }
        return putc1(b, '}');
    }
    }
    return -1;
}

int jcs_append_string(struct jcs_buf *b, const char *s, size_t len)
{
    if (jcs_utf8_valid_prefix(s, len) != len)
        return -2;
    if (buf_reserve(b, len + 2) < 0 || put_string(b, s, len) < 0)
        return -1;
    b->p[b->len] = 0;
    return 0;
}

int jcs_serialize(const struct jcs_value *v, const char *omit_key, struct jcs_buf *b)
{
    if (buf_reserve(b, 512) < 0)
        return -1;
    if (serialize(v, omit_key, omit_key ? strlen(omit_key) : 0, b) < 0)
        return -1;
    b->p[b->len] = 0;
    return 0;
}

/* ---- parsing -------------------------------------------------------------------- */

struct parser {
    struct jcs_doc *d;
    const char *s;
    size_t len, pos;
    unsigned max_depth;
    struct jcs_parse_error *err;
    struct jcs_buf scratch; /* decoded string bytes */
};

static int perr(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->e.msg, sizeof p->err->e.msg, fmt, ap);
        va_end(ap);
        p->err->offset = at;
    }
    return -1;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hex4(struct parser *p, size_t at, uint32_t *out)
{
    if (p->len - at < 4)
        return perr(p, at, "truncated \\u escape");
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        char c = p->s[at + i];
        int h = (c >= '0' && c <= '9') ? c - '0'
            : (c >= 'a' && c <= 'f')   ? c - 'a' + 10
            : (c >= 'A' && c <= 'F')   ? c - 'A' + 10
                                       : -1;
        if (h < 0)
            return perr(p, at + i, "bad hex digit in \\u escape");
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return 0;
}

static int put_utf8(struct jcs_buf *b, uint32_t cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | cp >> 6);
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | cp >> 12);
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | cp >> 18);
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return jcs_buf_append(b, t, n);
}

/* Decode the string at p->pos (the opening quote) into p->scratch. */
static int parse_string(struct parser *p)
{
    size_t start = p->pos++;
    p->scratch.len = 0;
    for (;;) {
        if (p->pos >= p->len)
            return perr(p, start, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return 0;
        }
        if (c < 0x20)
            return perr(p, p->pos, "unescaped control character 0x%02x in string", c);
        if (c == '\\') {
            if (p->pos + 1 >= p->len)
                return perr(p, p->pos, "unterminated escape");
            char e = p->s[p->pos + 1];
            const char *simple = NULL;
            switch (e) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': break;
            default: return perr(p, p->pos, "invalid escape \\%c", e);
            }
            if (simple) {
                if (jcs_buf_append(&p->scratch, simple, 1) < 0)
                    return perr(p, p->pos, "out of memory");
                p->pos += 2;
                continue;
            }
            uint32_t cp;
            if (hex4(p, p->pos + 2, &cp) < 0)
                return -1;
            size_t esc_at = p->pos;
            p->pos += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return perr(p, esc_at, "lone low surrogate \\u%04x", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return perr(p, esc_at, "lone high surrogate \\u%04x", cp);
                if (hex4(p, p->pos + 2, &lo) < 0)
                    return -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return perr(p, esc_at, "lone high surrogate \\u%04x", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p->pos += 6;
            }
            if (put_utf8(&p->scratch, cp) < 0)
                return perr(p, p->pos, "out of memory");
            continue;
        }
        /* A run of raw bytes: validate it as UTF-8 in one go. */
        size_t run = p->pos;
        while (run < p->len) {
            unsigned char r = (unsigned char)p->s[run];
            if (r == '"' || r == '\\' || r < 0x20)
                break;
            run++;
        }
        size_t ok = jcs_utf8_valid_prefix(p->s + p->pos, run - p->pos);
        if (ok != run - p->pos)
            return perr(p, p->pos + ok, "invalid UTF-8 in string");
        if (jcs_buf_append(&p->scratch, p->s + p->pos, run - p->pos) < 0)
            return perr(p, p->pos, "out of memory");
        p->pos = run;
    }
}

static int parse_number(struct parser *p, struct jcs_value **out)
{
    size_t start = p->pos;
    bool neg = false;
    if (p->s[p->pos] == '-') {
        neg = true;
        p->pos++;
    }
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return perr(p, start, "invalid number");
    if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')
        return perr(p, start, "number with a leading zero");
    uint64_t v = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
        if (v > (uint64_t)JCS_INT_MAX)
            return perr(p, start, "integer outside the I-JSON range +-(2^53-1)");
        p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
        return perr(p, start, "floats are not allowed (fraction or exponent)");
    *out = jcs_new_int(p->d, neg ? -(int64_t)v : (int64_t)v);
    return *out ? 0 : perr(p, start, "%s", jcs_doc_error(p->d));
}

static int parse_value(struct parser *p, unsigned depth, struct jcs_value **out);

static int parse_literal(struct parser *p, const char *word, struct jcs_value *v, struct jcs_value **out)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return perr(p, p->pos, "invalid literal");
    p->pos += n;
    *out = v;
    return v ? 0 : perr(p, p->pos, "%s", jcs_doc_error(p->d));
}

static int parse_array(struct parser *p, unsigned depth, struct jcs_value **out)
{
    struct jcs_value *arr = jcs_new_array(p->d);
    if (!arr)
        return perr(p, p->pos, "%s", jcs_doc_error(p->d));
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        *out = arr;
        return 0;
    }
    for (;;) {
        struct jcs_value *v;
        if (parse_value(p, depth + 1, &v) < 0)
            return -1;
        if (jcs_array_push(p->d, arr, v) < 0)
            return perr(p, p->pos, "%s", jcs_doc_error(p->d));
        skip_ws(p);
        if (p->pos >= p->len)
            return perr(p, p->pos, "unterminated array");
        if (p->s[p->pos] == ']') {
            p->pos++;
            *out = arr;
            return 0;
        }
        if (p->s[p->pos] != ',')
            return perr(p, p->pos, "expected ',' or ']' in array");
        p->pos++;
    }
}

static int parse_object(struct parser *p, unsigned depth, struct jcs_value **out)
{
    struct jcs_value *obj = jcs_new_object(p->d);
    if (!obj)
        return perr(p, p->pos, "%s", jcs_doc_error(p->d));
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        *out = obj;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return perr(p, p->pos, "expected a string key in object");
        size_t key_at = p->pos;
        if (parse_string(p) < 0)
            return -1;
        char *key = copy_bytes(p->d, p->scratch.p ? p->scratch.p : "", p->scratch.len);
        size_t klen = p->scratch.len;
        if (!key)
            return perr(p, key_at, "%s", jcs_doc_error(p->d));
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
            return perr(p, p->pos, "expected ':' after object key");
        p->pos++;
        struct jcs_value *v;
        if (parse_value(p, depth + 1, &v) < 0)
            return -1;
        if (jcs_object_put(p->d, obj, key, klen, v) < 0)
            return perr(p, key_at, "%s", jcs_doc_error(p->d));
        skip_ws(p);
        if (p->pos >= p->len)
            return perr(p, p->pos, "unterminated object");
        if (p->s[p->pos] == '}') {
            p->pos++;
            *out = obj;
            return 0;
        }
        if (p->s[p->pos] != ',')
            return perr(p, p->pos, "expected ',' or '}' in object");
        p->pos++;
    }
}

static int parse_value(struct parser *p, unsigned depth, struct jcs_value **out)
{
    if (depth > p->max_depth)
        return perr(p, p->pos, "nesting deeper than %u levels", p->max_depth);
    skip_ws(p);
    if (p->pos >= p->len)
        return perr(p, p->pos, "unexpected end of input");
    switch (p->s[p->pos]) {
    case '{': return parse_object(p, depth, out);
    case '[': return parse_array(p, depth, out);
    case '"': {
        size_t at = p->pos;
        if (parse_string(p) < 0)
            return -1;
        *out = jcs_new_string(p->d, p->scratch.p ? p->scratch.p : "", p->scratch.len);
        return *out ? 0 : perr(p, at, "%s", jcs_doc_error(p->d));
    }
    case 't': return parse_literal(p, "true", jcs_new_bool(p->d, true), out);
    case 'f': return parse_literal(p, "false", jcs_new_bool(p->d, false), out);
    case 'n': return parse_literal(p, "null", jcs_new_null(p->d), out);
    default:
        if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
            return parse_number(p, out);
        return perr(p, p->pos, "unexpected character 0x%02x", (unsigned char)p->s[p->pos]);
    }
}

int jcs_parse(struct jcs_doc *d, const char *text, size_t len, unsigned max_depth, struct jcs_value **out,
              struct jcs_parse_error *err)
{
    struct parser p = { .d = d, .s = text, .len = len, .max_depth = max_depth, .err = err };
    *out = NULL;
    if (d->failed)
        return perr(&p, 0, "document already failed: %s", d->error);
    struct jcs_value *v = NULL;
    int rc = parse_value(&p, 1, &v);
    if (rc == 0) {
        skip_ws(&p);
        if (p.pos != p.len)
            rc = perr(&p, p.pos, "unexpected data after the JSON value");
    }
    jcs_buf_free(&p.scratch);
    if (rc == 0)
        *out = v;
    return rc;
}
