/*
 * oci.h - the gVisor backend's translation of a cell plan into an OCI
 * runtime bundle (runtime-spec 1.0.2 as runsc 0.0~20221219 reads it), and
 * the pieces that build that bundle on the host.
 *
 * The translation is pure: oci_translate() reads the plan, the run's inputs
 * (extra args, PASS values, secrets) and the host filesystem (stat/readlink
 * of bind sources, never a write) and produces a struct oci_bundle: the
 * config.json bytes (deterministic: the same plan, inputs and host give the
 * same bytes), the same config with secret values redacted (what `cellrun
 * --print-oci-config` prints and what the started event's digest is over),
 * the list of things the monitor must create on the host before runsc runs
 * (the staged filesystems, the root skeleton, clones of host trees), and for
 * every mount op of the plan how it is carried out and whether a check made
 * before the sandbox exists already fails it.
 *
 * Unsupported plan features are refused by oci_translate() with a one-line
 * error naming the thing (section, op index, policy line); nothing is
 * silently dropped. Where gVisor's behaviour differs from the native
 * backend's without widening the cell's authority, a deviation note is
 * returned (the backend turns it into an event). docs/backends.md lists them.
 *
 * Bundle layout (all bundle-relative, inside a private tmpfs that only the
 * monitor's mount namespace sees):
 *   config.json   state/ (runsc --root)   runsc.log   pidfifo
 *   rootfs        the plan's ROOTFS tmpfs: the root skeleton
 *   s/N           staged tmpfs N (a TMPFS/WORKSPACE with content, a cover)
 *   m/N           clone N of a host tree (BIND, DEVNODE, REMOUNT of a sub-path)
 *   k/N           secrets directory N (a 1 MiB tmpfs, 0500, owned by the workload)
 *   empty         an empty read-only file (file masks)
 *   resolv.conf   egress: the resolver configuration naming the cell's DNS
 *                 answerer (runtime/net), bound read-only over /etc/resolv.conf
 */
#ifndef CELLOS_OCI_H
#define CELLOS_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/cell/cell_side.h"
#include "runtime/lib/error.h"
#include "plan.h"

/* What holds the contents of a mount in the cell. */
enum oci_fs_kind {
    OCI_FS_ROOT,      /* the root skeleton: the ROOTFS tmpfs, staged on the host */
    OCI_FS_STAGED,    /* a tmpfs staged on the host (s/N): size, mode, owner, entries */
    OCI_FS_CLONE,     /* a clone of a host tree or device (m/N), kernel-enforced flags */
    OCI_FS_TMPFS,     /* a gVisor tmpfs (no pre-made content) */
    OCI_FS_PROC,      /* gVisor's procfs */
    OCI_FS_DEVPTS,    /* gVisor's devpts */
    OCI_FS_MASK_FILE, /* the bundle's empty file, read-only */
    OCI_FS_MASK_DIR,  /* an empty read-only gVisor tmpfs */
    OCI_FS_SECRETS,   /* a secrets directory (k/N) */
};

/* One mount of the cell (the root is mounts[0]). */
struct oci_mount {
    enum oci_fs_kind kind;
    char *dst;      /* canonical absolute path in the cell */
    int op;         /* plan mount op that made it; -1 when implied */
    bool live;      /* false once covered by a later mount */
    uint16_t flags; /* CP_MNT_RDONLY|NOSUID|NODEV|NOEXEC in effect */
    bool recursive; /* CLONE: bring host submounts along */
    bool is_dir;    /* CLONE/MASK: a directory (else a file or device) */
    bool device;    /* CLONE of a host character device (DEVNODE) */
    bool resolv;    /* MASK_FILE: the bundle's resolv.conf (egress), not its empty file */
    uint64_t size;  /* ROOT/STAGED/TMPFS/SECRETS: bytes, 0 = default */
    uint32_t mode;  /* ROOT/STAGED/TMPFS/SECRETS: permission bits */
    bool chown;     /* owned by uid:gid (workspace, secrets) */
    uint32_t uid, gid;
    /* CLONE: what to clone. from < 0: the host path `host`; else the path
     * `host` relative inside mount `from` (a sub-path remount), which may be
     * any staged, root or clone mount. */
    char *host;
    int from;
    int stage; /* index of s/N, m/N or k/N; -1 otherwise */
};

