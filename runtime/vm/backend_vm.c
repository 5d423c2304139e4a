/*
 * backend_vm.c - `cellrun --backend vm`: the cell is a microVM whose PID 1
 * is our own step interpreter (cellos-guest-init).
 *
 * Mode, chosen at run time (CELLOS_VM_MODE=firecracker|qemu-kvm|qemu-tcg
 * forces one; a forced mode the host cannot provide is refused):
 *   firecracker  a `firecracker` binary on PATH and a usable /dev/kvm
 *   qemu-kvm     QEMU -M microvm with KVM when /dev/kvm can be opened
 *   qemu-tcg     QEMU -M microvm under software emulation otherwise
 *
 * prepare: the kernel (and rootfs image) are hashed and compared with the
 *   plan's SHA-256 before anything boots; the kernel is copied into a sealed
 *   memfd while hashed, and that memfd is what QEMU boots, so the bytes
 *   checked are the bytes run. A plan without a vm section boots the host's
 *   default kernel ($CELLOS_VM_KERNEL, else <dir of cellrun>/../vm/vmlinux,
 *   else <dir of cellrun>/../lib/cellos/vmlinux) on vm_launch_host_default's
 *   machine: nothing pins that kernel, so its digest is reported with the
 *   vm_kernel_source fact "host" and a `downgrade` note (what "vm.kernel").
 *   The plan file is re-read and must decode to the verified plan's digest.
 *   The per-run initramfs (vm_initramfs.h) is assembled into a memfd.
 * spawn: forks the VM monitor (the process the core waits for). It dies
 *   with cellrun (PR_SET_PDEATHSIG), waits for `go`, starts the VMM (which
 *   dies with the monitor the same way), relays the guest's stdout/stderr
 *   UARTs to cellrun's stdout/stderr, keeps the console (boot log) for
 *   diagnostics, and decodes the framed report channel (vm_channel.h),
 *   passing each record to the core as the raw 32 bytes it expects.
 * A guest that does not report within the boot timeout, ends without its
 *   STATUS frame, or breaks the channel protocol is killed, and the monitor
 *   tells finish() why: the run fails with terminalState Forced.
 * Nothing is written to the file system in the QEMU modes (memfds and
 *   pipes only). Firecracker needs files (config, initramfs, vsock socket):
 *   as root they live on a tmpfs in a private mount namespace of the
 *   monitor, so they vanish with it whatever happens; otherwise in a private
 *   temp dir removed by the monitor and by cleanup.
 */
#include "runtime/backend/backend.h"
#include "runtime/lib/out_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cell/cell_side.h"
#include "runtime/net/net.h"
#include "runtime/vm/guest/guest_conf.h"
#include "vm_channel.h"
#include "runtime/plan/vm_config.h"
#include "vm_initramfs.h"
#include "vm_kernel.h"
#include "vm_kvm_probe.h"
#include "vm_modules.h"
#include "vm_shares.h"

#define CONSOLE_KEEP 4096

struct vm_verdict {
    uint32_t forced;
    uint32_t boot_ms; /* launch to first frame, 0 if none */
    char why[248];
};

struct vm_priv {
    enum vm_mode mode;
    struct vm_launch l;
    char kernel_path[4096];  /* the plan's vm.kernel, or the host's default kernel */
    bool host_kernel;        /* the plan has no vm section: the host chose the kernel */
    bool kernel_elf;         /* an ELF vmlinux (else a bzImage) */
    const char *rootfs_type; /* "squashfs"/"ext4", or NULL without an image */
    struct vm_share_list shares;
    dev_t share_dev[VM_MAX_SHARES]; /* each share's host directory as it was at */
    ino_t share_ino[VM_MAX_SHARES]; /* prepare: the monitor watches it */
    char kernel_digest[7 + 65];
    char release[64];
    char guest_init[4096];
    char *conf;
    struct vm_module_list mods;
    int kernel_fd, initrd_fd, rootfs_fd;
    uint64_t initrd_bytes;
    unsigned boot_timeout_ms;
    int go_w, verdict_r;
    pid_t monitor;
    int forwarded;
    bool killed;     /* the core killed the cell (wall time, sink failure) */
    char fc_dir[64]; /* firecracker, non-root: the temp dir */
    bool egress;     /* the plan grants egress: a tap from runtime/net/ */
    int tap_fd;      /* its queue, held from spawn until the monitor has it */
};

/* ---- host checks ---------------------------------------------------------- */

static int kvm_opens(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        if (n && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog) < (int)sizeof buf &&
            access(buf, X_OK) == 0)
            return 1;
        p += n;
        if (*p == ':')
            p++;
    }
    return 0;
}

/* Does KVM run guests here? The tiny guest, then this run's kernel under
 * QEMU+KVM (when QEMU is there), cached per host boot (vm_kvm_probe.h). */
static int kvm_verdict(struct backend_run *r, struct vm_priv *v, int qemu, struct vm_kvm_verdict *kv,
                       struct cell_error *e)
{
    if (!kvm_opens()) {
        memset(kv, 0, sizeof *kv);
        snprintf(kv->why, sizeof kv->why, "/dev/kvm cannot be opened (%s)", strerror(errno));
        return 0;
    }
    if (vm_kvm_check(v->kernel_fd, qemu ? "qemu-system-x86_64" : NULL, kv, e) < 0)
        return -1;
    backend_fact_str(r, "vm_kvm", kv->usable ? "usable" : "broken");
    backend_fact_str(r, "vm_kvm_verdict", kv->cached ? "cached for this boot" : "probed");
    if (!kv->cached)
        backend_fact_num(r, "vm_kvm_probe_ms", kv->ms);
    return 0;
}

static int forced_mode(struct backend_run *r, struct vm_priv *v, const char *want, int fc, int qemu,
                       struct cell_error *e)
{
    struct vm_kvm_verdict kv;
    if (!strcmp(want, "qemu-tcg")) {
        if (!qemu)
            return cell_err(e, 0, "vm: CELLOS_VM_MODE=qemu-tcg but qemu-system-x86_64 is not on PATH");
        v->mode = VM_MODE_QEMU_TCG;
    } else if (!strcmp(want, "firecracker") || !strcmp(want, "qemu-kvm")) {
        bool is_fc = !strcmp(want, "firecracker");
        if (is_fc ? !fc : !qemu)
            return cell_err(e, 0, "vm: CELLOS_VM_MODE=%s but %s", want,
                            is_fc ? "no firecracker binary is on PATH" : "qemu-system-x86_64 is not on PATH");
        if (kvm_verdict(r, v, qemu, &kv, e) < 0)
            return -1;
        if (!kv.usable)
            return cell_err(e, 0, "vm: CELLOS_VM_MODE=%s but KVM does not run guests on this host: %s", want,
                            kv.why);
        v->mode = is_fc ? VM_MODE_FIRECRACKER : VM_MODE_QEMU_KVM;
    } else {
        return cell_err(e, 0, "vm: CELLOS_VM_MODE=%s is not firecracker, qemu-kvm or qemu-tcg", want);
    }
    backend_fact_str(r, "vm_mode_forced", want);
    return 0;
}

