/* /sys: not there; mounting it, or a cgroup fs for its release_agent
 * (CVE-2022-0492), is refused. */
#include "probe.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void)
{
    int fd = open("/sys/kernel/uevent_helper", O_WRONLY);
    if (fd >= 0)
        ESCAPED("/sys/kernel/uevent_helper writable");
    mkdir("/work/sys", 0755);
    if (mount("sysfs", "/work/sys", "sysfs", 0, NULL) == 0)
        ESCAPED("mounted sysfs");
    if (mount("cgroup", "/work/sys", "cgroup", 0, "rdma") == 0)
        ESCAPED("mounted a cgroup v1 hierarchy (release_agent)");
    if (mount("cgroup2", "/work/sys", "cgroup2", 0, NULL) == 0)
        ESCAPED("mounted cgroup2");
    CONTAINED("no /sys; sysfs and cgroup mounts refused (%s)", strerror(errno));
}
