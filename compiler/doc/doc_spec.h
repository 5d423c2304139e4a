/*
 * doc_spec.h - the CellOS document vocabulary (cellos.io/v1 ExecutionCell
 * and PolicyPack, docs/cellos-documents.md) read from a doc_node tree into
 * typed structs, every value checked at its position.
 *
 * Unknown fields are errors. Published fields we cannot honour are refused
 * by name with the reason (doc_spec.c lists them). Nothing here touches the
 * host except doc_spec_resolve_argv0, which looks a bare argv[0] up on the
 * PATH it is given.
 */
#ifndef CELLOS_DOC_SPEC_H
#define CELLOS_DOC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "doc_yaml.h"

enum doc_kind {
    DOC_CELL = 1,
    DOC_PACK,
};

enum doc_delivery {
    DD_NONE = 0,
    DD_ENV,
};

struct doc_str {
    const char *s;
    struct loc loc;
};

struct doc_egress {
    struct doc_str host;
    uint32_t port;
    struct loc port_loc;
};

struct doc_artifact {
    struct doc_str name, path;
};

/* An optional integer with where it was written. */
struct doc_int {
    bool set;
    uint64_t v;
    struct loc loc;
};

struct doc_cell {
    struct doc_str id, correlation_id, pack_id, pack_version;
    struct doc_str *secret_refs;
    size_t n_secret_refs;
    struct doc_egress *egress;
    size_t n_egress;
    struct doc_int ttl_seconds;
    bool has_run;
    struct loc run_loc;
    struct doc_str *argv;
    size_t argc;
    struct doc_str working_dir;
    enum doc_delivery delivery;
    struct loc delivery_loc;
    struct doc_int timeout_ms;
    bool has_limits;
    struct loc limits_loc;
    struct doc_int memory_max;
    struct loc spec_loc;
    struct doc_artifact *artifacts;
    size_t n_artifacts;
    struct loc export_loc;
};

struct doc_pack {
    struct doc_str id, version;
    struct doc_int max_ttl, max_memory, max_timeout;
    bool require_egress, forbid_egress, require_runtime_secrets, require_limits;
    struct loc require_egress_loc, forbid_egress_loc, require_runtime_secrets_loc, require_limits_loc;
    bool has_allowed_hosts;
    struct loc allowed_hosts_loc;
    struct doc_str *allowed_hosts;
    size_t n_allowed_hosts;
};

struct doc {
    enum doc_kind kind;
    const char *path; /* as given */
    struct loc kind_loc;
    struct doc_cell cell;
    struct doc_pack pack;
};

/* Read a document file: register its text with d, parse it, type it.
 * Returns 0, 1 when the document has errors (in d), 2 when it cannot be
 * read (a whole-file error in d). */
int doc_load(struct arena *a, struct diag *d, const char *path, struct doc *out);

/* The same from memory (tests, the fuzzer); name is used in diagnostics. */
int doc_load_text(struct arena *a, struct diag *d, const char *name, const char *text, size_t len,
                  struct doc *out);

/* Does this file look like a CellOS document: a .yaml/.yml/.json name, or
 * (for other names) content whose first significant byte is `{` or which
 * names an apiVersion? */
bool doc_is_document(const char *path);

#endif
