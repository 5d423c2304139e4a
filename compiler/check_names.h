/*
 * check_names.h - the named constants the checker types values against:
 * errno names, signal names, capability names (and which are powerful
 * enough to need `unsafe "why"`), rlimit resources, and a "did you mean"
 * helper for misspelt names.
 *
 * All tables are static and read-only. Numbers are Linux's, identical on
 * x86_64 and aarch64 (both use the generic errno and signal numbering).
 */
#ifndef CELLOS_CHECK_NAMES_H
#define CELLOS_CHECK_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* errno name ("EPERM", ...) -> number; false when unknown. */
bool errno_lookup(const char *name, uint32_t *num);
/* errno number -> its name (the first in alphabetical order), or NULL. */
const char *errno_name(uint32_t num);
/* signal name ("SIGTERM", ...) -> number; false when unknown. */
bool signal_lookup(const char *name, uint32_t *num);

/* Capability name ("CAP_NET_BIND_SERVICE") -> number. *why is NULL for a
 * capability that may be granted without `unsafe`, else what makes it
 * powerful. False when unknown. */
bool cap_lookup(const char *name, uint32_t *num, const char **why);


/* The closest of `n` candidates to `word` (edit distance at most 2 and less
 * than half its length), or NULL. `get(i, ctx)` returns candidate i. */
const char *suggest_name(const char *word, size_t n, const char *(*get)(size_t i, const void *ctx),
                         const void *ctx);
const char *suggest_errno(const char *word);
const char *suggest_cap(const char *word);

#endif
