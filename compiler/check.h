/*
 * check.h - the type checker: from the loaded units (packs in resolution
 * order, then the cell) to a checked policy.
 *
 * The checker types every value at its token, enforces narrow authority
 * (`unsafe "why"` exactly where needed), rejects duplicate, conflicting and
 * shadowed grants with a note at the other grant, merges the packs into the
 * cell, and checks the cell against every pack ceiling. It reports every
 * error it finds and never stops at the first.
 *
 * Its output is a struct plan with everything but the mount op program and
 * the compiled seccomp programs (the seccomp rule, condition and value
 * arrays are final), plus the typed filesystem grants that lower.c turns
 * into the mount op program.
 */
#ifndef CELLOS_CHECK_H
#define CELLOS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ast.h"
#include "diag.h"
#include "pack.h"
#include "plan.h"

#define CELLC_VERSION "0.1.0"

/* Kinds of implied grants, beyond the statement kinds (AS_RO, ...). */
enum {
    GK_DEVPTS = 1000,
    GK_REMOUNT_RO
};

/* A filesystem grant after typing. kind is the statement kind (AS_RO, ...)
 * or a GK_* kind for the parts of a dev or proc grant. */
struct fs_grant {
    int kind;
    const char *src; /* host path: ro, rw, device; link text: symlink */
    const char *dst; /* path in the cell */
    uint64_t size;   /* tmpfs, workspace */
    uint32_t mode;   /* tmpfs, workspace, dir */
    bool optional, noexec;
    bool implied;       /* made by a dev or proc grant, not written */
    size_t parent;      /* implied: index of the dev/proc grant that made it */
    struct loc loc;     /* the statement */
    struct loc dst_loc; /* the token naming dst */
};

struct policy {
    struct plan plan; /* fs.ops and seccomp.programs are left empty */
    struct fs_grant *grants;
    size_t n_grants;
    struct loc *rule_locs; /* parallel to plan.seccomp.rules: where each rule was written */
    bool top_is_pack;
};

/* Check the loaded units. Returns 0 when there was no error, else -1 (all
 * errors in diag). `out` is filled as far as checking got (arena-owned). */
int policy_check(struct arena *a, struct diag *d, const struct policy_src *src, struct policy *out);

/* Does a `rw` (`ro`) grant of this host path need `unsafe "why"`? (The
 * rules of docs/language.md; the OCI translation, runtime/oci/, asks before
 * it writes a grant.) */
bool check_rw_needs_unsafe(const char *host_path);
bool check_ro_needs_unsafe(const char *host_path);

#endif
