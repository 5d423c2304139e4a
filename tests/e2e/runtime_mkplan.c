/*
 * runtime_mkplan.c - test helper: write a cell plan built in C with
 * plan_write(), for the runtime tests (tests/e2e/runtime_*.t) while they do
 * not depend on the policy compiler.
 *
 *   runtime_mkplan OUT [options] -- ARGV...
 *
 * The default plan is the layout of a typical CI cell: a tmpfs root with
 * /usr, /etc read-only (nosuid, nodev), merged-/usr symlinks, a fresh
 * /proc, a minimal /dev, /tmp, a workspace at /work (the cwd), / remounted
 * read-only after pivot_root, the usual /proc masks, no capabilities, no
 * network (lo down), and a seccomp filter in the spirit of the default
 * policy (x86_64 only; x32 and foreign arches killed; namespace, mount,
 * keyring, bpf, perf, ptrace, io_uring, userfaultfd, handle and module
 * calls, TIOCSTI and clone(CLONE_NEWUSER) refused with EPERM).
 *
 * options (any order, before --):
 *   --memory N --pids N --wall MS --cpu MILLIS      limits
 *   --best-effort memory|pids|cpu                   mark a limit best-effort
 *   --net none|loopback|egress                      network mode
 *   --rlimit RES:SOFT:HARD                          RES a number
 *   --env NAME=VALUE  --pass NAME                   environment
 *   --cap N  --uid N  --gid N  --cwd PATH  --umask N
 *   --pass-fd N  --extra-args  --hostname H  --name N
 *   --landlock-required                             the plan's LANDLOCK_REQUIRED flag
 *   --ro PATH[:DST]  --rw PATH[:DST]  --rbind PATH[:DST]   binds (--rw: writable)
 *   --op CODE:FLAGS:SRC:DST:MODE:SIZE               an extra op before pivot_root
 *   --post-op CODE:FLAGS:SRC:DST                    an extra op after pivot_root
 *   --secret NAME:REF:env|file:TARGET
 *   --seccomp default|strict|allow|none|notify      filter (none: no program at all;
 *                                                   strict: an allowlist, kill-process)
 *   --bare                                          only rootfs, pivot_root (no layout)
 *   --no-chdir                                      no CHDIR op (process cwd used)
 *   --kid HEX                                        require events signed by this key id
 *   --sign KEYFILE                                   append a signature trailer (plan_sign)
 */
#include "plan.h"
#include "compiler/plan/plan_writer.h"
#include "compiler/plan/plan_sign.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXN 256

static struct plan_mount_op ops[MAXN], post[MAXN];
static size_t n_ops, n_post;
static struct plan_env envs[MAXN];
static size_t n_env;
static struct plan_rlimit rlims[MAXN];
static size_t n_rl;
static uint32_t pfds[MAXN];
static size_t n_pfds;
static struct plan_secret secrets[MAXN];
static size_t n_secrets;
static struct cp_bpf_insn insns[512];
static size_t n_insns;

static void die(const char *m, const char *a)
{
    fprintf(stderr, "runtime_mkplan: %s%s%s\n", m, a ? ": " : "", a ? a : "");
    exit(2);
}

static void add(struct plan_mount_op *arr, size_t *n, uint16_t code, uint16_t flags,
                const char *src, const char *dst, uint32_t mode, uint64_t size)
{
    if (*n >= MAXN)
        die("too many ops", NULL);
    arr[*n] = (struct plan_mount_op){ .opcode = code, .flags = flags, .src = src, .dst = dst,
                                      .mode = mode, .size = size };
    (*n)++;
}

static void insn(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    insns[n_insns++] = (struct cp_bpf_insn){ code, jt, jf, k };
}

/* The default-policy-like filter. Layout (indices):
 *   0 ld arch; 1 jeq x86_64; 2 ret kill; 3 ld nr; 4 jge x32 base; 5 ret kill;
 *   6.. one jeq per denied syscall -> EPERM;
 *   A jeq ioctl; A+1 ld args[1]; A+2 jeq TIOCSTI -> EPERM; A+3 ld nr;
 *   B jeq clone; B+1 ld args[0]; B+2 jset namespace flags -> EPERM : ALLOW;
 *   C jeq clone3; C+1 ret ENOSYS; C+2 ret ALLOW; C+3 ret EPERM. */
