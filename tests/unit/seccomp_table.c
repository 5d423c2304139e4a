/*
 * seccomp_table.c - the syscall table, groups and danger list.
 *
 * Checks the generated table's invariants (sorted, unique, sane widths),
 * its agreement with the libseccomp on this machine, the hand-reviewed
 * argument widths of the syscalls policies filter most, the group
 * invariants documented in compiler/seccomp/syscall_groups.c and the danger list.
 */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>

#include "tap.h"
#include "compiler/seccomp/syscall_table.h"

static const char *const everyday_groups[] = {
    "@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc",
    "@memlock", "@network-io", "@pkey", "@process", "@resources", "@sandbox", "@setuid",
    "@signal", "@sync", "@system-service", "@timer", NULL
};
static const char *const building_blocks[] = {
    "@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug", "@default",
    "@file-system", "@io-event", "@io-uring", "@ipc", "@keyring", "@memlock", "@module",
    "@mount", "@network-io", "@pkey", "@process", "@raw-io", "@reboot", "@resources",
    "@setuid", "@signal", "@swap", "@sync", "@timer", NULL
};

static void check_table(void)
{
    size_t n = 0;
    int sorted = 1, sane = 1, lookup = 1;
    const struct sc_syscall *prev = NULL, *s;
    for (size_t i = 0; (s = sc_at(i)); i++, n++) {
        if (prev && strcmp(prev->name, s->name) >= 0) {
            sorted = 0;
            diag("not sorted/unique at %s", s->name);
        }
        if (sc_lookup(s->name) != s)
            lookup = 0;
        if (s->nargs > 6 || (s->nr[0] < 0 && s->nr[1] < 0))
            sane = 0;
        for (int a = 0; a < s->nargs; a++) {
            if ((s->args[a].width != 32 && s->args[a].width != 64) || !s->args[a].name ||
                !s->args[a].name[0] || sc_arg_index(s, s->args[a].name) != a) {
                sane = 0;
                diag("bad argument %d of %s", a, s->name);
            }
        }
        prev = s;
    }
    ok(n > 300, "table has %zu syscalls", n);
    ok(sorted, "table is sorted by name, names unique");
    ok(lookup, "sc_lookup finds every entry");
    ok(sane, "every entry has <= 6 named args of width 32/64 and a number on some arch");
    ok(sc_lookup("no_such_syscall") == NULL && sc_lookup(NULL) == NULL, "unknown names are NULL");
}

static void check_numbers(void)
{
    static const uint32_t tok[SC_ARCH_COUNT] = { SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 };
    int agree = 1, roundtrip = 1;
    const struct sc_syscall *s;
    for (size_t i = 0; (s = sc_at(i)); i++) {
        for (int a = 0; a < SC_ARCH_COUNT; a++) {
            int lib = seccomp_syscall_resolve_name_arch(tok[a], s->name);
            if (lib < 0)
                lib = -1;
            if (lib != s->nr[a]) {
                agree = 0;
                diag("%s on %s: table %d, libseccomp %d", s->name, sc_arch_name(a), s->nr[a], lib);
            }
            if (s->nr[a] >= 0 && sc_by_number(a, s->nr[a]) != s)
                roundtrip = 0;
        }
    }
    ok(agree, "numbers agree with this machine's libseccomp on x86_64 and aarch64");
    ok(roundtrip, "sc_by_number inverts the numbers");
    int missing = 0;
    for (int a = 0; a < SC_ARCH_COUNT; a++)
        for (int nr = 0; nr < 1024; nr++) {
            char *name = seccomp_syscall_resolve_num_arch(tok[a], nr);
            if (name && !sc_by_number(a, nr)) {
                missing++;
                diag("note: libseccomp here knows %s/%d (%s); `make syscall-table` would add it",
                     sc_arch_name(a), nr, name);
            }
            free(name);
        }
    if (missing)
        diag("%d syscalls known to this libseccomp but not to the checked-in table", missing);
    ok(sc_by_number(SC_ARCH_X86_64, -1) == NULL && sc_by_number(SC_ARCH_X86_64, 100000) == NULL &&
       sc_by_number(SC_ARCH_COUNT, 0) == NULL, "out-of-range numbers and arches are NULL");
    is_int(sc_by_number(SC_ARCH_X86_64, 0) ? 1 : 0, 1, "x86_64 nr 0 known");
    is_str(sc_by_number(SC_ARCH_X86_64, 0)->name, "read", "x86_64 nr 0 is read");
    is_str(sc_by_number(SC_ARCH_AARCH64, 63)->name, "read", "aarch64 nr 63 is read");
    is_int(sc_lookup("open")->nr[SC_ARCH_AARCH64], -1, "aarch64 has no open");
    is_int(sc_arch_audit(SC_ARCH_X86_64), AUDIT_ARCH_X86_64, "x86_64 audit arch");
    is_int(sc_arch_audit(SC_ARCH_AARCH64), AUDIT_ARCH_AARCH64, "aarch64 audit arch");
    is_str(sc_arch_name(SC_ARCH_AARCH64), "aarch64", "arch name");
}

