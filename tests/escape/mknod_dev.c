/* mknod a block or char device (the host disk, /dev/mem) to read it raw. */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
int main(void)
{
    if (mknod("/work/sda", S_IFBLK | 0600, makedev(8, 0)) == 0)
        ESCAPED("created a block device node");
    if (mknod("/work/mem", S_IFCHR | 0600, makedev(1, 1)) == 0)
        ESCAPED("created /dev/mem's node");
    if (mknod("/dev/shm/kmsg", S_IFCHR | 0600, makedev(1, 11)) == 0)
        ESCAPED("created /dev/kmsg's node");
    int fd = open("/dev/mem", O_RDONLY);
    if (fd >= 0)
        ESCAPED("/dev/mem is there");
    CONTAINED("mknod refused (%s)", strerror(errno));
}
