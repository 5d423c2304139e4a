/* Take the host's pty pool: every devpts instance but the host's first
 * draws from one pool (kernel.pty.max less kernel.pty.reserve), so a cell
 * whose devpts had no bound could leave no terminal for any other cell or
 * container. The cell's devpts holds at most 256; open 300. */
#include "probe.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
int main(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < 400 && r.rlim_max >= 400) {
        r.rlim_cur = 400;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    int n = 0;
    while (n < 300 && open("/dev/ptmx", O_RDWR | O_NOCTTY) >= 0)
        n++;
    if (n == 0 && errno == ENOENT)
        CONTAINED("no /dev/ptmx");
    if (n >= 300)
        ESCAPED("%d ptys from one cell's devpts", n);
    CONTAINED("%d ptys, then %s", n, strerror(errno));
}
