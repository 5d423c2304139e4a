/*
 * runtime_landlock.c - test driver of the Landlock step: the cell side
 * (CELL_SIDE_SRC) built statically WITH the test knobs (-DCELLOS_TEST_KNOBS,
 * which no release binary has), and a probe the cell runs.
 *
 *   runtime_landlock [--net none|loopback] [--required] DATA RW -- PROGRAM [ARG...]   (as root)
 *       runs PROGRAM in a cell whose root has /usr and DATA (at /data)
 *       read-only, RW (at /rw) writable, this program's directory read-only
 *       at /t, a workspace /work, a tmpfs /tmp, /proc, /dev/null; prints
 *       one line per step record, exits with the workload's status.
 *       Knobs (test builds only): CELLOS_TEST_WRITABLE_MOUNT=/data leaves
 *       that read-only bind writable (a simulated set-up bug);
 *       CELLOS_TEST_LANDLOCK_ABI=N makes the kernel's ABI look like N.
 *   runtime_landlock probe ACTION ARG [ACTION ARG]...
 *       read PATH | write PATH | ls PATH | mkdir PATH | exec PATH |
 *       kill PID | connect PORT | bind PORT: one line "ACTION ARG ok|ERRNAME" each.
 */
#include "runtime/cell/cell_side.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int line_emit(struct cell_report *self, const struct cell_step_record *r)
{
    (void)self;
    printf("record %s %u %u %d %u\n", cell_step_name(r->step), r->result, r->op_index, r->err, r->detail);
    return fflush(stdout) == 0 ? 0 : -1;
}

static int probe_one(const char *act, const char *arg)
{
    int r = -1;
    if (!strcmp(act, "read")) {
        char buf[64];
        int fd = open(arg, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            r = read(fd, buf, sizeof buf) < 0 ? -1 : 0;
            close(fd);
        }
    } else if (!strcmp(act, "write")) {
        int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            r = write(fd, "escaped\n", 8) == 8 ? 0 : -1;
            close(fd);
        }
    } else if (!strcmp(act, "ls")) {
        DIR *d = opendir(arg);
        if (d) {
            r = 0;
            closedir(d);
        }
    } else if (!strcmp(act, "mkdir")) {
        r = mkdir(arg, 0755);
    } else if (!strcmp(act, "exec")) {
        pid_t pid = fork();
        if (pid == 0) {
            execl(arg, arg, (char *)NULL);
            _exit(100 + errno); /* errno of the failed exec, as the status */
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) > 100)
            errno = WEXITSTATUS(st) - 100;
        else
            r = 0;
    } else if (!strcmp(act, "kill")) {
        r = kill(atoi(arg), 0);
    } else if (!strcmp(act, "connect") || !strcmp(act, "bind")) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s >= 0) {
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg)) };
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            r = !strcmp(act, "bind") ? bind(s, (struct sockaddr *)&a, sizeof a)
                                     : connect(s, (struct sockaddr *)&a, sizeof a);
            close(s);
        }
    } else {
        errno = EINVAL;
    }
    printf("%s %s %s\n", act, arg, r == 0 ? "ok" : strerrorname_np(errno));
    return 0;
}

