/* CVE-2017-5226: push characters into the caller's terminal with TIOCSTI.
 * The workload has its own session (no controlling tty) and the policy
 * refuses the ioctl. */
#include "probe.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
int main(void)
{
    char c = '#';
    for (int fd = 0; fd < 3; fd++)
        if (ioctl(fd, TIOCSTI, &c) == 0)
            ESCAPED("TIOCSTI on fd %d worked", fd);
    int t = open("/dev/tty", O_RDWR);
    if (t >= 0 && ioctl(t, TIOCSTI, &c) == 0)
        ESCAPED("TIOCSTI on /dev/tty worked");
    CONTAINED("TIOCSTI refused (fd 0 is %sa tty)", isatty(0) ? "" : "not ");
}
