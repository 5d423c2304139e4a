/*
 * plan_fixture.h - a rich struct plan that exercises every section, opcode,
 * condition operator and flag of the format, and a field-by-field
 * comparison of two plans. Shared by the plan_* unit tests and the plan
 * reader fuzz target (header-only; everything static).
 */
#ifndef CELLOS_PLAN_FIXTURE_H
#define CELLOS_PLAN_FIXTURE_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include "plan.h"

#define FX_MiB (1024ull * 1024)

/* A small but real seccomp filter: arch check, x32 rejection, scratch
 * memory, jset, errno and allow returns. Syscall numbers are per arch. */
#define FX_PROG(ARCH, NR_EXIT, NR_WRITE) { \
    { BPF_LD | BPF_W | BPF_ABS, 0, 0, 4 },                   /* 0: arch */ \
    { BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ARCH },               /* 1 */ \
    { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS },     /* 2 */ \
    { BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 },                   /* 3: nr */ \
    { BPF_ST, 0, 0, 0 },                                     /* 4 */ \
    { BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000 },         /* 5 */ \
    { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS },     /* 6 */ \
    { BPF_JMP | BPF_JEQ | BPF_K, 6, 0, NR_EXIT },            /* 7 -> 14 */ \
    { BPF_JMP | BPF_JEQ | BPF_K, 0, 4, NR_WRITE },           /* 8 -> 13 */ \
    { BPF_LD | BPF_W | BPF_ABS, 0, 0, 16 },                  /* 9: args[0] lo */ \
    { BPF_JMP | BPF_JSET | BPF_K, 2, 0, 0xfffffffc },        /* 10 -> 13 */ \
    { BPF_LD | BPF_MEM, 0, 0, 0 },                           /* 11 */ \
    { BPF_JMP | BPF_JEQ | BPF_K, 1, 0, NR_WRITE },           /* 12 -> 14 */ \
    { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 1 },        /* 13 */ \
    { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW },            /* 14 */ \
}

static const struct cp_bpf_insn fx_prog_x86[] = FX_PROG(AUDIT_ARCH_X86_64, 60, 1);
static const struct cp_bpf_insn fx_prog_arm[] = FX_PROG(AUDIT_ARCH_AARCH64, 93, 64);