/* CELLOS_VM_MODE forces a mode (refused at once when the host cannot run
 * it); otherwise KVM is used only once it has been seen to run a guest, and
 * the fall back to software emulation is a `downgrade` naming why. */
static int choose_mode(struct backend_run *r, struct vm_priv *v, struct cell_error *e)
{
    const char *want = getenv("CELLOS_VM_MODE");
    int fc = on_path("firecracker"), qemu = on_path("qemu-system-x86_64");
    if (want && want[0])
        return forced_mode(r, v, want, fc, qemu, e);
    if (!fc && !qemu)
        return cell_err(e, 0, "vm: neither firecracker (with /dev/kvm) nor qemu-system-x86_64 is available");
    struct vm_kvm_verdict kv;
    if (kvm_verdict(r, v, qemu, &kv, e) < 0)
        return -1;
    if (kv.usable) {
        v->mode = fc ? VM_MODE_FIRECRACKER : VM_MODE_QEMU_KVM;
        return 0;
    }
    if (!qemu)
        return cell_err(e, 0, "vm: firecracker needs KVM, which does not run guests on this host: %s",
                        kv.why);
    v->mode = VM_MODE_QEMU_TCG;
    backend_note(r, "downgrade", "vm.hypervisor", "qemu-tcg (software emulation), not KVM: %s%s", kv.why,
                 kv.cached ? " (cached for this boot)" : "");
    return 0;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

#define HASH_CHUNK (1u << 16)

/* Hash what fd reads into `got`; when copy_fd >= 0 also copy it there.
 * The buffer is per call (no static state). */
static int hash_copy(int fd, const char *path, const char *what, int copy_fd, uint8_t got[32],
                     struct cell_error *e)
{
    uint8_t *buf = malloc(HASH_CHUNK);
    if (!buf)
        return cell_err_sys(e, ENOMEM, "vm: hashing the %s", what);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (;;) {
        ssize_t n = read(fd, buf, HASH_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int er = errno;
            free(buf);
            return cell_err_sys(e, er, "vm: reading %s %s", what, path);
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
        for (ssize_t off = 0; copy_fd >= 0 && off < n;) {
            ssize_t w = write(copy_fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                int er = w < 0 ? errno : EIO;
                free(buf);
                return cell_err_sys(e, er, "vm: copying the %s", what);
            }
            off += w;
        }
    }
    free(buf);
    crypto_hash_sha256_final(&st, got);
    return 0;
}

/* Hash the file at path (when copy_fd >= 0 also copy it there) and compare
 * with `want`; want == NULL: nothing pins it (the host's default kernel),
 * the digest is only reported. */
static int hash_file(const char *path, const uint8_t *want, const char *what, int copy_fd, char *digest_out,
                     struct cell_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cell_err_sys(e, errno, "vm: %s %s", what, path);
    uint8_t got[32];
    int rc = hash_copy(fd, path, what, copy_fd, got, e);
    close(fd);
    if (rc < 0)
        return -1;
    char gh[65], wh[65];
    hex(got, 32, gh);
    if (digest_out)
        sprintf(digest_out, "sha256:%s", gh);
    if (!want)
        return 0;
    hex(want, 32, wh);
    if (sodium_memcmp(got, want, 32) != 0)
        return cell_err(e, 0, "vm: %s %s has SHA-256 %s but the plan pins %s: refusing to boot it", what,
                        path, gh, wh);
    return 0;
}

/* "sha256:<hex>" of a file (for the started event's facts). */
static int file_digest(const char *path, char out[7 + 65], struct cell_error *e)
{
    uint8_t *b;
    size_t n;
    if (vm_read_file(path, 256u << 20, &b, &n, e) < 0)
        return cell_err_wrap(e, "vm");
    uint8_t h[32];
    crypto_hash_sha256(h, b, n);
    free(b);
    memcpy(out, "sha256:", 7);
    hex(h, 32, out + 7);
    return 0;
}

static int read_plan_bytes(struct backend_run *r, uint8_t **bytes, size_t *len, struct cell_error *e)
{
    if (!r->plan_path)
        return cell_err(e, 0, "vm: the plan file is unknown to the backend");
    if (vm_read_file(r->plan_path, CP_MAX_PLAN_SIZE + 104, bytes, len, e) < 0)
        return cell_err_wrap(e, "vm: plan");
    struct plan *p = NULL;
    struct plan_error pe;
    if (plan_read(*bytes, *len, &p, &pe) < 0 || memcmp(p->digest, r->plan->digest, 32) != 0) {
        plan_free(p);
        free(*bytes);
        *bytes = NULL;
        return cell_err(e, 0, "vm: %s changed after it was verified", r->plan_path);
    }
    plan_free(p);
    return 0;
}

/* The filesystem of a rootfs image: "squashfs", "erofs" or "ext4" by magic. */
static const char *image_type(const char *path, struct cell_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t b[1024 + 64];
    ssize_t n = fd >= 0 ? pread(fd, b, sizeof b, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (n >= 4 && memcmp(b, "hsqs", 4) == 0)
        return "squashfs";
    if (n >= 1024 + 4 && memcmp(b + 1024, "\xe2\xe1\xf5\xe0", 4) == 0)
        return "erofs";
    if (n >= 1024 + 58 && b[1024 + 56] == 0x53 && b[1024 + 57] == 0xef)
        return "ext4";
    cell_err(e, 0, "vm: rootfs image %s is neither squashfs, erofs nor ext2/3/4", path);
    return NULL;
}

static int find_guest_init(char *out, size_t n, struct cell_error *e)
{
    const char *env = getenv("CELLOS_GUEST_INIT");
    if (env && env[0]) {
        snprintf(out, n, "%s", env);
    } else {
        char self[2048];
        ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
        if (l <= 0)
            return cell_err_sys(e, errno, "vm: /proc/self/exe");
        self[l] = 0;
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = 0;
        /* build tree: build/bin/cellrun -> build/vm/guest/; installed: PREFIX/lib/cellos/ */
        snprintf(out, n, "%s/../vm/guest/cellos-guest-init", self);
        if (access(out, R_OK) != 0)
            snprintf(out, n, "%s/../lib/cellos/cellos-guest-init", self);
    }
    if (access(out, R_OK) != 0)
        return cell_err_sys(e, errno, "vm: guest init %s (build it with make, or set CELLOS_GUEST_INIT)",
                            out);
    return 0;
}

/* The host's default guest kernel, for a plan without a vm section:
 * $CELLOS_VM_KERNEL, else what `make vm-kernel` put beside the build
 * (<dir of cellrun>/../vm/vmlinux), else an installed one
 * (<dir of cellrun>/../lib/cellos/vmlinux): the same scheme as the guest
 * init. A missing kernel is refused, naming the build-tree path. */
static int find_host_kernel(char *out, size_t n, struct cell_error *e)
{
    const char *env = getenv("CELLOS_VM_KERNEL");
    if (env && env[0]) {
        if (snprintf(out, n, "%s", env) >= (int)n)
            return cell_err(e, ENAMETOOLONG, "vm: CELLOS_VM_KERNEL is longer than %zu bytes", n - 1);
        if (access(out, R_OK) != 0)
            return cell_err(e, errno,
                            "vm: no guest kernel at CELLOS_VM_KERNEL=%s (%s): the plan has no vm "
                            "section, so the host's kernel boots; run `make vm-kernel` or set "
                            "CELLOS_VM_KERNEL to a kernel image",
                            out, strerror(errno));
        return 0;
    }
    char self[2048];
    ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
    if (l <= 0)
        return cell_err_sys(e, errno, "vm: /proc/self/exe");
    self[l] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    char installed[2100];
    snprintf(installed, sizeof installed, "%s/../lib/cellos/vmlinux", self);
    snprintf(out, n, "%s/../vm/vmlinux", self);
    if (access(out, R_OK) != 0 && access(installed, R_OK) == 0)
        snprintf(out, n, "%s", installed);
    else if (access(out, R_OK) != 0)
        return cell_err(e, errno,
                        "vm: no guest kernel at %s (%s): the plan has no vm section, so the "
                        "host's kernel boots; run `make vm-kernel` or set CELLOS_VM_KERNEL",
                        out, strerror(errno));
    return 0;
}

static int build_conf(struct backend_run *r, struct vm_priv *v, struct cell_error *e)
{
    struct guest_conf_buf b = { 0 };
    int bad = 0;
    char line[256];
    if (v->mode == VM_MODE_FIRECRACKER) {
        snprintf(line, sizeof line, "vsock %u", VM_VSOCK_PORT);
        bad |= guest_conf_line(&b, "channel", line);
    } else {
        bad |= guest_conf_line(&b, "channel", "serial /dev/ttyS1");
        bad |= guest_conf_line(&b, "stdout", "/dev/ttyS2");
        bad |= guest_conf_line(&b, "stderr", "/dev/ttyS3");
        /* natively the workload's stdout/stderr is a terminal only when
         * cellrun's is (stdio_relay.c); a UART is one, so the guest puts a
         * pipe in front of it when cellrun's is not */
        if (!isatty(STDOUT_FILENO))
            bad |= guest_conf_line(&b, "pipe", "stdout");
        if (!isatty(STDERR_FILENO))
            bad |= guest_conf_line(&b, "pipe", "stderr");
    }
    for (size_t i = 0; i < v->mods.n; i++) {
        snprintf(line, sizeof line, "/cellos/modules/%02zu-%s.ko", i, v->mods.name[i]);
        bad |= guest_conf_line(&b, "module", line);
    }
    if (v->rootfs_type) {
        snprintf(line, sizeof line, "/dev/vda %s", v->rootfs_type);
        bad |= guest_conf_line(&b, "rootfs", line);
    }
    if (v->egress)
        bad |= guest_conf_line(&b, "net", "eth0");
    for (size_t i = 0; i < v->shares.n; i++) {
        /* share <tag> ro|rw <hex path> */
        snprintf(line, sizeof line, "share %s %s", v->shares.s[i].tag, v->shares.s[i].rw ? "rw" : "ro");
        bad |= guest_conf_hex(&b, line, -1, v->shares.s[i].guest, strlen(v->shares.s[i].guest));
    }
    for (size_t i = 0; i < r->n_extra_args; i++)
        bad |= guest_conf_hex(&b, "arg", -1, r->extra_args[i], strlen(r->extra_args[i]));
    const struct plan *p = r->plan;
    if (p->process.n_env > GUEST_MAX_VALUES || p->secrets.n_items > GUEST_MAX_VALUES ||
        r->n_extra_args > GUEST_MAX_ARGS) {
        free(b.s);
        return cell_err(e, 0, "vm: more than %d environment variables, secrets or arguments",
                        GUEST_MAX_VALUES);
    }
    for (size_t i = 0; r->pass_values && i < p->process.n_env; i++)
        if (r->pass_values[i])
            bad |= guest_conf_hex(&b, "pass", (long)i, r->pass_values[i], strlen(r->pass_values[i]));
    for (size_t i = 0; r->secrets && i < p->secrets.n_items; i++)
        if (r->secrets[i].value)
            bad |= guest_conf_hex(&b, "secret", (long)i, r->secrets[i].value, r->secrets[i].len);
    if (bad || !b.s) {
        free(b.s);
        return cell_err_sys(e, ENOMEM, "vm: guest.conf");
    }
    v->conf = b.s;
    return 0;
}

/* What the guest's interpreter would refuse, refused before booting. */
static int refuse_unsupported(const struct plan *p, struct cell_error *e)
{
    if (!cell_seccomp_program(p))
        return cell_err(e, 0, "seccomp: the plan has no program for this architecture (audit arch 0x%x)",
                        cell_audit_arch());
    if (cell_seccomp_uses_notify(p))
        return cell_err(e, 0,
                        "seccomp: user-notify actions need a supervisor on the host side of the "
                        "filter, which the vm backend does not have");
    return 0;
}

/* The kernel: the plan's (pinned by SHA-256) or the host's default, hashed
 * into a sealed memfd that is what boots; its kind and release. */
static int load_kernel(const struct plan *p, struct vm_priv *v, struct cell_error *e)
{
    v->host_kernel = !p->has_vm;
    if (v->host_kernel) {
        if (find_host_kernel(v->kernel_path, sizeof v->kernel_path, e) < 0)
            return -1;
    } else {
        snprintf(v->kernel_path, sizeof v->kernel_path, "%s", p->vm.kernel);
    }
    const char *kernel = v->kernel_path;
    v->kernel_fd = memfd_create("cellos-kernel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (v->kernel_fd < 0)
        return cell_err_sys(e, errno, "vm: memfd");
    if (hash_file(kernel, v->host_kernel ? NULL : p->vm.kernel_sha256, "kernel", v->kernel_fd,
                  v->kernel_digest, e) < 0)
        return -1;
    fcntl(v->kernel_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    uint8_t head[0x250];
    ssize_t hn = pread(v->kernel_fd, head, sizeof head, 0);
    if (hn < 64)
        return cell_err(e, 0, "vm: kernel %s is too short to be a kernel", kernel);
    v->kernel_elf = memcmp(head,
                           "\x7f"
                           "ELF",
                           4) == 0;
    if (vm_kernel_release(kernel, v->release, sizeof v->release, e) < 0)
        v->release[0] = 0;
    return 0;
}

/* The machine: the plan's vm section, or the host's defaults. */
static int machine(const struct plan *p, struct vm_priv *v, struct cell_error *e)
{
    if (v->host_kernel ? vm_launch_host_default(p, v->mode, v->kernel_path, &v->l, e) < 0
                       : vm_launch_from_plan(p, v->mode, &v->l, e) < 0)
        return -1;
    if (v->mode == VM_MODE_FIRECRACKER && !v->kernel_elf)
        return cell_err(e, 0,
                        "vm: Firecracker boots an uncompressed ELF vmlinux; %s is a bzImage "
                        "(make vm-kernel extracts build/vm/vmlinux)",
                        v->kernel_path);
    if (p->has_vm && (p->vm.flags & CP_VM_HAS_ROOTFS)) {
        if (hash_file(p->vm.rootfs, p->vm.rootfs_sha256, "rootfs image", -1, NULL, e) < 0)
            return -1;
        if (!(v->rootfs_type = image_type(p->vm.rootfs, e)))
            return -1;
        v->rootfs_fd = open(p->vm.rootfs, O_RDONLY | O_CLOEXEC);
        if (v->rootfs_fd < 0)
            return cell_err_sys(e, errno, "vm: rootfs image %s", p->vm.rootfs);
    }
    return 0;
}

/* Host directories the plan binds: 9p shares (vm_shares.h); Firecracker
 * has no 9p device (docs/backends.md: a rootfs image is its answer). */
static int shares(const struct plan *p, struct vm_priv *v, struct cell_error *e)
{
    if (vm_shares_plan(p, &v->shares, e) < 0)
        return cell_err_wrap(e, "vm");
    if (v->shares.n && v->mode == VM_MODE_FIRECRACKER)
        return cell_err(e, 0,
                        "vm: the plan binds host directory %s, and Firecracker has no 9p device: give the "
                        "plan a vm section naming a rootfs image (an erofs or squashfs image of the "
                        "granted trees, docs/backends.md), or run it under QEMU",
                        v->shares.s[0].guest);
    for (size_t i = 0; i < v->shares.n; i++) {
        struct stat st;
        if (stat(v->shares.s[i].host, &st) < 0)
            return cell_err_sys(e, errno, "vm: shared directory %s", v->shares.s[i].host);
        v->share_dev[i] = st.st_dev;
        v->share_ino[i] = st.st_ino;
    }
    v->l.shares = v->shares.s;
    v->l.n_shares = v->shares.n;
    return 0;
}

/* The modules the guest loads: what the devices in use need. */
static int modules(struct vm_priv *v, struct cell_error *e)
{
    const char *want[10];
    size_t nw = 0;
    bool rootfs = v->rootfs_type != NULL;
    if (rootfs || v->shares.n || v->mode == VM_MODE_FIRECRACKER || v->egress)
        want[nw++] = "virtio_mmio";
    if (v->egress)
        want[nw++] = "virtio_net"; /* (+ net_failover, failover) */
    if (rootfs)
        want[nw++] = "virtio_blk";
    if (rootfs && strcmp(v->rootfs_type, "squashfs"))
        want[nw++] = "crc32c_generic"; /* ext4 and erofs (libcrc32c) ask the crypto API for it */
    if (rootfs)
        want[nw++] = v->rootfs_type; /* squashfs, erofs, ext4: modules of the generic kernel */
    if (v->shares.n) {
        want[nw++] = "9pnet_virtio";
        want[nw++] = "9p";
    }
    if (v->mode == VM_MODE_FIRECRACKER)
        want[nw++] = "vmw_vsock_virtio_transport";
    if (nw && vm_modules_resolve(v->kernel_path, want, nw, &v->mods, e) < 0) {
        if (v->egress && strstr(e->msg, "virtio_net"))
            return cell_err(
                e, 0,
                "%s (egress gives the guest a virtio-net device: `make vm-kernel` fetches a kernel "
                "with its modules)",
                e->msg);
        if (v->shares.n)
            return cell_err(e, 0,
                            "%s (host directories are shared over 9p: `make vm-kernel` fetches a kernel "
                            "with the 9p modules, Debian's linux-image-amd64)",
                            e->msg);
        return -1;
    }
    return 0;
}

/* The per-run initramfs: init, plan, guest.conf, modules, copied files. */
static int initramfs(struct backend_run *r, struct vm_priv *v, struct cell_error *e)
{
    if (find_guest_init(v->guest_init, sizeof v->guest_init, e) < 0 || build_conf(r, v, e) < 0)
        return -1;
    char init_digest[7 + 65];
    if (file_digest(v->guest_init, init_digest, e) < 0)
        return -1;
    backend_fact_str(r, "vm_guest_init", init_digest);
    uint8_t *plan_bytes;
    size_t plan_len;
    if (read_plan_bytes(r, &plan_bytes, &plan_len, e) < 0)
        return -1;
    v->initrd_fd = memfd_create("cellos-initramfs", MFD_CLOEXEC);
    if (v->initrd_fd < 0) {
        free(plan_bytes);
        return cell_err_sys(e, errno, "vm: memfd");
    }
    struct vm_initramfs_spec is = {
        .plan = r->plan,
        .plan_bytes = plan_bytes,
        .plan_len = plan_len,
        .guest_init = v->guest_init,
        .modules = &v->mods,
        .guest_conf = v->conf,
        .no_vm_section = v->host_kernel,
        .shares = &v->shares,
    };
    int rc = vm_initramfs_build(&is, v->initrd_fd, &v->initrd_bytes, e);
    free(plan_bytes);
    return rc < 0 ? cell_err_wrap(e, "vm") : 0;
}

/* Time bounds, and what the started event says about the machine. */
static void timing_and_facts(struct backend_run *r, struct vm_priv *v)
{
    if (v->mode == VM_MODE_QEMU_TCG)
        v->l.tsc_khz = vm_host_tsc_khz();
    const char *bt = getenv("CELLOS_VM_BOOT_TIMEOUT");
    v->boot_timeout_ms = bt && atoi(bt) > 0 ? (unsigned)atoi(bt) * 1000u
        : v->mode == VM_MODE_QEMU_TCG       ? 120000u
                                            : 20000u;
    /* the core's set-up bound waits out the boot too (until GUEST_BOOT);
     * the wall-time limit counts from the workload's exec in the guest */
    r->boot_allowance_ms = v->boot_timeout_ms;
    r->guest_clock = true; /* the records' times are the guest's */

    backend_fact_str(r, "vm_mode", vm_mode_name(v->mode));
    backend_fact_str(r, "vm_kernel", v->kernel_digest);
    backend_fact_str(r, "vm_kernel_source", v->host_kernel ? "host" : "plan");
    if (v->host_kernel)
        backend_note(r, "downgrade", "vm.kernel",
                     "the plan has no vm section: the host chose the kernel (vm_kernel), the plan "
                     "pins none; 1 vCPU, %llu MiB, no rootfs image",
                     (unsigned long long)v->l.mem_mib);
    if (v->release[0])
        backend_fact_str(r, "vm_kernel_release", v->release);
    backend_fact_num(r, "vm_vcpus", v->l.vcpus);
    backend_fact_num(r, "vm_memory_mib", (int64_t)v->l.mem_mib);
    backend_fact_num(r, "vm_initramfs_bytes", (int64_t)v->initrd_bytes);
    if (v->rootfs_type)
        backend_fact_str(r, "vm_rootfs", v->rootfs_type);
    if (v->egress)
        backend_fact_str(r, "vm_network", "virtio-net on a tap in the egress gateway's namespace");
    if (v->shares.n) {
        char d[1024];
        vm_shares_describe(&v->shares, d, sizeof d);
        backend_fact_str(r, "vm_shares", d);
        backend_fact_str(r, "vm_share_method", "9p virtio-mmio");
    }
}

static int vm_prepare(struct backend_run *r, struct cell_error *e)
{
    const struct plan *p = r->plan;
    struct vm_priv *v = calloc(1, sizeof *v);
    if (!v)
        return cell_err_sys(e, ENOMEM, "vm");
    v->kernel_fd = v->initrd_fd = v->rootfs_fd = v->go_w = v->verdict_r = v->tap_fd = -1;
    v->monitor = -1;
    r->priv = v;
    if (sodium_init() < 0)
        return cell_err(e, 0, "vm: libsodium failed to initialise");
    /* egress: the gateway of runtime/net/ with a tap for the guest's NIC,
     * the same rules as natively, or a one-line refusal (rootless, UDP) */
    if (net_check_plan(p, r->rootless, e) < 0)
        return -1;
    v->egress = p->net.mode == CP_NET_EGRESS;
    if (refuse_unsupported(p, e) < 0 || load_kernel(p, v, e) < 0 || choose_mode(r, v, e) < 0 ||
        machine(p, v, e) < 0 || shares(p, v, e) < 0 || modules(v, e) < 0 || initramfs(r, v, e) < 0)
        return -1;
    timing_and_facts(r, v);
    return 0;
}

/* ---- the monitor ------------------------------------------------------------- */

struct mon {
    struct vm_priv *v;
    int record_w, verdict_w;
    struct vm_chan_decoder dec;
    char console[CONSOLE_KEEP];
    size_t con_len;
    double t_launch, t_first;
    int console_fd; /* CELLOS_VM_CONSOLE=FILE: the boot log is appended there too */
    const char *run_id;
    /* the relay loop: the UART pipes (guest -> host; [1] goes to the VMM) */
    int chan[2], out[2], err[2], con[2];
    int listen_fd, chan_fd, pidfd; /* firecracker's vsock listener; the channel; the VMM */
    pid_t vmm;
    bool open_out, open_err, open_con, vmm_done;
    int vmm_status;
    double t_share_check;
    char why[200]; /* a fault that ends the loop, "" while none */
};

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int pass_record(void *ctx, const struct cell_step_record *rec)
{
    struct mon *m = ctx;
    const uint8_t *b = (const uint8_t *)rec;
    for (size_t off = 0; off < sizeof *rec;) {
        ssize_t w = write(m->record_w, b + off, sizeof *rec - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -2; /* the core is gone */
        off += (size_t)w;
    }
    return 0;
}

static void keep_console(struct mon *m, const char *b, size_t n)
{
    if (n >= CONSOLE_KEEP) {
        memcpy(m->console, b + n - CONSOLE_KEEP, CONSOLE_KEEP);
        m->con_len = CONSOLE_KEEP;
        return;
    }
    if (m->con_len + n > CONSOLE_KEEP) {
        size_t drop = m->con_len + n - CONSOLE_KEEP;
        memmove(m->console, m->console + drop, m->con_len - drop);
        m->con_len -= drop;
    }
    memcpy(m->console + m->con_len, b, n);
    m->con_len += n;
}

static void write_all_fd(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        b += w;
        n -= (size_t)w;
    }
}

static __attribute__((noreturn)) void verdict(struct mon *m, int forced, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void verdict(struct mon *m, int forced, const char *fmt, ...)
{
    struct vm_verdict vd;
    memset(&vd, 0, sizeof vd);
    vd.forced = (uint32_t)forced;
    vd.boot_ms = m->t_first > 0 ? (uint32_t)(m->t_first - m->t_launch) : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vd.why, sizeof vd.why, fmt, ap);
    va_end(ap);
    if (forced && m->con_len) {
        /* the end of the boot log says what the guest was doing */
        const char hdr[] = "cellrun: vm: last console output of the guest:\n";
        write_all_fd(2, hdr, sizeof hdr - 1);
        write_all_fd(2, m->console, m->con_len);
        if (m->console[m->con_len - 1] != '\n')
            write_all_fd(2, "\n", 1);
    }
    write_all_fd(m->verdict_w, (const char *)&vd, sizeof vd);
    _exit(forced ? CELLRUN_EXIT_FAILURE : 0);
}

/* Firecracker: the run directory, the config and the vsock listener. */
static int fc_setup(struct mon *m, int *listen_fd, char *dir, size_t dn)
{
    struct vm_priv *v = m->v;
    if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
        mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) == 0 &&
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=1g") == 0) {
        snprintf(dir, dn, "/tmp"); /* vanishes with this namespace */
    } else {
        snprintf(dir, dn, "%s", v->fc_dir);
    }
    if (chdir(dir) < 0)
        return -1;
    int out = open(VM_FC_INITRD_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return -1;
    char buf[65536];
    ssize_t n;
    off_t off = 0;
    while ((n = pread(v->initrd_fd, buf, sizeof buf, off)) > 0) {
        write_all_fd(out, buf, (size_t)n);
        off += n;
    }
    close(out);
    char kpath[64];
    snprintf(kpath, sizeof kpath, "/proc/self/fd/%d", v->kernel_fd);
    v->l.kernel = kpath;
    v->l.initrd = VM_FC_INITRD_NAME;
    v->l.vsock_uds = VM_FC_VSOCK_NAME;
    char rpath[64];
    if (v->rootfs_fd >= 0) {
        snprintf(rpath, sizeof rpath, "/proc/self/fd/%d", v->rootfs_fd);
        v->l.rootfs = rpath;
    }
    char *json;
    struct cell_error e;
    if (vm_firecracker_json(&v->l, &json, &e) < 0)
        return -1;
    int cf = open("vm.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (cf < 0) {
        free(json);
        return -1;
    }
    write_all_fd(cf, json, strlen(json));
    close(cf);
    free(json);
    *listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s_%u", VM_FC_VSOCK_NAME, VM_VSOCK_PORT);
    if (*listen_fd < 0 || bind(*listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(*listen_fd, 1) < 0)
        return -1;
    return 0;
}

/* Block until the core says go; a core that gave up ends the monitor. */
static void wait_go(int go_r)
{
    char c;
    ssize_t g;
    do
        g = read(go_r, &c, 1);
    while (g < 0 && errno == EINTR);
    if (g != 1)
        _exit(CELLRUN_EXIT_FAILURE);
    close(go_r);
}

/* The VMM's command line: Firecracker's config file, or QEMU's argv over
 * /proc/self/fd paths of the memfds and pipes. `paths` outlives the exec. */
static void vmm_argv(struct mon *m, struct vm_argv *av, char paths[7][32], char name[80])
{
    struct vm_priv *v = m->v;
    struct cell_error e = { 0 };
    if (v->mode == VM_MODE_FIRECRACKER) {
        char dir[128] = "";
        if (fc_setup(m, &m->listen_fd, dir, sizeof dir) < 0)
            verdict(m, 1, "vm: firecracker run directory: %s", strerror(errno));
        static char *const fc[] = { "firecracker", "--no-api", "--config-file", "vm.json", NULL };
        av->argv = (char **)fc;
        av->argc = 4;
        return;
    }
    int fds[7] = { v->kernel_fd, v->initrd_fd, m->con[1], m->chan[1], m->out[1], m->err[1], v->rootfs_fd };
    for (int i = 0; i < 7; i++)
        snprintf(paths[i], 32, "/proc/self/fd/%d", fds[i]);
    v->l.kernel = paths[0];
    v->l.initrd = paths[1];
    v->l.console = paths[2];
    v->l.channel = paths[3];
    v->l.out = paths[4];
    v->l.err = paths[5];
    if (v->rootfs_fd >= 0)
        v->l.rootfs = paths[6];
    snprintf(name, 80, "cellos-vm-%s", m->run_id);
    v->l.name = name;
    if (vm_qemu_argv(&v->l, av, &e) < 0)
        verdict(m, 1, "%s", e.msg);
}

/* Fork and exec the VMM, which dies with the monitor; its stdout/stderr
 * join the boot log (Firecracker: stdout is the workload's one UART). */
static void start_vmm(struct mon *m, struct vm_argv *av)
{
    struct vm_priv *v = m->v;
    pid_t self = getpid();
    m->t_launch = mono_ms();
    m->vmm = fork();
    if (m->vmm < 0)
        verdict(m, 1, "vm: fork: %s", strerror(errno));
    if (m->vmm == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != self)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        bool fc = v->mode == VM_MODE_FIRECRACKER;
        dup2(fc ? m->out[1] : m->con[1], 1);
        dup2(m->con[1], 2);
        syscall(SYS_close_range, 3, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
        /* egress: QEMU's only network is the tap; its own sockets live in
         * an empty namespace, so it cannot reach the host's network either */
        if (v->tap_fd >= 0 && unshare(CLONE_NEWNET) < 0)
            _exit(127);
        int need[] = { v->kernel_fd, v->initrd_fd, v->rootfs_fd, m->chan[1],
                       m->out[1],    m->err[1],    m->con[1],    v->tap_fd };
        for (size_t i = 0; i < sizeof need / sizeof *need; i++)
            if (need[i] >= 0)
                fcntl(need[i], F_SETFD, 0);
        execvp(av->argv[0], av->argv);
        _exit(127);
    }
    close(m->chan[1]);
    close(m->out[1]);
    close(m->err[1]);
    close(m->con[1]);
    m->pidfd = (int)syscall(SYS_pidfd_open, m->vmm, 0);
    m->chan_fd = v->mode == VM_MODE_FIRECRACKER ? -1 : m->chan[0];
    if (v->mode == VM_MODE_FIRECRACKER)
        close(m->chan[0]);
    vm_chan_init(&m->dec);
    m->open_out = m->open_con = true;
    m->open_err = v->mode != VM_MODE_FIRECRACKER;
}

/* A shared host directory that vanished (removed, or replaced by another
 * inode) while the guest runs ends the run: the cell would see a tree that
 * is no longer what the plan granted. Checked at most once a second. */
static bool shares_gone(struct mon *m)
{
    struct vm_priv *v = m->v;
    double now = mono_ms();
    if (!v->shares.n || now - m->t_share_check < 1000)
        return false;
    m->t_share_check = now;
    for (size_t i = 0; i < v->shares.n; i++) {
        struct stat st;
        if (stat(v->shares.s[i].host, &st) < 0 || st.st_dev != v->share_dev[i] ||
            st.st_ino != v->share_ino[i]) {
            snprintf(m->why, sizeof m->why,
                     "vm: the shared host directory %s (granted as %s) disappeared while the guest ran",
                     v->shares.s[i].host, v->shares.s[i].guest);
            return true;
        }
    }
    return false;
}

/* How long poll may wait: the boot timeout until the guest first reports,
 * 2 s of draining once the VMM is gone, a second while shares are watched.
 * Returns -2 when the boot timeout has passed. */
static int poll_timeout(struct mon *m)
{
    struct vm_priv *v = m->v;
    int timeout = -1;
    if (m->t_first == 0 && !m->vmm_done) {
        double left = m->t_launch + v->boot_timeout_ms - mono_ms();
        if (left <= 0) {
            snprintf(m->why, sizeof m->why, "vm: the guest did not report within the boot timeout of %u ms",
                     v->boot_timeout_ms);
            return -2;
        }
        timeout = (int)left + 1;
    }
    if (m->vmm_done)
        timeout = 2000; /* draining: the pipes' writers are gone */
    else if (v->shares.n && (timeout < 0 || timeout > 1000))
        timeout = 1000;
    return timeout;
}

/* Firecracker: the guest's vsock connection becomes the channel. */
static void accept_channel(struct mon *m)
{
    int c2 = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c2 >= 0 && m->chan_fd < 0) {
        m->chan_fd = c2;
        close(m->listen_fd);
        m->listen_fd = -1;
    } else if (c2 >= 0) {
        close(c2);
    }
}

/* Feed the report channel to the decoder; false on a protocol fault. */
static bool read_channel(struct mon *m)
{
    char buf[8192];
    ssize_t r = read(m->chan_fd, buf, sizeof buf);
    if (r > 0) {
        if (m->t_first == 0)
            m->t_first = mono_ms();
        int fr = vm_chan_feed(&m->dec, (uint8_t *)buf, (size_t)r, pass_record, m);
        if (fr == -1) {
            snprintf(m->why, sizeof m->why, "vm: %s", m->dec.fault);
            return false;
        }
        if (fr == -2)
            _exit(CELLRUN_EXIT_FAILURE); /* the core stopped reading */
        if (m->dec.state == VM_CHAN_DONE && m->v->mode == VM_MODE_FIRECRACKER)
            shutdown(m->chan_fd, SHUT_WR); /* let the guest's flush end */
    } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        close(m->chan_fd);
        m->chan_fd = -1;
    }
    return true;
}

/* The workload's stdout/stderr to cellrun's; the console to the kept tail
 * (and CELLOS_VM_CONSOLE). */
static void relay(struct mon *m, const struct pollfd pf[3])
{
    int fds[3] = { m->out[0], m->err[0], m->con[0] };
    bool *opn[3] = { &m->open_out, &m->open_err, &m->open_con };
    char buf[8192];
    for (int i = 0; i < 3; i++) {
        if (!pf[i].revents)
            continue;
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r > 0 && i == 2) {
            keep_console(m, buf, (size_t)r);
            if (m->console_fd >= 0)
                write_all_fd(m->console_fd, buf, (size_t)r);
        } else if (r > 0) {
            write_all_fd(i == 0 ? 1 : 2, buf, (size_t)r);
        } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
            *opn[i] = false;
        }
    }
}

static void reap_vmm(struct mon *m)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PIDFD, (id_t)m->pidfd, &si, WEXITED) == 0) {
        m->vmm_done = true;
        m->vmm_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
    }
}

