/* Writes to /proc/sys (core_pattern is a classic host escape) and other
 * writable proc files that reach the host. */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    const char *f[] = { "/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches",
                        "/proc/sys/kernel/modprobe", "/proc/sysrq-trigger", NULL };
    for (int i = 0; f[i]; i++) {
        int fd = open(f[i], O_WRONLY);
        if (fd >= 0 && write(fd, "", 0) >= 0 && write(fd, "|/x", 3) == 3)
            ESCAPED("wrote %s", f[i]);
        if (fd >= 0)
            close(fd);
    }
    CONTAINED("/proc/sys and sysrq not writable");
}
