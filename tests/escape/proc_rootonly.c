/* Read host-wide kernel state that only host root may read, by file mode
 * alone (no capability check in the kernel): physical page flags and
 * counts, slab and vmalloc layouts, serial line counters. A cell's uid 0
 * is host root (identity maps), so `proc` must mask them. */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    const char *f[] = { "/proc/kpageflags", "/proc/kpagecount", "/proc/kpagecgroup", "/proc/slabinfo",
                        "/proc/vmallocinfo", "/proc/pagetypeinfo", "/proc/tty/driver/serial", NULL };
    for (int i = 0; f[i]; i++) {
        int fd = open(f[i], O_RDONLY | O_NONBLOCK);
        char b[64];
        if (fd >= 0 && read(fd, b, sizeof b) > 0)
            ESCAPED("read %s", f[i]);
        if (fd >= 0)
            close(fd);
    }
    CONTAINED("the kernel's root-only proc files are masked or unreadable");
}
