/*
 * guest_init.c - PID 1 of a VM cell's guest. In order:
 *   1. mount devtmpfs, proc and sysfs (what the kernel's userspace needs);
 *   2. read /cellos/guest.conf (run facts from the host);
 *   3. load the modules it lists (virtio-mmio, virtio-blk, squashfs, vsock
 *      as needed; the kernel enforces their signatures);
 *   4. open the report channel (raw serial port or vsock) and report
 *      GUEST_BOOT; mount the rootfs image read-only at /sysroot if there is
 *      one and report GUEST_MOUNTS;
 *   5. leave the initramfs's rootfs mount (which pivot_root refuses) for a
 *      bind of it moved onto /, as switch_root does;
 *   6. clone the cell into new mount/pid/net/ipc/uts namespaces (egress:
 *      move the virtio-net interface into the cell's and configure it,
 *      guest_net.c, while the cell waits at its loopback step); there the
 *      shared cell-side interpreter runs the plan's own steps (cgroup v2
 *      limits, mounts, hostname, loopback, capabilities, seccomp, exec),
 *      bind sources read from /sysroot, the workload's stdout/stderr on
 *      their own UARTs (raw mode);
 *   7. when the cell ends, send the STATUS frame and end the VM.
 * The guest holds no key; the host turns the reports into signed events.
 * Any failure before the channel is open ends the VM at once: the host sees
 * a guest that never reported and ends the cell as Forced.
 */
#include "guest_init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "guest_conf.h"
#include "runtime/vm/vm_channel.h"
#include "runtime/lib/sys_util.h"
#include "runtime/net/net.h"

#define SYSROOT "/sysroot"

static void say(const char *fmt, const char *a, int err)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "cellos-guest: ");
    n += snprintf(buf + n, sizeof buf - (size_t)n, fmt, a);
    if (err)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ": %s", strerror(err));
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(2, buf, (size_t)n);
    (void)w;
}

/* A progress line in the kernel log (shown with loglevel=7 in bootargs);
 * kmsg is opened once, before the cell's root replaces the guest's. */
static int kmsg_fd(void)
{
    static int fd = -2; /* the one piece of process state: opened once in PID 1 */
    if (fd == -2)
        fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    return fd;
}

static void trace(const char *what)
{
    int fd = kmsg_fd();
    if (fd >= 0) {
        char b[160];
        int n = snprintf(b, sizeof b, "<6>cellos-guest: %s\n", what);
        ssize_t w = write(fd, b, (size_t)n);
        (void)w;
    }
}

/* End the VM: reboot(2) (QEMU -no-reboot / Firecracker exit on it). Should
 * that fail, exiting PID 1 makes the kernel panic, and panic=-1 reboots at
 * once, with the same effect. */
static __attribute__((noreturn)) void end_vm(void)
{
    trace("ending the VM");
    sync();
    reboot(RB_AUTOBOOT);
    _exit(0);
}

/* Copy each pipe to its UART until both pipes end. */
static void relay_pipes(int src[2], const int dst[2])
{
    char buf[4096];
    for (;;) {
        struct pollfd pf[2] = { { .fd = src[0], .events = POLLIN }, { .fd = src[1], .events = POLLIN } };
        if (src[0] < 0 && src[1] < 0)
            return;
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; i++) {
            if (src[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(src[i], buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                close(src[i]);
                src[i] = -1;
                continue;
            }
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(dst[i], buf + off, (size_t)(n - off));
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    break; /* the UART is gone: drop the rest */
                off += w;
            }
        }
    }
}

static int raw_tty(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) < 0)
        return -1;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

