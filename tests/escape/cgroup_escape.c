/* Move out of the cell's cgroup, or lift its limits: no cgroupfs is
 * mounted and /proc/self/cgroup shows the cell's own namespace root. */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    const char *f[] = { "/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs",
                        "/sys/fs/cgroup/pids/tasks", NULL };
    for (int i = 0; f[i]; i++) {
        int fd = open(f[i], O_WRONLY);
        if (fd >= 0)
            ESCAPED("%s writable", f[i]);
    }
    FILE *c = fopen("/proc/self/cgroup", "r");
    char line[512];
    while (c && fgets(line, sizeof line, c)) {
        char *p = strrchr(line, ':');
        if (p && strcmp(p, ":/\n") != 0)
            ESCAPED("the cgroup namespace shows a host path: %s", line);
    }
    CONTAINED("no cgroupfs, cgroup namespace rooted at the cell's cgroup");
}
