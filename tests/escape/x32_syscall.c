/* The x32 ABI: syscall numbers with bit 30 set bypass a filter that only
 * knows the x86_64 numbers. The cell must be killed or refused. */
#include "probe.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        long r = syscall(0x40000000 | SYS_getpid);
        _exit(r >= 0 ? 0 : 3);
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        ESCAPED("an x32 syscall ran");
    if (WIFSIGNALED(st))
        CONTAINED("the x32 syscall killed the process (signal %d)", WTERMSIG(st));
    CONTAINED("the x32 syscall failed");
}
