/* userfaultfd: the race-widening primitive of many kernel exploits. */
#include "probe.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    if (syscall(SYS_userfaultfd, O_CLOEXEC) >= 0)
        ESCAPED("userfaultfd created");
    int fd = open("/dev/userfaultfd", O_RDWR);
    if (fd >= 0)
        ESCAPED("/dev/userfaultfd opened");
    CONTAINED("userfaultfd refused (%s)", strerror(errno));
}
