/* Read host files outside the grants: argv[1] is a host path the test
 * created; /home, /root, /var and the cellrun build tree must be absent. */
#include "probe.h"
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    const char *f[] = { argc > 1 ? argv[1] : "/nonexistent", "/root/.bashrc", "/var/log/syslog",
                        "/home", "/work/wt", "/run/systemd", "/boot", NULL };
    for (int i = 0; f[i]; i++)
        if (access(f[i], F_OK) == 0)
            ESCAPED("%s is visible", f[i]);
    CONTAINED("host paths outside the grants are absent");
}