static int open_raw(const char *dev, int flags)
{
    int fd = open(dev, flags | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0 && raw_tty(fd) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}


static int load_modules(const struct guest_conf *c)
{
    for (size_t i = 0; i < c->n_modules; i++) {
        int fd = open(c->modules[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        long r = syscall(SYS_finit_module, fd, "", 0);
        int e = errno;
        close(fd);
        if (r < 0 && e != EEXIST) {
            say("loading module %s", c->modules[i], e);
            errno = e;
            return -1;
        }
    }
    return 0;
}

static int open_channel(const struct guest_conf *c)
{
    if (!c->vsock)
        return open_raw(c->channel, O_RDWR);
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = c->vsock_port };
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int mount_rootfs(const struct guest_conf *c)
{
    /* the virtio-blk device appears asynchronously after its module loads */
    for (int i = 0; i < 1000; i++) {
        if (access(c->rootfs_dev, F_OK) == 0)
            return mount(c->rootfs_dev, SYSROOT, c->rootfs_type, MS_RDONLY | MS_NODEV, NULL);
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    errno = ENODEV;
    return -1;
}

static int mkdir_p(char *path)
{
    for (char *sl = strchr(path + 1, '/'); sl; sl = strchr(sl + 1, '/')) {
        *sl = 0;
        int r = mkdir(path, 0755);
        *sl = '/';
        if (r < 0 && errno != EEXIST && errno != EROFS)
            return -1;
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST && errno != EROFS)
        return -1;
    return 0;
}

/* The host's 9p shares at /sysroot<path>, parents first (the host lists
 * them so). Read-only shares are cached in the guest (cache=loose: nothing
 * can change them from here); writable ones go through to the host
 * (cache=mmap). Permissions are checked by the guest kernel against the
 * host's owners and modes (access=client), as a bind mount would. The
 * virtio-mmio device appears asynchronously after its module loads. */
static int mount_shares(const struct guest_conf *c)
{
    for (size_t i = 0; i < c->n_shares; i++) {
        const struct guest_share *g = &c->shares[i];
        char where[4200];
        snprintf(where, sizeof where, SYSROOT "%s", strcmp(g->path, "/") ? g->path : "");
        if (mkdir_p(where) < 0) {
            say("share mount point %s", where, errno);
            return -1;
        }
        const char *opts = g->rw ? "trans=virtio,version=9p2000.L,msize=512000,cache=mmap,access=client"
                                 : "trans=virtio,version=9p2000.L,msize=512000,cache=loose,access=client";
        int r = -1;
        for (int k = 0; k < 500 && r < 0; k++) {
            r = mount(g->tag, where, "9p", g->rw ? 0 : MS_RDONLY, opts);
            if (r < 0 && errno != ENOENT && errno != ENODEV)
                break;
            if (r < 0) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                nanosleep(&ts, NULL);
            }
        }
        if (r < 0) {
            say("mounting share %s", g->path, errno);
            return -1;
        }
    }
    return 0;
}

/* pivot_root(2) refuses the initramfs's rootfs mount: put a bind mount of
 * it on / instead (the switch_root technique). */
static int leave_rootfs(void)
{
    if (mkdir("/cellos/root", 0700) < 0 && errno != EEXIST)
        return -1;
    if (mount("/", "/cellos/root", NULL, MS_BIND | MS_REC, NULL) < 0 || chdir("/cellos/root") < 0 ||
        mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return -1;
    return 0;
}

static int write_sysctl(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)strlen(value) ? 0 : -1;
}

static uint32_t boot_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Let the host read everything before the VM ends: a serial port drains;
 * a vsock stream is half-closed and the host's close awaited (1 s max). */
static void flush_channel(const struct guest_conf *c, int fd)
{
    if (!c->vsock) {
        tcdrain(fd);
        return;
    }
    shutdown(fd, SHUT_WR);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char b[16];
    while (poll(&p, 1, 1000) > 0 && read(fd, b, sizeof b) > 0)
        ;
}

int guest_init_main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755");
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
    trace("up");
    int con = open("/dev/console", O_RDWR | O_NOCTTY);
    if (con >= 0) {
        dup2(con, 1);
        dup2(con, 2);
        if (con > 2)
            close(con);
    }
    struct cell_error e = { 0 };
    struct guest_conf gc;
    char *text;
    size_t tlen;
    int rerr = sys_read_file(GUEST_CONF_PATH, 64u << 20, 0, &text, &tlen, NULL);
    if (rerr || tlen > (64u << 20)) {
        say("%s", GUEST_CONF_PATH, rerr ? rerr : EFBIG);
        end_vm();
    }
    if (guest_conf_parse(text, tlen, &gc, &e) < 0) {
        say("%s", e.msg, 0);
        end_vm();
    }
    free(text);
    int mods_rc = load_modules(&gc), mods_err = errno;
    int chan = open_channel(&gc);
    if (chan < 0) {
        say("report channel %s", gc.vsock ? "vsock" : gc.channel, errno);
        end_vm();
    }
    struct cell_report rep;
    if (guest_report_init(&rep, chan) < 0)
        end_vm();
    if (cell_report_step(&rep, CELL_STEP_GUEST_BOOT, CELL_STEP_OK, 0, 0, boot_ms()) < 0)
        end_vm();

    int mrc = mods_rc < 0 ? (errno = mods_err, -1) : 0;
    uint32_t detail = (uint32_t)gc.n_modules << 8 | 1u;
    if (mrc == 0 && gc.rootfs_dev[0]) {
        mrc = mount_rootfs(&gc);
        detail |= 2u;
    }
    if (mrc == 0 && gc.n_shares) {
        mrc = mount_shares(&gc);
        detail |= 4u;
    }
    if (mrc == 0)
        mrc = leave_rootfs();
    int merr = mrc < 0 ? errno : 0;
    cell_report_step(&rep, CELL_STEP_GUEST_MOUNTS, mrc < 0 ? CELL_STEP_FAILED : CELL_STEP_OK, 0, merr,
                     detail);
    if (mrc < 0) {
        guest_report_status(&rep, VM_STATUS_FAILED, CELL_STEP_GUEST_MOUNTS);
        flush_channel(&gc, chan);
        end_vm();
    }

    struct plan *plan = NULL;
    struct plan_error pe;
    if (plan_read_file("/cellos/plan", &plan, &pe) < 0) {
        say("plan: %s", pe.e.msg, 0);
        guest_report_status(&rep, VM_STATUS_FAILED, 0);
        flush_channel(&gc, chan);
        end_vm();
    }
    const char *pass[GUEST_MAX_VALUES] = { 0 };
    struct cell_secret_value sec[GUEST_MAX_VALUES];
    memset(sec, 0, sizeof sec);
    for (size_t i = 0; i < GUEST_MAX_VALUES; i++) {
        pass[i] = gc.pass[i];
        sec[i].value = gc.secret[i];
        sec[i].len = gc.secret_len[i];
    }

    /* the workload's stdio: /dev/null in, its own UARTs (or the console) out */
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        if (nul > 2)
            close(nul);
    }
    int outfd = gc.out[0] ? open_raw(gc.out, O_WRONLY) : -1;
    int errfd = gc.err[0] ? open_raw(gc.err, O_WRONLY) : -1;
    /* with "pipe": the workload writes to a pipe this init copies to the
     * UART (a UART is a terminal; natively the workload's stdout is one
     * only when cellrun's is: ls, git, python change behaviour on it) */
    int relay_src[2] = { -1, -1 }, relay_dst[2] = { outfd, errfd };
    bool want_pipe[2] = { gc.out_pipe, gc.err_pipe };
    for (int i = 0; i < 2; i++) {
        if (relay_dst[i] < 0)
            continue;
        int pp[2];
        if (want_pipe[i] && pipe2(pp, O_CLOEXEC) == 0) {
            dup2(pp[1], 1 + i);
            close(pp[1]);
            relay_src[i] = pp[0];
        } else {
            dup2(relay_dst[i], 1 + i);
            close(relay_dst[i]);
            relay_dst[i] = 1 + i;
        }
    }

    struct cell_config cc;
    memset(&cc, 0, sizeof cc);
    cc.plan = plan;
    cc.src_root = SYSROOT; /* bind sources: the host tree's copy, resolved in it */
    cc.todo = CELL_DO_MOUNTS | CELL_DO_HOSTNAME | CELL_DO_LOOPBACK;
    cc.extra_args = gc.args;
    cc.n_extra_args = gc.n_args;
    cc.pass_values = pass;
    cc.secrets = sec;
    cc.stage_dir = "/cellos/stage";
    if (guest_cgroup_setup(plan, &cc) < 0) {
        /* a limit the plan requires cannot be enforced: the CGROUP step
         * fails (EBADF on an invalid directory) and the cell stops there */
        say("limits: cgroup v2 in the guest: %s", "cannot enforce", errno);
        cc.cgroup_fds[0] = -1;
        cc.n_cgroup_fds = 1;
        cc.todo |= CELL_DO_CGROUP;
    }
    /* The cell gets its own namespaces inside the guest, as natively: the
     * guest's init, kernel threads and mounts stay out of its sight and
     * reach, and this init keeps the right to end the VM. */
    cc.ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    /* No user namespaces in the guest, as natively none inside the cell's:
     * a new one would hand the workload a full capability set over
     * namespaces of its own, whatever the seccomp policy allows. The guest
     * exists for this cell alone, so the limit is set for all of it. */
    if (write_sysctl("/proc/sys/user/max_user_namespaces", "0") < 0) {
        say("%s", "/proc/sys/user/max_user_namespaces", errno);
        guest_report_status(&rep, VM_STATUS_FAILED, 0);
        flush_channel(&gc, chan);
        end_vm();
    }
    /* egress: the cell's loopback step waits until this init has moved the
     * virtio-net interface into the cell's namespace and configured it
     * (EOF instead of 'r': the step fails, ENETDOWN), then places the
     * answerer's resolv.conf, as natively */
    int net_pipe[2] = { -1, -1 };
    if (gc.net[0]) {
        if (pipe2(net_pipe, O_CLOEXEC) < 0)
            say("%s", "egress: pipe", errno);
        cc.net_wait = true;
        cc.net_ready_fd = net_pipe[0];
        cc.resolv_conf = NET_RESOLV_CONF;
    }
    guest_report_set_result(&rep, -1);
    trace("running the plan's steps");
    pid_t cell = (pid_t)syscall(SYS_clone, (unsigned long)cc.ns_flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (cell == 0) {
        if (net_pipe[1] >= 0)
            close(net_pipe[1]);
        int r = cell_run_steps(&cc, &rep);
        guest_report_set_result(&rep, r);
        _exit(r < 0 ? 125 : r);
    }
    if (net_pipe[0] >= 0)
        close(net_pipe[0]);
    if (net_pipe[1] >= 0) {
        const char *fail = cell > 0 ? guest_net_up(gc.net, cell) : "no cell";
        if (fail)
            say("egress: %s", fail, errno);
        else if (write(net_pipe[1], "r", 1) != 1)
            say("%s", "egress: releasing the cell", errno);
        close(net_pipe[1]);
    }
    /* the cell holds the pipes' write ends; this init none (its 1 and 2
     * become /dev/null), so the copy ends when the cell's last process
     * does (its pid namespace ends with its init) */
    if (relay_src[0] >= 0 || relay_src[1] >= 0) {
        int dn = open("/dev/null", O_WRONLY | O_CLOEXEC);
        for (int i = 0; i < 2; i++)
            if (relay_src[i] >= 0 && dn >= 0)
                dup2(dn, 1 + i);
        if (dn >= 0)
            close(dn);
        relay_pipes(relay_src, relay_dst);
    }
    int rc = -1;
    if (cell < 0) {
        cell_report_step(&rep, CELL_STEP_NAMESPACES, CELL_STEP_FAILED, 0, errno, cc.ns_flags);
    } else {
        int st;
        while (waitpid(cell, &st, 0) < 0 && errno == EINTR)
            ;
        rc = guest_report_result(&rep);
    }
    /* the UARTs of the workload's output drain before this STATUS */
    for (int i = 0; i < 2; i++)
        if (relay_dst[i] >= 0)
            tcdrain(relay_dst[i]);
    guest_report_status(&rep, rc < 0 ? VM_STATUS_FAILED : VM_STATUS_EXITED, rc < 0 ? 0 : (uint32_t)rc);
    flush_channel(&gc, chan);
    end_vm();
}
