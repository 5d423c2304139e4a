/*
 * vm_config.c - plan vm section -> kernel command line, Firecracker config
 * JSON and QEMU microvm argv (see vm_config.h for the device layout).
 *
 * Boot flags and why (docs/backends.md has the long form):
 *   console=ttyS0      boot log on the first UART, a file on the host
 *   reboot=t / =k      the guest init ends the VM with reboot(2): QEMU (with
 *                      -no-reboot) exits on the triple fault, Firecracker on
 *                      the i8042 reset
 *   panic=-1           a kernel panic reboots at once, which ends the VM
 *   quiet              less console output to emulate
 *   pci=off            microvm and Firecracker have no PCI: skip probing
 *   module.sig_enforce=1  the only modules the guest loads are those signed
 *                      by the kernel's own build key (the kernel's SHA-256 is
 *                      checked by cellrun, so this pins the modules too)
 *   TCG only: tsc_early_khz=<host TSC kHz> tsc=reliable
 *                      under software emulation the kernel cannot calibrate
 *                      the TSC (no HPET or PM timer on microvm, the PIT is
 *                      unreliable) and hangs; giving it the rate, which under
 *                      TCG is the host's TSC rate, and skipping the clock
 *                      watchdog (which compares against jiffies that TCG
 *                      delivers late) makes every boot come up.
 */
#include "vm_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *vm_mode_name(enum vm_mode m)
{
    switch (m) {
    case VM_MODE_FIRECRACKER: return "firecracker";
    case VM_MODE_QEMU_KVM: return "qemu-kvm";
    case VM_MODE_QEMU_TCG: return "qemu-tcg";
    }
    return "unknown";
}

int vm_launch_from_plan(const struct plan *p, enum vm_mode mode, struct vm_launch *l, struct cell_error *e)
{
    memset(l, 0, sizeof *l);
    if (!p->has_vm)
        return cell_err(e, 0, "the plan has no vm section (add `vm { ... }` to the policy)");
    if (p->net.mode == CP_NET_EGRESS && mode == VM_MODE_FIRECRACKER)
        return cell_err(e, 0,
                        "Firecracker opens its tap device by name in the host's network namespace, so "
                        "it cannot enforce egress rules; run the plan under QEMU (CELLOS_VM_MODE=qemu-kvm "
                        "or qemu-tcg)");
    if (p->vm.memory % (1024 * 1024) != 0)
        return cell_err(e, 0, "vm memory %llu bytes is not a whole number of MiB",
                        (unsigned long long)p->vm.memory);
    if (p->vm.vcpus < 1 || p->vm.vcpus > 64)
        return cell_err(e, 0, "vm vcpus %u out of range 1..64", p->vm.vcpus);
    if (mode == VM_MODE_FIRECRACKER && (p->vm.vcpus > 32 || (p->vm.vcpus > 1 && p->vm.vcpus % 2)))
        return cell_err(e, 0, "Firecracker takes 1 or an even number of vCPUs up to 32, not %u", p->vm.vcpus);
    l->mode = mode;
    l->kernel = p->vm.kernel;
    l->rootfs = (p->vm.flags & CP_VM_HAS_ROOTFS) ? p->vm.rootfs : NULL;
    l->vcpus = p->vm.vcpus;
    l->mem_mib = p->vm.memory / (1024 * 1024);
    l->extra_bootargs = p->vm.bootargs && p->vm.bootargs[0] ? p->vm.bootargs : NULL;
    return 0;
}

uint64_t vm_host_default_memory_mib(uint64_t memory_limit)
{
    if (memory_limit == 0)
        return VM_HOST_UNLIMITED_MIB;
    uint64_t mib = memory_limit / (1024 * 1024) + (memory_limit % (1024 * 1024) != 0);
    if (mib > UINT64_MAX / 2)
        return mib; /* absurd, and QEMU will say so */
    mib += VM_HOST_HEADROOM_MIB;
    return mib < VM_HOST_MIN_MIB ? VM_HOST_MIN_MIB : mib;
}

