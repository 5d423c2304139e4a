/* Gain privilege through a setuid binary: mounts are nosuid and
 * no_new_privs is set, so exec never raises privilege. */
#include "probe.h"
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    const char *bins[] = { "/usr/bin/su", "/usr/bin/passwd", "/usr/bin/mount", "/usr/bin/newgrp", NULL };
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        ESCAPED("no_new_privs is not set");
    struct statvfs sv;
    if (statvfs("/usr", &sv) == 0 && !(sv.f_flag & ST_NOSUID))
        ESCAPED("/usr is not nosuid");
    for (int i = 0; bins[i]; i++) {
        if (access(bins[i], X_OK) != 0)
            continue;
        /* run it with an argument that makes it print and exit; the child's
         * effective uid is checked through /proc after exec */
        int p[2];
        if (pipe(p) < 0)
            UNSURE("pipe");
        pid_t c = fork();
        if (c == 0) {
            close(p[0]);
            dup2(p[1], 1);
            dup2(p[1], 2);
            execl(bins[i], bins[i], "--version", (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/status", (int)c);
        FILE *f = fopen(path, "r");
        while (f && fgets(buf, sizeof buf, f))
            if (!strncmp(buf, "Uid:", 4)) {
                unsigned r, e;
                if (sscanf(buf, "Uid: %u %u", &r, &e) == 2 && e == 0 && getuid() != 0)
                    ESCAPED("%s ran with euid 0", bins[i]);
            }
        while (read(p[0], buf, sizeof buf) > 0)
            ;
        waitpid(c, NULL, 0);
    }
    CONTAINED("no_new_privs set and /usr nosuid (uid %u)", getuid());
}
