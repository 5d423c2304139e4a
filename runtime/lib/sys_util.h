/* sys_util.h - small system-call helpers shared by the cell side, the
 * supervisor and the backends.
 *
 * libc and the kernel only (the file is part of CELL_SIDE_SRC, which the VM
 * guest init links statically). Every function reports failure as -1 with
 * errno set, and none keeps state. */
#ifndef CELLOS_SYS_UTIL_H
#define CELLOS_SYS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all n bytes of buf to fd, retrying after EINTR and short writes.
 * A write that makes no progress fails with EIO. */
int sys_write_all(int fd, const void *buf, size_t n);

/* Close fd when it is open (>= 0), keeping errno as it was: for error paths
 * that must report the first failure. Always returns -1. */
int sys_close_quiet(int fd);

/* Move the calling process into the cgroup whose directory is dirfd:
 * "0" written to its `tasks` (cgroup v1; no threadgroup lock, unlike
 * cgroup.procs) or, where there is no `tasks` (v2), to `cgroup.procs`. */
int sys_cgroup_join(int dirfd);

/* Read the start of the file name (relative to dirfd; oflags added to
 * O_RDONLY | O_CLOEXEC, e.g. O_NOFOLLOW) into buf, at most n - 1 bytes,
 * NUL-terminated. Returns the bytes read; -1 when the file cannot be opened
 * or read, or is empty. For small status files and logs. */
ssize_t sys_read_head(int dirfd, const char *name, int oflags, char *buf, size_t n);

/* In a /proc/PID/stat line (NUL-terminated), the start of field `field`
 * (proc(5)'s numbering, 3 = state and on: the comm, field 2, may hold
 * spaces and ')'), or NULL when the line has fewer fields. */
const char *sys_proc_stat_field(const char *stat, int field);

/* Make sure pid, a child of the caller, is gone: when it has not exited,
 * SIGKILL it; then reap it. For teardown paths that must never leave a
 * process behind. */
void sys_kill_and_reap(pid_t pid);

/* Read all of path (opened O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags; a
 * regular file, a pipe or a device, not a directory) into a malloc'd,
 * NUL-terminated buffer. At most max + 1 bytes are read: a caller sees an
 * input longer than max as *len == max + 1. *st_out (when not NULL) gets
 * the file's stat. Returns 0, or an errno value (EISDIR for a directory)
 * with nothing allocated. read_file.c. */
struct stat;
int sys_read_file(const char *path, size_t max, int oflags, char **out, size_t *len, struct stat *st_out);

/* Is path equal to dir or below it (both canonical absolute paths, no
 * trailing '/' but for "/" itself)? The one path-prefix test. */
bool sys_path_within(const char *path, const char *dir);

/* CLOCK_MONOTONIC in nanoseconds: the clock of every step record. */
uint64_t sys_now_ns(void);

/* Send the len (> 0) bytes of data over the Unix socket sock with nfd
 * (at most 16) descriptors beside them (SCM_RIGHTS), whole or not at all:
 * 0, or -1 (EIO for a short send). fd_pass.c, the one descriptor passer. */
int sys_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfd);

/* Receive one message of at most len bytes and up to max_fds (at most 16)
 * descriptors (close-on-exec) into fds[], their count in *nfd. Returns the
 * bytes received (0 at end of stream), or -1: EBADMSG when the bytes or
 * the descriptors did not fit or something other than descriptors came
 * (every descriptor that came is closed then). */
ssize_t sys_recv_fds(int sock, void *data, size_t len, int *fds, size_t max_fds, size_t *nfd);

/* Close every fd > 2 that is not in keep[] (any order; close_fds.c). */
int sys_close_fds_except(const int *keep, size_t n_keep);

#endif
