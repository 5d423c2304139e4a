/*
 * syscall_table.c - lookups over the generated syscall table
 * (syscall_table_data.c): by name, by number per arch, by argument name,
 * plus the arch facts (audit values, names).
 *
 * Invariants: sc_table_data is sorted by name and unique (checked by the
 * unit tests), so sc_lookup is a binary search; sc_nr_index gives numbers in
 * O(1). Everything here is read-only.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>

#include "syscall_table.h"
#include "syscall_table_data.h"

uint32_t sc_arch_audit(enum sc_arch a)
{
    switch (a) {
    case SC_ARCH_X86_64: return AUDIT_ARCH_X86_64;
    case SC_ARCH_AARCH64: return AUDIT_ARCH_AARCH64;
    default: return 0;
    }
}

const char *sc_arch_name(enum sc_arch a)
{
    switch (a) {
    case SC_ARCH_X86_64: return "x86_64";
    case SC_ARCH_AARCH64: return "aarch64";
    default: return "unknown";
    }
}

static int cmp_name(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct sc_syscall *)elem)->name);
}

const struct sc_syscall *sc_lookup(const char *name)
{
    if (!name)
        return NULL;
    return bsearch(name, sc_table_data, sc_table_count, sizeof sc_table_data[0], cmp_name);
}

/* Arguments are found by their table name, or by the positional alias
 * "argN" (N < nargs) that works for every syscall. */
int sc_arg_index(const struct sc_syscall *s, const char *argname)
{
    if (!s || !argname)
        return -1;
    for (int i = 0; i < s->nargs; i++)
        if (strcmp(s->args[i].name, argname) == 0)
            return i;
    if (strncmp(argname, "arg", 3) == 0 && argname[3] >= '0' && argname[3] <= '5' && argname[4] == '\0' &&
        argname[3] - '0' < s->nargs)
        return argname[3] - '0';
    return -1;
}

const struct sc_syscall *sc_by_number(enum sc_arch a, int nr)
{
    if ((unsigned)a >= SC_ARCH_COUNT || nr < 0 || nr >= sc_nr_limit[a])
        return NULL;
    int idx = sc_nr_index[a][nr];
    return idx < 0 ? NULL : &sc_table_data[idx];
}

const struct sc_syscall *sc_at(size_t i)
{
    return i < sc_table_count ? &sc_table_data[i] : NULL;
}