int vm_launch_host_default(const struct plan *p, enum vm_mode mode, const char *kernel, struct vm_launch *l,
                           struct cell_error *e)
{
    memset(l, 0, sizeof *l);
    if (p->net.mode == CP_NET_EGRESS && mode == VM_MODE_FIRECRACKER)
        return cell_err(e, 0,
                        "Firecracker opens its tap device by name in the host's network namespace, so "
                        "it cannot enforce egress rules; run the plan under QEMU (CELLOS_VM_MODE=qemu-kvm "
                        "or qemu-tcg)");
    l->mode = mode;
    l->kernel = kernel;
    l->rootfs = NULL;
    l->vcpus = 1;
    l->mem_mib = vm_host_default_memory_mib(p->limits.memory);
    l->extra_bootargs = NULL;
    return 0;
}

/* The next word of a kernel command line at *p (NULL at the end), its
 * length in *len; *p moves past it. A word is a run of non-spaces in which
 * spaces inside double quotes do not split, as the kernel parses it. */
static const char *next_word(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return NULL;
    const char *w = s;
    bool quoted = false;
    for (; *s && (quoted || *s != ' '); s++)
        if (*s == '"')
            quoted = !quoted;
    *len = (size_t)(s - w);
    *p = s;
    return w;
}

static bool has_word(const char *line, const char *w, size_t wl)
{
    size_t len;
    for (const char *x; (x = next_word(&line, &len));)
        if (len == wl && !memcmp(x, w, wl))
            return true;
    return false;
}

int vm_boot_args(const struct vm_launch *l, char *buf, size_t n, struct cell_error *e)
{
    char tsc[96] = "";
    if (l->mode == VM_MODE_QEMU_TCG) {
        if (l->tsc_khz == 0)
            return cell_err(e, 0,
                            "qemu-tcg needs the host TSC rate (tsc_early_khz) and it could not be measured");
        snprintf(tsc, sizeof tsc, " tsc_early_khz=%llu tsc=reliable", (unsigned long long)l->tsc_khz);
    }
    int w = snprintf(buf, n, "console=ttyS0 reboot=%s panic=-1 quiet pci=off module.sig_enforce=1%s",
                     l->mode == VM_MODE_FIRECRACKER ? "k" : "t", tsc);
    if (w < 0 || (size_t)w >= n)
        return cell_err(e, E2BIG, "kernel command line longer than %zu bytes", n - 1);
    /* the plan's words after ours, each kernel word once (a policy saying
     * "quiet" does not repeat it); after "--" the words are init's
     * arguments and are kept as written */
    size_t at = (size_t)w, len;
    bool for_init = false;
    const char *p = l->extra_bootargs ? l->extra_bootargs : "";
    for (const char *x; (x = next_word(&p, &len));) {
        if (!for_init && has_word(buf, x, len))
            continue;
        if (len == 2 && !memcmp(x, "--", 2))
            for_init = true;
        if (len + 1 >= n - at)
            return cell_err(e, E2BIG, "kernel command line longer than %zu bytes", n - 1);
        buf[at++] = ' ';
        memcpy(buf + at, x, len);
        at += len;
        buf[at] = '\0';
    }
    return 0;
}

/* ---- a small growable string ------------------------------------------ */

struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)w < b->cap - b->len) {
            b->len += (size_t)w;
            return;
        }
        size_t cap = (b->cap ? b->cap : 256) * 2 + (size_t)w;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

