/* CVE-2024-21626: use a descriptor or a working directory leaked from the
 * host. Only stdio may be open, and the cwd must be inside the cell. */
#include "probe.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void)
{
    for (int fd = 3; fd < 4096; fd++) {
        struct stat st;
        if (fstat(fd, &st) == 0)
            ESCAPED("fd %d is open (mode 0%o)", fd, st.st_mode);
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        ESCAPED("the cwd is outside the root (%s)", strerror(errno));
    if (strncmp(cwd, "(unreachable)", 13) == 0)
        ESCAPED("the cwd is unreachable: %s", cwd);
    int d = open("..", O_RDONLY | O_DIRECTORY);
    struct stat a, b;
    if (chdir("/") == 0 && stat("/", &a) == 0 && stat("/..", &b) == 0 &&
        (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
        ESCAPED("/.. is not /");
    (void)d;
    CONTAINED("no fd above 2, cwd %s inside the root", cwd);
}
