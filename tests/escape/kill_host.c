/* Signal a process outside the cell: none is visible, and kill(-1) only
 * reaches the cell's own processes. */
#include "probe.h"
#include <signal.h>
#include <unistd.h>
int main(void)
{
    int seen = 0;
    for (pid_t p = 1; p < 65536; p++)
        if (kill(p, 0) == 0 && p != 1 && p != getpid())
            seen++;
    if (seen)
        ESCAPED("%d pids outside the workload can be signalled", seen);
    if (kill(1, SIGKILL) == 0) {
        usleep(100000);
        if (kill(1, 0) != 0)
            ESCAPED("killed the cell's init");
    }
    CONTAINED("only its own pid and init are visible; init ignores SIGKILL from inside");
}