/* Relay until the VMM is gone and every pipe drained, or a fault (m->why). */
static void relay_loop(struct mon *m)
{
    for (;;) {
        int timeout = poll_timeout(m);
        if (timeout == -2 || shares_gone(m))
            return;
        if (m->vmm_done && m->chan_fd < 0 && !m->open_out && !m->open_err && !m->open_con)
            return;
        struct pollfd pf[6] = {
            { .fd = m->chan_fd, .events = POLLIN },
            { .fd = m->open_out ? m->out[0] : -1, .events = POLLIN },
            { .fd = m->open_err ? m->err[0] : -1, .events = POLLIN },
            { .fd = m->open_con ? m->con[0] : -1, .events = POLLIN },
            { .fd = m->vmm_done ? -1 : m->pidfd, .events = POLLIN },
            { .fd = m->listen_fd, .events = POLLIN },
        };
        int n = poll(pf, 6, timeout);
        if (n < 0 && errno != EINTR)
            verdict(m, 1, "vm: poll: %s", strerror(errno));
        if (n == 0 && m->vmm_done)
            return;
        if (pf[5].revents & POLLIN)
            accept_channel(m);
        if (pf[0].revents && !read_channel(m))
            return;
        relay(m, pf + 1);
        if (pf[4].revents & POLLIN)
            reap_vmm(m);
    }
}

