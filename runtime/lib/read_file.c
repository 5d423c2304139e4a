/*
 * read_file.c - the one whole-file reader (see sys_util.h): regular files,
 * pipes and devices alike, never more than a bound, into a NUL-terminated
 * heap buffer. Libc only (the VM guest links it).
 */
#include "sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int sys_read_file(const char *path, size_t max, int oflags, char **out, size_t *len, struct stat *st_out)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags);
    if (fd < 0)
        return errno ? errno : EIO;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int er = errno;
        close(fd);
        return er;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return EISDIR;
    }
    if (st_out)
        *st_out = st;
    /* a regular file's size is a hint, never trusted: read until EOF or
     * one byte past the bound, growing the buffer as needed */
    size_t limit = max + 1;
    size_t cap = S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size < limit
        ? (size_t)st.st_size + 1
        : (limit < 65536 ? limit : 65536);
    char *buf = malloc(cap + 1);
    size_t n = 0;
    int er = buf ? 0 : ENOMEM;
    while (!er) {
        if (n == cap) {
            if (cap >= limit)
                break;
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                er = ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            er = errno;
        else if (r == 0)
            break;
        else
            n += (size_t)r;
    }
    close(fd);
    if (er) {
        free(buf);
        return er;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}