static void default_filter(void)
{
    static const int deny[] = {
        SYS_ptrace, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_unshare, SYS_setns, SYS_keyctl,
        SYS_add_key, SYS_request_key, SYS_bpf, SYS_perf_event_open, SYS_userfaultfd,
        SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_open_by_handle_at,
        SYS_name_to_handle_at, SYS_kexec_load, SYS_kexec_file_load, SYS_init_module,
        SYS_finit_module, SYS_delete_module, SYS_reboot, SYS_swapon, SYS_swapoff, SYS_chroot,
        SYS_acct, SYS_settimeofday, SYS_clock_settime, SYS_syslog, SYS_fsopen, SYS_fsmount,
        SYS_fsconfig, SYS_move_mount, SYS_open_tree, SYS_fspick, SYS_mount_setattr,
        SYS_process_vm_readv, SYS_process_vm_writev, SYS_quotactl, SYS_vhangup, SYS_iopl,
        SYS_ioperm, SYS_modify_ldt, SYS_uselib, SYS_lookup_dcookie, SYS_personality,
        SYS_mknod, SYS_mknodat, SYS_kcmp, SYS_setdomainname, SYS_sethostname,
    };
    const size_t nd = sizeof deny / sizeof *deny;
    const size_t A = 6 + nd, B = A + 4, C = B + 3, ALLOW = C + 2, EPERM_AT = C + 3;
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 4);
    insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
    insn(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000u);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    for (size_t i = 0; i < nd; i++)
        insn(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(EPERM_AT - (6 + i) - 1), 0, (uint32_t)deny[i]);
    insn(BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(B - A - 1), SYS_ioctl);
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 24);
    insn(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(EPERM_AT - (A + 2) - 1), 0, 0x5412);
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
    insn(BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(C - B - 1), SYS_clone);
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 16);
    insn(BPF_JMP | BPF_JSET | BPF_K, (uint8_t)(EPERM_AT - (B + 2) - 1), (uint8_t)(ALLOW - (B + 2) - 1),
         CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWUTS);
    insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_clone3);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 38);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 1);
}

/* An allowlist filter, default kill-process: only what a dynamically linked
 * /bin/true needs, plus write and execve (the cell's own last two calls). */
static void strict_filter(void)
{
    static const int allow[] = {
        SYS_write, SYS_execve, SYS_exit_group, SYS_exit, SYS_brk, SYS_mmap, SYS_mprotect,
        SYS_munmap, SYS_arch_prctl, SYS_set_tid_address, SYS_set_robust_list, SYS_rseq,
        SYS_prlimit64, SYS_access, SYS_openat, SYS_newfstatat, SYS_fstat, SYS_read, SYS_close,
        SYS_pread64, SYS_getrandom,
    };
    const size_t na = sizeof allow / sizeof *allow;
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 4);
    insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
    for (size_t i = 0; i < na; i++)
        insn(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(na - i), 0, (uint32_t)allow[i]);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

static char *dup_part(char **s)
{
    char *p = *s, *c = strchr(p, ':');
    if (c) {
        *c = 0;
        *s = c + 1;
    } else {
        *s = p + strlen(p);
    }
    return p;
}