/* Widths reviewed by hand against the kernel's SYSCALL_DEFINEs. */
static void check_widths(void)
{
    static const struct { const char *sys, *arg; int idx, width; } w[] = {
        { "ioctl", "fd", 0, 32 },          { "ioctl", "request", 1, 32 },
        { "ioctl", "arg", 2, 64 },         { "clone", "flags", 0, 32 },
        { "clone", "stack", 1, 64 },       { "clone3", "size", 1, 64 },
        { "socket", "domain", 0, 32 },     { "socket", "type", 1, 32 },
        { "socket", "protocol", 2, 32 },   { "personality", "persona", 0, 32 },
        { "mmap", "prot", 2, 64 },         { "mmap", "flags", 3, 64 },
        { "mmap", "fd", 4, 32 },           { "mmap", "offset", 5, 64 },
        { "mprotect", "prot", 2, 64 },     { "unshare", "flags", 0, 64 },
        { "setns", "nstype", 1, 32 },      { "prctl", "option", 0, 32 },
        { "prctl", "arg2", 1, 64 },        { "kill", "pid", 0, 32 },
        { "kill", "sig", 1, 32 },          { "open", "flags", 1, 32 },
        { "openat", "dirfd", 0, 32 },      { "openat", "flags", 2, 32 },
        { "read", "count", 2, 64 },        { "write", "fd", 0, 32 },
        { "futex", "futex_op", 1, 32 },    { "ptrace", "request", 0, 64 },
        { "ptrace", "pid", 1, 32 },        { "fcntl", "cmd", 1, 32 },
        { "fcntl", "arg", 2, 64 },         { "setsockopt", "level", 1, 32 },
        { "setsockopt", "optname", 2, 32 },{ "readv", "fd", 0, 32 },
        { "readv", "iovcnt", 2, 64 },      { "lseek", "offset", 1, 64 },
        { "lseek", "whence", 2, 32 },      { "madvise", "advice", 2, 32 },
        { "mremap", "flags", 3, 64 },      { "msgrcv", "msgtyp", 3, 64 },
        { "getrandom", "flags", 2, 32 },   { "epoll_pwait", "sigsetsize", 5, 64 },
        { "bpf", "cmd", 0, 32 },           { "keyctl", "operation", 0, 32 },
        { "waitid", "idtype", 0, 32 },     { "mknod", "dev", 2, 32 },
        { "ftruncate", "length", 1, 64 },  { "kcmp", "idx1", 3, 64 },
    };
    int good = 1;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        const struct sc_syscall *s = sc_lookup(w[i].sys);
        int idx = s ? sc_arg_index(s, w[i].arg) : -2;
        if (idx != w[i].idx || s->args[idx].width != w[i].width) {
            good = 0;
            diag("%s(%s): index %d width %d, want index %d width %d", w[i].sys, w[i].arg, idx,
                 idx >= 0 ? s->args[idx].width : 0, w[i].idx, w[i].width);
        }
    }
    ok(good, "hand-reviewed argument names, positions and widths");
    const struct sc_syscall *ioctl = sc_lookup("ioctl");
    is_int(sc_arg_index(ioctl, "arg1"), 1, "positional alias arg1");
    is_int(sc_arg_index(ioctl, "arg3"), -1, "positional alias beyond nargs");
    is_int(sc_arg_index(ioctl, "nope"), -1, "unknown argument name");
    is_int(sc_arg_index(ioctl, "arg10"), -1, "arg10 is not an alias");
    is_int(sc_lookup("getpid")->nargs, 0, "getpid takes no arguments");
    is_int(sc_lookup("getpgrp")->nargs, 0, "getpgrp takes no arguments (kernel side)");
    is_int(sc_lookup("clone")->nargs, 5, "clone takes five arguments");
}

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

