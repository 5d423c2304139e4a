/* CVE-2019-5736: overwrite the runtime binary through /proc/PID/exe. The
 * cell's PID 1 is a copy of cellrun: its exe link must be unreachable
 * (non-dumpable init) and the workload's own binary must not be writable. */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    int fd = open("/proc/1/exe", O_RDONLY);
    if (fd >= 0)
        ESCAPED("opened /proc/1/exe (the cellrun binary) for reading");
    fd = open("/proc/1/exe", O_WRONLY);
    if (fd >= 0)
        ESCAPED("opened /proc/1/exe for writing");
    char buf[256];
    if (readlink("/proc/1/exe", buf, sizeof buf) >= 0)
        ESCAPED("read the /proc/1/exe link");
    fd = open("/proc/self/exe", O_WRONLY);
    if (fd >= 0)
        ESCAPED("opened its own /proc/self/exe for writing");
    CONTAINED("/proc/1/exe unreachable, /proc/self/exe not writable (%s)", strerror(errno));
}