static const char *fx_packs[] = { "std/base", "std/ci" };
static struct plan_unsafe_grant fx_unsafe[] = {
    { "rw-bind", "/var/cache/build", "the build cache is shared between jobs", 12 },
    { "syscall", "ptrace", "the test suite runs gdb", 31 },
};
static const char *fx_argv[] = { "/usr/bin/make", "-C", "/work", "test", "" };
static struct plan_env fx_env[] = {
    { "HOME", "/work", 0 },
    { "LANG", "C.UTF-8", 0 },
    { "PATH", "/usr/bin:/bin", 0 },
    { "TERM", "", CP_ENV_PASS },
};
static struct plan_rlimit fx_rlimits[] = {
    { 0, 600, 660 },                  /* CPU */
    { 4, 0, 0 },                      /* CORE */
    { 7, 1024, 4096 },                /* NOFILE */
    { 9, UINT64_MAX, UINT64_MAX },    /* AS */
};
static uint32_t fx_fds[] = { 3, 7 };
static struct plan_mount_op fx_ops[] = {
    { CP_OP_ROOTFS, 0, "", "", 0755, 64 * FX_MiB, 0 },
    { CP_OP_MKDIR, 0, "", "/usr", 0755, 0, 4 },
    { CP_OP_BIND, CP_MNT_RECURSIVE, "/usr", "/usr", 0, 0, 4 },
    { CP_OP_BIND, CP_MNT_OPTIONAL, "/etc/ssl/certs", "/etc/ssl/certs", 0, 0, 5 },
    { CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NODEV, "", "/tmp", 01777, 16 * FX_MiB, 6 },
    { CP_OP_WORKSPACE, CP_MNT_NOSUID | CP_MNT_NODEV, "", "/work", 0700, 256 * FX_MiB, 7 },
    { CP_OP_PROC, 0, "", "/proc", 0, 0, 8 },
    { CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NOEXEC, "", "/dev", 0755, 0, 9 },
    { CP_OP_DEVNODE, 0, "/dev/null", "/dev/null", 0, 0, 9 },
    { CP_OP_DEVNODE, CP_MNT_OPTIONAL, "/dev/fuse", "/dev/fuse", 0, 0, 9 },
    { CP_OP_DEVPTS, 0, "", "/dev/pts", 0, 0, 9 },
    { CP_OP_SYMLINK, 0, "/proc/self/fd", "/dev/fd", 0, 0, 9 },
    { CP_OP_PIVOT_ROOT, 0, "", "", 0, 0, 0 },
    { CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, "", "/usr", 0, 0, 4 },
    { CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOEXEC, "", "/", 0, 0, 0 },
    { CP_OP_MASK, 0, "", "/proc/kcore", 0, 0, 0 },
    { CP_OP_MASK, CP_MNT_OPTIONAL, "", "/etc/shadow", 0, 0, 11 },
    { CP_OP_CHDIR, 0, "", "/work", 0, 0, 3 },
};
static struct plan_egress fx_egress[] = {
    { CP_EGRESS_HOST, 0, 0, 6, 443, 443, "deb.example.org", {0}, 20, false },
    { CP_EGRESS_CIDR, 4, 24, 17, 53, 53, "", { 10, 1, 2, 0 }, 21, false },
    { CP_EGRESS_CIDR, 6, 32, 6, 8000, 8999, "", { 0x20, 0x01, 0x0d, 0xb8 }, 22, false },
};
static struct plan_sc_cond fx_conds[] = {
    { 0, CP_SC_EQ, 32, 0, 0, 1, 0xffffffffull },
    { 1, CP_SC_NE, 64, 0, 0, 7, UINT64_MAX },
    { 2, CP_SC_LT, 64, 0, 0, 4096, UINT64_MAX },
    { 3, CP_SC_LE, 32, 0, 0, 0x7fffffff, 0xffffffffull },
    { 4, CP_SC_GT, 64, 0, 0, 0, UINT64_MAX },
    { 5, CP_SC_GE, 64, 0, 0, 0x100000000ull, UINT64_MAX },
    { 2, CP_SC_MASKED_EQ, 64, 0, 0, 0x2, 0x3 },
    { 0, CP_SC_IN, 32, 0, 3, 0, 0xffffffffull },
    { 1, CP_SC_NOT_IN, 64, 3, 2, 0, UINT64_MAX },
};
static uint64_t fx_values[] = { 1, 2, 10, 5, 0xffffffffffull };
static struct plan_sc_rule fx_rules[] = {
    { "read", SECCOMP_RET_ALLOW, 0, 0, 40 },
    { "write", SECCOMP_RET_ALLOW, 0, 1, 41 },
    { "ioctl", SECCOMP_RET_ERRNO | 25, 1, 2, 42 },
    { "mmap", SECCOMP_RET_ALLOW, 3, 4, 43 },
    { "socket", SECCOMP_RET_ALLOW, 7, 1, 44 },
    { "fcntl", SECCOMP_RET_LOG, 8, 1, 45 },
    { "ptrace", SECCOMP_RET_TRAP, 0, 0, 46 },
    { "kexec_load", SECCOMP_RET_KILL_THREAD, 0, 0, 47 },
    { "open_by_handle_at", SECCOMP_RET_USER_NOTIF, 0, 0, 48 },
    { "openat", SECCOMP_RET_ERRNO | 38, 0, 0, 49 },
};
static struct plan_sc_program fx_programs[] = {
    { AUDIT_ARCH_X86_64, sizeof fx_prog_x86 / sizeof fx_prog_x86[0], fx_prog_x86 },
    { AUDIT_ARCH_AARCH64, sizeof fx_prog_arm / sizeof fx_prog_arm[0], fx_prog_arm },
};
static struct plan_secret fx_secrets[] = {
    { "deploy_key", "file:/run/secrets/deploy", "/run/cell/deploy_key", CP_SECRET_FILE, 60 },
    { "npm-token", "env:NPM_TOKEN", "NPM_TOKEN", CP_SECRET_ENV, 61 },
};

