/*
 * doc_yaml.h - read one CellOS document (YAML or JSON: JSON is YAML) into a
 * small tree of maps, sequences and scalars, with libyaml's event parser in
 * one pass. No tokenizer of our own.
 *
 * Refused, each at its position (file:line:col from libyaml's marks):
 * anchors and aliases (no alias bombs), explicit tags and %TAG directives,
 * a second document in the stream, a duplicate key in a mapping, a key that
 * is not a scalar, a scalar holding NUL, nesting deeper than DOC_MAX_DEPTH,
 * more than DOC_MAX_NODES nodes, input larger than DOC_MAX_INPUT.
 *
 * Every node lives in the caller's arena; nothing is freed on its own.
 */
#ifndef CELLOS_DOC_YAML_H
#define CELLOS_DOC_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include "compiler/ast.h"
#include "compiler/diag.h"

#define DOC_MAX_INPUT (1024u * 1024)
#define DOC_MAX_DEPTH 32
#define DOC_MAX_NODES 100000

enum doc_node_kind {
    DN_SCALAR = 1,
    DN_MAP,
    DN_SEQ,
};

struct doc_node {
    enum doc_node_kind kind;
    struct loc loc;
    /* DN_SCALAR: the value (NUL-terminated, no NUL inside); plain is true
     * for an unquoted scalar (a number, true/false/null, or a bare word). */
    const char *s;
    size_t len;
    bool plain;
    /* DN_MAP: n pairs keys[i] -> vals[i], in document order, keys unique.
     * DN_SEQ: n items in vals. */
    struct doc_node **keys, **vals;
    size_t n;
};

/* Parse source `file` (registered with diag_add_source). Returns the root
 * node, or NULL after reporting the error in d. */
struct doc_node *doc_yaml_read(struct arena *a, struct diag *d, uint32_t file);

/* The value of key `name` in map m, or NULL (m must be a DN_MAP). */
struct doc_node *doc_map_get(const struct doc_node *m, const char *name);

#endif
