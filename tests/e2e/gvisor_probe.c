/*
 * gvisor_probe.c - test helper run inside gVisor cells (static), for what
 * the runtime tests' cellprobe reads from /proc/self/status but gVisor's
 * procfs does not show, and for the escape probes that need a PID 1 that
 * is not the probe itself.
 *
 *   gvisor_probe privs            "nnp N seccomp M ambient HEX" from prctl(2)
 *   gvisor_probe setuid BIN...    exec each setuid BIN (as a non-root user)
 *                                 and print "BIN euid N" for the child
 *   gvisor_probe init PROG ARGS   be a non-dumpable PID 1 (as cellrun's
 *                                 native init is) that runs PROG and exits
 *                                 with its status: under gVisor the workload
 *                                 is PID 1 itself, so the probes aimed at
 *                                 "the cell's init" need one to aim at
 *   gvisor_probe exec PATH        execve PATH: "ok" or the errno name
 *   gvisor_probe procs            the runtime escape probes aimed at "the
 *                                 cell's init, a copy of cellrun" have no
 *                                 target under gVisor: check that /proc
 *                                 shows nothing but the workload (PID 1 is
 *                                 this very binary, no other process, no
 *                                 runsc/cellrun anywhere) and that its own
 *                                 binary cannot be opened for writing
 *   gvisor_probe devnodes         mknod a block (8:0) and a char (1:1) device
 *                                 node and try to read them raw: under gVisor
 *                                 a node is the sentry's, never the host's
 *   gvisor_probe mountns          unshare a mount namespace, then try to use
 *                                 it against the cell (mount, remount, umount,
 *                                 write to the read-only /usr)
 *   gvisor_probe userns           make a nested user namespace with unshare,
 *                                 clone and clone3 (cellrun never allows one)
 *   gvisor_probe sentry           errno (0: success) of calls gVisor runs
 *                                 unlike Linux: statx and newfstatat with
 *                                 AT_NO_AUTOMOUNT, close_range(N, ~0U),
 *                                 copy_file_range(-1, ...), pidfd_open
 *   gvisor_probe loops MS         busy-loop for MS ms of wall time; print
 *                                 the iterations done, in millions (a
 *                                 measure of the CPU the cell got that does
 *                                 not trust gVisor's own CPU accounting)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "privs")) {
        unsigned long amb = 0;
        for (int c = 0; c <= 40; c++)
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
                amb |= 1ul << c;
        printf("nnp %d seccomp %d ambient %016lx\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
               prctl(PR_GET_SECCOMP, 0, 0, 0, 0), amb);
        return 0;
    }
    if (!strcmp(argv[1], "setuid")) {
        for (int i = 2; i < argc; i++) {
            if (access(argv[i], X_OK) != 0)
                continue;
            int p[2];
            if (pipe(p) < 0)
                return 1;
            pid_t c = fork();
            if (c == 0) {
                /* stop right after exec: the parent reads the new euid */
                close(p[0]);
                dup2(p[1], 1);
                dup2(p[1], 2);
                execl(argv[i], argv[i], "--version", (char *)NULL);
                _exit(127);
            }
            close(p[1]);
            char buf[4096];
            unsigned euid = ~0u;
            /* poll /proc/PID/status until the exec happened or the child ended */
            for (int t = 0; t < 200 && euid == ~0u; t++) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/status", (int)c);
                FILE *f = fopen(path, "r");
                char name[64] = "";
                unsigned r, e, seen = ~0u;
                while (f && fgets(buf, sizeof buf, f)) {
                    if (!strncmp(buf, "Name:", 5))
                        sscanf(buf, "Name: %63s", name);
                    if (!strncmp(buf, "Uid:", 4) && sscanf(buf, "Uid: %u %u", &r, &e) == 2)
                        seen = e;
                }
                if (f)
                    fclose(f);
                if (!f || strcmp(name, "gvisor_probe") != 0)
                    euid = seen;
                if (euid == ~0u)
                    usleep(5000);
            }
            while (read(p[0], buf, sizeof buf) > 0)
                ;
            waitpid(c, NULL, 0);
            printf("%s euid %d\n", argv[i], (int)euid);
        }
        return 0;
    }
    if (!strcmp(argv[1], "init") && argc > 2) {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        pid_t c = fork();
        if (c == 0) {
            prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
            execv(argv[2], argv + 2);
            _exit(127);
        }
        int st;
        pid_t w;
        while ((w = wait(&st)) != c)
            if (w < 0 && errno != EINTR)
                return 125;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (!strcmp(argv[1], "procs")) {
        char self[256] = "", l[256];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0)
            self[n] = 0;
        DIR *d = opendir("/proc");
        struct dirent *e;
        int count = 0;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            count++;
            char path[300];
            snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
            n = readlink(path, l, sizeof l - 1);
            if (n > 0)
                l[n] = 0;
            if (atoi(e->d_name) != getpid()) {
                printf("ESCAPED pid %s (%s) is visible besides the workload\n", e->d_name, n > 0 ? l : "?");
                return 1;
            }
            if (n <= 0 || strcmp(l, self) != 0 || strstr(l, "runsc") || strstr(l, "cellrun")) {
                printf("ESCAPED /proc/%s/exe is %s\n", e->d_name, n > 0 ? l : "unreadable");
                return 1;
            }
        }
        if (getpid() != 1 || count != 1) {
            printf("UNSURE pid %d, %d processes\n", (int)getpid(), count);
            return 2;
        }
        if (open("/proc/self/exe", O_WRONLY) >= 0 || open("/proc/1/exe", O_WRONLY) >= 0) {
            printf("ESCAPED its own binary opened for writing\n");
            return 1;
        }
        printf("CONTAINED the sandbox shows only the workload (PID 1, %s); no runtime process, "
               "own binary not writable (%s)\n", self, strerror(errno));
        return 0;
    }
    if (!strcmp(argv[1], "devnodes")) {
        const char *path[] = { "/work/sda", "/work/mem" };
        mode_t mode[] = { S_IFBLK | 0600, S_IFCHR | 0600 };
        dev_t dev[] = { makedev(8, 0), makedev(1, 1) };
        char why[160] = "";
        for (int i = 0; i < 2; i++) {
            if (mknod(path[i], mode[i], dev[i]) < 0) {
                snprintf(why + strlen(why), sizeof why - strlen(why), "%s: mknod %s; ", path[i], strerror(errno));
                continue;
            }
            int fd = open(path[i], O_RDONLY);
            char b[16];
            if (fd >= 0 && read(fd, b, sizeof b) > 0) {
                printf("ESCAPED read the raw device through %s\n", path[i]);
                return 1;
            }
            snprintf(why + strlen(why), sizeof why - strlen(why), "%s: %s %s; ", path[i],
                     fd < 0 ? "open" : "read", strerror(errno));
        }
        printf("CONTAINED no raw device through a node (%s)\n", why);
        return 0;
    }
    if (!strcmp(argv[1], "userns")) {
        /* every way to a nested user namespace: unshare, clone, clone3 */
        int eu = unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
        long c = syscall(SYS_clone, (unsigned long)CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (c == 0)
            _exit(0);
        int ec = c > 0 ? 0 : errno;
        if (c > 0)
            waitpid((pid_t)c, NULL, 0);
        struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        long c3 = syscall(SYS_clone3, &ca, sizeof ca);
        if (c3 == 0)
            _exit(0);
        int ec3 = c3 > 0 ? 0 : errno;
        if (c3 > 0)
            waitpid((pid_t)c3, NULL, 0);
        printf("%s nested user namespaces: unshare %s, clone %s, clone3 %s\n",
               eu && ec && ec3 ? "CONTAINED" : "ESCAPED", eu ? strerror(eu) : "worked",
               ec ? strerror(ec) : "worked", ec3 ? strerror(ec3) : "worked");
        return eu && ec && ec3 ? 0 : 1;
    }
    if (!strcmp(argv[1], "mountns")) {
        /* a mount namespace of one's own (gVisor lets a cell without
         * CAP_SYS_ADMIN unshare one), then try to use it against the cell */
        char before[64] = "", after[64] = "";
        readlink("/proc/self/ns/mnt", before, sizeof before - 1);
        if (unshare(CLONE_NEWNS) < 0) {
            printf("CONTAINED unshare(CLONE_NEWNS) refused (%s)\n", strerror(errno));
            return 0;
        }
        readlink("/proc/self/ns/mnt", after, sizeof after - 1);
        const char *got = NULL;
        if (mount("none", "/tmp", "tmpfs", 0, NULL) == 0)
            got = "mounted a tmpfs";
        else if (mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
            got = "remounted /usr writable";
        else if (umount2("/proc", MNT_DETACH) == 0)
            got = "unmounted /proc";
        int fd = open("/usr/cellos-mountns-probe", O_WRONLY | O_CREAT, 0644);
        if (!got && fd >= 0)
            got = "wrote the read-only /usr";
        if (got) {
            printf("ESCAPED %s in a new mount namespace\n", got);
            return 1;
        }
        printf("CONTAINED a mount namespace %s without CAP_SYS_ADMIN: mount, remount and umount refused, "
               "/usr still read-only (%s)\n", strcmp(before, after) ? "of its own" : "unchanged",
               strerror(errno));
        return 0;
    }
    if (!strcmp(argv[1], "loops") && argc > 2) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long ms = atol(argv[2]);
        volatile unsigned long n = 0;
        for (;;) {
            for (int i = 0; i < 100000; i++)
                n++;
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
                break;
        }
        printf("%lu\n", n / 1000000);
        return 0;
    }
    if (!strcmp(argv[1], "select")) {
        /* pselect6 (glibc's select() calls it) and _sysctl: runsc knows them
         * by other names (pselect, sysctl), so their rules must be given
         * under those too (runtime/gvisor/oci_seccomp.c) */
        struct timespec ts = { 0, 1000 };
        fd_set r;
        FD_ZERO(&r);
        struct timeval tv = { 0, 1 };
        long a = syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL);
        int b = select(0, &r, NULL, NULL, &tv);
        syscall(SYS__sysctl, NULL); /* ENOSYS natively, EPERM in gVisor: not killed */
        printf("pselect6 %ld select %d _sysctl ran\n", a, b);
        return 0;
    }
    if (!strcmp(argv[1], "sentry")) {
        /* the seccomp.sentry deviation note (runtime/gvisor/oci_seccomp.c) */
        char buf[256];
        struct stat st;
        int er[5];
#define ERR_OF(i, call) (er[i] = (call) < 0 ? errno : 0)
        ERR_OF(0, syscall(SYS_statx, AT_FDCWD, "/", AT_NO_AUTOMOUNT, 0x7ffu, buf));
        ERR_OF(1, syscall(SYS_newfstatat, AT_FDCWD, "/", &st, AT_NO_AUTOMOUNT));
        ERR_OF(2, syscall(SYS_close_range, 1000u, ~0u, 0u));
        ERR_OF(3, syscall(SYS_copy_file_range, -1, NULL, -1, NULL, 1ul, 0u));
        ERR_OF(4, syscall(SYS_pidfd_open, getpid(), 0u));
#undef ERR_OF
        printf("statx %d newfstatat %d close_range %d copy_file_range %d pidfd_open %d\n", er[0], er[1],
               er[2], er[3], er[4]);
        return 0;
    }
    if (!strcmp(argv[1], "exec") && argc > 2) {
        execv(argv[2], argv + 2);
        printf("%s\n", errno == EACCES ? "EACCES" : errno == ENOENT ? "ENOENT" : strerror(errno));
        return 1;
    }
    return 2;
}