#define FX_N(a) (sizeof(a) / sizeof((a)[0]))

/* Every section present, every opcode and operator used. */
static inline struct plan fixture_plan(void)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "ci-job";
    p.meta.source = "ci-job.cell";
    p.meta.compiler = "cellc 0.1.0";
    p.meta.hostname = "builder";
    p.meta.backend = CP_BACKEND_VM;
    p.meta.packs = fx_packs; p.meta.n_packs = FX_N(fx_packs);
    p.meta.unsafe = fx_unsafe; p.meta.n_unsafe = FX_N(fx_unsafe);
    p.process.argv = fx_argv; p.process.argc = FX_N(fx_argv);
    p.process.env = fx_env; p.process.n_env = FX_N(fx_env);
    p.process.rlimits = fx_rlimits; p.process.n_rlimits = FX_N(fx_rlimits);
    p.process.pass_fds = fx_fds; p.process.n_pass_fds = FX_N(fx_fds);
    p.process.cwd = "/work";
    p.process.uid = 1000; p.process.gid = 1000; p.process.umask = 022;
    p.process.flags = CP_PROC_ALLOW_EXTRA_ARGS;
    p.process.capabilities = (1ull << 10) | (1ull << 40);
    p.fs.ops = fx_ops; p.fs.n_ops = FX_N(fx_ops);
    p.net.mode = CP_NET_EGRESS;
    p.net.egress = fx_egress; p.net.n_egress = FX_N(fx_egress);
    p.limits.memory = 512 * FX_MiB; p.limits.pids = 256; p.limits.wall_ms = 600000;
    p.limits.cpu_millis = 1500;
    p.limits.flags = CP_LIMIT_MEMORY_BEST_EFFORT | CP_LIMIT_PIDS_BEST_EFFORT | CP_LIMIT_CPU_BEST_EFFORT;
    p.seccomp.default_action = SECCOMP_RET_ERRNO | 38;
    p.seccomp.flags = CP_SC_ALLOW_X32 | CP_SC_ALLOW_I386;
    p.seccomp.rules = fx_rules; p.seccomp.n_rules = FX_N(fx_rules);
    p.seccomp.conds = fx_conds; p.seccomp.n_conds = FX_N(fx_conds);
    p.seccomp.values = fx_values; p.seccomp.n_values = FX_N(fx_values);
    p.seccomp.programs = fx_programs; p.seccomp.n_programs = FX_N(fx_programs);
    p.has_vm = true;
    p.vm.vcpus = 2; p.vm.flags = CP_VM_HAS_ROOTFS;
    p.vm.memory = 512 * FX_MiB; p.vm.initramfs_limit = 128 * FX_MiB;
    p.vm.kernel = "/var/lib/cellos/vmlinuz";
    p.vm.bootargs = "quiet loglevel=3";
    p.vm.rootfs = "/var/lib/cellos/rootfs.img";
    for (int i = 0; i < 32; i++) {
        p.vm.kernel_sha256[i] = (uint8_t)(0xa0 + i);
        p.vm.rootfs_sha256[i] = (uint8_t)(0x10 + i);
        p.events.signing_kid[i] = (uint8_t)(0xc0 + i);
    }
    p.has_gvisor = true;
    p.gvisor.platform = CP_GVISOR_SYSTRAP;
    p.events.source = "https://ci.example.org/cells";
    p.events.subject = "job 42";
    p.events.flags = CP_EV_HAS_KID;
    p.secrets.items = fx_secrets; p.secrets.n_items = FX_N(fx_secrets);
    return p;
}

