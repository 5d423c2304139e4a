/* pivot_root or chroot back out of the cell's root. */
#include "probe.h"
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    if (syscall(SYS_pivot_root, "/work", "/work") == 0)
        ESCAPED("pivot_root worked");
    CONTAINED("pivot_root refused (%s)", strerror(errno));
}