/* A JSON string literal: quotes, backslashes and control bytes escaped. */
static void sb_json_str(struct sbuf *b, const char *s)
{
    sb_add(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_add(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            sb_add(b, "\\u%04x", *p);
        else
            sb_add(b, "%c", *p);
    }
    sb_add(b, "\"");
}

int vm_firecracker_json(const struct vm_launch *l, char **json, struct cell_error *e)
{
    *json = NULL;
    char args[2048];
    if (vm_boot_args(l, args, sizeof args, e) < 0)
        return -1;
    struct sbuf b = { 0 };
    sb_add(&b, "{\n  \"boot-source\": {\n    \"kernel_image_path\": ");
    sb_json_str(&b, l->kernel);
    sb_add(&b, ",\n    \"boot_args\": ");
    sb_json_str(&b, args);
    sb_add(&b, ",\n    \"initrd_path\": ");
    sb_json_str(&b, l->initrd ? l->initrd : VM_FC_INITRD_NAME);
    sb_add(&b, "\n  },\n  \"drives\": [");
    if (l->rootfs) {
        sb_add(&b, "\n    {\n      \"drive_id\": \"rootfs\",\n      \"path_on_host\": ");
        sb_json_str(&b, l->rootfs);
        sb_add(&b, ",\n      \"is_root_device\": false,\n      \"is_read_only\": true\n    }\n  ");
    }
    sb_add(&b,
           "],\n  \"machine-config\": {\n    \"vcpu_count\": %u,\n    \"mem_size_mib\": %llu,\n"
           "    \"smt\": false\n  },\n  \"network-interfaces\": [],\n  \"vsock\": {\n"
           "    \"guest_cid\": %u,\n    \"uds_path\": ",
           l->vcpus, (unsigned long long)l->mem_mib, VM_GUEST_CID);
    sb_json_str(&b, l->vsock_uds ? l->vsock_uds : VM_FC_VSOCK_NAME);
    sb_add(&b, "\n  }\n}\n");
    if (b.oom) {
        free(b.s);
        return cell_err_sys(e, ENOMEM, "firecracker config");
    }
    *json = b.s;
    return 0;
}

/* ---- QEMU argv ---------------------------------------------------------- */

static int av_push(struct vm_argv *av, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int av_push(struct vm_argv *av, const char *fmt, ...)
{
    char **n = realloc(av->argv, (av->argc + 2) * sizeof *n);
    if (!n)
        return -1;
    av->argv = n;
    va_list ap;
    va_start(ap, fmt);
    int w = vasprintf(&av->argv[av->argc], fmt, ap);
    va_end(ap);
    if (w < 0) {
        av->argv[av->argc] = NULL;
        return -1;
    }
    av->argv[++av->argc] = NULL;
    return 0;
}

void vm_argv_free(struct vm_argv *av)
{
    for (size_t i = 0; av->argv && i < av->argc; i++)
        free(av->argv[i]);
    free(av->argv);
    av->argv = NULL;
    av->argc = 0;
}

/* A value inside a QEMU option string: ',' must be doubled. */
static int qemu_safe(const char *s)
{
    return s && !strchr(s, ',') && s[0];
}

int vm_qemu_argv(const struct vm_launch *l, struct vm_argv *av, struct cell_error *e)
{
    memset(av, 0, sizeof *av);
    if (l->mode != VM_MODE_QEMU_KVM && l->mode != VM_MODE_QEMU_TCG)
        return cell_err(e, 0, "vm mode %s is not a QEMU mode", vm_mode_name(l->mode));
    const char *paths[] = { l->kernel, l->initrd, l->console, l->channel, l->out, l->err };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!qemu_safe(paths[i]))
            return cell_err(e, EINVAL, "QEMU path %s is empty or contains a comma",
                            paths[i] ? paths[i] : "(none)");
    if (l->rootfs && !qemu_safe(l->rootfs))
        return cell_err(e, EINVAL, "rootfs path %s contains a comma (QEMU cannot take it)", l->rootfs);
    char args[2048];
    if (vm_boot_args(l, args, sizeof args, e) < 0)
        return -1;
    bool kvm = l->mode == VM_MODE_QEMU_KVM;
    int bad = 0;
    bad |= av_push(av, "%s", l->qemu_binary ? l->qemu_binary : "qemu-system-x86_64");
    /* microvm: no PCI, no firmware option ROMs; ACPI on so the guest finds
     * the extra UARTs and virtio-mmio devices without command-line hints. */
    bad |= av_push(av, "-M");
    bad |= av_push(av, "microvm,accel=%s,x-option-roms=off,acpi=on,pcie=off", kvm ? "kvm" : "tcg");
    bad |= av_push(av, "-cpu");
    bad |= av_push(av, "%s", kvm ? "host" : "max");
    bad |= av_push(av, "-smp");
    bad |= av_push(av, "%u", l->vcpus);
    bad |= av_push(av, "-m");
    bad |= av_push(av, "%lluM", (unsigned long long)l->mem_mib);
    /* QEMU confines itself: no new privileges, no spawning, no obsolete
     * syscalls, no resource-control calls. */
    bad |= av_push(av, "-sandbox");
    bad |= av_push(av, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    if (l->name) {
        if (!qemu_safe(l->name))
            return cell_err(e, EINVAL, "QEMU -name %s contains a comma", l->name);
        bad |= av_push(av, "-name");
        bad |= av_push(av, "%s", l->name);
    }
    bad |= av_push(av, "-nodefaults");
    bad |= av_push(av, "-no-user-config");
    bad |= av_push(av, "-display");
    bad |= av_push(av, "none");
    bad |= av_push(av, "-no-reboot");
    bad |= av_push(av, "-kernel");
    bad |= av_push(av, "%s", l->kernel);
    bad |= av_push(av, "-initrd");
    bad |= av_push(av, "%s", l->initrd);
    bad |= av_push(av, "-append");
    bad |= av_push(av, "%s", args);
    static const char *const ids[] = { "con", "chan", "out", "err" };
    static const char *const where[] = { NULL, "iobase=0x2f8,irq=3", "iobase=0x3e8,irq=5",
                                         "iobase=0x2e8,irq=6" };
    const char *files[] = { l->console, l->channel, l->out, l->err };
    for (int i = 0; i < 4; i++) {
        bad |= av_push(av, "-chardev");
        bad |= av_push(av, "file,id=%s,path=%s", ids[i], files[i]);
        if (i == 0) {
            bad |= av_push(av, "-serial");
            bad |= av_push(av, "chardev:con");
        } else {
            bad |= av_push(av, "-device");
            bad |= av_push(av, "isa-serial,chardev=%s,%s", ids[i], where[i]);
        }
    }
    for (size_t i = 0; i < l->n_shares; i++) {
        const struct vm_share *sh = &l->shares[i];
        if (!qemu_safe(sh->host) || !qemu_safe(sh->tag)) {
            vm_argv_free(av);
            return cell_err(e, EINVAL, "shared directory %s contains a comma (QEMU cannot take it)",
                            sh->host);
        }
        /* ro: QEMU opens the tree read-only; rw: files keep the guest's
         * owners (passthrough). multidevs=forbid: a non-recursive share
         * stops at mount points, as a bind mount would. */
        bad |= av_push(av, "-fsdev");
        bad |= av_push(av, "local,id=fs%zu,path=%s,security_model=%s%s,multidevs=%s", i, sh->host,
                       sh->rw ? "passthrough" : "none", sh->rw ? "" : ",readonly=on",
                       sh->recursive ? "remap" : "forbid");
        bad |= av_push(av, "-device");
        bad |= av_push(av, "virtio-9p-device,fsdev=fs%zu,mount_tag=%s", i, sh->tag);
    }
    if (l->tap) {
        /* egress: the gateway's tap (runtime/net/), already open; no vhost,
         * no other network of any kind (-nodefaults) */
        bad |= av_push(av, "-netdev");
        bad |= av_push(av, "tap,id=net0,fd=%d,vhost=off", l->tap_fd);
        bad |= av_push(av, "-device");
        bad |= av_push(av, "virtio-net-device,netdev=net0,mac=" VM_GUEST_MAC);
    }
    if (l->rootfs) {
        bad |= av_push(av, "-drive");
        bad |= av_push(av, "id=rootfs,file=%s,format=raw,if=none,readonly=on", l->rootfs);
        bad |= av_push(av, "-device");
        bad |= av_push(av, "virtio-blk-device,drive=rootfs");
    }
    if (bad) {
        vm_argv_free(av);
        return cell_err_sys(e, ENOMEM, "QEMU argv");
    }
    return 0;
}

uint64_t vm_host_tsc_khz(void)
{
#if defined(__x86_64__)
    struct timespec a, b, nap = { 0, 20 * 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC_RAW, &a);
    uint64_t c0 = __builtin_ia32_rdtsc();
    while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
        ;
    uint64_t c1 = __builtin_ia32_rdtsc();
    clock_gettime(CLOCK_MONOTONIC_RAW, &b);
    int64_t ns = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
    if (ns <= 0 || c1 <= c0)
        return 0;
    return (uint64_t)(((unsigned __int128)(c1 - c0) * 1000000u + (uint64_t)ns / 2) / (uint64_t)ns);
#else
    return 0;
#endif
}

int vm_emit_firecracker_config(const struct plan *p, char **json, struct cell_error *e)
{
    struct vm_launch l;
    if (vm_launch_from_plan(p, VM_MODE_FIRECRACKER, &l, e) < 0)
        return -1;
    return vm_firecracker_json(&l, json, e);
}