static void bind(const char *spec, bool ro, bool rec)
{
    char *s = strdup(spec), *src = dup_part(&s), *dst = *s ? s : src;
    add(ops, &n_ops, CP_OP_BIND, rec ? CP_MNT_RECURSIVE : 0, src, dst, 0, 0);
    if (ro)
        add(ops, &n_ops, CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, "", dst, 0, 0);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: runtime_mkplan OUT [options] -- ARGV...", NULL);
    struct plan p;
    memset(&p, 0, sizeof p);
    const char *out = argv[1];
    const char *seccomp = "default", *cwd = "/work";
    bool bare = false, chdir_op = true;
    const char *sign_key = NULL;
    p.meta.name = "test-cell";
    p.meta.source = "test.cell";
    p.meta.compiler = "cellc 0.0-test";
    p.meta.hostname = "";
    p.process.umask = 022;
    p.process.uid = 0;
    p.process.gid = 0;
    int i;
    for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG() do { if (!v) die("missing value for", a); i++; } while (0)
        if (!strcmp(a, "--memory")) { ARG(); p.limits.memory = strtoull(v, 0, 0); }
        else if (!strcmp(a, "--pids")) { ARG(); p.limits.pids = strtoull(v, 0, 0); }
        else if (!strcmp(a, "--wall")) { ARG(); p.limits.wall_ms = strtoull(v, 0, 0); }
        else if (!strcmp(a, "--cpu")) { ARG(); p.limits.cpu_millis = (uint32_t)strtoul(v, 0, 0); }
        else if (!strcmp(a, "--best-effort")) {
            ARG();
            p.limits.flags |= !strcmp(v, "memory") ? CP_LIMIT_MEMORY_BEST_EFFORT
                            : !strcmp(v, "pids") ? CP_LIMIT_PIDS_BEST_EFFORT : CP_LIMIT_CPU_BEST_EFFORT;
        }
        else if (!strcmp(a, "--net")) {
            ARG();
            p.net.mode = !strcmp(v, "loopback") ? CP_NET_LOOPBACK : !strcmp(v, "egress") ? CP_NET_EGRESS : CP_NET_NONE;
        }
        else if (!strcmp(a, "--rlimit")) {
            ARG();
            char *s0 = strdup(v), *s = s0;
            rlims[n_rl].resource = (uint32_t)strtoul(dup_part(&s), 0, 0);
            rlims[n_rl].soft = strtoull(dup_part(&s), 0, 0);
            rlims[n_rl].hard = strtoull(dup_part(&s), 0, 0);
            n_rl++;
            free(s0);
        }
        else if (!strcmp(a, "--env")) {
            ARG();
            char *s = strdup(v), *eq = strchr(s, '=');
            if (!eq) die("--env wants NAME=VALUE", v);
            *eq = 0;
            envs[n_env++] = (struct plan_env){ .name = s, .value = eq + 1 };
        }
        else if (!strcmp(a, "--pass")) { ARG(); envs[n_env++] = (struct plan_env){ .name = v, .value = "", .flags = CP_ENV_PASS }; }
        else if (!strcmp(a, "--cap")) { ARG(); p.process.capabilities |= 1ull << strtoul(v, 0, 0); }
        else if (!strcmp(a, "--uid")) { ARG(); p.process.uid = (uint32_t)strtoul(v, 0, 0); }
        else if (!strcmp(a, "--gid")) { ARG(); p.process.gid = (uint32_t)strtoul(v, 0, 0); }
        else if (!strcmp(a, "--umask")) { ARG(); p.process.umask = (uint32_t)strtoul(v, 0, 8); }
        else if (!strcmp(a, "--cwd")) { ARG(); cwd = v; }
        else if (!strcmp(a, "--pass-fd")) { ARG(); pfds[n_pfds++] = (uint32_t)strtoul(v, 0, 0); }
        else if (!strcmp(a, "--extra-args")) { p.process.flags |= CP_PROC_ALLOW_EXTRA_ARGS; }
        else if (!strcmp(a, "--landlock-required")) { p.process.flags |= CP_PROC_LANDLOCK_REQUIRED; }
        else if (!strcmp(a, "--hostname")) { ARG(); p.meta.hostname = v; }
        else if (!strcmp(a, "--name")) { ARG(); p.meta.name = v; }
        else if (!strcmp(a, "--ro")) { ARG(); bind(v, true, false); }
        else if (!strcmp(a, "--rw")) { ARG(); bind(v, false, false); }
        else if (!strcmp(a, "--rbind")) { ARG(); bind(v, true, true); }
        else if (!strcmp(a, "--op") || !strcmp(a, "--post-op")) {
            ARG();
            char *s = strdup(v);
            uint16_t code = (uint16_t)strtoul(dup_part(&s), 0, 0);
            uint16_t fl = (uint16_t)strtoul(dup_part(&s), 0, 0);
            char *src = dup_part(&s), *dst = dup_part(&s);
            uint32_t mode = (uint32_t)strtoul(dup_part(&s), 0, 8);
            uint64_t size = strtoull(dup_part(&s), 0, 0);
            if (!strcmp(a, "--op"))
                add(ops, &n_ops, code, fl, src, dst, mode, size);
            else
                add(post, &n_post, code, fl, src, dst, mode, size);
        }
        else if (!strcmp(a, "--secret")) {
            ARG();
            char *s = strdup(v);
            struct plan_secret *x = &secrets[n_secrets++];
            x->name = dup_part(&s);
            char *kind = dup_part(&s);          /* env or file (of the ref) */
            char *ref = dup_part(&s);
            char *buf = malloc(strlen(kind) + strlen(ref) + 2);
            sprintf(buf, "%s:%s", kind, ref);
            x->ref = buf;
            char *del = dup_part(&s);
            x->delivery = !strcmp(del, "env") ? CP_SECRET_ENV : CP_SECRET_FILE;
            x->target = dup_part(&s);
        }
        else if (!strcmp(a, "--seccomp")) { ARG(); seccomp = v; }
        else if (!strcmp(a, "--bare")) { bare = true; }
        else if (!strcmp(a, "--no-chdir")) { chdir_op = false; }
        else if (!strcmp(a, "--sign")) { ARG(); sign_key = v; }
        else if (!strcmp(a, "--kid")) {
            ARG();
            for (int k = 0; k < 32; k++) sscanf(v + 2 * k, "%2hhx", &p.events.signing_kid[k]);
            p.events.flags |= CP_EV_HAS_KID;
        }
        else die("unknown option", a);
    }
    if (i >= argc - 1)
        die("no argv after --", NULL);
    p.process.argv = (const char **)(argv + i + 1);
    p.process.argc = (size_t)(argc - i - 1);
    p.process.cwd = cwd;
    p.process.env = envs;
    p.process.n_env = n_env;
    /* the writer wants env sorted by name */
    for (size_t a = 0; a < n_env; a++)
        for (size_t b = a + 1; b < n_env; b++)
            if (strcmp(envs[a].name, envs[b].name) > 0) {
                struct plan_env t = envs[a]; envs[a] = envs[b]; envs[b] = t;
            }
    p.process.rlimits = rlims;
    p.process.n_rlimits = n_rl;
    p.process.pass_fds = pfds;
    p.process.n_pass_fds = n_pfds;
    p.secrets.items = secrets;
    p.secrets.n_items = n_secrets;

    /* assemble the program: rootfs, layout, user ops, pivot, post ops, chdir */
    static struct plan_mount_op prog[4 * MAXN];
    size_t n = 0;
    struct plan_mount_op user[MAXN];
    memcpy(user, ops, sizeof ops);
    size_t n_user = n_ops;
    n_ops = 0;
    add(ops, &n_ops, CP_OP_ROOTFS, 0, "", "", 0755, 64u << 20);
    if (!bare) {
        add(ops, &n_ops, CP_OP_BIND, 0, "/usr", "/usr", 0, 0);
        add(ops, &n_ops, CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, "", "/usr", 0, 0);
        add(ops, &n_ops, CP_OP_BIND, 0, "/etc", "/etc", 0, 0);
        add(ops, &n_ops, CP_OP_REMOUNT, CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC, "", "/etc", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "usr/bin", "/bin", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "usr/sbin", "/sbin", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "usr/lib", "/lib", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "usr/lib64", "/lib64", 0, 0);
        add(ops, &n_ops, CP_OP_PROC, 0, "", "/proc", 0, 0);
        add(ops, &n_ops, CP_OP_TMPFS, CP_MNT_NOSUID, "", "/dev", 0755, 1u << 20);
        static const char *const devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
        static char paths[6][2][32];
        for (int d = 0; d < 6; d++) {
            snprintf(paths[d][0], 32, "/dev/%s", devs[d]);
            snprintf(paths[d][1], 32, "/dev/%s", devs[d]);
            add(ops, &n_ops, CP_OP_DEVNODE, 0, paths[d][0], paths[d][1], 0, 0);
        }
        add(ops, &n_ops, CP_OP_DEVPTS, 0, "", "/dev/pts", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "pts/ptmx", "/dev/ptmx", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "/proc/self/fd", "/dev/fd", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "/proc/self/fd/0", "/dev/stdin", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "/proc/self/fd/1", "/dev/stdout", 0, 0);
        add(ops, &n_ops, CP_OP_SYMLINK, 0, "/proc/self/fd/2", "/dev/stderr", 0, 0);
        add(ops, &n_ops, CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC, "", "/dev/shm", 01777, 16u << 20);
        add(ops, &n_ops, CP_OP_TMPFS, CP_MNT_NOSUID | CP_MNT_NODEV, "", "/tmp", 01777, 64u << 20);
        add(ops, &n_ops, CP_OP_WORKSPACE, CP_MNT_NOSUID | CP_MNT_NODEV, "", "/work", 0755, 64u << 20);
    }
    for (size_t k = 0; k < n_user; k++)
        ops[n_ops++] = user[k];
    memcpy(prog, ops, n_ops * sizeof *ops);
    n = n_ops;
    prog[n++] = (struct plan_mount_op){ .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" };
    if (!bare) {
        prog[n++] = (struct plan_mount_op){ .opcode = CP_OP_REMOUNT, .flags = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, .src = "", .dst = "/" };
        static const char *const masks[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sysrq-trigger", "/proc/acpi", "/proc/scsi", "/sys/firmware",
                                             "/proc/kpagecgroup", "/proc/kpagecount", "/proc/kpageflags", "/proc/pagetypeinfo", "/proc/slabinfo", "/proc/tty/driver", "/proc/vmallocinfo" };
        for (size_t k = 0; k < sizeof masks / sizeof *masks; k++)
            prog[n++] = (struct plan_mount_op){ .opcode = CP_OP_MASK, .flags = CP_MNT_OPTIONAL, .src = "", .dst = masks[k] };
        prog[n++] = (struct plan_mount_op){ .opcode = CP_OP_REMOUNT, .flags = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV | CP_MNT_NOEXEC, .src = "", .dst = "/proc/sys" };
    }
    for (size_t k = 0; k < n_post; k++)
        prog[n++] = post[k];
    if (chdir_op)
        prog[n++] = (struct plan_mount_op){ .opcode = CP_OP_CHDIR, .src = "", .dst = cwd };
    p.fs.ops = prog;
    p.fs.n_ops = n;

    if (p.net.mode == CP_NET_EGRESS) {
        static struct plan_egress eg = { .kind = CP_EGRESS_CIDR, .family = 4, .prefix = 8,
                                         .proto = 6, .port_lo = 443, .port_hi = 443, .host = "",
                                         .addr = { 10 }, .line = 1 };
        p.net.egress = &eg;
        p.net.n_egress = 1;
    }
    /* seccomp */
    p.seccomp.default_action = SECCOMP_RET_ALLOW;
    static struct plan_sc_program progs[1];
    static struct plan_sc_rule rule;
    if (!strcmp(seccomp, "default")) {
        default_filter();
    } else if (!strcmp(seccomp, "strict")) {
        strict_filter();
        p.seccomp.default_action = SECCOMP_RET_KILL_PROCESS;
    } else if (!strcmp(seccomp, "allow") || !strcmp(seccomp, "notify")) {
        insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
        if (!strcmp(seccomp, "notify")) {
            rule = (struct plan_sc_rule){ .syscall = "getpid", .action = SECCOMP_RET_USER_NOTIF, .line = 1 };
            p.seccomp.rules = &rule;
            p.seccomp.n_rules = 1;
        }
    }
    if (n_insns) {
        progs[0] = (struct plan_sc_program){ .audit_arch = AUDIT_ARCH_X86_64, .insn_count = (uint32_t)n_insns, .insns = insns };
        p.seccomp.programs = progs;
        p.seccomp.n_programs = 1;
    }

    uint8_t *buf;
    size_t len;
    char err[512];
    if (plan_write(&p, &buf, &len, err, sizeof err) < 0)
        die(err, NULL);
    if (sign_key) {
        struct cell_error ce;
        if (plan_sign_with_key_file(&buf, &len, sign_key, &ce) < 0)
            die(ce.msg, NULL);
    }
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) < 0)
        die("cannot write", out);
    free(buf);
    return 0;
}
