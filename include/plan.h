/*
 * plan.h - the in-memory cell plan, and the one plan reader.
 *
 * struct plan is the decoded form of the bytes described in plan_format.h.
 * The compiler lowers a checked policy into a struct plan and the plan writer
 * (compiler/plan/plan_writer.c) serialises it; the plan reader (runtime/
 * plan_reader.c) validates bytes and decodes them back into a struct plan,
 * used by `cellc dump`, `cellrun` and every backend. Write then read gives an
 * equal plan; read then write gives identical bytes.
 *
 * Field meanings, units and constraints are those of the matching cp_* record
 * in plan_format.h; strings are NUL-terminated. In a plan returned by
 * plan_read() every pointer points into one allocation owned by the plan (the
 * strings into its private copy of the input), so plan_free() releases all.
 */
#ifndef CELLOS_PLAN_H
#define CELLOS_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "plan_format.h"
#include "runtime/lib/error.h"

struct plan_unsafe_grant {
    const char *kind, *subject, *reason;
    uint32_t line;
};

struct plan_env {
    const char *name, *value;
    uint32_t flags; /* CP_ENV_* */
};

struct plan_rlimit {
    uint32_t resource;
    uint64_t soft, hard;
};

struct plan_mount_op {
    uint16_t opcode; /* enum cp_mount_opcode */
    uint16_t flags;  /* CP_MNT_* */
    const char *src, *dst;
    uint32_t mode;
    uint64_t size;
    uint32_t line;
};

struct plan_egress {
    uint8_t kind, family, prefix, proto; /* kind: CP_EGRESS_HOST or CP_EGRESS_CIDR */
    uint16_t port_lo, port_hi;
    const char *host;
    uint8_t addr[16];
    uint32_t line;
    bool any_name; /* a host rule whose connections need not name it (on disk: kind 3) */
};

struct plan_sc_cond {
    uint8_t arg, op, width;
    uint32_t set_first, set_count;
    uint64_t value, mask;
};

struct plan_sc_rule {
    const char *syscall;
    uint32_t action;
    uint32_t cond_first, cond_count;
    uint32_t line;
};

struct plan_sc_program {
    uint32_t audit_arch;
    uint32_t insn_count;
    const struct cp_bpf_insn *insns; /* layout-identical to struct sock_filter */
};

struct plan_secret {
    const char *name, *ref, *target;
    uint32_t delivery;
    uint32_t line;
};

struct plan_export_item {
    const char *name, *path;
    uint64_t max_bytes;
    uint32_t flags; /* CP_EXPORT_REQUIRED */
    uint32_t line;
};

struct plan {
    /* header facts, filled by the reader; ignored by the writer */
    uint16_t version_major, version_minor;
    uint8_t digest[32];            /* SHA-256 of header + body */
    bool signed_plan;              /* a signature trailer is present ... */
    struct cp_signature signature; /* ... and this is it (not yet verified) */

    struct {
        const char *name, *source, *compiler, *hostname;
        uint32_t backend; /* enum cp_backend */
        const char **packs;
        size_t n_packs;
        struct plan_unsafe_grant *unsafe;
        size_t n_unsafe;
    } meta;

    struct {
        const char **argv;
        size_t argc;
        struct plan_env *env;
        size_t n_env;
        struct plan_rlimit *rlimits;
        size_t n_rlimits;
        uint32_t *pass_fds;
        size_t n_pass_fds;
        const char *cwd;
        uint32_t uid, gid, umask, flags;
        uint64_t capabilities;
    } process;

    struct {
        struct plan_mount_op *ops;
        size_t n_ops;
    } fs;

    struct {
        uint32_t mode; /* enum cp_net_mode */
        struct plan_egress *egress;
        size_t n_egress;
    } net;

    struct {
        uint64_t memory, pids, wall_ms;
        uint32_t cpu_millis, flags;
    } limits;

    struct {
        uint32_t default_action, flags;
        struct plan_sc_rule *rules;
        size_t n_rules;
        struct plan_sc_cond *conds;
        size_t n_conds;
        uint64_t *values;
        size_t n_values;
        struct plan_sc_program *programs;
        size_t n_programs;
    } seccomp;

    bool has_vm;
    struct {
        uint32_t vcpus, flags;
        uint64_t memory, initramfs_limit;
        const char *kernel, *bootargs, *rootfs;
        uint8_t kernel_sha256[32], rootfs_sha256[32];
    } vm;

    bool has_gvisor;
    struct {
        uint32_t platform, flags;
    } gvisor;

    struct {
        const char *source, *subject;
        uint32_t flags;
        uint8_t signing_kid[32];
    } events;

    struct {
        struct plan_secret *items;
        size_t n_items;
    } secrets;

    bool has_provenance; /* the section is present (any field non-empty) */
    struct {
        const char *spec_id, *correlation_id, *pack_id, *pack_version; /* "" when not given */
    } provenance;

    struct {
        struct plan_export_item *items; /* sorted by name; none: no export section */
        size_t n_items;
    } export_;
};

/* Why a plan was rejected: the section it concerns (a CP_SEC_* type, or 0
 * for the header, directory or trailer), the byte offset from the start of
 * the file at which the fault was found, and a one-line message. */
/* A plan rejection: the message in e (struct cell_error, the error every
 * layer carries up), located by section and offset. */
struct plan_error {
    struct cell_error e;
    uint32_t section;
    uint64_t offset;
    bool file; /* about the file as a whole (cannot open it, not a plan):
                * no section or offset is named */
};

/* Name of a section type ("header" for 0, "process", "filesystem", ...). */
const char *plan_section_name(uint32_t type);
/* Name of a mount opcode ("bind", "tmpfs", ...), or NULL when unknown. */
const char *plan_mount_opcode_name(uint32_t opcode);

/* Validate `len` bytes at `buf` and decode them. Every offset, length,
 * count, enum, flag, reserved field, string and path is checked before use;
 * so is the body's SHA-256 and the shape of the mount op program. The input
 * is copied; the caller keeps `buf`. On success returns 0 and *out (free
 * with plan_free); on failure returns -1, fills *err and leaves *out NULL. */
int plan_read(const void *buf, size_t len, struct plan **out, struct plan_error *err);

/* Read and decode a plan file (at most CP_MAX_PLAN_SIZE bytes). I/O errors
 * are reported with section 0 and offset 0, and only they set err->e.err
 * (the errno); a file that is read but is not a valid plan leaves it 0. */
int plan_read_file(const char *path, struct plan **out, struct plan_error *err);

void plan_free(struct plan *p);

/* Format "file: section NAME at offset N: message" into buf. */
void plan_error_format(const struct plan_error *err, const char *file, char *buf, size_t n);

#endif
