/* sys_util.c - small system-call helpers shared by the cell side, the
 * supervisor and the backends (see sys_util.h).
 *
 * Invariants: libc and the kernel only, no allocation, no state; errno is
 * meaningful after every -1. */
#include "sys_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

int sys_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sys_close_quiet(int fd)
{
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return -1;
}

int sys_cgroup_join(int dirfd)
{
    int fd = openat(dirfd, "tasks", O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, "0\n", 2);
    int saved = errno;
    close(fd);
    if (w != 2) {
        errno = w < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

ssize_t sys_read_head(int dirfd, const char *name, int oflags, char *buf, size_t n)
{
    if (n == 0)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | oflags);
    if (fd < 0)
        return -1;
    ssize_t r;
    do
        r = read(fd, buf, n - 1);
    while (r < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    errno = saved;
    if (r <= 0)
        return -1;
    buf[r] = 0;
    return r;
}

const char *sys_proc_stat_field(const char *stat, int field)
{
    const char *p = strrchr(stat, ')');
    if (!p || p[1] != ' ' || field < 3)
        return NULL;
    p += 2; /* field 3 */
    for (int f = 3; f < field && p; f++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p && *p ? p : NULL;
}

void sys_kill_and_reap(pid_t pid)
{
    if (pid <= 0)
        return;
    int st;
    if (waitpid(pid, &st, WNOHANG) != 0)
        return; /* reaped now, or not our child / already reaped */
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

uint64_t sys_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool sys_path_within(const char *path, const char *dir)
{
    if (strcmp(dir, "/") == 0)
        return true;
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}
