/*
 * startup_run.c - bench/startup.sh's timer: runs several commands in turn
 * (one run of each per round, interleaved) and prints, per run, its wall
 * time (CLOCK_MONOTONIC from before the fork to after the wait), its CPU
 * time and its peak RSS (wait4's rusage: the command and every process it
 * waited for; a process it did not wait for, e.g. cellrun's cgroup reaper
 * or bwrap's in-namespace child, which does the whole set-up and which
 * bwrap's parent never waits for, is not counted), to the microsecond;
 * and the CPU time of every process the command started, waited for or
 * not: each run is placed in a cgroup v1 cpuacct group of this timer's
 * (STARTUP_CPUACCT names the cpuacct mount; the group is made and removed
 * here), read once the group is empty again. -1 when that is unavailable.
 * A command named in STARTUP_CPUACCT_SKIP (names separated by spaces) is
 * not placed there (-1): crun, which makes cgroups of its own in every
 * hierarchy relative to its current one, runs about 1.5 ms faster inside
 * such a group than at the root here, and waits for its container anyway.
 *
 *   startup_run ROUNDS NAME CMD ARGS... [--- NAME CMD ARGS...]...
 *
 * Every command runs with stdin, stdout and stderr on /dev/null; "{}" in an
 * argument becomes the round number (crun needs a fresh container name).
 * Output lines: NAME ROUND WALL_US CPU_US MAXRSS_KIB START_NS EXIT
 * CPU_ALL_US. A run
 * that fails still prints its line (EXIT is the wait status); the script
 * decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
    const char *name;
    char **argv; /* NULL-terminated; entries with {} are templates */
    int argc;
};

/* The timer's cpuacct group: its directory, or "" when there is none. */
struct acct {
    char dir[256];
};

static void acct_open(struct acct *a)
{
    a->dir[0] = 0;
    const char *root = getenv("STARTUP_CPUACCT");
    if (!root || !*root)
        return;
    snprintf(a->dir, sizeof a->dir, "%s/cellos-bench-%d", root, (int)getpid());
    if (mkdir(a->dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "startup_run: %s: %s (no all-process CPU column)\n", a->dir, strerror(errno));
        a->dir[0] = 0;
    }
}

/* cpuacct.usage in ns, or -1. */
static long long acct_usage(const struct acct *a)
{
    if (!a->dir[0])
        return -1;
    char p[300], b[64];
    snprintf(p, sizeof p, "%s/cpuacct.usage", a->dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n <= 0)
        return -1;
    b[n] = 0;
    return atoll(b);
}

/* Wait (up to 2 s) until no process is left in the group. */
static int acct_wait_empty(const struct acct *a)
{
    char p[300], b[16];
    snprintf(p, sizeof p, "%s/cgroup.procs", a->dir);
    for (int i = 0; i < 20000; i++) {
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        ssize_t n = read(fd, b, sizeof b);
        close(fd);
        if (n == 0)
            return 0;
        usleep(100);
    }
    return -1;
}

/* Move the calling process into the group (in the child, before exec). */
static int acct_join(const struct acct *a)
{
    char p[300];
    snprintf(p, sizeof p, "%s/cgroup.procs", a->dir);
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int ok = write(fd, "0", 1) == 1;
    close(fd);
    return ok ? 0 : -1;
}

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

/* Whether NAME is one of the space-separated names in LIST. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k == n && strncmp(p, name, n) == 0)
            return 1;
        p += k;
    }
    return 0;
}

static int run(const struct cmd *c, int round, const struct acct *group)
{
    struct acct none = { .dir = "" };
    const struct acct *a = listed(getenv("STARTUP_CPUACCT_SKIP"), c->name) ? &none : group;
    char **v = expand(c, round);
    if (!v)
        return -1;
    long long u0 = acct_usage(a);
    unsigned long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (a->dir[0] && acct_join(a) < 0)
            _exit(125);
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
    long long all = -1;
    if (u0 >= 0 && acct_wait_empty(a) == 0) {
        long long u1 = acct_usage(a);
        if (u1 >= u0)
            all = (u1 - u0) / 1000;
    }
    printf("%s %d %llu %lld %ld %llu %d %lld\n", c->name, round, (t1 - t0) / 1000, cpu, ru.ru_maxrss, t0, st,
           all);
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
    struct acct a;
    acct_open(&a);
    int rc = 0;
    for (int r = 1; r <= rounds && !rc; r++)
        for (int i = 0; i < n && !rc; i++)
            if (run(&cmds[i], r, &a) < 0) {
                perror("startup_run");
                rc = 1;
            }
    if (a.dir[0] && (acct_wait_empty(&a) < 0 || rmdir(a.dir) < 0))
        fprintf(stderr, "startup_run: could not remove %s\n", a.dir);
    return rc;
}
