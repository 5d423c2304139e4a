/* Read cellrun's command line through /proc/PID/cmdline (readable without
 * any ptrace right): the cell's init is a fork of cellrun, and that line
 * may hold a remote sink's user:password@ or token@ and the key's path. No
 * process of the cell may show cellrun's options. */
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int seen = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char p[300], b[4096];
        snprintf(p, sizeof p, "/proc/%s/cmdline", e->d_name);
        int fd = open(p, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, b, sizeof b - 1);
        close(fd);
        if (n <= 0)
            continue;
        seen++;
        for (ssize_t i = 0; i < n; i++)
            if (!b[i])
                b[i] = ' ';
        b[n] = 0;
        if (strstr(b, "--events") || strstr(b, "--unsigned") || strstr(b, "--key") || strstr(b, "cellrun"))
            ESCAPED("/proc/%s/cmdline shows cellrun's command line: %.200s", e->d_name, b);
    }
    CONTAINED("no process of the cell shows cellrun's command line (%d with one)", seen);
}
