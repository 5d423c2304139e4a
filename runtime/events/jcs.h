/*
 * jcs.h - a small JSON value tree, its RFC 8785 (JCS) canonical serialiser,
 * and a strict parser for verifiers.
 *
 * CellOS JSON has no floats: numbers are integers in the I-JSON safe range
 * [-(2^53-1), 2^53-1], which JCS serialises as plain decimal. Strings are
 * valid UTF-8 (no lone surrogates); object keys are unique. Canonical output
 * (RFC 8785): no whitespace, object members sorted by the UTF-16 code units
 * of their keys, strings escaped as ECMAScript's JSON.stringify does (\" \\
 * \b \f \n \r \t, other controls as \u00xx lowercase, everything else as is).
 *
 * Values live in a struct jcs_doc, an arena freed or reset as a whole. The
 * builder calls never fail loudly: the first error (out of memory, invalid
 * UTF-8, integer out of range, duplicate key) is kept in the doc and every
 * later call is a no-op; check jcs_doc_error() once when done.
 */
#ifndef CELLOS_JCS_H
#define CELLOS_JCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "runtime/lib/error.h"

#define JCS_INT_MAX 9007199254740991LL /* 2^53 - 1 */
#define JCS_INT_MIN (-JCS_INT_MAX)

enum jcs_type {
    JCS_NULL,
    JCS_BOOL,
    JCS_INT,
    JCS_STRING,
    JCS_ARRAY,
    JCS_OBJECT
};

struct jcs_doc;
struct jcs_value;

struct jcs_doc *jcs_doc_new(void);
/* Drop every value but keep the memory for the next document. */
void jcs_doc_reset(struct jcs_doc *d);
void jcs_doc_free(struct jcs_doc *d);
/* The first builder error, or NULL. */
const char *jcs_doc_error(const struct jcs_doc *d);

/* ---- building (strings and keys are copied into the doc) ---------------- */
struct jcs_value *jcs_new_null(struct jcs_doc *d);
struct jcs_value *jcs_new_bool(struct jcs_doc *d, bool b);
struct jcs_value *jcs_new_int(struct jcs_doc *d, int64_t i);
struct jcs_value *jcs_new_string(struct jcs_doc *d, const char *s, size_t len);
struct jcs_value *jcs_new_array(struct jcs_doc *d);
struct jcs_value *jcs_new_object(struct jcs_doc *d);

/* Add a member; keys are kept sorted (UTF-16 order), a duplicate is an error. */
int jcs_object_put(struct jcs_doc *d, struct jcs_value *obj, const char *key, size_t klen,
                   struct jcs_value *v);
int jcs_array_push(struct jcs_doc *d, struct jcs_value *arr, struct jcs_value *v);

/* Conveniences over NUL-terminated keys. */
int jcs_put_str(struct jcs_doc *d, struct jcs_value *obj, const char *key, const char *s);
int jcs_put_int(struct jcs_doc *d, struct jcs_value *obj, const char *key, int64_t i);
/* An unsigned value; above JCS_INT_MAX is an error. */
int jcs_put_uint(struct jcs_doc *d, struct jcs_value *obj, const char *key, uint64_t u);
int jcs_put_bool(struct jcs_doc *d, struct jcs_value *obj, const char *key, bool b);
int jcs_put_null(struct jcs_doc *d, struct jcs_value *obj, const char *key);
struct jcs_value *jcs_put_object(struct jcs_doc *d, struct jcs_value *obj, const char *key);
struct jcs_value *jcs_put_array(struct jcs_doc *d, struct jcs_value *obj, const char *key);

/* ---- reading ------------------------------------------------------------- */
enum jcs_type jcs_type_of(const struct jcs_value *v);
bool jcs_get_bool(const struct jcs_value *v);
int64_t jcs_get_int(const struct jcs_value *v);
/* The bytes of a string (not NUL-terminated in general: it may hold U+0000). */
const char *jcs_get_string(const struct jcs_value *v, size_t *len);
size_t jcs_array_len(const struct jcs_value *v);
const struct jcs_value *jcs_array_at(const struct jcs_value *v, size_t i);
size_t jcs_object_len(const struct jcs_value *v);
/* Member i in canonical order. */
const struct jcs_value *jcs_object_at(const struct jcs_value *v, size_t i, const char **key, size_t *klen);
/* Member by key, or NULL. */
const struct jcs_value *jcs_object_get(const struct jcs_value *v, const char *key);
/* True when v is a string equal to the NUL-terminated s. */
bool jcs_string_is(const struct jcs_value *v, const char *s);

/* ---- canonical output ------------------------------------------------------ */
struct jcs_buf {
    char *p;
    size_t len, cap;
};
int jcs_buf_append(struct jcs_buf *b, const void *data, size_t n);
/* Room for n more bytes and a NUL after len (for writers that copy
 * themselves): -1 when out of memory. */
int jcs_buf_reserve(struct jcs_buf *b, size_t n);
void jcs_buf_free(struct jcs_buf *b);

/* Append the canonical form of v to b. When omit_key is not NULL and v is an
 * object, its member of that key (at the top level only) is left out.
 * Returns -1 only when out of memory. */
int jcs_serialize(const struct jcs_value *v, const char *omit_key, struct jcs_buf *b);

/* Append the canonical form of the string s[0..len) (quotes, escapes), as
 * jcs_serialize writes a string value: for writers that emit members in
 * canonical order themselves. -2: not valid UTF-8 (b unchanged), -1: out of
 * memory. */
int jcs_append_string(struct jcs_buf *b, const char *s, size_t len);

/* Compare two UTF-8 strings by their UTF-16 code units (JCS key order). */
int jcs_key_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Length of the valid UTF-8 prefix (== len when all of it is valid). */
size_t jcs_utf8_valid_prefix(const char *s, size_t len);

/* Cut the NUL-terminated s at its first byte that is not valid UTF-8 and
 * return s: a message snprintf truncated in the middle of a character (a
 * long non-ASCII path) then still makes a valid event string. */
char *jcs_utf8_cut(char *s);

/* ---- strict parsing -------------------------------------------------------- */
struct jcs_parse_error {
    struct cell_error e; /* e.msg: what is wrong */
    size_t offset;       /* byte offset of the fault in the input */
};

/* Parse exactly one JSON value from text[0..len) (RFC 8259 grammar, insignificant
 * whitespace allowed), into d. Rejects: fractions and exponents ("floats are
 * not allowed"), integers outside the safe range, invalid UTF-8, unescaped
 * control characters, lone surrogate escapes, duplicate object keys, nesting
 * deeper than max_depth, anything after the value. Canonical form is not
 * required here: a verifier re-serialises and compares. */
int jcs_parse(struct jcs_doc *d, const char *text, size_t len, unsigned max_depth, struct jcs_value **out,
              struct jcs_parse_error *err);

#endif