/* The smallest valid plan: required sections only, empty arrays. */
static struct plan_mount_op fx_min_ops[] = {
    { CP_OP_ROOTFS, 0, "", "", 0755, 0, 0 },
    { CP_OP_PIVOT_ROOT, 0, "", "", 0, 0, 0 },
};
static const char *fx_min_argv[] = { "/bin/true" };
static inline struct plan fixture_min_plan(void)
{
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "min";
    p.meta.source = "min.cell";
    p.meta.compiler = "cellc 0.1.0";
    p.process.argv = fx_min_argv; p.process.argc = 1;
    p.process.cwd = "/";
    p.fs.ops = fx_min_ops; p.fs.n_ops = FX_N(fx_min_ops);
    p.seccomp.default_action = SECCOMP_RET_ALLOW;
    return p;
}

/* ---- comparison -------------------------------------------------------- */

static inline const char *fx_s(const char *s) { return s ? s : ""; }

#define FX_CMP(cond, ...) do { if (!(cond)) { snprintf(why, whylen, __VA_ARGS__); return false; } } while (0)
#define FX_STR(a, b, what) FX_CMP(strcmp(fx_s(a), fx_s(b)) == 0, "%s: \"%s\" != \"%s\"", what, fx_s(a), fx_s(b))
#define FX_INT(a, b, what) FX_CMP((uint64_t)(a) == (uint64_t)(b), "%s: %llu != %llu", what, \
                                  (unsigned long long)(a), (unsigned long long)(b))

