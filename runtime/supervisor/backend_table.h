/*
 * backend_table.h - the backends built into this cellrun, and lookup by
 * name or kind. The only place outside a backend's folder that names a
 * backend: each backend defines its `const struct backend_ops
 * backend_<name>` and adds one line to the table in backend_table.c.
 */
#ifndef CELLOS_BACKEND_TABLE_H
#define CELLOS_BACKEND_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/backend/backend.h"

const struct backend_ops *backend_by_name(const char *name);
const struct backend_ops *backend_by_kind(uint32_t kind);
/* "native, gvisor, vm": the built-in backends' names, for messages and
 * --help, written into buf (always terminated); returns buf. */
const char *backend_names(char *buf, size_t n);

#endif
