/*
 * syscall_table_data.h - the generated syscall data behind syscall_table.h
 * (compiler/seccomp/syscall_table_data.c, written by compiler/seccomp/gen/gen_syscall_table.c).
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

/* Numbers of the compat ABIs an x86_64 filter may admit (x32 numbers carry
 * bit 30), sorted by number; `index` is the sc_table_data entry of the same
 * name, or -1 when the name exists only in that ABI (mmap2, socketcall, ...). */
struct sc_compat_nr {
    uint32_t nr;
    int16_t index;
};
extern const struct sc_compat_nr sc_compat_x32[];
extern const size_t sc_compat_x32_count;
extern const struct sc_compat_nr sc_compat_i386[];
extern const size_t sc_compat_i386_count;

#endif
