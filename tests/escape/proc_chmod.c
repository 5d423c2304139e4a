/* chmod or chown a proc entry: the generic entries (not /proc/PID, not
 * /proc/sys) keep one mode and owner for every proc instance of the host,
 * so a change made in the cell's proc shows in every proc mounted later,
 * the host's own included. Their owner is host root, which a cell's uid 0
 * is (identity maps): only a read-only proc mount stops it. Each attempt
 * is undone at once if it worked, unless argv[1] is "keep" (the gVisor
 * suite then checks the host's entries from outside). */
#include "probe.h"
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    int keep = argc > 1 && !strcmp(argv[1], "keep");
    const char *f[] = { "/proc/kpageflags", "/proc/slabinfo", "/proc/meminfo", "/proc/tty/driver",
                        "/proc/pressure/cpu", NULL };
    for (int i = 0; f[i]; i++) {
        struct stat st;
        if (stat(f[i], &st) < 0)
            continue;
        mode_t m = st.st_mode & 07777;
        if (chmod(f[i], m ^ 0004) == 0) {
            if (!keep)
                chmod(f[i], m);
            ESCAPED("chmod %s (the host's entry)", f[i]);
        }
        if (chown(f[i], st.st_uid, st.st_gid) == 0)
            ESCAPED("chown %s (the host's entry)", f[i]);
    }
    CONTAINED("proc entries keep their mode and owner (%s)", strerror(errno));
}
