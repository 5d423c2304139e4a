/* Read cellrun's command line through /proc/PID/cmdline (readable without
 * any ptrace right): the cell's init is a fork of cellrun, and its command
 * line may name a remote sink with user:password@, token@ or a secret in
 * the URL's path or query. No process of the cell may show a URL's part
 * after "://" (the runtime stars it out); the init's line is printed, so a
 * test can see that the probe read it. */
#include "probe.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char init[4096] = "";
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
        for (ssize_t i = 0; i < n; i++)
            if (!b[i])
                b[i] = ' ';
        b[n] = 0;
        for (char *u = strstr(b, "://"); u; u = strstr(u + 3, "://"))
            if (u[3] && u[3] != '*' && u[3] != ' ')
                ESCAPED("/proc/%s/cmdline shows a URL: %.300s", e->d_name, b);
        if (!strcmp(e->d_name, "1"))
            snprintf(init, sizeof init, "%s", b);
    }
    CONTAINED("no URL in any command line of the cell; the init's: %.300s", init);
}
