/* The i386 ABI from a 64-bit process (int 0x80): other syscall numbers,
 * another audit arch. The cell must be killed or refused. */
#include "probe.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        long r = 20;    /* i386 getpid */
        __asm__ volatile ("int $0x80" : "+a"(r) : : "memory");
        _exit(r > 0 ? 0 : 3);
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        ESCAPED("an i386 syscall ran");
    if (WIFSIGNALED(st))
        CONTAINED("the i386 syscall killed the process (signal %d)", WTERMSIG(st));
    CONTAINED("the i386 syscall failed");
}