/* What the run comes to: a fault or a guest without its STATUS is Forced. */
static __attribute__((noreturn)) void judge(struct mon *m)
{
    struct vm_priv *v = m->v;
    const char *vmm = v->mode == VM_MODE_FIRECRACKER ? "firecracker" : "qemu";
    if (m->why[0]) {
        kill(m->vmm, SIGKILL);
        if (!m->vmm_done)
            waitpid(m->vmm, NULL, 0);
        verdict(m, 1, "%s", m->why);
    }
    if (m->dec.state != VM_CHAN_DONE) {
        if (m->dec.state == VM_CHAN_FAULT)
            verdict(m, 1, "vm: %s", m->dec.fault);
        verdict(
            m, 1,
            "vm: the guest ended without reporting its status (%s exited with status %d after %u records)%s",
            vmm, m->vmm_status, m->dec.steps,
            m->dec.steps == 0 && m->vmm_status != 0 && v->mode != VM_MODE_QEMU_TCG
                ? "; if KVM cannot run guests on this host, CELLOS_VM_MODE=qemu-tcg forces software emulation"
                : "");
    }
    if (m->vmm_status != 0)
        verdict(m, 1, "vm: %s exited with status %d after the guest's status", vmm, m->vmm_status);
    if (m->dec.status.kind == VM_STATUS_FAILED)
        verdict(m, 0, "guest set-up failed");
    verdict(m, 0, "ok");
}

