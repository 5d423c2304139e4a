/* The classic chroot escape: keep a directory fd, chroot into a subdir,
 * fchdir back out and walk up with "..". */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void)
{
    mkdir("/work/jail", 0755);
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    if (chroot("/work/jail") == 0) {
        if (fchdir(fd) == 0) {
            for (int i = 0; i < 64; i++)
                if (chdir("..") < 0)
                    break;
            if (chroot(".") == 0 && access("/proc/1/root/etc/shadow", F_OK) == 0 &&
                access("/home", F_OK) == 0)
                ESCAPED("left the root through fchdir and ..");
        }
        ESCAPED("chroot() worked (no escape found, but it must be refused)");
    }
    CONTAINED("chroot refused (%s)", strerror(errno));
}
