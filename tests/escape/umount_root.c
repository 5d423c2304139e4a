/* Unmount or remount the root to reach the old (host) root under it. */
#include "probe.h"
#include <sys/mount.h>
#include <sys/stat.h>
int main(void)
{
    if (umount2("/", MNT_DETACH) == 0)
        ESCAPED("detached /");
    if (umount2("/proc", MNT_DETACH) == 0)
        ESCAPED("unmounted /proc");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
        ESCAPED("remounted / read-write");
    if (mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
        ESCAPED("remounted /usr read-write");
    if (mount(NULL, "/", NULL, MS_SHARED | MS_REC, NULL) == 0)
        ESCAPED("made / shared");
    CONTAINED("umount/remount refused (%s)", strerror(errno));
}
