/*
 * plan_caps.h - the Linux capabilities a plan may name: the one table of
 * their names, bit numbers and, for the powerful ones, what makes them
 * powerful (a grant of those needs `unsafe "why"`). The checker, `cellc
 * dump` and the gVisor translation all name capabilities from here.
 */
#ifndef CELLOS_PLAN_CAPS_H
#define CELLOS_PLAN_CAPS_H

#include <stddef.h>
#include <stdint.h>

struct plan_cap_info {
    const char *name; /* "CAP_NET_RAW" */
    uint32_t bit;     /* its bit in a plan's capability set */
    const char *why;  /* NULL: may be granted without unsafe */
};

/* By name (exact), or NULL. */
const struct plan_cap_info *plan_cap_by_name(const char *name);
/* The name of bit `bit`, or NULL when no capability has it. */
const char *plan_cap_name(uint32_t bit);
/* The table in name order: entries 0 .. plan_cap_count() - 1. */
size_t plan_cap_count(void);
const struct plan_cap_info *plan_cap_at(size_t i);

#endif
