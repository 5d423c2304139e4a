/*
 * close_fds.c - close every descriptor above 2 except a given few, with
 * close_range(2) over the gaps: no /proc walk, no per-fd loop. Libc only:
 * the cell side links it too.
 */
#include "sys_util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int sys_close_fds_except(const int *keep, size_t n_keep)
{
    int small[64], *sorted = small;
    size_t n = 0;
    if (n_keep > sizeof small / sizeof *small) {
        sorted = malloc(n_keep * sizeof *sorted);
        if (!sorted)
            return -1;
    }
    for (size_t i = 0; i < n_keep; i++)
        if (keep[i] > 2)
            sorted[n++] = keep[i];
    qsort(sorted, n, sizeof *sorted, cmp_int);
    unsigned lo = 3;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((unsigned)sorted[i] > lo && close_range(lo, (unsigned)sorted[i] - 1, 0) < 0)
            rc = -1;
        if ((unsigned)sorted[i] + 1 > lo)
            lo = (unsigned)sorted[i] + 1;
    }
    if (rc == 0)
        rc = close_range(lo, UINT_MAX, 0);
    if (sorted != small) {
        int saved = errno;
        free(sorted);
        errno = saved;
    }
    return rc;
}
