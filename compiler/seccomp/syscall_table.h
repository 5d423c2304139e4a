/*
 * syscall_table.h - what the compiler knows about syscalls, per arch:
 * names and numbers (generated from libseccomp's tables and checked in, so a
 * plan does not depend on the libseccomp of the machine compiling it),
 * argument names and widths, the built-in groups, the built-in constants,
 * and which syscalls are dangerous enough to need `unsafe "why"`.
 *
 * All data is static and read-only; lookups are by exact name.
 */
#ifndef CELLOS_SYSCALL_TABLE_H
#define CELLOS_SYSCALL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sc_arch {
    SC_ARCH_X86_64 = 0,
    SC_ARCH_AARCH64 = 1,
    SC_ARCH_COUNT = 2
};

/* AUDIT_ARCH_* value of an arch. */
uint32_t sc_arch_audit(enum sc_arch a);
const char *sc_arch_name(enum sc_arch a);

struct sc_arg {
    const char *name; /* e.g. "domain", "request", "flags" */
    uint8_t width;    /* 32 or 64: how many bits the kernel uses */
};

struct sc_syscall {
    const char *name;
    int nr[SC_ARCH_COUNT]; /* -1 when the arch does not have it */
    uint8_t nargs;         /* 0..6 */
    struct sc_arg args[6];
};

/* NULL when no supported arch knows the name. */
const struct sc_syscall *sc_lookup(const char *name);
/* Index of the named argument, or -1. */
int sc_arg_index(const struct sc_syscall *s, const char *argname);
/* The syscall with number nr on arch a, or NULL. */
const struct sc_syscall *sc_by_number(enum sc_arch a, int nr);
/* Iterate every known syscall (i from 0 until NULL). */
const struct sc_syscall *sc_at(size_t i);

/* Built-in groups such as "@basic-io" (name includes the '@'). Members are
 * syscall names; a member an arch lacks is skipped for that arch. */
struct sc_group {
    const char *name;
    const char *description;
    const char *const *members; /* NULL-terminated */
};
const struct sc_group *sc_group_lookup(const char *name);
const struct sc_group *sc_group_at(size_t i);

/* Built-in constants (AF_*, SOCK_*, O_*, CLONE_*, PROT_*, MAP_*, TIOC*,
 * TC*, FIO*, PR_*, ...). False when unknown. */
bool sc_const_lookup(const char *name, uint64_t *value);

/* For a well-known constant that is not built in because its value differs
 * between the supported arches (O_DIRECTORY, MAP_32BIT, ...): a one-line
 * explanation giving the values, for the checker's error message. Else NULL. */
const char *sc_const_arch_note(const char *name);

/* Why a syscall needs `unsafe "why"` to be allowed, or NULL when it does not. */
const char *sc_danger(const char *name);

#endif
