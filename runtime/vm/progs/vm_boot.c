/*
 * vm_boot.c - boot a guest kernel with a given static init, N times in a
 * row, exactly as the vm backend launches QEMU (same argv builder, same
 * boot flags), and report each boot: ok / HUNG (no exit within the timeout)
 * / FAILED, with its boot-to-exit time. Used by bench/vm (100 boots) and the
 * vm e2e tests (a few boots). The initramfs (init + /dev/console) is built
 * with the project's cpio writer into a memfd; the UARTs are memfds too, so
 * nothing is written to the file system.
 *
 *   vm_boot --kernel K --init STATIC_INIT [--mode tcg|kvm] [--count N]
 *           [--timeout SEC] [--mem MIB] [--expect-status] [--append ARGS]
 *
 * --expect-status: the boot only counts as ok when the report channel
 * carried a well-formed STATUS frame (vm_trivial_init sends one).
 * Exit status: 0 when every boot was ok, 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/cpio.h"
#include "runtime/vm/vm_channel.h"
#include "runtime/plan/vm_config.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int build_initramfs(const char *init, struct cell_error *e)
{
    int fd = memfd_create("cellos-initramfs", 0);
    if (fd < 0)
        return cell_err_sys(e, errno, "memfd");
    struct cpio_writer w;
    cpio_init(&w, fd, 64u << 20);
    if (cpio_add_dir(&w, "dev", 0755, e) < 0 || cpio_add_chardev(&w, "dev/console", 0600, 5, 1, e) < 0 ||
        cpio_add_host_file(&w, "init", 0755, init, e) < 0 || cpio_finish(&w, e) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void tail_of(int fd, const char *what)
{
    off_t len = lseek(fd, 0, SEEK_END);
    off_t from = len > 1500 ? len - 1500 : 0;
    char buf[1501];
    ssize_t n = pread(fd, buf, (size_t)(len - from), from);
    if (n > 0) {
        buf[n] = 0;
        fprintf(stderr, "--- last bytes of %s ---\n%s\n---\n", what, buf);
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *kernel = NULL, *init = NULL, *append = NULL;
    enum vm_mode mode = VM_MODE_QEMU_TCG;
    int count = 1, timeout_s = 60, expect = 0;
    unsigned mem = 256;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--expect-status")) {
            expect = 1;
            continue;
        }
        if (!v)
            goto usage;
        if (!strcmp(a, "--kernel"))
            kernel = v;
        else if (!strcmp(a, "--init"))
            init = v;
        else if (!strcmp(a, "--append"))
            append = v;
        else if (!strcmp(a, "--count"))
            count = atoi(v);
        else if (!strcmp(a, "--timeout"))
            timeout_s = atoi(v);
        else if (!strcmp(a, "--mem"))
            mem = (unsigned)atoi(v);
        else if (!strcmp(a, "--mode") && !strcmp(v, "tcg"))
            mode = VM_MODE_QEMU_TCG;
        else if (!strcmp(a, "--mode") && !strcmp(v, "kvm"))
            mode = VM_MODE_QEMU_KVM;
        else
            goto usage;
        i++;
    }
    if (!kernel || !init || count < 1 || timeout_s < 1 || mem < 64)
        goto usage;

    struct cell_error e = { 0 };
    int initrd = build_initramfs(init, &e);
    if (initrd < 0) {
        fprintf(stderr, "vm_boot: %s\n", e.msg);
        return 1;
    }
    int con = memfd_create("con", 0), chan = memfd_create("chan", 0), out = memfd_create("out", 0),
        err = memfd_create("err", 0), qlog = memfd_create("qemu", 0);
    char p_initrd[32], p_con[32], p_chan[32], p_out[32], p_err[32];
    snprintf(p_initrd, sizeof p_initrd, "/proc/self/fd/%d", initrd);
    snprintf(p_con, sizeof p_con, "/proc/self/fd/%d", con);
    snprintf(p_chan, sizeof p_chan, "/proc/self/fd/%d", chan);
    snprintf(p_out, sizeof p_out, "/proc/self/fd/%d", out);
    snprintf(p_err, sizeof p_err, "/proc/self/fd/%d", err);
    struct vm_launch l = {
        .mode = mode,
        .kernel = kernel,
        .initrd = p_initrd,
        .vcpus = 1,
        .mem_mib = mem,
        .extra_bootargs = append,
        .console = p_con,
        .channel = p_chan,
        .out = p_out,
        .err = p_err,
    };
    char name[64];
    snprintf(name, sizeof name, "cellos-vmboot-%d", (int)getpid());
    l.name = name;
    if (mode == VM_MODE_QEMU_TCG)
        l.tsc_khz = vm_host_tsc_khz();
    struct vm_argv av;
    if (vm_qemu_argv(&l, &av, &e) < 0) {
        fprintf(stderr, "vm_boot: %s\n", e.msg);
        return 1;
    }
    double *ms = calloc((size_t)count, sizeof *ms);
    int n_ok = 0, n_hung = 0, n_fail = 0;
    for (int i = 0; i < count; i++) {
        ftruncate(con, 0);
        ftruncate(chan, 0);
        ftruncate(qlog, 0);
        double t0 = now_ms();
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            int nul = open("/dev/null", O_RDWR);
            dup2(nul, 0);
            dup2(qlog, 1);
            dup2(qlog, 2);
            execvp(av.argv[0], av.argv);
            _exit(127);
        }
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0), st = 0;
        struct pollfd pp = { .fd = pfd, .events = POLLIN };
        int r = poll(&pp, 1, timeout_s * 1000);
        double t1 = now_ms();
        const char *verdict = "ok";
        if (r == 0) {
            kill(pid, SIGKILL);
            verdict = "HUNG";
        }
        waitpid(pid, &st, 0);
        close(pfd);
        if (r != 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            verdict = "FAILED (qemu exit status)";
        if (r != 0 && expect && !strcmp(verdict, "ok")) {
            uint8_t buf[256];
            ssize_t n = pread(chan, buf, sizeof buf, 0);
            struct vm_chan_decoder d;
            vm_chan_init(&d);
            if (n <= 0 || vm_chan_feed(&d, buf, (size_t)n, NULL, NULL) != 0 || d.state != VM_CHAN_DONE)
                verdict = "FAILED (no status frame on the report channel)";
        }
        ms[i] = t1 - t0;
        printf("boot %d: %s %.0f ms\n", i + 1, verdict, ms[i]);
        fflush(stdout);
        if (!strcmp(verdict, "ok"))
            n_ok++;
        else {
            if (r == 0)
                n_hung++;
            else
                n_fail++;
            tail_of(con, "the console");
            tail_of(qlog, "qemu's output");
        }
    }
    qsort(ms, (size_t)count, sizeof *ms, cmp_d);
    printf("boots: %d ok: %d hung: %d failed: %d boot-to-exit ms: min %.0f median %.0f max %.0f\n", count,
           n_ok, n_hung, n_fail, ms[0], ms[count / 2], ms[count - 1]);
    vm_argv_free(&av);
    free(ms);
    return n_ok == count ? 0 : 1;
usage:
    fprintf(stderr,
            "usage: vm_boot --kernel K --init STATIC_INIT [--mode tcg|kvm] [--count N] "
            "[--timeout SEC] [--mem MIB] [--expect-status] [--append ARGS]\n");
    return 2;
}