/* The monitor: wait for go, start the VMM, relay and decode, judge. */
static __attribute__((noreturn)) void monitor(struct mon *m, int go_r)
{
    wait_go(go_r);
    m->listen_fd = m->chan_fd = m->pidfd = -1;
    if (pipe2(m->chan, O_CLOEXEC) < 0 || pipe2(m->out, O_CLOEXEC) < 0 || pipe2(m->err, O_CLOEXEC) < 0 ||
        pipe2(m->con, O_CLOEXEC) < 0)
        verdict(m, 1, "vm: pipes: %s", strerror(errno));
    struct vm_argv av = { 0 };
    char paths[7][32], name[80];
    vmm_argv(m, &av, paths, name);
    start_vmm(m, &av);
    relay_loop(m);
    judge(m);
}

static int vm_spawn(struct backend_run *r, struct cell_error *e)
{
    struct vm_priv *v = r->priv;
    int rec[2] = { -1, -1 }, go[2] = { -1, -1 }, vd[2] = { -1, -1 };
    int *const pipes[] = { rec, go, vd };
    if (pipe2(rec, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(vd, O_CLOEXEC) < 0) {
        int err = errno;
        backend_close_pipes(pipes, 3);
        return cell_err_sys(e, err, "vm: pipe");
    }
    /* egress: netd and the gateway namespace with the tap, before the key
     * exists; the monitor inherits the tap for QEMU */
    if (v->egress) {
        if (net_gw_start_tap(r->plan, &r->net, &v->tap_fd, e) < 0) {
            backend_close_pipes(pipes, 3);
            return -1;
        }
        v->l.tap = true;
        v->l.tap_fd = v->tap_fd;
    }
    if (v->mode == VM_MODE_FIRECRACKER && geteuid() != 0) {
        snprintf(v->fc_dir, sizeof v->fc_dir, "/tmp/cellos-vm-%s", r->run_id);
        if (mkdir(v->fc_dir, 0700) < 0)
            return cell_err_sys(e, errno, "vm: %s", v->fc_dir);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return cell_err_sys(e, errno, "vm: fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(CELLRUN_EXIT_FAILURE);
        prctl(PR_SET_NAME, "cellos-vm-mon");
        close(rec[0]);
        close(go[1]);
        close(vd[0]);
        struct mon *m = calloc(1, sizeof *m);
        if (!m)
            _exit(CELLRUN_EXIT_FAILURE);
        m->v = v;
        m->run_id = r->run_id;
        const char *cf = getenv("CELLOS_VM_CONSOLE");
        /* the guest console for debugging: appended as any output is written
         * (runtime/lib/out_file.h: never through a symlink) */
        struct out_file of;
        const struct out_spec spec = { .how = OUT_APPEND, .mode = 0600 };
        struct cell_error ce = { 0 };
        m->console_fd = cf && cf[0] && out_open(&of, cf, &spec, &ce) == 0 ? of.fd : -1;
        m->record_w = rec[1];
        m->verdict_w = vd[1];
        monitor(m, go[0]);
    }
    close(rec[1]);
    close(go[0]);
    close(vd[1]);
    if (v->tap_fd >= 0) { /* the monitor holds it now */
        close(v->tap_fd);
        v->tap_fd = -1;
    }
    v->go_w = go[1];
    v->verdict_r = vd[0];
    v->monitor = pid;
    r->pid = pid;
    r->record_fd = rec[0];
    return 0;
}

static int vm_go(struct backend_run *r, struct cell_error *e)
{
    struct vm_priv *v = r->priv;
    if (write(v->go_w, "g", 1) != 1)
        return cell_err_sys(e, errno, "vm: starting the VM monitor");
    close(v->go_w);
    v->go_w = -1;
    return 0;
}

/* There is no signal path into the guest: a forwarded signal stops the VM
 * (and the run ends as Forced, saying so). */
static void vm_forward(struct backend_run *r, int sig)
{
    struct vm_priv *v = r->priv;
    if (v->monitor > 0) {
        v->forwarded = sig;
        kill(v->monitor, SIGKILL);
    }
}

static void vm_kill(struct backend_run *r)
{
    struct vm_priv *v = r->priv;
    if (v && v->monitor > 0) {
        v->killed = true;
        kill(v->monitor, SIGKILL);
    }
}

static void vm_finish(struct backend_run *r, int wstatus, const struct rusage *ru, struct backend_result *res)
{
    (void)ru;
    (void)res;
    struct vm_priv *v = r->priv;
    struct vm_verdict vd;
    memset(&vd, 0, sizeof vd);
    ssize_t n = v->verdict_r >= 0 ? read(v->verdict_r, &vd, sizeof vd) : -1;
    v->monitor = -1;
    if (n == (ssize_t)sizeof vd) {
        vd.why[sizeof vd.why - 1] = 0;
        if (vd.forced) {
            r->forced = true;
            memcpy(r->forced_why, vd.why, sizeof vd.why);
        }
        return;
    }
    if (v->killed)
        return; /* the core's own kill: it reports why, as Forced */
    r->forced = true;
    if (v->forwarded)
        snprintf(r->forced_why, sizeof r->forced_why,
                 "vm: signal %d cannot be delivered into the guest: the VM was stopped", v->forwarded);
    else
        snprintf(r->forced_why, sizeof r->forced_why, "vm: the VM monitor ended abnormally (%s %d)",
                 WIFSIGNALED(wstatus) ? "signal" : "status",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[600];
        if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) < (int)sizeof p)
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void vm_cleanup(struct backend_run *r)
{
    struct vm_priv *v = r->priv;
    if (!v)
        return;
    if (v->monitor > 0) {
        kill(v->monitor, SIGKILL);
        v->monitor = -1;
    }
    int *fds[] = { &v->kernel_fd, &v->initrd_fd, &v->rootfs_fd, &v->go_w,
                   &v->verdict_r, &r->record_fd, &v->tap_fd };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    if (v->fc_dir[0])
        rm_tree(v->fc_dir);
    net_gw_stop(&r->net); /* netd, and with it the gateway namespace */
    free(v->conf);
    free(v);
    r->priv = NULL;
}

const struct backend_ops backend_vm = {
    .name = "vm",
    .kind = CP_BACKEND_VM,
    .prepare = vm_prepare,
    .spawn = vm_spawn,
    .go = vm_go,
    .forward = vm_forward,
    .kill = vm_kill,
    .finish = vm_finish,
    .cleanup = vm_cleanup,
};
