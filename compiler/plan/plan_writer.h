/*
 * plan_writer.h - serialise a struct plan into plan bytes (plan_format.h).
 *
 * Deterministic: the output depends only on the struct's contents. Strings
 * are interned in a fixed order (the order fields are written), sections are
 * emitted in ascending type order, all padding is zero (docs/plan-format.md,
 * "Writer layout"). A NULL string pointer is written as "". The writer
 * refuses (rather than writes) a plan the reader would reject: it runs its
 * output through plan_read() and reports the reader's reason.
 */
#ifndef CELLOS_PLAN_WRITER_H
#define CELLOS_PLAN_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "plan.h"

/* On success returns 0 and a malloc'd buffer in *out of *len bytes (no
 * signature trailer). On failure returns -1 and a one-line reason in errbuf. */
int plan_write(const struct plan *p, uint8_t **out, size_t *len, char *errbuf, size_t errlen);

#endif
