/*
 * pack.h - load a policy: parse the cell file and every pack it uses,
 * transitively, over a search path, in a fixed resolution order.
 *
 * `use "std/base";` names the file std/base.cell in the first directory of
 * the search path that has it: each -I DIR in command-line order, then
 * `policies` relative to the working directory, then the directory of the
 * cell file. Resolution order is depth first in `use` order, a pack after
 * the packs it uses, each pack once; the cell comes last. A cycle is an
 * error that prints the cycle.
 */
#ifndef CELLOS_PACK_H
#define CELLOS_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include "ast.h"
#include "diag.h"

struct policy_unit {
    const struct ast_unit *unit;
    const char *pack_name; /* NULL for the cell */
    struct loc use_loc;    /* the first `use` that pulled the pack in */
};

struct policy_src {
    const char *source_name;   /* base name of the top file, for plan meta */
    struct policy_unit *units; /* packs in resolution order, then the top unit */
    size_t n_units;
    bool top_is_pack; /* the top file holds a pack (cellc check on a pack) */
};

struct load_opts {
    const char *const *include_dirs; /* -I DIR, in order */
    size_t n_include;
    bool no_default_path; /* skip ./policies and the file's directory */
};

/* Load from a file. Returns 0 when loaded without errors; 1 when the
 * policy has errors (in diag); 2 when the top file cannot be read (message
 * in diag as a whole-file error). */
int policy_load_file(struct arena *a, struct diag *d, const char *path, const struct load_opts *o,
                     struct policy_src *out);

/* Load from memory (tests, the fuzzer): `name` is used for diagnostics and
 * the plan's source; packs are still searched on disk. */
int policy_load_text(struct arena *a, struct diag *d, const char *name, const char *text, size_t len,
                     const struct load_opts *o, struct policy_src *out);

/* Is s a valid pack name: segments of [A-Za-z0-9_.-] separated by '/', no
 * empty, "." or ".." segment, no leading '/', at most 200 bytes? */
bool pack_name_valid(const char *s, size_t len);

#endif
