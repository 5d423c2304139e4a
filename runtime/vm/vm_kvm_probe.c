/*
 * vm_kvm_probe.c - prove that KVM runs guests before trusting it (see
 * vm_kvm_probe.h). Every probe runs in a child process that is killed and
 * reaped at its deadline, so a KVM_RUN or a QEMU that spins in the host
 * kernel costs the deadline and nothing more. The cached verdict is one
 * line, "<boot id> usable|broken <why>", in <state dir>/kvm-verdict.
 */
#include "vm_kvm_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VERDICT_FILE "kvm-verdict"
#define PROBE_PORT   0x10
#define PROBE_VALUE  0x42

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- the tiny guest (runs in a child) ------------------------------------ */

static void on_alarm(int sig)
{
    (void)sig; /* only interrupts KVM_RUN */
}

/* Guest memory: PML4 at 0x1000, PDPT at 0x2000, PD at 0x3000 mapping the
 * first 2 MiB, code at 0x8000: mov eax,0x42; out 0x10,al; hlt. */
static const char *tiny_guest(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return "/dev/kvm cannot be opened";
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        return "KVM_GET_API_VERSION is not 12";
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return "KVM_CREATE_VM failed";
    const size_t msz = 0x200000;
    uint8_t *mem = mmap(NULL, msz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return "guest memory cannot be mapped";
    uint64_t *pml4 = (uint64_t *)(mem + 0x1000), *pdpt = (uint64_t *)(mem + 0x2000),
             *pd = (uint64_t *)(mem + 0x3000);
    pml4[0] = 0x2000 | 3;
    pdpt[0] = 0x3000 | 3;
    pd[0] = 0x83; /* present, writable, 2 MiB page */
    static const uint8_t code[] = { 0xb8, PROBE_VALUE, 0, 0, 0, 0xe6, PROBE_PORT, 0xf4 };
    memcpy(mem + 0x8000, code, sizeof code);
    struct kvm_userspace_memory_region r = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = msz, .userspace_addr = (uintptr_t)mem
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return "KVM_SET_USER_MEMORY_REGION failed";
    int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (cpu < 0 || sz < (int)sizeof(struct kvm_run))
        return "KVM_CREATE_VCPU failed";
    struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    if (run == MAP_FAILED)
        return "the vCPU's run area cannot be mapped";
    struct kvm_sregs s;
    if (ioctl(cpu, KVM_GET_SREGS, &s) < 0)
        return "KVM_GET_SREGS failed";
    s.cr3 = 0x1000;
    s.cr4 = 1u << 5;                             /* PAE */
    s.cr0 = 0x80000001u | (1u << 4) | (1u << 5); /* PG, PE, ET, NE */
    s.efer = (1u << 8) | (1u << 10);             /* LME, LMA */
    struct kvm_segment cs = {
        .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1
    };
    struct kvm_segment ds = cs;
    ds.type = 3;
    ds.selector = 16;
    ds.l = 0;
    ds.db = 1;
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    if (ioctl(cpu, KVM_SET_SREGS, &s) < 0)
        return "KVM_SET_SREGS (long mode) failed";
    struct kvm_regs g;
    memset(&g, 0, sizeof g);
    g.rip = 0x8000;
    g.rflags = 2;
    g.rsp = 0x7000;
    if (ioctl(cpu, KVM_SET_REGS, &g) < 0)
        return "KVM_SET_REGS failed";
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { .it_value = { 0, VM_KVM_TINY_DEADLINE_MS * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    int rc = ioctl(cpu, KVM_RUN, 0);
    if (rc < 0 && errno == EINTR)
        return "a three-instruction guest did not finish within 300 ms (KVM_RUN interrupted at the deadline)";
    if (rc < 0)
        return "KVM_RUN failed";
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != PROBE_PORT ||
        run->io.direction != KVM_EXIT_IO_OUT || run->io.data_offset >= (uint64_t)sz ||
        ((uint8_t *)run)[run->io.data_offset] != PROBE_VALUE)
        return "a three-instruction guest did not write its value to the I/O port";
    return NULL;
}

/* Wait for child `pid` until the deadline; kill and reap it past it.
 * Returns its wait status, or -1 when it had to be killed. */
static int wait_deadline(pid_t pid, double deadline)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            if (pidfd >= 0)
                close(pidfd);
            return st;
        }
        double left = deadline - now_ms();
        if (left <= 0 || pidfd < 0) {
            if (pidfd < 0 && left > 0) {
                struct timespec nap = { 0, 10 * 1000 * 1000 };
                nanosleep(&nap, NULL);
                continue;
            }
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            if (pidfd >= 0)
                close(pidfd);
            return -1;
        }
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        poll(&p, 1, (int)left + 1);
    }
}

