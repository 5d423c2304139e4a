/*
 * cell_int.h - helpers shared by the cell-side files (cell_*.c, mount_ops.c,
 * init.c). Cell side only: libc and the kernel, nothing of the supervisor.
 */
#ifndef CELLOS_CELL_INT_H
#define CELLOS_CELL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cell_side.h"
#include "runtime/lib/sys_util.h"

/* cell_caps.c */
int cell_caps_limit_bounding(uint64_t keep);
/* the init: keep only `keep` in every set, ids unchanged */
int cell_caps_keep_only(uint64_t keep);

/* cell_net.c */
int cell_loopback_up(void);
/* Mount a read-only one-file tmpfs holding text over the existing file dst
 * of the (pivoted) root: 0, 1 when dst is not a regular file (nothing done),
 * -1 with errno. */
int cell_place_file(const char *dst, const char *text);

/* cell_seccomp.c (the supervisor's queries are in cell_side.h) */

/* mount_ops.c: after PIVOT_ROOT, "/" is the new root */
int cell_chdir_in_root(const char *path);
/* open path beneath the new root as every dst is (no symlink out of it, a
 * final symlink refused with ELOOP); O_CLOEXEC is added */
int cell_open_in_root(const char *path, int oflags);
/* mount a private tmpfs (mode 0500, owned by uid:gid) on the existing
 * directory dir of the new root */
int cell_mount_private_dir(const char *dir, uid_t uid, gid_t gid);

/* init.c: be the cell's PID 1 until the workload `child` ends; returns the
 * init's exit status. exec_fd is the read end of the exec pipe. */
int cell_init_loop(const struct cell_config *c, struct cell_report *rep, pid_t child, int exec_fd);

#endif