static int probe(int argc, char **argv)
{
    for (int i = 2; i + 1 < argc; i += 2)
        probe_one(argv[i], argv[i + 1]);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "probe"))
        return probe(argc, argv);
    int i = 1;
    uint32_t net = CP_NET_NONE, flags = 0;
    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--net") && i + 1 < argc)
            net = !strcmp(argv[++i], "loopback") ? CP_NET_LOOPBACK : CP_NET_NONE;
        else if (!strcmp(argv[i], "--required"))
            flags |= CP_PROC_LANDLOCK_REQUIRED;
        else
            return 2;
    }
    if (argc - i < 4 || strcmp(argv[i + 2], "--"))
        return 2;
    const char *data = argv[i], *rw = argv[i + 1];
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 125;
    self[n] = 0;
    const char *tdir = dirname(self);

    const uint16_t ro = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV;
    struct plan_mount_op ops[] = {
        { .opcode = CP_OP_ROOTFS, .src = "", .dst = "", .mode = 0755, .size = 1 << 20 },
        { .opcode = CP_OP_MKDIR, .src = "", .dst = "/dev", .mode = 0755 },
        { .opcode = CP_OP_DEVNODE, .src = "/dev/null", .dst = "/dev/null" },
        { .opcode = CP_OP_BIND, .src = data, .dst = "/data" },
        { .opcode = CP_OP_REMOUNT, .flags = ro, .src = "", .dst = "/data" },
        { .opcode = CP_OP_PROC, .src = "", .dst = "/proc" },
        { .opcode = CP_OP_BIND, .src = rw, .dst = "/rw" },
        { .opcode = CP_OP_REMOUNT, .flags = CP_MNT_NOSUID | CP_MNT_NODEV, .src = "", .dst = "/rw" },
        { .opcode = CP_OP_BIND, .src = tdir, .dst = "/t" },
        { .opcode = CP_OP_REMOUNT, .flags = ro, .src = "", .dst = "/t" },
        { .opcode = CP_OP_TMPFS, .flags = CP_MNT_NOSUID | CP_MNT_NODEV, .src = "", .dst = "/tmp", .mode = 01777 },
        { .opcode = CP_OP_BIND, .src = "/usr", .dst = "/usr" },
        { .opcode = CP_OP_REMOUNT, .flags = ro, .src = "", .dst = "/usr" },
        { .opcode = CP_OP_SYMLINK, .src = "usr/bin", .dst = "/bin" },
        { .opcode = CP_OP_SYMLINK, .src = "usr/lib", .dst = "/lib" },
        { .opcode = CP_OP_SYMLINK, .src = "usr/lib64", .dst = "/lib64" },
        { .opcode = CP_OP_WORKSPACE, .flags = CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC, .src = "", .dst = "/work",
          .mode = 01777, .size = 1 << 20 },
        { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
        { .opcode = CP_OP_REMOUNT, .flags = ro, .src = "", .dst = "/" },
        { .opcode = CP_OP_CHDIR, .src = "", .dst = "/work" },
    };
    static struct cp_bpf_insn allow[] = { { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW } };
    static struct plan_sc_program prog = { .audit_arch = AUDIT_ARCH_X86_64, .insn_count = 1, .insns = allow };
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "landlock";
    p.meta.hostname = "";
    p.process.argv = (const char **)(argv + i + 3);
    p.process.argc = (size_t)(argc - i - 3);
    p.process.cwd = "/work";
    p.process.uid = 0; /* root in the cell: mode bits never stop a write, only mounts and Landlock do */
    p.process.gid = 0;
    p.process.flags = flags;
    p.fs.ops = ops;
    p.fs.n_ops = sizeof ops / sizeof *ops;
    p.net.mode = net;
    p.seccomp.default_action = SECCOMP_RET_ALLOW;
    p.seccomp.programs = &prog;
    p.seccomp.n_programs = 1;

    struct cell_config c;
    memset(&c, 0, sizeof c);
    c.plan = &p;
    c.todo = CELL_DO_MOUNTS | CELL_DO_HOSTNAME | CELL_DO_LOOPBACK;
    c.ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC;
    c.stage_dir = "/tmp";
    struct cell_report rep = { .emit = line_emit, .fd = -1 };

    if (unshare((int)c.ns_flags) < 0) {
        perror("unshare");
        return 125;
    }
    fflush(stdout);
    pid_t pid = fork(); /* the first child is PID 1 of the new pid ns */
    if (pid < 0)
        return 125;
    if (pid == 0) {
        int st = cell_run_steps(&c, &rep);
        fflush(stdout);
        _exit(st < 0 ? 125 : st);
    }
    int st;
    waitpid(pid, &st, 0);
    return cell_status_to_exit(st);
}
