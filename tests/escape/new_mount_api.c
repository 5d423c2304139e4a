/* The new mount API (fsopen/open_tree/move_mount) as a side door to mount. */
#include "probe.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>
int main(void)
{
    if (fsopen("tmpfs", 0) >= 0)
        ESCAPED("fsopen worked");
    if (open_tree(AT_FDCWD, "/usr", OPEN_TREE_CLONE) >= 0)
        ESCAPED("open_tree clone worked");
    if (mount("none", "/work", "tmpfs", 0, NULL) == 0)
        ESCAPED("mount worked");
    CONTAINED("mounting in any form refused (%s)", strerror(errno));
}
