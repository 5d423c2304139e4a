/*
 * check_int.h - state shared by the parts of the type checker (check.c:
 * sections other than filesystem and syscalls, merging and ceilings;
 * check_fs.c: filesystem grants; check_sc.c: syscall rules). Internal to
 * the checker.
 */
#ifndef CELLOS_CHECK_INT_H
#define CELLOS_CHECK_INT_H

#include "check.h"
#include "check_names.h"
#include "runtime/plan/plan_rlimits.h"
#include "units.h"
#include "runtime/lib/sys_util.h"

/* Where a singleton setting was first written. */
struct seen {
    bool set;
    struct loc loc;
};

struct env_c {
    const char *name, *value;
    uint32_t flags;
    struct loc loc;
    size_t seq;
};

struct fd_c {
    uint32_t fd;
    struct loc loc;
};

struct egress_c {
    struct plan_egress e;
    struct loc loc;
};

struct secret_c {
    struct plan_secret s;
    struct loc loc, target_loc;
};

enum ceil_kind {
    CEIL_MEMORY,
    CEIL_WALL,
    CEIL_PIDS,
    CEIL_CPU,
    CEIL_EGRESS_NONE,
    CEIL_EGRESS_HOSTS,
    CEIL_REQUIRE
};

struct ceiling_c {
    enum ceil_kind kind;
    uint64_t value;             /* memory bytes, wall ms, pids, cpu millis */
    const struct ast_val *list; /* egress-hosts strings, require words */
    const char *pack;
    struct loc loc;
};

/* Per-syscall rule state (check_sc.c). */
struct sc_state;

struct export_c {
    struct plan_export_item x;
    struct loc loc; /* the name */
};

struct chk {
    struct arena *a;
    struct diag *d;
    struct policy *pol;
    struct plan *p;
    const struct policy_src *src;
    const struct policy_unit *unit; /* the unit being checked */
    bool in_pack;

    /* singletons */
    struct seen backend, hostname, landlock, argv, extra_args, cwd, user, group, umask;
    struct seen network, lim_memory, lim_pids, lim_cpu, lim_wall;
    struct seen lim_memory_be, lim_pids_be, lim_cpu_be;
    struct seen vm_vcpus, vm_memory, vm_kernel, vm_bootargs, vm_rootfs, vm_initramfs;
    struct seen gv_platform, ev_source, ev_subject, ev_key, ev_require, ev_prov[4];
    struct seen sc_default, abi_x32, abi_i386;
    struct seen vm_section, gvisor_section, limits_section, workspace;
    struct loc cwd_val_loc, argv0_loc;
    struct seen caps[64];
    struct seen rlimits[16];

    /* lists, merged over units in order */
    struct env_c *env;
    size_t n_env, cap_env;
    struct fd_c *fds;
    size_t n_fds, cap_fds;
    struct egress_c *egress;
    size_t n_egress, cap_egress;
    struct secret_c *secrets;
    size_t n_secrets, cap_secrets;
    struct export_c *exports; /* the export section's artifacts */
    size_t n_exports, cap_exports;
    struct plan_unsafe_grant *unsafe;
    size_t n_unsafe, cap_unsafe;
    struct fs_grant *grants;
    size_t cap_grants; /* count in pol->n_grants */
    size_t fs_dropped; /* grants not recorded because of an error in them: the
                        * reachability of argv[0] and cwd is not checked then
                        * (an error derived from another comes after it, or not at all) */
    struct ceiling_c *ceil;
    size_t n_ceil, cap_ceil;
    const char **argv_list;
    size_t argc;
    size_t cap_rlimits;

    /* syscalls */
    bool any_syscalls;
    struct seen sc_section; /* the cell's own syscalls section (for messages) */
    struct plan_sc_rule *rules;
    size_t n_rules, cap_rules;
    struct loc *rule_locs;
    size_t n_rule_locs, cap_rule_locs;
    void *sc_groups_state; /* check_sc.c: groups used so far */
    struct plan_sc_cond *conds;
    size_t n_conds, cap_conds;
    uint64_t *values;
    size_t n_values, cap_values;
    struct sc_state **sc_table; /* open addressing by syscall name */
    size_t sc_table_cap, sc_table_n;
};

/* Grow an arena array to hold one more element; returns the new (zeroed)
 * element. */
void *chk_push(struct chk *c, void **arr, size_t *n, size_t *cap, size_t elem);
#define CHK_PUSH(c, arr, n, cap)                                                                             \
    ((__typeof__(arr))chk_push((c), (void **)&(arr), &(n), &(cap), sizeof *(arr)))

/* First time: record and return true. Again: report "duplicate WHAT" at l
 * with a note at the first, return false. */
bool chk_once(struct chk *c, struct seen *s, struct loc l, const char *what);

/* Quote a value for a message (into an arena string). */
const char *chk_q(struct chk *c, const struct ast_val *v);

/* The `unsafe "why"` option of a statement, or NULL; reports an empty reason. */
const struct ast_opt *chk_unsafe_opt(struct chk *c, const struct ast_opt *opts);
/* Record a granted unsafe authority for the plan's meta. */
void chk_add_unsafe(struct chk *c, const char *kind, const char *subject, const struct ast_opt *u);
/* Report an `unsafe` that no part of the grant needs. */
void chk_unneeded_unsafe(struct chk *c, const struct ast_opt *u, const char *what);

/* Typed scalars at a token; report and return -1 when wrong. */
int chk_path(struct chk *c, const struct ast_val *v, const char **out);
int chk_uint(struct chk *c, const struct ast_val *v, uint64_t max, uint64_t *out);
int chk_bytes(struct chk *c, const struct ast_val *v, uint64_t *out);
int chk_duration(struct chk *c, const struct ast_val *v, uint64_t *out_ms);
int chk_mode(struct chk *c, const struct ast_val *v, uint32_t max, uint32_t *out);
/* A string without NUL bytes. */
int chk_text(struct chk *c, const struct ast_val *v, const char *what, const char **out);

/* filesystem (check_fs.c) */
void check_fs_stmt(struct chk *c, const struct ast_stmt *s);
void check_fs_final(struct chk *c);

/* syscalls (check_sc.c) */
void check_sc_stmt(struct chk *c, const struct ast_stmt *s);
void check_sc_final(struct chk *c);
/* After the whole policy: an error when the filter cannot run execve(at),
 * a warning when it lacks what every dynamic program calls before main. */
void check_sc_essentials(struct chk *c, struct loc loc);
/* A warning for each rw grant whose host directory the cell's uid cannot
 * write (reads the host: the plan does not depend on it). */
void check_fs_rw_writable(struct chk *c);

#endif
