/*
 * json_writer.h - a small JSON writer for documents read by other tools:
 * the gVisor backend's OCI config.json, the OCI runtime's state.
 *
 * Members are written in the order the caller gives them, so a caller that
 * always writes the same members in the same order gets byte-identical
 * output (the gVisor backend's determinism rests on that). Output is
 * indented with two spaces, one member or element per line. Numbers are
 * unsigned or signed 64-bit integers written in full (OCI needs values up
 * to 2^64-1, e.g. RLIM_INFINITY, which the JCS builder cannot hold).
 * Strings must be valid UTF-8 (runsc's decoder would silently replace
 * invalid bytes): the first invalid one makes the document fail. Errors
 * (also out of memory, nesting too deep) are sticky; check oj_finish().
 */
#ifndef CELLOS_OCI_JSON_H
#define CELLOS_OCI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OJ_MAX_DEPTH 32

struct oci_json {
    char *p;
    size_t len, cap;
    int depth;
    bool first[OJ_MAX_DEPTH]; /* no member written yet at this depth */
    const char *error;        /* the first error, or NULL */
};

void oj_init(struct oci_json *j);
void oj_free(struct oci_json *j);

/* key is NULL for array elements and the top-level value. */
void oj_obj_begin(struct oci_json *j, const char *key);
void oj_obj_end(struct oci_json *j);
void oj_arr_begin(struct oci_json *j, const char *key);
void oj_arr_end(struct oci_json *j);
void oj_str(struct oci_json *j, const char *key, const char *s);
void oj_u64(struct oci_json *j, const char *key, uint64_t v);
void oj_i64(struct oci_json *j, const char *key, int64_t v);
void oj_bool(struct oci_json *j, const char *key, bool v);

/* Finish: 0 with the text (NUL-terminated, ending in a newline) moved to
 * *out (caller frees), or -1 with *why set to the first error. */
int oj_finish(struct oci_json *j, char **out, size_t *len, const char **why);

#endif
