/* open_by_handle_at (the "shocker" escape): open a host inode by handle. */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    struct { struct file_handle fh; unsigned char data[128]; } h;
    int mnt;
    h.fh.handle_bytes = 128;
    if (name_to_handle_at(AT_FDCWD, "/usr", &h.fh, &mnt, 0) == 0) {
        int fd = open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY);
        if (fd >= 0)
            ESCAPED("open_by_handle_at worked");
    }
    /* a forged handle for inode 2 (a filesystem root) */
    h.fh.handle_bytes = 8;
    h.fh.handle_type = 1;
    memset(h.data, 0, 8);
    h.data[0] = 2;
    if (open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY) >= 0)
        ESCAPED("a forged handle opened");
    CONTAINED("open_by_handle_at refused (%s)", strerror(errno));
}
