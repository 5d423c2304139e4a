/*
 * cell_fds.c - close every descriptor above 2 except a given few (cell
 * side), with close_range(2) over the gaps: no /proc walk, no per-fd loop.
 */
#include "cell_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int cell_close_fds_except(const int *keep, size_t n_keep)
{
    int sorted[64];
    size_t n = 0;
    for (size_t i = 0; i < n_keep; i++) {
        if (keep[i] <= 2)
            continue;
        if (n >= sizeof sorted / sizeof *sorted) {
            errno = E2BIG;
            return -1;
        }
        sorted[n++] = keep[i];
    }
    qsort(sorted, n, sizeof *sorted, cmp_int);
    unsigned lo = 3;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)sorted[i] > lo && close_range(lo, (unsigned)sorted[i] - 1, 0) < 0)
            return -1;
        if ((unsigned)sorted[i] + 1 > lo)
            lo = (unsigned)sorted[i] + 1;
    }
    return close_range(lo, UINT_MAX, 0);
}
