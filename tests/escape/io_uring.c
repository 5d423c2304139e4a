/* io_uring: a second syscall interface that seccomp does not see. */
#include "probe.h"
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    if (syscall(SYS_io_uring_setup, 4, &p) >= 0)
        ESCAPED("io_uring ring created");
    CONTAINED("io_uring_setup refused (%s)", strerror(errno));
}