/* Something the monitor creates inside a ROOT, STAGED or SECRETS mount. */
enum oci_entry_type {
    OCI_E_DIR,
    OCI_E_FILE,
    OCI_E_SYMLINK
};
struct oci_entry {
    int mount; /* index into mounts */
    char *rel; /* path inside that mount, no leading '/' */
    enum oci_entry_type type;
    uint32_t mode; /* DIR/FILE */
    char *target;  /* SYMLINK */
    int op;        /* plan op (MKDIR, SYMLINK), or -1 for a mount point */
    int cause;     /* the plan op whose translation made it (-1: after the program) */
    bool live;     /* false once moved into a cover */
};

/* How each mount op of the plan is carried out. */
enum oci_how {
    OCI_HOW_HOST,      /* by cellrun on the host before runsc starts */
    OCI_HOW_GVISOR,    /* by gVisor, from config.json */
    OCI_HOW_SKIPPED,   /* OPTIONAL and absent */
    OCI_HOW_FAILED,    /* a check before the sandbox exists fails it */
    OCI_HOW_UNREACHED, /* after a failed op: never attempted */
};

struct oci_op_state {
    enum oci_how how;
    int err; /* FAILED: the errno */
};

/* A difference from the native backend that does not widen authority. */
struct oci_note {
    char what[64];
    char why[320];
};
#define OCI_MAX_NOTES 12

/* A file secret to write: the secrets mount, the file name, the value. */
struct oci_secret_file {
    int mount;
    char *name;
    size_t secret; /* index into plan->secrets.items */
};

/* Inputs of the translation besides the plan. */
struct oci_inputs {
    char *const *extra_args;
    size_t n_extra_args;
    const char *const *pass_values;          /* index-aligned with plan env; may be NULL */
    const struct cell_secret_value *secrets; /* index-aligned with plan secrets; may be NULL */
    bool redact_only;                        /* no secret values (printing): placeholders only */
};

struct oci_bundle {
    char *config; /* config.json as runsc reads it (secret values in) */
    size_t config_len;
    char *review; /* the same with secret values as "<secret NAME>" */
    size_t review_len;
    uint8_t review_sha256[32];

    struct oci_mount *mounts;
    size_t n_mounts;
    struct oci_entry *entries;
    size_t n_entries;
    struct oci_op_state *ops; /* one per plan mount op */
    size_t n_ops;
    struct oci_secret_file *secret_files;
    size_t n_secret_files;
    size_t n_staged, n_clones, n_secret_dirs;

    /* checks made before the sandbox exists (0 = fine) */
    int fail_op;     /* first failed mount op, or -1 */
    int exec_err;    /* argv[0] cannot be executed: ENOENT, EACCES */
    int cwd_err;     /* the working directory (no CHDIR op) is missing */
    int secrets_err; /* a secrets directory is missing */

    uint32_t ns_flags;      /* CLONE_NEW* the sandbox gets (NAMESPACES detail) */
    size_t n_env;           /* variables in process.env (ENV detail) */
    size_t n_seccomp_rules; /* entries in linux.seccomp.syscalls (SECCOMP detail) */
    bool net_raw;           /* CAP_NET_RAW granted: runsc needs --net-raw */
    bool egress;            /* network egress: runsc's netstack in netd's namespace */
    bool resolv_placed;     /* egress: /etc/resolv.conf is the bundle's (LOOPBACK detail 2, else 3) */
    bool root_readonly;

    struct oci_note notes[OCI_MAX_NOTES];
    size_t n_notes;
};

/* Translate. On success 0 and *b filled (free with oci_bundle_free); on a
 * plan the gvisor backend cannot run faithfully, -1 and *e. */
int oci_translate(const struct plan *p, const struct oci_inputs *in, struct oci_bundle *b,
                  struct cell_error *e);
/* oci_bundle.c: release a bundle; record a deviation note. */
void oci_bundle_free(struct oci_bundle *b);

/* The process env as config.json carries it (run and review variants). */
/* ---- pieces of the translation (oci_fs.c, oci_seccomp.c) ----------------- */

