/* A tmpfs's size bounds its data, not its inodes: empty files cost about
 * 1 KiB of kernel memory each outside the size, and tmpfs's default allows
 * millions. Fill the first writable tmpfs of /tmp, /dev/shm, /work with
 * empty files: more than two per KiB of its size is kernel memory beyond
 * twice the size the policy set. The files are removed again. */
#include "probe.h"
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>
int main(void)
{
    const char *dirs[] = { "/tmp", "/dev/shm", "/work", NULL };
    for (int i = 0; dirs[i]; i++) {
        struct statvfs sv;
        char p[64];
        snprintf(p, sizeof p, "%s/.inode-probe-0", dirs[i]);
        int fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600);
        if (fd < 0 || statvfs(dirs[i], &sv) < 0)
            continue;
        close(fd);
        unsigned long long size = (unsigned long long)sv.f_blocks * sv.f_frsize;
        unsigned long long bound = 2 * (size / 1024) > 2048 ? 2 * (size / 1024) : 2048, n = 1;
        while (n <= bound) {
            snprintf(p, sizeof p, "%s/.inode-probe-%llu", dirs[i], n);
            if ((fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600)) < 0)
                break;
            close(fd);
            n++;
        }
        int err = errno;
        for (unsigned long long k = 0; k < n; k++) {
            snprintf(p, sizeof p, "%s/.inode-probe-%llu", dirs[i], k);
            unlink(p);
        }
        if (n > bound)
            ESCAPED("%llu empty files in the %llu KiB tmpfs %s (inodes beyond its size)", n, size / 1024, dirs[i]);
        CONTAINED("%llu empty files in the %llu KiB tmpfs %s, then %s", n, size / 1024, dirs[i], strerror(err));
    }
    UNSURE("no writable tmpfs");
}
