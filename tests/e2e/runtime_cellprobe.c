/*
 * runtime_cellprobe.c - test helper run inside cells (static): reports what
 * the cell looks like from inside, one fact per line, for the runtime tests.
 *
 *   cellprobe status            CapEff/CapPrm/CapBnd/CapAmb/CapInh/NoNewPrivs/Seccomp
 *   cellprobe pids              pids visible in /proc, space separated
 *   cellprobe ifaces            network interfaces (name:up|down)
 *   cellprobe hostname
 *   cellprobe ns                "NAME:INODE" of its user, mnt, pid, net, ipc, uts, cgroup namespaces
 *   cellprobe rlimit N          "soft hard" of resource N (inf for unlimited)
 *   cellprobe env               the environment, one per line
 *   cellprobe fds               open fds (from /proc/self/fd), space separated
 *   cellprobe write PATH        create+write PATH: "ok" or the errno name
 *   cellprobe read PATH         read PATH: "ok <bytes>" or the errno name
 *   cellprobe chmod PATH MODE   chmod PATH to octal MODE: "ok" or the errno name
 *   cellprobe memhog MIB        allocate and touch MIB MiB, print "survived"
 *   cellprobe forkbomb N        try N forks (children sleep); print how many worked
 *   cellprobe sleep SECONDS
 *   cellprobe cwd
 *   cellprobe ids               uid gid
 *   cellprobe kill SIG          kill itself with SIG
 *   cellprobe spin MS           busy-loop for MS ms of wall time, print the cpu ms it got
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *ename(int e)
{
    switch (e) {
    case EROFS: return "EROFS";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case EFBIG: return "EFBIG";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    default: return strerror(e);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *c = argv[1], *a = argc > 2 ? argv[2] : "";
    if (!strcmp(c, "status")) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) ||
                !strncmp(line, "Seccomp:", 8))
                fputs(line, stdout);
        return 0;
    }
    if (!strcmp(c, "pids")) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
                printf("%s ", e->d_name);
        printf("\n");
        return 0;
    }
    if (!strcmp(c, "ifaces")) {
        struct if_nameindex *ni = if_nameindex(), *p;
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        for (p = ni; p && p->if_name; p++) {
            struct ifreq r;
            memset(&r, 0, sizeof r);
            snprintf(r.ifr_name, sizeof r.ifr_name, "%s", p->if_name);
            ioctl(s, SIOCGIFFLAGS, &r);
            printf("%s:%s\n", p->if_name, (r.ifr_flags & IFF_UP) ? "up" : "down");
        }
        return 0;
    }
    if (!strcmp(c, "ns")) {
        static const char *const names[] = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" };
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            char path[64], link[64] = "";
            snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
            ssize_t n = readlink(path, link, sizeof link - 1);
            printf("%s:%s\n", names[i], n > 0 ? link : ename(errno));
        }
        return 0;
    }
    if (!strcmp(c, "hostname")) {
        char h[256] = "";
        gethostname(h, sizeof h);
        printf("%s\n", h);
        return 0;
    }
    if (!strcmp(c, "rlimit")) {
        struct rlimit rl;
        getrlimit(atoi(a), &rl);
        if (rl.rlim_cur == RLIM_INFINITY) printf("inf "); else printf("%llu ", (unsigned long long)rl.rlim_cur);
        if (rl.rlim_max == RLIM_INFINITY) printf("inf\n"); else printf("%llu\n", (unsigned long long)rl.rlim_max);
        return 0;
    }
    if (!strcmp(c, "env")) {
        for (char **e = environ; *e; e++)
            printf("%s\n", *e);
        return 0;
    }
    if (!strcmp(c, "fds")) {
        DIR *d = opendir("/proc/self/fd");
        int self = d ? dirfd(d) : -1;
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.' && atoi(e->d_name) != self)
                printf("%s ", e->d_name);
        printf("\n");
        return 0;
    }
    if (!strcmp(c, "write")) {
        int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, "x", 1) != 1) {
            printf("%s\n", ename(errno));
            return 1;
        }
        printf("ok\n");
        return 0;
    }
    if (!strcmp(c, "chmod")) {
        if (chmod(a, (mode_t)strtoul(argc > 3 ? argv[3] : "0", NULL, 8)) < 0) {
            printf("%s\n", ename(errno));
            return 1;
        }
        printf("ok\n");
        return 0;
    }
    if (!strcmp(c, "read")) {
        int fd = open(a, O_RDONLY);
        char buf[4096];
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
        if (n < 0) {
            printf("%s\n", ename(errno));
            return 1;
        }
        printf("ok %zd\n", n);
        return 0;
    }
    if (!strcmp(c, "memhog")) {
        size_t mib = (size_t)atol(a);
        for (size_t i = 0; i < mib; i++) {
            char *p = malloc(1 << 20);
            if (!p) {
                printf("malloc failed at %zu MiB\n", i);
                return 1;
            }
            memset(p, 1, 1 << 20);
        }
        printf("survived\n");
        return 0;
    }
    if (!strcmp(c, "forkbomb")) {
        int n = atoi(a), ok = 0;
        for (int i = 0; i < n; i++) {
            pid_t p = fork();
            if (p == 0) {
                sleep(5);
                _exit(0);
            }
            if (p > 0)
                ok++;
        }
        printf("forks %d\n", ok);
        fflush(stdout);
        kill(0, SIGKILL);
        return 0;
    }
    if (!strcmp(c, "sleep")) {
        sleep((unsigned)atoi(a));
        return 0;
    }
    if (!strcmp(c, "cwd")) {
        char b[4096];
        printf("%s\n", getcwd(b, sizeof b) ? b : ename(errno));
        return 0;
    }
    if (!strcmp(c, "ids")) {
        printf("%u %u\n", getuid(), getgid());
        return 0;
    }
    if (!strcmp(c, "spin")) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long ms = atol(a);
        volatile unsigned long x = 0;
        do {
            for (int i = 0; i < 100000; i++)
                x++;
            clock_gettime(CLOCK_MONOTONIC, &t);
        } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%ld\n", ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
                        ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000);
        return 0;
    }
    if (!strcmp(c, "kill")) {
        fflush(stdout);
        kill(getpid(), atoi(a));
        return 0;
    }
    return 2;
}
