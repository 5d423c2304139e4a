/* Unshare a user namespace to regain a full capability set, then use it
 * (mount, chroot) against the cell. */
#include "probe.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/sched.h>
#include <unistd.h>
int main(void)
{
    if (unshare(CLONE_NEWUSER) == 0) {
        if (unshare(CLONE_NEWNS) == 0 && mount("none", "/tmp", "tmpfs", 0, NULL) == 0)
            ESCAPED("new user+mount namespace gave mount rights");
        ESCAPED("unshare(CLONE_NEWUSER) worked");
    }
    int e1 = errno;
    if (unshare(CLONE_NEWNS) == 0)
        ESCAPED("unshare(CLONE_NEWNS) worked");
    struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = 17 };
    long r = syscall(SYS_clone3, &ca, sizeof ca);
    if (r == 0)
        _exit(0);
    if (r > 0)
        ESCAPED("clone3(CLONE_NEWUSER) worked");
    CONTAINED("user namespaces refused (%s)", strerror(e1));
}