static void run_tiny(struct vm_kvm_verdict *v)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(v->why, sizeof v->why, "the tiny KVM guest: pipe: %s", strerror(errno));
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(v->why, sizeof v->why, "the tiny KVM guest: fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        close(pfd[0]);
        const char *why = tiny_guest();
        if (why) {
            ssize_t w = write(pfd[1], why, strlen(why));
            (void)w;
        }
        _exit(why ? 1 : 0);
    }
    close(pfd[1]);
    int st = wait_deadline(pid, now_ms() + VM_KVM_TINY_DEADLINE_MS + 500);
    char msg[160] = "";
    ssize_t n = read(pfd[0], msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = 0;
    close(pfd[0]);
    if (st < 0)
        snprintf(v->why, sizeof v->why, "a three-instruction KVM guest did not finish within %u ms",
                 VM_KVM_TINY_DEADLINE_MS + 500);
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        snprintf(v->why, sizeof v->why, "%s", msg[0] ? msg : "the tiny KVM guest's process failed");
    else
        v->usable = true;
}

/* ---- the real kernel under QEMU+KVM ------------------------------------ */

static void run_kernel(int kernel_fd, const char *qemu, struct vm_kvm_verdict *v)
{
    char kpath[40];
    snprintf(kpath, sizeof kpath, "/proc/self/fd/%d", kernel_fd);
    char *const argv[] = { (char *)qemu,
                           "-M",
                           "microvm,accel=kvm,x-option-roms=off,acpi=on,pcie=off",
                           "-cpu",
                           "host",
                           "-smp",
                           "1",
                           "-m",
                           "128M",
                           "-sandbox",
                           "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                           "-nodefaults",
                           "-no-user-config",
                           "-display",
                           "none",
                           "-no-reboot",
                           "-kernel",
                           kpath,
                           "-append",
                           "reboot=t panic=-1 quiet pci=off",
                           NULL };
    int efd[2];
    if (pipe2(efd, O_CLOEXEC) < 0) {
        v->usable = false;
        snprintf(v->why, sizeof v->why, "the KVM kernel probe: pipe: %s", strerror(errno));
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(efd[1], 2);
        fcntl(kernel_fd, F_SETFD, 0);
        execvp(qemu, argv);
        _exit(127);
    }
    close(efd[1]);
    if (pid < 0) {
        close(efd[0]);
        v->usable = false;
        snprintf(v->why, sizeof v->why, "the KVM kernel probe: fork: %s", strerror(errno));
        return;
    }
    const char *d = getenv("CELLOS_VM_KVM_PROBE_MS");
    unsigned deadline = d && atoi(d) > 0 ? (unsigned)atoi(d) : VM_KVM_PROBE_DEADLINE_MS;
    int st = wait_deadline(pid, now_ms() + deadline);
    char msg[160] = "";
    fcntl(efd[0], F_SETFL, O_NONBLOCK);
    ssize_t n = read(efd[0], msg, sizeof msg - 1);
    close(efd[0]);
    msg[n > 0 ? n : 0] = 0;
    msg[strcspn(msg, "\n")] = 0;
    if (st < 0) {
        v->usable = false;
        snprintf(v->why, sizeof v->why,
                 "/dev/kvm opens but a kernel under QEMU+KVM did not finish booting within %u ms", deadline);
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        v->usable = false;
        snprintf(v->why, sizeof v->why, "QEMU+KVM could not boot the guest kernel (status %d%s%.120s)",
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), msg[0] ? ": " : "", msg);
    }
}

