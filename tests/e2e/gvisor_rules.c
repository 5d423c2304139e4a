/*
 * gvisor_rules.c - test helper: give a plan written by runtime_mkplan (whose
 * seccomp section holds only a hand-written BPF program) the normalised
 * rule list that says the same, so the gvisor backend (which enforces the
 * rules, after checking them against the program) can run it.
 *
 *   gvisor_rules PLAN [--prefer gvisor] [--platform auto|ptrace|kvm|systrap]
 *
 * rewrites PLAN in place; --prefer sets the plan's preferred backend,
 * --platform adds a gvisor section.
 *
 * The rules mirror runtime_mkplan's default filter: its deny list with
 * EPERM, ioctl(TIOCSTI) EPERM (on the low word, as the program compares),
 * clone allowed unless it asks for a namespace, clone3 ENOSYS, everything
 * else allowed. A plan with the "allow" filter (no rules) is left as it is.
 * cellrun checks the result against the program: a wrong rule here makes
 * the gvisor tests fail, never pass.
 */
#include "plan.h"
#include "compiler/plan/plan_writer.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const deny[] = {
    "ptrace", "mount", "umount2", "pivot_root", "unshare", "setns", "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "chroot", "acct", "settimeofday",
    "clock_settime", "syslog", "fsopen", "fsmount", "fsconfig", "move_mount", "open_tree", "fspick",
    "mount_setattr", "process_vm_readv", "process_vm_writev", "quotactl", "vhangup", "iopl", "ioperm",
    "modify_ldt", "uselib", "lookup_dcookie", "personality", "mknod", "mknodat", "kcmp",
    "setdomainname", "sethostname",
};

static int save(struct plan *p, const char *path)
{
    uint8_t *buf;
    size_t len;
    char err[512];
    if (plan_write(p, &buf, &len, err, sizeof err) < 0) {
        fprintf(stderr, "gvisor_rules: %s\n", err);
        return 1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len || close(fd) < 0 || rename(tmp, path) < 0) {
        perror("gvisor_rules");
        free(buf);
        return 1;
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gvisor_rules PLAN [--prefer gvisor] [--platform NAME]\n");
        return 2;
    }
    int prefer = -1, platform = -1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--prefer"))
            prefer = !strcmp(argv[i + 1], "gvisor") ? CP_BACKEND_GVISOR
                   : !strcmp(argv[i + 1], "vm") ? CP_BACKEND_VM : CP_BACKEND_NATIVE;
        else if (!strcmp(argv[i], "--platform"))
            platform = !strcmp(argv[i + 1], "ptrace") ? CP_GVISOR_PTRACE
                     : !strcmp(argv[i + 1], "kvm") ? CP_GVISOR_KVM
                     : !strcmp(argv[i + 1], "systrap") ? CP_GVISOR_SYSTRAP : CP_GVISOR_AUTO;
    }
    struct plan *p;
    struct plan_error pe;
    if (plan_read_file(argv[1], &p, &pe) < 0) {
        char buf[700];
        plan_error_format(&pe, argv[1], buf, sizeof buf);
        fprintf(stderr, "gvisor_rules: %s\n", buf);
        return 1;
    }
    if (prefer >= 0)
        p->meta.backend = (uint32_t)prefer;
    if (platform >= 0) {
        p->has_gvisor = true;
        p->gvisor.platform = (uint32_t)platform;
    }
    /* the allow filter is a single `ret ALLOW`: its rule list (none) matches */
    if (p->seccomp.n_programs == 1 && p->seccomp.programs[0].insn_count == 1) {
        int rc = save(p, argv[1]);
        plan_free(p);
        return rc;
    }
    const size_t nd = sizeof deny / sizeof *deny;
    struct plan_sc_rule *rules = calloc(nd + 4, sizeof *rules);
    struct plan_sc_cond *conds = calloc(2, sizeof *conds);
    if (!rules || !conds)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < nd; i++)
        rules[n++] = (struct plan_sc_rule){ .syscall = deny[i], .action = SECCOMP_RET_ERRNO | 1, .line = 1 };
    conds[0] = (struct plan_sc_cond){ .arg = 1, .op = CP_SC_EQ, .width = 32, .value = 0x5412,
                                      .mask = 0xffffffffull };
    rules[n++] = (struct plan_sc_rule){ .syscall = "ioctl", .action = SECCOMP_RET_ERRNO | 1,
                                        .cond_first = 0, .cond_count = 1, .line = 2 };
    conds[1] = (struct plan_sc_cond){ .arg = 0, .op = CP_SC_MASKED_EQ, .width = 32, .value = 0,
                                      .mask = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                                              CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWUTS };
    rules[n++] = (struct plan_sc_rule){ .syscall = "clone", .action = SECCOMP_RET_ALLOW,
                                        .cond_first = 1, .cond_count = 1, .line = 3 };
    rules[n++] = (struct plan_sc_rule){ .syscall = "clone", .action = SECCOMP_RET_ERRNO | 1, .line = 4 };
    rules[n++] = (struct plan_sc_rule){ .syscall = "clone3", .action = SECCOMP_RET_ERRNO | 38, .line = 5 };
    p->seccomp.rules = rules;
    p->seccomp.n_rules = n;
    p->seccomp.conds = conds;
    p->seccomp.n_conds = 2;
    p->seccomp.default_action = SECCOMP_RET_ALLOW;

    int rc = save(p, argv[1]);
    free(rules);
    free(conds);
    plan_free(p);
    return rc;
}
