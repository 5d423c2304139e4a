/*
 * syscall_groups.c - the built-in syscall groups (@basic-io, @file-system,
 * ...), in the spirit of systemd's SystemCallFilter= sets but our own.
 *
 * Invariants (checked by tests/unit/seccomp_table.c):
 *  - every member is a syscall of the table, and no group lists one twice;
 *  - the building-block groups are pairwise disjoint, so a composite
 *    (@system-service, @privileged) is their concatenation without repeats;
 *  - the everyday groups (everything but @clock, @cpu-emulation, @debug,
 *    @io-uring, @keyring, @module, @mount, @obsolete, @privileged, @raw-io,
 *    @reboot, @swap) contain no syscall for which sc_danger() is set, so
 *    allowing one never needs `unsafe`.
 * A member an arch lacks (e.g. `open` on aarch64) is skipped for that arch;
 * docs/seccomp.md lists the members per arch. Sorted by group name.
 */
#include <stdlib.h>
#include <string.h>

#include "syscall_table.h"

#define G_AIO "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit"
#define G_BASIC_IO                                                                                           \
    "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2", "pwrite64",      \
        "pwritev", "pwritev2", "read", "readv", "write", "writev"
#define G_CHOWN         "chown", "fchown", "fchownat", "lchown"
#define G_CLOCK         "adjtimex", "clock_adjtime", "clock_settime", "settimeofday"
#define G_CPU_EMULATION "modify_ldt"
#define G_DEBUG                                                                                              \
    "kcmp", "lookup_dcookie", "perf_event_open", "pidfd_getfd", "process_madvise", "process_vm_readv",       \
        "process_vm_writev", "ptrace"
#define G_SANDBOX "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp"
#define G_DEFAULT_OWN                                                                                        \
    "arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "exit", "exit_group", \
        "futex", "futex_requeue", "futex_wait", "futex_waitv", "futex_wake", "get_robust_list",              \
        "get_thread_area", "getegid", "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid",      \
        "getppid", "getrandom", "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday",   \
        "getuid", "membarrier", "mmap", "mprotect", "munmap", "nanosleep", "pause", "prlimit64",             \
        "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list",    \
        "set_thread_area", "set_tid_address", "time"
#define G_DEFAULT G_SANDBOX, G_DEFAULT_OWN
#define G_FILE_SYSTEM                                                                                        \
    "access", "cachestat", "chdir", "chmod", "creat", "faccessat", "faccessat2", "fallocate", "fchdir",      \
        "fchmod", "fchmodat", "fchmodat2", "fcntl", "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr",  \
        "fstat", "fstatfs", "ftruncate", "futimesat", "getcwd", "getdents", "getdents64", "getxattr",        \
        "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "lgetxattr", "link",       \
        "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr", "lstat", "mkdir", "mkdirat",       \
        "mknod", "mknodat", "newfstatat", "open", "openat", "openat2", "readlink", "readlinkat",             \
        "removexattr", "rename", "renameat", "renameat2", "rmdir", "setxattr", "stat", "statfs", "statx",    \
        "symlink", "symlinkat", "truncate", "unlink", "unlinkat", "utime", "utimensat", "utimes"
#define G_IO_EVENT                                                                                           \
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd",    \
        "eventfd2", "poll", "ppoll", "pselect6", "select"
#define G_IO_URING "io_uring_enter", "io_uring_register", "io_uring_setup"
#define G_IPC                                                                                                \
    "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", \
        "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget", "semop", "semtimedop",  \
        "shmat", "shmctl", "shmdt", "shmget"
#define G_KEYRING "add_key", "keyctl", "request_key"
#define G_MEMLOCK "mlock", "mlock2", "mlockall", "munlock", "munlockall"
#define G_MODULE  "delete_module", "finit_module", "init_module"
#define G_MOUNT                                                                                              \
    "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount",             \
        "open_tree", "pivot_root", "umount2"
#define G_NETWORK_IO                                                                                         \
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",            \
        "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown",        \
        "socket", "socketpair"
#define G_OBSOLETE                                                                                           \
    "_sysctl", "afs_syscall", "create_module", "epoll_ctl_old", "epoll_wait_old", "get_kernel_syms",         \
        "getpmsg", "nfsservctl", "putpmsg", "query_module", "security", "sysfs", "tuxcall", "uselib",        \
        "ustat", "vserver"
#define G_PKEY "pkey_alloc", "pkey_free", "pkey_mprotect"
#define G_PROCESS                                                                                            \
    "capget", "clone", "clone3", "execveat", "fork", "getrusage", "kill", "pidfd_open", "pidfd_send_signal", \
        "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill", "times", "tkill", "vfork", "wait4",       \
        "waitid"
#define G_RAW_IO "ioperm", "iopl"
#define G_REBOOT "kexec_file_load", "kexec_load", "reboot"
#define G_RESOURCES                                                                                          \
    "ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",              \
        "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node", "setpriority",   \
        "setrlimit"
#define G_SETUID "setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid"
#define G_SIGNAL                                                                                             \
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait", "sigaltstack",    \
        "signalfd", "signalfd4"
#define G_SWAP "swapoff", "swapon"
#define G_SYNC "fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"
/* @timer's `times` lives in @process, as a member may belong to one block only */
#define G_TIMER                                                                                              \
    "alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",  \
        "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime"
#define G_SERVICE_OWN                                                                                        \
    "capset", "copy_file_range", "fadvise64", "flock", "get_mempolicy", "getcpu", "getpriority", "ioctl",    \
        "ioprio_get", "madvise", "mincore", "mremap", "name_to_handle_at", "process_mrelease", "readahead",  \
        "remap_file_pages", "sched_get_priority_max", "sched_get_priority_min", "sched_getattr",             \
        "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sendfile", "setfsgid", "setfsuid", \
        "setpgid", "setsid", "splice", "sysinfo", "tee", "umask", "uname", "vmsplice"
