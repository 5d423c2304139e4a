/*
 * plan_rlimits.h - the resource limits a plan may set: the one table of
 * their Linux numbers, their names in the policy language and in OCI, and
 * the unit their values are written in. The plan reader accepts exactly
 * these; the compiler, `cellc dump` and the gVisor translation name them
 * from here.
 */
#ifndef CELLOS_PLAN_RLIMITS_H
#define CELLOS_PLAN_RLIMITS_H

#include <stdint.h>

enum rlimit_unit {
    RL_COUNT,
    RL_BYTES,
    RL_SECONDS
};

struct plan_rlimit_info {
    uint32_t resource;     /* Linux RLIMIT_* number */
    const char *name;      /* in the policy language: "nofile" */
    const char *oci;       /* in an OCI config: "RLIMIT_NOFILE" */
    enum rlimit_unit unit; /* how values are written in a policy */
};

/* By policy name, or NULL. */
const struct plan_rlimit_info *plan_rlimit_by_name(const char *name);
/* By Linux number, or NULL when a plan may not set it. */
const struct plan_rlimit_info *plan_rlimit_by_resource(uint32_t resource);

#endif
