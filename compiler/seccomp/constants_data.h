/*
 * constants_data.h - the generated built-in constants behind
 * sc_const_lookup() (constants_data.c, written by gen/gen_constants.c).
 * Sorted by name (strcmp order), names unique. Internal to the seccomp module.
 */
#ifndef CELLOS_CONSTANTS_DATA_H
#define CELLOS_CONSTANTS_DATA_H

#include <stddef.h>
#include <stdint.h>

struct sc_const {
    const char *name;
    uint64_t value;
};

extern const struct sc_const sc_const_data[];
extern const size_t sc_const_count;

#endif