/* ---- the per-boot cache -------------------------------------------------- */

static int read_boot_id(char out[64])
{
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, 63);
    close(fd);
    if (n < 8)
        return -1;
    out[n] = 0;
    out[strcspn(out, "\n")] = 0;
    for (char *p = out; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '-'))
            return -1;
    return 0;
}

/* The state directory, made 0700 when missing; refused when it is a
 * symlink, not a directory, not owned by root or open to others. */
static int open_state_dir(struct cell_error *e)
{
    const char *dir = getenv("CELLOS_VM_STATE_DIR");
    if (!dir || !dir[0])
        dir = VM_STATE_DIR_DEFAULT;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cell_err_sys(e, errno, "vm: state directory %s", dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return cell_err(e, errno, "vm: state directory %s: %s%s", dir, strerror(errno),
                        errno == ELOOP || errno == ENOTDIR ? " (a symlink or not a directory: refused)" : "");
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077)) {
        close(fd);
        return cell_err(e, EPERM,
                        "vm: state directory %s is not owned by root with mode 0700 (uid %u, mode %04o): "
                        "refusing to trust it",
                        dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    }
    return fd;
}

static bool read_cached(int dfd, const char *boot_id, struct vm_kvm_verdict *v)
{
    int fd = openat(dfd, VERDICT_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    char buf[512];
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0)
        n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    size_t bl = strlen(boot_id);
    if (strncmp(buf, boot_id, bl) != 0 || buf[bl] != ' ')
        return false; /* another boot's verdict */
    const char *rest = buf + bl + 1;
    if (strcmp(rest, "usable") == 0) {
        v->usable = true;
    } else if (strncmp(rest, "broken ", 7) == 0) {
        v->usable = false;
        snprintf(v->why, sizeof v->why, "%s", rest + 7);
    } else {
        return false;
    }
    v->cached = true;
    return true;
}

static void write_cached(int dfd, const char *boot_id, const struct vm_kvm_verdict *v)
{
    char tmp[64], line[400];
    snprintf(tmp, sizeof tmp, ".%s.%d", VERDICT_FILE, (int)getpid());
    int n = snprintf(line, sizeof line, "%s %s%s%s\n", boot_id, v->usable ? "usable" : "broken",
                     v->usable ? "" : " ", v->usable ? "" : v->why);
    if (n < 0 || n >= (int)sizeof line)
        return;
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    bool ok = write(fd, line, (size_t)n) == n;
    close(fd);
    if (!ok || renameat(dfd, tmp, dfd, VERDICT_FILE) < 0)
        unlinkat(dfd, tmp, 0);
}

int vm_kvm_check(int kernel_fd, const char *qemu, struct vm_kvm_verdict *v, struct cell_error *e)
{
    memset(v, 0, sizeof v[0]);
    char boot_id[64];
    int dfd = -1;
    bool cache = geteuid() == 0 && read_boot_id(boot_id) == 0;
    if (cache) {
        dfd = open_state_dir(e);
        if (dfd < 0)
            return -1;
        if (read_cached(dfd, boot_id, v)) {
            close(dfd);
            return 0;
        }
    }
    double t0 = now_ms();
    if (access("/dev/kvm", F_OK) != 0) {
        snprintf(v->why, sizeof v->why, "there is no /dev/kvm");
    } else {
        run_tiny(v);
        if (v->usable && kernel_fd >= 0 && qemu)
            run_kernel(kernel_fd, qemu, v);
    }
    v->ms = (unsigned)(now_ms() - t0);
    /* "usable" is only cached once a real kernel has booted under KVM */
    if (dfd >= 0 && (!v->usable || (kernel_fd >= 0 && qemu))) {
        write_cached(dfd, boot_id, v);
        close(dfd);
    }
    return 0;
}
