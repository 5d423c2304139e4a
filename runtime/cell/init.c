/*
 * init.c - the cell's PID 1 once the workload is forked (cell side).
 *
 * Hardened first: every descriptor but the report sink and the exec pipe is
 * closed, it becomes non-dumpable (no ptrace, no /proc/1/mem for the
 * workload) and keeps only CAP_KILL. Then it learns whether the workload's
 * execve succeeded (the close-on-exec exec pipe reaches EOF) or failed (the
 * child sends errno, or -1 when a set-up step failed and was reported), and
 * reports EXEC. It reaps every child (orphans are reparented to it), forwards
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 that come from outside the
 * cell to the workload, and when the workload ends reports EXIT with its
 * wait status and returns: its own exit then makes the kernel kill whatever
 * is left in the pid namespace. With c->hold (export), it first kills and
 * reaps what is left, becomes dumpable again (nothing of the workload is
 * left), reports EXIT, then waits for EOF on c->hold_fd so the supervisor
 * can copy artifacts out of its still-mounted root.
 */
#include "cell_int.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A wait status as an exit status (shell convention); here, where the
 * cell's PID 1 needs it, so that the step interpreter depends on init and
 * not the reverse. */
int cell_status_to_exit(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 125;
}

int cell_init_loop(const struct cell_config *c, struct cell_report *rep, pid_t child, int exec_fd)
{
    int keep[3] = { rep->fd, exec_fd, c->hold ? c->hold_fd : -1 };
    sys_close_fds_except(keep, c->hold ? 3 : 2);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    cell_caps_keep_only(1ull << CAP_KILL);

    int v = 0;
    ssize_t n;
    do
        n = read(exec_fd, &v, sizeof v);
    while (n < 0 && errno == EINTR);
    close(exec_fd);
    if (n == 0)
        cell_report_step(rep, CELL_STEP_EXEC, CELL_STEP_OK, 0, 0, 0);
    else if (n == (ssize_t)sizeof v && v > 0)
        cell_report_step(rep, CELL_STEP_EXEC, CELL_STEP_FAILED, 0, v, 0);
    /* else: a set-up step failed in the child and reported itself */

    sigset_t set;
    sigemptyset(&set);
    int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
        sigaddset(&set, fwd[i]);
    sigaddset(&set, SIGCHLD);

    int status = 0;
    for (;;) {
        pid_t w;
        int st;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == child) {
                status = st;
                goto done;
            }
        if (w < 0 && errno == ECHILD) {
            status = 125 << 8; /* cannot happen while the child lives */
            goto done;
        }
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0 || sig == SIGCHLD)
            continue;
        /* only signals from outside the cell (the supervisor) are
         * forwarded: inside the pid namespace their sender pid reads 0 */
        if (si.si_pid == 0)
            kill(child, sig);
    }
done:
    if (n == (ssize_t)sizeof v && v != 0)
        return cell_status_to_exit(status); /* set-up or exec failed: no EXIT */
    if (c->hold) {
        /* export: nothing of the workload may change the files any more */
        kill(-1, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
            ;
        /* nothing of the workload is left: let the supervisor (rootless:
         * without CAP_SYS_PTRACE on the host, only in the cell's user
         * namespace) open /proc/<init>/root */
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    }
    cell_report_step(rep, CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, (uint32_t)status);
    if (c->hold) {
        /* hold the cell's mounts until the supervisor has copied */
        char b;
        while (read(c->hold_fd, &b, 1) != 0 && (errno == EINTR || errno == EAGAIN))
            ;
    }
    return cell_status_to_exit(status);
}
