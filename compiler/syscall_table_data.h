/*
 * syscall_table_data.h - the generated syscall data behind syscall_table.h
 * (compiler/syscall_table_data.c, written by compiler/gen/gen_syscall_table.c).
 * Internal to the seccomp module: everyone else uses syscall_table.h.
 *
 * sc_table_data is sorted by name (strcmp order) and names are unique.
 * sc_nr_index[a][nr] is the index in sc_table_data of syscall nr on arch a,
 * or -1; valid for 0 <= nr < sc_nr_limit[a].
 */
#ifndef CELLOS_SYSCALL_TABLE_DATA_H
#define CELLOS_SYSCALL_TABLE_DATA_H

#include "syscall_table.h"

extern const struct sc_syscall sc_table_data[];
extern const size_t sc_table_count;
extern const int16_t *const sc_nr_index[SC_ARCH_COUNT];
extern const int sc_nr_limit[SC_ARCH_COUNT];

#endif
