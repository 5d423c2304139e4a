/*
 * backend_table.c - the table of backends built into cellrun (see
 * backend_table.h). A backend team adds one extern and one line here.
 */
#include "backend_table.h"

#include <string.h>

extern const struct backend_ops backend_native; /* runtime/native/backend_native.c */
extern const struct backend_ops backend_gvisor; /* runtime/gvisor/backend_gvisor.c */
extern const struct backend_ops backend_vm;     /* runtime/vm/backend_vm.c */

static const struct backend_ops *const table[] = {
    &backend_native,
    &backend_gvisor,
    &backend_vm,
};

const struct backend_ops *backend_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const struct backend_ops *backend_by_kind(uint32_t kind)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (table[i]->kind == kind)
            return table[i];
    return NULL;
}

const char *backend_names(char *buf, size_t n)
{
    if (!n)
        return buf;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (i)
            strncat(buf, ", ", n - strlen(buf) - 1);
        strncat(buf, table[i]->name, n - strlen(buf) - 1);
    }
    return buf;
}