#define G_PRIVILEGED_OWN                                                                                     \
    "_sysctl", "acct", "bpf", "capset", "chroot", "fanotify_init", "fanotify_mark", "nfsservctl",            \
        "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsuid",           \
        "setgroups", "sethostname", "setresuid", "setreuid", "setuid", "vhangup"

#define MEMBERS(id, ...) static const char *const id[] = { __VA_ARGS__, NULL }
MEMBERS(m_aio, G_AIO);
MEMBERS(m_basic_io, G_BASIC_IO);
MEMBERS(m_chown, G_CHOWN);
MEMBERS(m_clock, G_CLOCK);
MEMBERS(m_cpu_emulation, G_CPU_EMULATION);
MEMBERS(m_debug, G_DEBUG);
MEMBERS(m_default, G_DEFAULT);
MEMBERS(m_file_system, G_FILE_SYSTEM);
MEMBERS(m_io_event, G_IO_EVENT);
MEMBERS(m_io_uring, G_IO_URING);
MEMBERS(m_ipc, G_IPC);
MEMBERS(m_keyring, G_KEYRING);
MEMBERS(m_memlock, G_MEMLOCK);
MEMBERS(m_module, G_MODULE);
MEMBERS(m_mount, G_MOUNT);
MEMBERS(m_network_io, G_NETWORK_IO);
MEMBERS(m_obsolete, G_OBSOLETE);
MEMBERS(m_pkey, G_PKEY);
MEMBERS(m_privileged, G_CHOWN, G_CLOCK, G_MODULE, G_RAW_IO, G_REBOOT, G_SWAP, G_PRIVILEGED_OWN);
MEMBERS(m_process, G_PROCESS);
MEMBERS(m_raw_io, G_RAW_IO);
MEMBERS(m_reboot, G_REBOOT);
MEMBERS(m_resources, G_RESOURCES);
MEMBERS(m_sandbox, G_SANDBOX);
MEMBERS(m_setuid, G_SETUID);
MEMBERS(m_signal, G_SIGNAL);
MEMBERS(m_swap, G_SWAP);
MEMBERS(m_sync, G_SYNC);
MEMBERS(m_system_service, G_AIO, G_BASIC_IO, G_CHOWN, G_DEFAULT, G_FILE_SYSTEM, G_IO_EVENT, G_IPC, G_MEMLOCK,
        G_NETWORK_IO, G_PROCESS, G_RESOURCES, G_SETUID, G_SIGNAL, G_SYNC, G_TIMER, G_SERVICE_OWN);
MEMBERS(m_timer, G_TIMER);

static const struct sc_group groups[] = {
    { "@aio", "asynchronous I/O (not io_uring, see @io-uring)", m_aio },
    { "@basic-io", "reading, writing, seeking and closing file descriptors", m_basic_io },
    { "@chown", "changing file ownership", m_chown },
    { "@clock", "setting the system clock (needs unsafe)", m_clock },
    { "@cpu-emulation", "x86 LDT manipulation (needs unsafe)", m_cpu_emulation },
    { "@debug", "debugging and inspecting other processes, profiling (needs unsafe)", m_debug },
    { "@default", "what every process needs: memory, futexes, time, identity, exit; plus @sandbox",
      m_default },
    { "@file-system", "files and directories: open, stat, create, remove, rename, xattrs, inotify",
      m_file_system },
    { "@io-event", "event loops: poll, select, epoll, eventfd", m_io_event },
    { "@io-uring", "io_uring (needs unsafe: its operations bypass seccomp)", m_io_uring },
    { "@ipc", "pipes, SysV IPC, POSIX message queues, memfd", m_ipc },
    { "@keyring", "kernel keyrings (needs unsafe)", m_keyring },
    { "@memlock", "locking memory into RAM", m_memlock },
    { "@module", "loading and unloading kernel modules (needs unsafe)", m_module },
    { "@mount", "mounting, unmounting, changing root (needs unsafe)", m_mount },
    { "@network-io", "sockets: create, connect, accept, send, receive, options", m_network_io },
    { "@obsolete", "unused or removed syscalls", m_obsolete },
    { "@pkey", "memory protection keys", m_pkey },
    { "@privileged", "syscalls that need privileges (for deny lists; allowing needs unsafe)", m_privileged },
    { "@process", "creating, signalling and waiting for processes (not unshare/setns)", m_process },
    { "@raw-io", "raw I/O port access (needs unsafe)", m_raw_io },
    { "@reboot", "rebooting and loading new kernels (needs unsafe)", m_reboot },
    { "@resources", "changing scheduling, priorities, memory policy and resource limits", m_resources },
    { "@sandbox", "restricting oneself further: seccomp, landlock", m_sandbox },
    { "@setuid", "changing user and group ids", m_setuid },
    { "@signal", "signal handlers, masks and signalfd", m_signal },
    { "@swap", "enabling and disabling swap (needs unsafe)", m_swap },
    { "@sync", "flushing files to storage", m_sync },
    { "@system-service",
      "a typical service: @default @aio @basic-io @chown @file-system @io-event @ipc "
      "@memlock @network-io @process @resources @setuid @signal @sync @timer and a few more",
      m_system_service },
    { "@timer", "timers and alarms", m_timer },
};

static int cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct sc_group *)elem)->name);
}

const struct sc_group *sc_group_lookup(const char *name)
{
    if (!name)
        return NULL;
    return bsearch(name, groups, sizeof groups / sizeof groups[0], sizeof groups[0], cmp);
}

const struct sc_group *sc_group_at(size_t i)
{
    return i < sizeof groups / sizeof groups[0] ? &groups[i] : NULL;
}
