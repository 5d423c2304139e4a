/* Read the memory or environment of the cell's init, a copy of the
 * supervisor, or use its descriptors: it is non-dumpable, so /proc/1/mem,
 * environ, maps, root and cwd do not open, and its fds (the step-record
 * pipe) can be listed by a root workload but neither opened nor read. */
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    const char *f[] = { "/proc/1/mem", "/proc/1/environ", "/proc/1/maps", "/proc/1/cwd/.", NULL };
    for (int i = 0; f[i]; i++) {
        int fd = open(f[i], O_RDONLY);
        if (fd >= 0) {
            char b[16];
            if (read(fd, b, sizeof b) > 0 || i == 3)
                ESCAPED("read %s", f[i]);
        }
    }
    DIR *d = opendir("/proc/1/fd");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[300], l[256];
        snprintf(p, sizeof p, "/proc/1/fd/%s", e->d_name);
        if (readlink(p, l, sizeof l) >= 0)
            ESCAPED("read the link %s", p);
        if (open(p, O_RDONLY) >= 0 || open(p, O_WRONLY) >= 0)
            ESCAPED("opened %s", p);
    }
    if (opendir("/proc/1/root/"))
        ESCAPED("opened /proc/1/root");
    CONTAINED("the init's memory, environment and fds are unreachable (%s)", strerror(errno));
}
