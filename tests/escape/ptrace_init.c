/* Ptrace the supervisor side: the cell's init (a copy of cellrun, pid 1)
 * and any pid outside the cell. */
#include "probe.h"
#include <sys/ptrace.h>
#include <sys/types.h>
#include <signal.h>
#include <unistd.h>
int main(void)
{
    if (ptrace(PTRACE_ATTACH, 1, 0, 0) == 0)
        ESCAPED("attached to pid 1 (the cell's init)");
    if (ptrace(PTRACE_SEIZE, 1, 0, 0) == 0)
        ESCAPED("seized pid 1");
    for (pid_t p = 3; p < 4096; p++)
        if (kill(p, 0) == 0 && p != getpid())
            ESCAPED("pid %d outside the workload is visible", (int)p);
    CONTAINED("ptrace of pid 1 refused (%s); no other pid visible", strerror(errno));
}
