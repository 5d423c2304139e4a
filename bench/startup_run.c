/*
 * startup_run.c - bench/startup.sh's timer: runs several commands in turn
 * (one run of each per round, interleaved) and prints, per run, its wall
 * time (CLOCK_MONOTONIC from before the fork to after the wait), its CPU
 * time and its peak RSS (wait4's rusage: the command and every process it
 * waited for; a process it did not wait for, e.g. cellrun's cgroup reaper,
 * is not counted), to the microsecond.
 *
 *   startup_run ROUNDS NAME CMD ARGS... [--- NAME CMD ARGS...]...
 *
 * Every command runs with stdin, stdout and stderr on /dev/null; "{}" in an
 * argument becomes the round number (crun needs a fresh container name).
 * Output lines: NAME ROUND WALL_US CPU_US MAXRSS_KIB START_NS EXIT. A run
 * that fails still prints its line (EXIT is the wait status); the script
 * decides.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
    const char *name;
    char **argv; /* NULL-terminated; entries with {} are templates */
    int argc;
};

static unsigned long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

/* A copy of argv with "{}" replaced by the round number. */
static char **expand(const struct cmd *c, int round)
{
    char **v = calloc((size_t)c->argc + 1, sizeof *v);
    if (!v)
        return NULL;
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        const char *p = strstr(a, "{}");
        if (!p) {
            v[i] = (char *)a;
            continue;
        }
        size_t n = strlen(a) + 16;
        v[i] = malloc(n);
        if (!v[i])
            return NULL;
        snprintf(v[i], n, "%.*s%d%s", (int)(p - a), a, round, p + 2);
    }
    return v;
}

static int run(const struct cmd *c, int round)
{
    char **v = expand(c, round);
    if (!v)
        return -1;
    unsigned long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        if (fd > 2)
            close(fd);
        execvp(v[0], v);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        return -1;
    unsigned long long t1 = now_ns();
    long long cpu = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
        (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    printf("%s %d %llu %lld %ld %llu %d\n", c->name, round, (t1 - t0) / 1000, cpu, ru.ru_maxrss, t0, st);
    fflush(stdout);
    for (int i = 0; i < c->argc; i++)
        if (v[i] != c->argv[i])
            free(v[i]);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: startup_run ROUNDS NAME CMD ARGS... [--- NAME CMD ARGS...]...\n");
        return 2;
    }
    int rounds = atoi(argv[1]);
    struct cmd cmds[16];
    int n = 0;
    for (int i = 2; i < argc && n < 16;) {
        cmds[n].name = argv[i++];
        cmds[n].argv = &argv[i];
        int k = 0;
        while (i < argc && strcmp(argv[i], "---") != 0) {
            i++;
            k++;
        }
        cmds[n].argc = k;
        if (i < argc)
            argv[i++] = NULL; /* terminates this command's argv */
        if (k == 0) {
            fprintf(stderr, "startup_run: %s has no command\n", cmds[n].name);
            return 2;
        }
        n++;
    }
    for (int r = 1; r <= rounds; r++)
        for (int i = 0; i < n; i++)
            if (run(&cmds[i], r) < 0) {
                perror("startup_run");
                return 1;
            }
    return 0;
}
