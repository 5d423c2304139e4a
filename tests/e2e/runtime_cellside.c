/*
 * runtime_cellside.c - a stand-alone driver of the cell side, linked
 * statically from CELL_SIDE_SRC alone (no libsodium, libseccomp, plan
 * reader, events or supervisor): what a VM guest init does. It builds a
 * small plan in C, becomes PID 1 of new namespaces, runs cell_run_steps()
 * with its own report sink (one text line per record on stdout, as a serial
 * port would carry them) and exits with the workload's status.
 *
 *   runtime_cellside PROGRAM [ARG...]     (as root)
 */
#include "runtime/cell/cell_side.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* a custom sink: text lines, as a guest could send over a serial port */
static int line_emit(struct cell_report *self, const struct cell_step_record *r)
{
    (void)self;
    printf("record %s %u %u %d %u\n", cell_step_name(r->step), r->result, r->op_index, r->err, r->detail);
    return fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    static struct plan_mount_op ops[] = {
        { .opcode = CP_OP_ROOTFS, .src = "", .dst = "", .mode = 0755, .size = 1 << 20 },
        { .opcode = CP_OP_BIND, .src = "/usr", .dst = "/usr" },
        { .opcode = CP_OP_REMOUNT, .flags = CP_MNT_RDONLY | CP_MNT_NOSUID | CP_MNT_NODEV, .src = "", .dst = "/usr" },
        { .opcode = CP_OP_SYMLINK, .src = "usr/bin", .dst = "/bin" },
        { .opcode = CP_OP_SYMLINK, .src = "usr/lib", .dst = "/lib" },
        { .opcode = CP_OP_SYMLINK, .src = "usr/lib64", .dst = "/lib64" },
        { .opcode = CP_OP_PROC, .src = "", .dst = "/proc" },
        { .opcode = CP_OP_WORKSPACE, .src = "", .dst = "/work", .mode = 0755, .size = 1 << 20 },
        { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
        { .opcode = CP_OP_REMOUNT, .flags = CP_MNT_RDONLY, .src = "", .dst = "/" },
        { .opcode = CP_OP_CHDIR, .src = "", .dst = "/work" },
    };
    static struct cp_bpf_insn allow[] = { { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW } };
    static struct plan_sc_program prog = { .audit_arch = AUDIT_ARCH_X86_64, .insn_count = 1, .insns = allow };
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "guest";
    p.meta.hostname = "";
    p.process.argv = (const char **)(argv + 1);
    p.process.argc = (size_t)(argc - 1);
    p.process.cwd = "/work";
    p.process.uid = 1000;
    p.process.gid = 1000;
    p.fs.ops = ops;
    p.fs.n_ops = sizeof ops / sizeof *ops;
    p.net.mode = CP_NET_LOOPBACK;
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
    pid_t pid = fork();         /* the first child is PID 1 of the new pid ns */
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
