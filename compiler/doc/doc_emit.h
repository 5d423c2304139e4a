/*
 * doc_emit.h - a typed CellOS document as a policy in our language, the
 * text `cellc import` prints and `cellc job.yaml` compiles (so the two give
 * the same plan bytes by construction), and PolicyPack admission.
 *
 * The emitted text is formatted as a person would write it: a comment
 * naming the source document, the base and syscall packs as `use` lines,
 * one statement per line. A bare argv[0] is resolved on the PATH given in
 * the options (at compile time); the checker then requires it to lie in a
 * grant of the base pack.
 */
#ifndef CELLOS_DOC_EMIT_H
#define CELLOS_DOC_EMIT_H

#include "doc_spec.h"

#define DOC_DEFAULT_BASE     "std/base"
#define DOC_DEFAULT_SYSCALLS "std/syscalls"
/* spec.run.workingDirectory becomes a workspace of this size. */
#define DOC_WORKSPACE_SIZE "64MiB"

struct doc_opts {
    const char *base;     /* pack for the filesystem (DOC_DEFAULT_BASE) */
    const char *syscalls; /* pack for the syscalls (DOC_DEFAULT_SYSCALLS) */
    const char *path_env; /* PATH to resolve a bare argv[0]; NULL: none */
};

/* Where each line of the emitted policy came from in the document: locs[i]
 * is the field behind line i+1 when set[i]; lines of our own (use, braces,
 * the syscalls default) have none. */
struct doc_linemap {
    struct loc *locs;
    bool *set;
    size_t n;
};

/* The policy text for doc (malloc'd, NUL-terminated, in *text), and its
 * line map when map is not NULL (free with doc_linemap_free). Returns 0,
 * or 1 after reporting errors at the document's positions. */
int doc_emit(struct diag *d, const struct doc *doc, const struct doc_opts *o, char **text, size_t *len,
             struct doc_linemap *map);
void doc_linemap_free(struct doc_linemap *m);

/* Move every diagnostic (and note) located in the emitted policy (source
 * `emitted`) to the document field its line came from, so the checker's
 * errors point into the document too. Lines without a field keep theirs. */
void doc_remap(struct diag *d, uint32_t emitted, const struct doc_linemap *m);

/* The name the equivalent policy file has: dir/stem.cell for dir/stem.yaml
 * (arena-owned). The plan's meta.source is its base name. */
const char *doc_policy_name(struct arena *a, const char *doc_path);

/* PolicyPack admission: check cell against pack, every violation an error
 * at the cell's field with a note at the pack's rule. Returns the number of
 * violations. */
size_t doc_admit(struct diag *d, const struct doc *cell, const struct doc *pack);

#endif
