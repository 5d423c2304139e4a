/* sys_util.h - small system-call helpers shared by the cell side, the
 * supervisor and the backends.
 *
 * libc and the kernel only (the file is part of CELL_SIDE_SRC, which the VM
 * guest init links statically). Every function reports failure as -1 with
 * errno set, and none keeps state. */
#ifndef CELLOS_SYS_UTIL_H
#define CELLOS_SYS_UTIL_H

#include <stddef.h>
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

/* Make sure pid, a child of the caller, is gone: when it has not exited,
 * SIGKILL it; then reap it. For teardown paths that must never leave a
 * process behind. */
void sys_kill_and_reap(pid_t pid);

/* Close every fd > 2 that is not in keep[] (any order; close_fds.c). */
int sys_close_fds_except(const int *keep, size_t n_keep);

#endif