/* True when a and b describe the same plan (header facts ignored). */
static inline bool plan_equal(const struct plan *a, const struct plan *b, char *why, size_t whylen)
{
    char w[96];
    FX_STR(a->meta.name, b->meta.name, "meta.name");
    FX_STR(a->meta.source, b->meta.source, "meta.source");
    FX_STR(a->meta.compiler, b->meta.compiler, "meta.compiler");
    FX_STR(a->meta.hostname, b->meta.hostname, "meta.hostname");
    FX_INT(a->meta.backend, b->meta.backend, "meta.backend");
    FX_INT(a->meta.n_packs, b->meta.n_packs, "meta.n_packs");
    for (size_t i = 0; i < a->meta.n_packs; i++) {
        snprintf(w, sizeof w, "meta.packs[%zu]", i);
        FX_STR(a->meta.packs[i], b->meta.packs[i], w);
    }
    FX_INT(a->meta.n_unsafe, b->meta.n_unsafe, "meta.n_unsafe");
    for (size_t i = 0; i < a->meta.n_unsafe; i++) {
        snprintf(w, sizeof w, "meta.unsafe[%zu]", i);
        FX_STR(a->meta.unsafe[i].kind, b->meta.unsafe[i].kind, w);
        FX_STR(a->meta.unsafe[i].subject, b->meta.unsafe[i].subject, w);
        FX_STR(a->meta.unsafe[i].reason, b->meta.unsafe[i].reason, w);
        FX_INT(a->meta.unsafe[i].line, b->meta.unsafe[i].line, w);
    }
    FX_INT(a->process.argc, b->process.argc, "process.argc");
    for (size_t i = 0; i < a->process.argc; i++) {
        snprintf(w, sizeof w, "process.argv[%zu]", i);
        FX_STR(a->process.argv[i], b->process.argv[i], w);
    }
    FX_INT(a->process.n_env, b->process.n_env, "process.n_env");
    for (size_t i = 0; i < a->process.n_env; i++) {
        snprintf(w, sizeof w, "process.env[%zu]", i);
        FX_STR(a->process.env[i].name, b->process.env[i].name, w);
        FX_STR(a->process.env[i].value, b->process.env[i].value, w);
        FX_INT(a->process.env[i].flags, b->process.env[i].flags, w);
    }
    FX_INT(a->process.n_rlimits, b->process.n_rlimits, "process.n_rlimits");
    for (size_t i = 0; i < a->process.n_rlimits; i++) {
        snprintf(w, sizeof w, "process.rlimits[%zu]", i);
        FX_INT(a->process.rlimits[i].resource, b->process.rlimits[i].resource, w);
        FX_INT(a->process.rlimits[i].soft, b->process.rlimits[i].soft, w);
        FX_INT(a->process.rlimits[i].hard, b->process.rlimits[i].hard, w);
    }
    FX_INT(a->process.n_pass_fds, b->process.n_pass_fds, "process.n_pass_fds");
    for (size_t i = 0; i < a->process.n_pass_fds; i++) {
        snprintf(w, sizeof w, "process.pass_fds[%zu]", i);
        FX_INT(a->process.pass_fds[i], b->process.pass_fds[i], w);
    }
    FX_STR(a->process.cwd, b->process.cwd, "process.cwd");
    FX_INT(a->process.uid, b->process.uid, "process.uid");
    FX_INT(a->process.gid, b->process.gid, "process.gid");
    FX_INT(a->process.umask, b->process.umask, "process.umask");
    FX_INT(a->process.flags, b->process.flags, "process.flags");
    FX_INT(a->process.capabilities, b->process.capabilities, "process.capabilities");
    FX_INT(a->fs.n_ops, b->fs.n_ops, "fs.n_ops");
    for (size_t i = 0; i < a->fs.n_ops; i++) {
        const struct plan_mount_op *x = &a->fs.ops[i], *y = &b->fs.ops[i];
        snprintf(w, sizeof w, "fs.ops[%zu]", i);
        FX_INT(x->opcode, y->opcode, w); FX_INT(x->flags, y->flags, w);
        FX_STR(x->src, y->src, w); FX_STR(x->dst, y->dst, w);
        FX_INT(x->mode, y->mode, w); FX_INT(x->size, y->size, w); FX_INT(x->line, y->line, w);
    }
    FX_INT(a->net.mode, b->net.mode, "net.mode");
    FX_INT(a->net.n_egress, b->net.n_egress, "net.n_egress");
    for (size_t i = 0; i < a->net.n_egress; i++) {
        const struct plan_egress *x = &a->net.egress[i], *y = &b->net.egress[i];
        snprintf(w, sizeof w, "net.egress[%zu]", i);
        FX_INT(x->kind, y->kind, w); FX_INT(x->family, y->family, w); FX_INT(x->prefix, y->prefix, w);
        FX_INT(x->proto, y->proto, w); FX_INT(x->port_lo, y->port_lo, w); FX_INT(x->port_hi, y->port_hi, w);
        FX_STR(x->host, y->host, w); FX_CMP(memcmp(x->addr, y->addr, 16) == 0, "%s: addr", w);
        FX_INT(x->line, y->line, w); FX_INT(x->any_name, y->any_name, w);
    }
    FX_INT(a->limits.memory, b->limits.memory, "limits.memory");
    FX_INT(a->limits.pids, b->limits.pids, "limits.pids");
    FX_INT(a->limits.wall_ms, b->limits.wall_ms, "limits.wall_ms");
    FX_INT(a->limits.cpu_millis, b->limits.cpu_millis, "limits.cpu_millis");
    FX_INT(a->limits.flags, b->limits.flags, "limits.flags");
    FX_INT(a->seccomp.default_action, b->seccomp.default_action, "seccomp.default_action");
    FX_INT(a->seccomp.flags, b->seccomp.flags, "seccomp.flags");
    FX_INT(a->seccomp.n_rules, b->seccomp.n_rules, "seccomp.n_rules");
    for (size_t i = 0; i < a->seccomp.n_rules; i++) {
        const struct plan_sc_rule *x = &a->seccomp.rules[i], *y = &b->seccomp.rules[i];
        snprintf(w, sizeof w, "seccomp.rules[%zu]", i);
        FX_STR(x->syscall, y->syscall, w); FX_INT(x->action, y->action, w);
        FX_INT(x->cond_first, y->cond_first, w); FX_INT(x->cond_count, y->cond_count, w);
        FX_INT(x->line, y->line, w);
    }
    FX_INT(a->seccomp.n_conds, b->seccomp.n_conds, "seccomp.n_conds");
    for (size_t i = 0; i < a->seccomp.n_conds; i++) {
        const struct plan_sc_cond *x = &a->seccomp.conds[i], *y = &b->seccomp.conds[i];
        snprintf(w, sizeof w, "seccomp.conds[%zu]", i);
        FX_INT(x->arg, y->arg, w); FX_INT(x->op, y->op, w); FX_INT(x->width, y->width, w);
        FX_INT(x->set_first, y->set_first, w); FX_INT(x->set_count, y->set_count, w);
        FX_INT(x->value, y->value, w); FX_INT(x->mask, y->mask, w);
    }
    FX_INT(a->seccomp.n_values, b->seccomp.n_values, "seccomp.n_values");
    for (size_t i = 0; i < a->seccomp.n_values; i++) {
        snprintf(w, sizeof w, "seccomp.values[%zu]", i);
        FX_INT(a->seccomp.values[i], b->seccomp.values[i], w);
    }
    FX_INT(a->seccomp.n_programs, b->seccomp.n_programs, "seccomp.n_programs");
    for (size_t i = 0; i < a->seccomp.n_programs; i++) {
        const struct plan_sc_program *x = &a->seccomp.programs[i], *y = &b->seccomp.programs[i];
        snprintf(w, sizeof w, "seccomp.programs[%zu]", i);
        FX_INT(x->audit_arch, y->audit_arch, w); FX_INT(x->insn_count, y->insn_count, w);
        FX_CMP(memcmp(x->insns, y->insns, x->insn_count * sizeof *x->insns) == 0, "%s: instructions", w);
    }
    FX_INT(a->has_vm, b->has_vm, "has_vm");
    if (a->has_vm) {
        FX_INT(a->vm.vcpus, b->vm.vcpus, "vm.vcpus"); FX_INT(a->vm.flags, b->vm.flags, "vm.flags");
        FX_INT(a->vm.memory, b->vm.memory, "vm.memory");
        FX_INT(a->vm.initramfs_limit, b->vm.initramfs_limit, "vm.initramfs_limit");
        FX_STR(a->vm.kernel, b->vm.kernel, "vm.kernel"); FX_STR(a->vm.bootargs, b->vm.bootargs, "vm.bootargs");
        FX_STR(a->vm.rootfs, b->vm.rootfs, "vm.rootfs");
        FX_CMP(memcmp(a->vm.kernel_sha256, b->vm.kernel_sha256, 32) == 0, "vm.kernel_sha256");
        FX_CMP(memcmp(a->vm.rootfs_sha256, b->vm.rootfs_sha256, 32) == 0, "vm.rootfs_sha256");
    }
    FX_INT(a->has_gvisor, b->has_gvisor, "has_gvisor");
    if (a->has_gvisor) {
        FX_INT(a->gvisor.platform, b->gvisor.platform, "gvisor.platform");
        FX_INT(a->gvisor.flags, b->gvisor.flags, "gvisor.flags");
    }
    FX_STR(a->events.source, b->events.source, "events.source");
    FX_STR(a->events.subject, b->events.subject, "events.subject");
    FX_INT(a->events.flags, b->events.flags, "events.flags");
    FX_CMP(memcmp(a->events.signing_kid, b->events.signing_kid, 32) == 0, "events.signing_kid");
    FX_INT(a->secrets.n_items, b->secrets.n_items, "secrets.n_items");
    for (size_t i = 0; i < a->secrets.n_items; i++) {
        const struct plan_secret *x = &a->secrets.items[i], *y = &b->secrets.items[i];
        snprintf(w, sizeof w, "secrets.items[%zu]", i);
        FX_STR(x->name, y->name, w); FX_STR(x->ref, y->ref, w); FX_STR(x->target, y->target, w);
        FX_INT(x->delivery, y->delivery, w); FX_INT(x->line, y->line, w);
    }
    return true;
}

#endif
