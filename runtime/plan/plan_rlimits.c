/*
 * plan_rlimits.c - the table of plan_rlimits.h, sorted by Linux number.
 */
#include "plan_rlimits.h"

#include <string.h>

static const struct plan_rlimit_info table[] = {
    { 0, "cpu", "RLIMIT_CPU", RL_SECONDS },     { 1, "fsize", "RLIMIT_FSIZE", RL_BYTES },
    { 4, "core", "RLIMIT_CORE", RL_BYTES },     { 6, "nproc", "RLIMIT_NPROC", RL_COUNT },
    { 7, "nofile", "RLIMIT_NOFILE", RL_COUNT }, { 9, "as", "RLIMIT_AS", RL_BYTES },
};

const struct plan_rlimit_info *plan_rlimit_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const struct plan_rlimit_info *plan_rlimit_by_resource(uint32_t resource)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (table[i].resource == resource)
            return &table[i];
    return NULL;
}