/* The filesystem part: mounts, entries, op states, root flags, notes. */
int oci_fs_translate(const struct plan *p, struct oci_bundle *b, struct cell_error *e);

/* The OCI seccomp filter as runsc will evaluate it (oci_seccomp.c): per
 * syscall, entries in order, the first whose args all match decides (one
 * condition per argument at most), else the default. */
enum oci_sc_op {
    OCI_SC_EQ,
    OCI_SC_NE,
    OCI_SC_LT,
    OCI_SC_LE,
    OCI_SC_GT,
    OCI_SC_GE,
    OCI_SC_MASKED_EQ
};
enum oci_sc_act {
    OCI_ACT_ALLOW,
    OCI_ACT_KILL,
    OCI_ACT_TRAP,
    OCI_ACT_ERRNO,
    OCI_ACT_TRACE
};
struct oci_sc_arg {
    uint8_t index, op;  /* op: enum oci_sc_op */
    uint64_t value;     /* MASKED_EQ: the mask */
    uint64_t value_two; /* MASKED_EQ: the value */
};
struct oci_sc_entry {
    const char *name; /* points into the plan */
    uint8_t act;      /* enum oci_sc_act */
    int errno_ret;    /* ERRNO: the plan's errno (runsc returns EPERM); else -1 */
    uint8_t n_args;
    struct oci_sc_arg args[6];
};
struct oci_sc_filter {
    uint8_t def_act;
    int def_errno;
    struct oci_sc_entry *entries;
    size_t n;
};
int oci_seccomp_filter(const struct plan *p, struct oci_sc_filter *f, struct oci_bundle *b,
                       struct cell_error *e);
void oci_sc_filter_free(struct oci_sc_filter *f);
/* The name runsc knows a syscall by when it is not the kernel's (runsc
 * ignores an OCI rule's names it does not know), or NULL. */
const char *oci_sc_runsc_alias(const char *linux_name);

struct oci_json;
/* The linux.seccomp object of the config (oci_seccomp.c). */
int oci_seccomp_emit(const struct plan *p, struct oci_json *j, struct oci_bundle *b, struct cell_error *e);

/* Add a deviation note (dropped, with a last note saying so, when full). */
void oci_note(struct oci_bundle *b, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The config variant for other OCI tools and exported bundles: host paths
 * instead of the bundle's clones, secrets redacted (oci_config.c). */
int oci_config_portable(const struct plan *p, const struct oci_inputs *in, struct oci_bundle *b, char **out,
                        size_t *len, struct cell_error *e);

/* ---- seccomp checks (oci_sccheck.c) ---------------------------------------- */

/* Refuse a plan whose rules and x86_64 program disagree (see the file). */
int oci_seccomp_check(const struct plan *p, struct cell_error *e);

/* ---- staging on the host (oci_stage.c; runs in the monitor) --------------- */

/* Clone every host tree the bundle binds (open_tree), before anything is
 * mounted over a path a source may lie under: fds[i] for mount i, -1 when
 * mount i is not a clone of a host path. On failure -1, *e, and *fail_op
 * the plan op at fault. */
int oci_stage_clone_sources(const struct oci_bundle *b, int *fds, int *fail_op, struct cell_error *e);

/* Build the bundle under the directory fd `bundle` (empty; a private tmpfs
 * when `mounts`): config.json (the given bytes), state/, pidfifo, empty,
 * the ROOTFS tmpfs with the skeleton at rootfs, staged tmpfs s/N, secrets
 * k/N (values written 0400 for the workload), clones m/N attached from
 * clone_fds with their flags enforced by the host kernel. Without
 * `mounts` (an export for plain `runsc run`), the filesystems are plain
 * directories, secrets are empty placeholders and no clone is made (the
 * portable config names host paths). done_ns[op] is set to CLOCK_MONOTONIC
 * when a mount op carried out here (ROOTFS, MKDIR, SYMLINK) is done. On
 * failure -1, *e (e->err the errno) and *fail_op (the plan op, or -1). */
int oci_stage_build(const struct oci_bundle *b, const struct plan *p, const struct cell_secret_value *secrets,
                    int bundle, bool mounts, const int *clone_fds, const char *config, size_t config_len,
                    uint64_t *done_ns, int *fail_op, struct cell_error *e);

#endif
