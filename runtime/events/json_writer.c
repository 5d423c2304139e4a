/*
 * json_writer.c - the JSON writer of json_writer.h. Invariant: after every call
 * the buffer holds a valid JSON prefix; the first error stops all output.
 */
#include "json_writer.h"
#include "jcs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oj_init(struct oci_json *j)
{
    memset(j, 0, sizeof *j);
    j->first[0] = true;
}

void oj_free(struct oci_json *j)
{
    free(j->p);
    memset(j, 0, sizeof *j);
}

static void put(struct oci_json *j, const char *s, size_t n)
{
    if (j->error)
        return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 4096;
        while (j->len + n + 1 > cap)
            cap *= 2;
        char *np = realloc(j->p, cap);
        if (!np) {
            j->error = "out of memory";
            return;
        }
        j->p = np;
        j->cap = cap;
    }
    memcpy(j->p + j->len, s, n);
    j->len += n;
    j->p[j->len] = 0;
}

static void puts_(struct oci_json *j, const char *s)
{
    put(j, s, strlen(s));
}

static void indent(struct oci_json *j)
{
    put(j, "\n", 1);
    for (int i = 0; i < j->depth; i++)
        put(j, "  ", 2);
}

static void quoted(struct oci_json *j, const char *s)
{
    size_t n = strlen(s);
    if (jcs_utf8_valid_prefix(s, n) != n) {
        if (!j->error)
            j->error = "a string is not valid UTF-8";
        return;
    }
    put(j, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        switch (*c) {
        case '"': put(j, "\\\"", 2); break;
        case '\\': put(j, "\\\\", 2); break;
        case '\n': put(j, "\\n", 2); break;
        case '\t': put(j, "\\t", 2); break;
        case '\r': put(j, "\\r", 2); break;
        case '\b': put(j, "\\b", 2); break;
        case '\f': put(j, "\\f", 2); break;
        default:
            if (*c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *c);
                put(j, esc, 6);
            } else {
                put(j, (const char *)c, 1);
            }
        }
    }
    put(j, "\"", 1);
}

/* Separator, indentation and key before a value at the current depth. */
static void lead(struct oci_json *j, const char *key)
{
    if (j->depth >= OJ_MAX_DEPTH) {
        if (!j->error)
            j->error = "nesting too deep";
        return;
    }
    if (!j->first[j->depth])
        put(j, ",", 1);
    j->first[j->depth] = false;
    if (j->depth > 0)
        indent(j);
    if (key) {
        quoted(j, key);
        put(j, ": ", 2);
    }
}

static void open_(struct oci_json *j, const char *key, const char *br)
{
    lead(j, key);
    puts_(j, br);
    if (j->depth + 1 >= OJ_MAX_DEPTH) {
        if (!j->error)
            j->error = "nesting too deep";
        return;
    }
    j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct oci_json *j, const char *br)
{
    if (j->depth <= 0) {
        if (!j->error)
            j->error = "unbalanced close";
        return;
    }
    bool empty = j->first[j->depth];
    j->depth--;
    if (!empty)
        indent(j);
    puts_(j, br);
}

void oj_obj_begin(struct oci_json *j, const char *key)
{
    open_(j, key, "{");
}
void oj_obj_end(struct oci_json *j)
{
    close_(j, "}");
}
void oj_arr_begin(struct oci_json *j, const char *key)
{
    open_(j, key, "[");
}
void oj_arr_end(struct oci_json *j)
{
    close_(j, "]");
}

void oj_str(struct oci_json *j, const char *key, const char *s)
{
    lead(j, key);
    quoted(j, s ? s : "");
}

void oj_u64(struct oci_json *j, const char *key, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, v);
    lead(j, key);
    puts_(j, b);
}

void oj_i64(struct oci_json *j, const char *key, int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRId64, v);
    lead(j, key);
    puts_(j, b);
}

void oj_bool(struct oci_json *j, const char *key, bool v)
{
    lead(j, key);
    puts_(j, v ? "true" : "false");
}

int oj_finish(struct oci_json *j, char **out, size_t *len, const char **why)
{
    if (!j->error && j->depth != 0)
        j->error = "unbalanced document";
    put(j, "\n", 1);
    if (j->error) {
        *why = j->error;
        oj_free(j);
        return -1;
    }
    *out = j->p;
    *len = j->len;
    j->p = NULL;
    j->len = j->cap = 0;
    return 0;
}