static void check_groups(void)
{
    const struct sc_group *g, *prev = NULL;
    int sorted = 1, known = 1, nodup = 1, safe = 1, described = 1;
    size_t n = 0;
    for (size_t i = 0; (g = sc_group_at(i)); i++, n++) {
        if (prev && strcmp(prev->name, g->name) >= 0)
            sorted = 0;
        if (g->name[0] != '@' || !g->description || !g->description[0] || !g->members[0])
            described = 0;
        if (sc_group_lookup(g->name) != g)
            sorted = 0;
        for (size_t k = 0; g->members[k]; k++) {
            if (!sc_lookup(g->members[k])) {
                known = 0;
                diag("%s: unknown member %s", g->name, g->members[k]);
            }
            for (size_t j = 0; j < k; j++)
                if (strcmp(g->members[j], g->members[k]) == 0) {
                    nodup = 0;
                    diag("%s: %s twice", g->name, g->members[k]);
                }
            if (in_list(everyday_groups, g->name) && sc_danger(g->members[k])) {
                safe = 0;
                diag("everyday group %s contains dangerous %s", g->name, g->members[k]);
            }
        }
        prev = g;
    }
    ok(n >= 20, "%zu groups", n);
    ok(sorted, "groups sorted by name and found by lookup");
    ok(described, "every group has an @name, a description and members");
    ok(known, "every group member is in the syscall table");
    ok(nodup, "no group lists a syscall twice");
    ok(safe, "everyday groups contain no dangerous syscall");
    int disjoint = 1;
    for (size_t a = 0; building_blocks[a]; a++)
        for (size_t b = a + 1; building_blocks[b]; b++) {
            const struct sc_group *ga = sc_group_lookup(building_blocks[a]);
            const struct sc_group *gb = sc_group_lookup(building_blocks[b]);
            if (!ga || !gb) {
                disjoint = 0;
                continue;
            }
            for (size_t k = 0; ga->members[k]; k++)
                if (in_list(gb->members, ga->members[k])) {
                    disjoint = 0;
                    diag("%s and %s share %s", ga->name, gb->name, ga->members[k]);
                }
        }
    ok(disjoint, "building-block groups are pairwise disjoint");
    for (size_t a = 0; everyday_groups[a]; a++)
        if (!sc_group_lookup(everyday_groups[a]))
            ok(0, "group %s exists", everyday_groups[a]);
    const struct sc_group *svc = sc_group_lookup("@system-service");
    ok(svc && in_list(svc->members, "read") && in_list(svc->members, "openat") &&
       in_list(svc->members, "socket") && in_list(svc->members, "ioctl") &&
       !in_list(svc->members, "ptrace") && !in_list(svc->members, "unshare"),
       "@system-service has the everyday syscalls and not the dangerous ones");
    ok(sc_group_lookup("@nope") == NULL && sc_group_lookup("basic-io") == NULL,
       "unknown groups (and names without @) are NULL");
}

static void check_danger(void)
{
    static const char *const must[] = {
        "mount", "umount2", "ptrace", "bpf", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module", "perf_event_open", "keyctl", "add_key", "request_key",
        "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "unshare",
        "setns", "personality", "pivot_root", "chroot", "swapon", "swapoff", "reboot",
        "open_by_handle_at", "process_vm_readv", "process_vm_writev", "lookup_dcookie", "acct",
        "quotactl", "iopl", "ioperm", "syslog", "settimeofday", "clock_settime", "adjtimex",
        "mount_setattr", "fsopen", "fsmount", "move_mount", "open_tree", NULL
    };
    static const char *const safe[] = { "read", "write", "openat", "clone", "socket", "ioctl",
                                        "execve", "mmap", "getpid", NULL };
    int all = 1, none = 1, known = 1;
    for (size_t i = 0; must[i]; i++) {
        const char *why = sc_danger(must[i]);
        if (!why || strlen(why) < 10) {
            all = 0;
            diag("%s: no reason", must[i]);
        }
        if (!sc_lookup(must[i]))
            known = 0;
    }
    for (size_t i = 0; safe[i]; i++)
        if (sc_danger(safe[i]))
            none = 0;
    ok(all, "every listed dangerous syscall has a reason");
    ok(known, "every dangerous syscall is in the table");
    ok(none, "everyday syscalls need no unsafe");
    ok(sc_danger(NULL) == NULL && sc_danger("nope") == NULL, "unknown names are not dangerous");
    /* every name on the danger list is in the table: walk all table entries */
    const struct sc_syscall *s;
    size_t count = 0;
    for (size_t i = 0; (s = sc_at(i)); i++)
        if (sc_danger(s->name))
            count++;
    ok(count >= 45, "%zu dangerous syscalls in the table", count);
}

int main(void)
{
    check_table();
    check_numbers();
    check_widths();
    check_groups();
    check_danger();
    return done_testing();
}
